"""Reviewer list and overrides (permissions, scoping, audit), selectors other apps use, the
`submission_scored` signal, and query budgets of the exercise and reviewer pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from casebook.exercises import grading, selectors, services
from casebook.exercises.grading import ExerciseInputError
from casebook.exercises.signals import submission_scored
from casebook.models import ExerciseSubmission, SubmissionReview
from departments import roles
from departments.services import roles_ensure
from tests.departments.factories import (
    DepartmentFactory,
    LearnerFactory,
    OfficeFactory,
    UnitFactory,
    UserFactory,
)

from .exercise_helpers import make_exercise, table_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def groups(db):
    return roles_ensure()


@pytest.fixture
def exercise(make_case):
    return make_exercise(make_case(), "goal_setting", pass_mark=70)


@pytest.fixture
def dept_a(db):
    return DepartmentFactory(code="A01", name="教育局")


@pytest.fixture
def dept_b(db):
    return DepartmentFactory(code="B01", name="卫健委")


def learner_in(department, **kwargs):
    return LearnerFactory(office=OfficeFactory(unit=UnitFactory(department=department)),
                          **kwargs)


def user_in(group, **kwargs):
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=group))
    return user


def submit(exercise, user, rows=None) -> ExerciseSubmission:
    table = grading.table_for_exercise(exercise, {
        "annual_goal": table_post()["annual_goal"],
        "indicators": rows if rows is not None else [
            {k.split("-", 2)[2]: v for k, v in table_post().items()
             if k.startswith(f"ind-{i}-")} for i in range(7)]})
    return services.submission_create(exercise=exercise, user=user,
                                      input_data=table.to_dict(),
                                      graded=grading.grade_goal_setting(exercise, table))


@pytest.fixture
def reviewer(groups):
    return user_in(roles.REVIEWER, username="rev")


REVIEW_LIST = "/admin/casebook/review/"


def review_url(submission):
    return f"/admin/casebook/review/{submission.pk}/"


# ---- override with audit -------------------------------------------------------------------

def test_reviewer_overrides_a_score_with_reason_and_the_audit_keeps_it(
        client, exercise, reviewer, dept_a, django_capture_on_commit_callbacks):
    learner = learner_in(dept_a)
    submission = submit(exercise, learner.user)
    old = submission.score
    client.force_login(reviewer)
    received = []
    submission_scored.connect(lambda sender, submission, **kw: received.append(
        submission.score), weak=False, dispatch_uid="test-override")
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post(review_url(submission), {
                "new_score": "55", "comment": "指标与资金测算不符，人工复核扣分"})
    finally:
        submission_scored.disconnect(dispatch_uid="test-override")
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.score == Decimal("55.00") and submission.auto_score == old
    assert submission.passed is False
    assert submission.override_by == reviewer and submission.override_at is not None
    review = SubmissionReview.objects.get()
    assert (review.old_score, review.new_score, review.reviewer) == (old, Decimal("55"),
                                                                    reviewer)
    assert len(callbacks) == 1 and received == [Decimal("55.00")]
    page = client.get(review_url(submission)).content.decode()
    assert "人工复核扣分" in page and 'id="audit-trail"' in page


def test_override_without_reason_changes_nothing(client, exercise, reviewer, dept_a):
    submission = submit(exercise, learner_in(dept_a).user)
    client.force_login(reviewer)
    response = client.post(review_url(submission), {"new_score": "10", "comment": ""})
    assert response.status_code == 400
    submission.refresh_from_db()
    assert submission.override_score is None and submission.score == submission.auto_score
    assert not SubmissionReview.objects.exists()


@pytest.mark.parametrize("score", ["101", "-1", "abc", "NaN"])
def test_override_out_of_range_is_refused(client, exercise, reviewer, dept_a, score):
    submission = submit(exercise, learner_in(dept_a).user)
    client.force_login(reviewer)
    response = client.post(review_url(submission), {"new_score": score, "comment": "理由"})
    assert response.status_code == 400
    assert not SubmissionReview.objects.exists()


def test_comment_only_keeps_the_score(exercise, reviewer, dept_a):
    submission = submit(exercise, learner_in(dept_a).user)
    services.submission_review(submission=submission, reviewer=reviewer, comment="很好")
    submission.refresh_from_db()
    assert submission.override_score is None
    assert SubmissionReview.objects.get().new_score is None


def test_a_learner_cannot_see_or_override(client, exercise, groups, dept_a):
    learner = learner_in(dept_a)
    submission = submit(exercise, learner.user)
    client.force_login(learner.user)
    assert client.get("/casebook/exercises/review/").status_code == 403
    # The queue is in the admin: a learner without admin access is sent to its login.
    assert client.post(review_url(submission), {"new_score": "100",
                                                "comment": "x"}).status_code == 302
    with pytest.raises(ExerciseInputError):
        services.submission_review(submission=submission, reviewer=learner.user,
                                   comment="x", new_score=100)
    submission.refresh_from_db()
    assert submission.override_score is None and not SubmissionReview.objects.exists()


def test_department_admins_see_only_their_department_and_cannot_override(
        client, exercise, groups, dept_a, dept_b):
    mine = submit(exercise, learner_in(dept_a).user)
    other = submit(exercise, learner_in(dept_b).user)
    admin = user_in(roles.DEPARTMENT_ADMIN, username="adm")
    dept_a.admins.add(admin)
    client.force_login(admin)
    listing = client.get(REVIEW_LIST).content.decode()
    assert review_url(mine) in listing and review_url(other) not in listing
    assert client.get(review_url(other)).status_code == 404
    assert client.get(review_url(mine)).status_code == 200
    # Refused inside the admin: back to the dashboard with Wagtail's message, nothing written.
    response = client.post(review_url(mine), {"new_score": "1", "comment": "x"})
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert not SubmissionReview.objects.exists()


def test_bureau_staff_and_reviewers_see_all_and_filters_work(client, exercise, groups, reviewer,
                                                             dept_a, dept_b, make_case):
    other_exercise = make_exercise(make_case(), "goal_setting", title="另一个练习")
    a = submit(exercise, learner_in(dept_a).user)
    b = submit(other_exercise, learner_in(dept_b).user)
    for user in (user_in(roles.BUREAU_STAFF, username="czj"), reviewer):
        client.force_login(user)
        listing = client.get(REVIEW_LIST).content.decode()
        assert review_url(a) in listing and review_url(b) in listing
        by_exercise = client.get(f"{REVIEW_LIST}?exercise={exercise.pk}")
        assert review_url(b) not in by_exercise.content.decode()
        by_department = client.get(f"{REVIEW_LIST}?department={dept_b.pk}")
        assert review_url(a) not in by_department.content.decode()
        future = client.get(f"{REVIEW_LIST}?date_from=2999-01-01")
        assert review_url(a) not in future.content.decode()


# ---- selectors and signal ------------------------------------------------------------------

def test_best_submission_passed_and_best_per_learner(exercise, dept_a):
    one, two = learner_in(dept_a).user, learner_in(dept_a).user
    bad_rows = [{"level1": "产出指标", "level2": "数量指标", "name": "工作明显改善",
                 "op": "", "value": "明显提高"}]
    first = submit(exercise, one, rows=bad_rows)
    second = submit(exercise, one)
    third = submit(exercise, one)
    assert first.score < second.score == third.score
    assert selectors.submission_best(user=one, exercise=exercise) == second
    assert selectors.exercise_passed(user=one, exercise=exercise) is True
    submit(exercise, two, rows=bad_rows)
    assert selectors.exercise_passed(user=two, exercise=exercise) is False
    best = list(selectors.submissions_best_per_learner(exercise=exercise))
    assert {(s.user, s.attempt_number) for s in best} == {(one, 2), (two, 1)}
    assert selectors.submission_best(user=UserFactory(), exercise=exercise) is None


def test_submission_scored_is_sent_on_commit(exercise, dept_a,
                                             django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, submission, **kwargs):
        received.append(submission.pk)

    submission_scored.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            submission = submit(exercise, learner_in(dept_a).user)
        assert received == []  # not before commit
        for callback in callbacks:
            callback()
    finally:
        submission_scored.disconnect(receiver)
    assert received == [submission.pk]


def test_rejected_submission_sends_nothing_and_stores_nothing(
        client, exercise, dept_a, django_capture_on_commit_callbacks):
    learner = learner_in(dept_a)
    client.force_login(learner.user)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(f"/casebook/exercises/{exercise.pk}/", {"ind-0-op": "≈",
                                                                       "ind-0-name": "x"})
    assert response.status_code == 400
    assert callbacks == [] and not ExerciseSubmission.objects.exists()


# ---- constraints ---------------------------------------------------------------------------

def test_database_refuses_duplicate_attempts_and_scores_out_of_range(exercise, dept_a):
    from django.db import IntegrityError, transaction

    submission = submit(exercise, learner_in(dept_a).user)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExerciseSubmission.objects.create(
            exercise=exercise, user=submission.user, attempt_number=1, input={}, result={},
            auto_score=1, score=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExerciseSubmission.objects.filter(pk=submission.pk).update(score=101)


# ---- query budgets -------------------------------------------------------------------------

def _queries(client, path, django_assert_max_num_queries, budget):
    with django_assert_max_num_queries(budget):
        response = client.get(path)
    assert response.status_code == 200


def test_exercise_page_query_budget_is_constant(client, exercise, dept_a,
                                                django_assert_max_num_queries):
    learner = learner_in(dept_a)
    client.force_login(learner.user)
    submit(exercise, learner.user)
    _queries(client, f"/casebook/exercises/{exercise.pk}/", django_assert_max_num_queries, 12)
    for _i in range(9):
        submit(exercise, learner.user)
    _queries(client, f"/casebook/exercises/{exercise.pk}/", django_assert_max_num_queries, 12)


def test_review_list_query_budget_is_constant(client, exercise, reviewer, dept_a,
                                              django_assert_max_num_queries):
    client.force_login(reviewer)
    submit(exercise, learner_in(dept_a).user)
    _queries(client, REVIEW_LIST, django_assert_max_num_queries, 15)
    for _i in range(20):
        submit(exercise, learner_in(dept_a).user)
    _queries(client, REVIEW_LIST, django_assert_max_num_queries, 15)
    # The admin chrome adds one query to the detail page (was 12 on the public layout).
    _queries(client, review_url(ExerciseSubmission.objects.first()),
             django_assert_max_num_queries, 13)


# ---- block and admin -----------------------------------------------------------------------

def test_exercise_block_renders_a_link_and_has_a_preview(exercise):
    from casebook.blocks import ExerciseBlock

    block = ExerciseBlock()
    rendered = block.render(block.to_python({"exercise": exercise.pk, "intro": "<b>练</b>"}))
    assert f"/casebook/exercises/{exercise.pk}/" in rendered and exercise.title in rendered
    assert "<b>练</b>" not in rendered
    assert block.meta.preview_value["button_label"]


def test_editor_manages_exercises_in_the_admin(client, exercise, groups):
    editor = user_in(roles.EDITOR, username="ed")
    client.force_login(editor)
    response = client.get("/admin/snippets/casebook/exercise/")
    assert response.status_code == 200 and exercise.title in response.content.decode()
