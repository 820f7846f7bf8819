"""Marking: queue scoping and filters, partial points, feedback, audit, result recompute."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from departments import roles
from quizzes import services
from quizzes.models import AttemptStatus, MarkingRecord
from quizzes.signals import attempt_graded
from tests.departments.factories import (
    DepartmentFactory,
    LearnerFactory,
    OfficeFactory,
    UnitFactory,
    UserFactory,
)

from .conftest import answer_all, rows_by_kind


@pytest.fixture(autouse=True)
def english_pages(client, settings):
    """These tests read the UI's English message ids; the Chinese rendering is tested apart."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    # Messages the tests compare with are rendered in the pages' language.
    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(quiz, user):
    attempt = services.attempt_start(quiz=quiz, user=user)
    answer_all(attempt)
    return services.attempt_submit(attempt=attempt)


def test_marking_last_essay_grades_the_attempt_and_sends_signal(
        submitted, reviewer, django_capture_on_commit_callbacks):
    received = []
    attempt_graded.connect(lambda sender, attempt, **kw: received.append(attempt.pk),
                           weak=False, dispatch_uid="m1")
    essay_row = rows_by_kind(submitted)["essay"]
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.marking_save(attempt_question=essay_row, marker=reviewer, points="7.5",
                                  feedback="论点清楚")
    finally:
        attempt_graded.disconnect(dispatch_uid="m1")
    submitted.refresh_from_db()
    assert submitted.status == AttemptStatus.GRADED
    assert submitted.score == Decimal("17.50") and submitted.percent == Decimal("87.50")
    assert submitted.passed and received == [submitted.pk]
    essay_row.refresh_from_db()
    assert essay_row.awarded == Decimal("7.5") and essay_row.marked_by == reviewer
    record = MarkingRecord.objects.get()
    assert (record.marker, record.points, record.feedback) == (reviewer, Decimal("7.5"), "论点清楚")


@pytest.mark.parametrize("points", ["-1", "10.01", "1e9", "abc", "NaN", ""])
def test_marking_rejects_points_out_of_range(submitted, reviewer, points):
    essay_row = rows_by_kind(submitted)["essay"]
    with pytest.raises(ValidationError) as error:
        services.marking_save(attempt_question=essay_row, marker=reviewer, points=points)
    assert error.value.messages == [str(services.MARK_POINTS_RANGE)]
    essay_row.refresh_from_db()
    assert essay_row.awarded is None and not MarkingRecord.objects.exists()


def test_marking_only_essays_of_submitted_attempts(quiz, user, reviewer, submitted):
    with pytest.raises(ValidationError) as error:
        services.marking_save(attempt_question=rows_by_kind(submitted)["single"],
                              marker=reviewer, points="1")
    assert error.value.messages == [str(services.MARK_NOT_ESSAY)]


def test_remarking_recomputes_and_audits_both(submitted, reviewer):
    row = rows_by_kind(submitted)["essay"]
    services.marking_save(attempt_question=row, marker=reviewer, points="10")
    services.marking_save(attempt_question=row, marker=reviewer, points="0")
    submitted.refresh_from_db()
    assert submitted.score == Decimal("10") and not submitted.passed
    assert MarkingRecord.objects.count() == 2


def test_marking_pages_for_reviewer(client, submitted, reviewer, quiz):
    client.force_login(reviewer)
    listing = client.get(reverse("quiz_marking:index"), {"quiz": quiz.pk,
                                                        "learner": submitted.user_id})
    assert listing.status_code == 200 and reverse(
        "quiz_marking:detail", args=[submitted.pk]) in listing.content.decode()
    other = client.get(reverse("quiz_marking:index"), {"learner": reviewer.pk}).content.decode()
    assert reverse("quiz_marking:detail", args=[submitted.pk]) not in other
    row = rows_by_kind(submitted)["essay"]
    url = reverse("quiz_marking:detail", args=[submitted.pk])
    assert "我的论述答案" in client.get(url).content.decode()
    bad = client.post(url, {"question": row.pk, "points": "11", "feedback": "x"})
    assert bad.status_code == 200
    with translation.override("en"):  # the admin restores the test's language afterwards
        assert escape(str(services.MARK_POINTS_RANGE)) in bad.content.decode()
    response = client.post(url, {"question": row.pk, "points": "6", "feedback": "好"})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.is_graded and submitted.score == Decimal("16")
    # The learner's result now shows the final score and the feedback.
    client.force_login(submitted.user)
    html = client.get(reverse("quizzes:result", args=[submitted.pk])).content.decode()
    assert "Score 16/20 (80%), pass mark 60%" in html and "好" in html


def test_marking_requires_the_permission(client, submitted, user):
    client.force_login(user)
    assert client.get(reverse("quizzes:marking_list")).status_code == 403
    assert client.get(reverse("quizzes:marking_detail", args=[submitted.pk])).status_code == 403


def test_department_admins_with_the_permission_see_only_their_departments(
        client, quiz, role_groups):
    dept_a, dept_b = DepartmentFactory(), DepartmentFactory()
    learners = [LearnerFactory(office=OfficeFactory(unit=UnitFactory(department=d)))
                for d in (dept_a, dept_b)]
    attempts = []
    for learner in learners:
        attempt = services.attempt_start(quiz=quiz, user=learner.user)
        attempts.append(services.attempt_submit(attempt=attempt))
    admin = UserFactory(username="deptadmin")
    group = Group.objects.get(name=roles.DEPARTMENT_ADMIN)
    from django.contrib.auth.models import Permission
    group.permissions.add(Permission.objects.get(codename="mark_attempt"))
    admin.groups.add(group)
    dept_a.admins.add(admin)
    client.force_login(admin)
    html = client.get(reverse("quiz_marking:index")).content.decode()
    assert reverse("quiz_marking:detail", args=[attempts[0].pk]) in html
    assert reverse("quiz_marking:detail", args=[attempts[1].pk]) not in html
    assert client.get(reverse("quiz_marking:detail", args=[attempts[1].pk])).status_code == 404
    filtered = client.get(reverse("quiz_marking:index"), {"department": dept_b.pk})
    assert reverse("quiz_marking:detail", args=[attempts[1].pk]) not in (
        filtered.content.decode())


@pytest.mark.parametrize("n", [2, 15])
def test_marking_list_query_budget_is_constant(client, quiz, reviewer, n,
                                               django_assert_max_num_queries):
    for _i in range(n):
        learner = LearnerFactory()
        services.attempt_submit(attempt=services.attempt_start(quiz=quiz, user=learner.user))
    client.force_login(reviewer)
    # Session, user, permissions, scope, filters, one page of attempts, the admin chrome.
    with django_assert_max_num_queries(17):
        response = client.get(reverse("quiz_marking:index"))
    assert response.content.decode().count("/admin/quizzes/marking/") >= n
