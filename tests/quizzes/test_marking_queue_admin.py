"""The marking queue inside the Wagtail admin: its chrome, the learner picker (by name or 工号,
scoped), department and quiz filters, permissions, and the old addresses that forward to it."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from departments import roles
from quizzes import services
from tests.departments.factories import (
    DepartmentFactory,
    LearnerFactory,
    OfficeFactory,
    UnitFactory,
    UserFactory,
)

from .conftest import answer_all

pytestmark = pytest.mark.django_db


def learner_in(department, **kwargs):
    return LearnerFactory(office=OfficeFactory(unit=UnitFactory(department=department)),
                          **kwargs)


def submit(quiz, user):
    attempt = services.attempt_start(quiz=quiz, user=user)
    answer_all(attempt)
    return services.attempt_submit(attempt=attempt)


@pytest.fixture
def people(quiz, role_groups):
    """Two learners in 教育局 and one in 卫健委, each with an attempt awaiting marking."""
    dept_a = DepartmentFactory(code="A01", name="教育局")
    dept_b = DepartmentFactory(code="B01", name="卫健委")
    zhang = learner_in(dept_a, staff_number="A1001",
                       user=UserFactory(username="A1001", first_name="张三"))
    li = learner_in(dept_a, staff_number="A1002",
                    user=UserFactory(username="A1002", first_name="李四"))
    wang = learner_in(dept_b, staff_number="B2001",
                      user=UserFactory(username="B2001", first_name="王五"))
    attempts = {learner.staff_number: submit(quiz, learner.user)
                for learner in (zhang, li, wang)}
    return {"dept_a": dept_a, "dept_b": dept_b, "attempts": attempts}


@pytest.fixture
def marking_dept_admin(people):
    admin = UserFactory(username="deptadmin")
    group = Group.objects.get(name=roles.DEPARTMENT_ADMIN)
    group.permissions.add(Permission.objects.get(codename="mark_attempt"))
    admin.groups.add(group)
    people["dept_a"].admins.add(admin)
    return admin


def detail(attempt):
    return reverse("quiz_marking:detail", args=[attempt.pk])


def test_queue_is_in_the_admin_with_a_learner_picker_and_no_user_id_box(client, people,
                                                                        reviewer):
    client.force_login(reviewer)
    html = client.get(reverse("quiz_marking:index")).content.decode()
    assert 'data-learner-picker' in html and reverse("quiz_marking:learners") in html
    assert "学员（姓名或工号）" in html and "待阅卷列表" in html
    assert 'type="number" name="user"' not in html and "用户 ID" not in html
    assert "wagtail-sidebar" in html or 'data-side-panel' in html  # the admin chrome
    assert "js/learner-picker.js" in html
    for attempt in people["attempts"].values():
        assert detail(attempt) in html
    # Reviewers mark every department: both are offered in the filter.
    assert "教育局" in html and "卫健委" in html


@pytest.mark.parametrize("typed", ["张三", "a1001", "Ａ１００１"])
def test_picker_finds_learners_by_name_or_staff_number(client, people, reviewer, typed):
    client.force_login(reviewer)
    response = client.get(reverse("quiz_marking:learners"), {"q": typed})
    results = response.json()["results"]
    assert response.status_code == 200
    assert [r["staff_number"] for r in results] == ["A1001"]
    assert results[0]["label"] == "张三 (A1001) · 教育局"
    assert results[0]["id"] == people["attempts"]["A1001"].user_id


def test_picked_or_typed_learner_filters_the_queue(client, people, reviewer):
    client.force_login(reviewer)
    zhang, li = people["attempts"]["A1001"], people["attempts"]["A1002"]
    picked = client.get(reverse("quiz_marking:index"), {"learner": zhang.user_id}).content
    assert detail(zhang) in picked.decode() and detail(li) not in picked.decode()
    assert 'value="张三 (A1001)"' in picked.decode()  # the picker shows who was chosen
    typed = client.get(reverse("quiz_marking:index"), {"learner_q": "李四"}).content.decode()
    assert detail(li) in typed and detail(zhang) not in typed


def test_department_and_quiz_filters(client, people, reviewer, questions):
    client.force_login(reviewer)
    html = client.get(reverse("quiz_marking:index"),
                      {"department": people["dept_b"].pk}).content.decode()
    assert detail(people["attempts"]["B2001"]) in html
    assert detail(people["attempts"]["A1001"]) not in html
    other_quiz = services.quiz_create(title="另一测验", questions=list(questions.values()),
                                      is_draft=False, mode="exam")
    html = client.get(reverse("quiz_marking:index"), {"quiz": other_quiz.pk}).content.decode()
    assert detail(people["attempts"]["A1001"]) not in html


def test_department_admin_sees_and_picks_only_their_people(client, people, marking_dept_admin):
    client.force_login(marking_dept_admin)
    html = client.get(reverse("quiz_marking:index")).content.decode()
    assert detail(people["attempts"]["A1001"]) in html
    assert detail(people["attempts"]["B2001"]) not in html
    assert "卫健委" not in html
    assert client.get(reverse("quiz_marking:learners"), {"q": "王五"}).json() == {"results": []}
    assert client.get(reverse("quiz_marking:learners"), {"q": "B2001"}).json() == {"results": []}
    assert client.get(detail(people["attempts"]["B2001"])).status_code == 404
    # Asking for the other department's learner by id shows nothing of theirs.
    other = client.get(reverse("quiz_marking:index"),
                       {"learner": people["attempts"]["B2001"].user_id}).content.decode()
    assert detail(people["attempts"]["B2001"]) not in other and "王五" not in other


def test_reviewer_still_marks_inside_the_admin(client, people, reviewer):
    attempt = people["attempts"]["A1001"]
    essay = attempt.attempt_questions.get(kind="essay")
    client.force_login(reviewer)
    page = client.get(detail(attempt)).content.decode()
    assert "我的论述答案" in page and "张三" in page and "A1001" in page
    response = client.post(detail(attempt), {"question": essay.pk, "points": "6",
                                             "feedback": "好"})
    assert (response.status_code, response["Location"]) == (302, detail(attempt))
    essay.refresh_from_db()
    assert essay.awarded == 6


def test_learner_cannot_reach_the_queue_or_the_picker(client, people):
    attempt = people["attempts"]["A1001"]
    client.force_login(attempt.user)
    for url in (reverse("quiz_marking:index"), detail(attempt),
                reverse("quiz_marking:learners") + "?q=张"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    xhr = client.get(reverse("quiz_marking:learners"), {"q": "张"},
                     headers={"x-requested-with": "XMLHttpRequest"})
    assert xhr.status_code == 403
    response = client.post(detail(attempt), {"question": 1, "points": "10"})
    assert response.status_code == 302
    assert attempt.attempt_questions.get(kind="essay").awarded is None
    # The old public addresses still answer 403, never a page.
    assert client.get(reverse("quizzes:marking_list")).status_code == 403
    assert client.get(reverse("quizzes:marking_detail", args=[attempt.pk])).status_code == 403


def test_old_addresses_forward_to_the_admin_with_their_filters(client, people, reviewer, quiz):
    client.force_login(reviewer)
    response = client.get(reverse("quizzes:marking_list"), {"quiz": quiz.pk, "user": 7})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('quiz_marking:index')}?quiz={quiz.pk}&learner=7"
    attempt = people["attempts"]["A1001"]
    assert client.get(reverse("quizzes:marking_detail", args=[attempt.pk]))[
        "Location"] == detail(attempt)
