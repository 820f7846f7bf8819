"""The exercise review queue inside the Wagtail admin: chrome, learner picker (by name or 工号,
scoped like the queue), exercise and department filters, and permissions kept: a reviewer can
review, a learner cannot, a department admin sees only their people."""

from __future__ import annotations

import pytest
from django.urls import reverse

from casebook.models import SubmissionReview
from departments import roles
from departments.services import roles_ensure
from tests.departments.factories import DepartmentFactory, UserFactory

from .test_exercises_review import learner_in, submit, user_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def groups(db):
    return roles_ensure()


@pytest.fixture
def dept_a(db):
    return DepartmentFactory(code="A01", name="教育局")


@pytest.fixture
def dept_b(db):
    return DepartmentFactory(code="B01", name="卫健委")


@pytest.fixture
def queue(make_case, groups, dept_a, dept_b):
    """张三 (A1001) and 李四 (A1002) in 教育局, 王五 (B2001) in 卫健委, one submission each."""
    from .exercise_helpers import make_exercise

    exercise = make_exercise(make_case(), "goal_setting", pass_mark=70)
    people = {}
    for department, number, name in ((dept_a, "A1001", "张三"), (dept_a, "A1002", "李四"),
                                     (dept_b, "B2001", "王五")):
        learner = learner_in(department, staff_number=number,
                             user=UserFactory(username=number, first_name=name))
        people[number] = submit(exercise, learner.user)
    return {"exercise": exercise, "submissions": people}


@pytest.fixture
def reviewer(groups):
    return user_in(roles.REVIEWER, username="rev")


def detail(submission):
    return reverse("exercise_review:detail", args=[submission.pk])


def test_queue_is_in_the_admin_with_learner_picker_and_filters(client, queue, reviewer):
    client.force_login(reviewer)
    html = client.get(reverse("exercise_review:index")).content.decode()
    assert "data-learner-picker" in html and reverse("exercise_review:learners") in html
    assert "学员（姓名或工号）" in html and "js/learner-picker.js" in html
    assert "wagtail-sidebar" in html or "data-side-panel" in html
    assert 'name="exercise"' in html and 'name="department"' in html
    for submission in queue["submissions"].values():
        assert detail(submission) in html
    assert "A1001" in html and "教育局" in html


@pytest.mark.parametrize(("typed", "found"), [("王五", ["B2001"]), ("a100", ["A1001", "A1002"]),
                                              ("Ｂ２００１", ["B2001"]), ("", [])])
def test_picker_finds_learners_by_name_or_staff_number(client, queue, reviewer, typed, found):
    client.force_login(reviewer)
    response = client.get(reverse("exercise_review:learners"), {"q": typed})
    assert [r["staff_number"] for r in response.json()["results"]] == found


def test_picked_or_typed_learner_filters_the_queue(client, queue, reviewer, dept_b):
    subs = queue["submissions"]
    client.force_login(reviewer)
    picked = client.get(reverse("exercise_review:index"),
                        {"learner": subs["A1002"].user_id}).content.decode()
    assert detail(subs["A1002"]) in picked and detail(subs["A1001"]) not in picked
    typed = client.get(reverse("exercise_review:index"), {"learner_q": "b2001"}).content.decode()
    assert detail(subs["B2001"]) in typed and detail(subs["A1001"]) not in typed
    by_department = client.get(reverse("exercise_review:index"),
                               {"department": dept_b.pk}).content.decode()
    assert detail(subs["B2001"]) in by_department and detail(subs["A1002"]) not in by_department


def test_reviewer_still_overrides_inside_the_admin(client, queue, reviewer):
    submission = queue["submissions"]["A1001"]
    client.force_login(reviewer)
    page = client.get(detail(submission)).content.decode()
    assert 'id="audit-trail"' in page and "A1001" in page and 'id="review-form"' in page
    response = client.post(detail(submission), {"new_score": "55", "comment": "人工复核扣分"})
    assert (response.status_code, response["Location"]) == (302, detail(submission))
    assert SubmissionReview.objects.get().reviewer == reviewer


def test_department_admin_sees_and_picks_only_their_people(client, queue, groups, dept_a):
    subs = queue["submissions"]
    admin = user_in(roles.DEPARTMENT_ADMIN, username="adm")
    dept_a.admins.add(admin)
    client.force_login(admin)
    html = client.get(reverse("exercise_review:index")).content.decode()
    assert detail(subs["A1001"]) in html and detail(subs["B2001"]) not in html
    assert client.get(reverse("exercise_review:learners"), {"q": "王五"}).json() == {
        "results": []}
    found = client.get(reverse("exercise_review:learners"), {"q": "A10"}).json()["results"]
    assert [r["staff_number"] for r in found] == ["A1001", "A1002"]
    other = client.get(reverse("exercise_review:index"),
                       {"learner": subs["B2001"].user_id}).content.decode()
    assert detail(subs["B2001"]) not in other
    assert client.get(detail(subs["B2001"])).status_code == 404


def test_learner_cannot_reach_the_queue_the_picker_or_a_submission(client, queue):
    submission = queue["submissions"]["A1001"]
    client.force_login(submission.user)
    for url in (reverse("exercise_review:index"), detail(submission),
                reverse("exercise_review:learners") + "?q=张"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client.get(reverse("exercise_review:learners"), {"q": "张"},
                      headers={"x-requested-with": "XMLHttpRequest"}).status_code == 403
    client.post(detail(submission), {"new_score": "100", "comment": "x"})
    assert not SubmissionReview.objects.exists()
    assert client.get(reverse("casebook:review_list")).status_code == 403
    assert client.get(reverse("casebook:review_detail", args=[submission.pk])).status_code == 403


def test_old_addresses_forward_to_the_admin(client, queue, reviewer, dept_a):
    client.force_login(reviewer)
    response = client.get(reverse("casebook:review_list"), {"department": dept_a.pk})
    assert response["Location"] == f"{reverse('exercise_review:index')}?department={dept_a.pk}"
    submission = queue["submissions"]["A1001"]
    assert client.get(reverse("casebook:review_detail", args=[submission.pk]))[
        "Location"] == detail(submission)
