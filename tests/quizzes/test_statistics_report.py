"""The quiz results report in the admin: the hand-computed quiz of test_statistics played for
real (3 learners, 3 questions), its scoping by role, the page in Chinese, the XLSX export
(formula-safe) and query budgets that do not grow with the number of learners."""

from io import BytesIO

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from openpyxl import load_workbook

from departments import roles
from quizzes import selectors, services, statistics, types
from quizzes.models import Attempt, AttemptStatus
from tests.departments.factories import (
    DepartmentFactory,
    LearnerFactory,
    OfficeFactory,
    UnitFactory,
    UserFactory,
)

from .conftest import make_quiz, multiple, rows_by_kind, single, token, true_false

pytestmark = pytest.mark.django_db


def user_in(group, **kwargs):
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=group))
    return user


def learner_in(department, **kwargs):
    return LearnerFactory(office=OfficeFactory(unit=UnitFactory(department=department)),
                          **kwargs)


def sit(quiz, user, *, single_text, true_false_value, multiple_texts):
    """One graded attempt with these answers (None leaves the question blank)."""
    attempt = services.attempt_start(quiz=quiz, user=user)
    rows = rows_by_kind(attempt)
    picks = {types.SINGLE: [single_text], types.MULTIPLE: multiple_texts}
    for kind, texts in picks.items():
        if texts:
            aq = rows[kind]
            services.attempt_answer_save(attempt=attempt, attempt_question_id=aq.pk, raw=[
                token(aq, choice) for choice in aq.version.choices.all() if choice.text in texts])
    if true_false_value is not None:
        services.attempt_answer_save(attempt=attempt, attempt_question_id=rows[
            types.TRUE_FALSE].pk, raw=["true" if true_false_value else "false"])
    attempt = services.attempt_submit(attempt=attempt)
    assert attempt.status == AttemptStatus.GRADED
    return attempt


RIGHT = ["产出指标", "效益指标", "满意度指标"]


@pytest.fixture
def departments(db):
    return DepartmentFactory(code="A01", name="教育局"), DepartmentFactory(code="B01",
                                                                          name="卫健委")


@pytest.fixture
def hand_quiz(bank, role_groups, departments):
    """test_statistics.hand_quiz, sat for real: L1 and L2 in 教育局, L3 in 卫健委."""
    dept_a, dept_b = departments
    questions = [services.question_create(bank=bank, data=data)
                 for data in (single(text="=SUM(A1:A9) 是什么？"), true_false(), multiple())]
    quiz = make_quiz(questions, title="统计测验", pass_mark=60, shuffle_choices=False)
    l1, l2, l3 = (learner_in(dept_a, staff_number="L1"), learner_in(dept_a, staff_number="L2"),
                  learner_in(dept_b, staff_number="L3"))
    sit(quiz, l1.user, single_text="花钱必问效", true_false_value=False, multiple_texts=RIGHT)
    sit(quiz, l2.user, single_text="花钱必问效", true_false_value=True, multiple_texts=RIGHT)
    sit(quiz, l3.user, single_text="多花钱", true_false_value=True, multiple_texts=None)
    return quiz


def report_for(user, quiz, **kwargs):
    rows = selectors.quiz_statistics_rows(user=user, quiz=quiz, **kwargs)
    return statistics.quiz_statistics(attempts=rows.attempts, responses=rows.responses,
                                      items=rows.items, grading_method=quiz.grading_method,
                                      selection=kwargs.get("selection", "all"))


def test_real_attempts_give_the_hand_computed_statistics(hand_quiz, role_groups):
    bureau = user_in(roles.BUREAU_STAFF, username="czj")
    report = report_for(bureau, hand_quiz)
    assert sorted(Attempt.objects.filter(quiz=hand_quiz).values_list(
        "percent", flat=True)) == [25, 75, 100]
    assert (report.attempts, report.participants, report.passed_participants) == (3, 3, 2)
    assert (report.average, report.median, report.best) == (pytest.approx(200 / 3), 75.0,
                                                            100.0)
    q1, q2, q3 = report.items
    assert [q.item.kind for q in report.items] == [types.SINGLE, types.TRUE_FALSE,
                                                   types.MULTIPLE]
    assert [q.facility for q in report.items] == [pytest.approx(2 / 3)] * 3
    assert q1.discrimination == pytest.approx(3 ** 0.5 / 2)
    assert q2.discrimination == pytest.approx(-0.5)
    assert q3.discrimination == pytest.approx(0.5)
    assert q2.flags == (statistics.FLAG_NEGATIVE_DISCRIMINATION,)
    assert [(o.label, o.count, o.correct) for o in q1.options] == [
        ("A. 花钱必问效", 2, True), ("B. 多花钱", 1, False), ("C. 少花钱", 0, False)]
    assert [(o.count, o.correct) for o in q2.options] == [(2, True), (1, False)]
    assert [o.count for o in q3.options] == [2, 2, 2, 0]
    assert (q1.blanks, q2.blanks, q3.blanks) == (0, 0, 1)


def test_department_admins_count_only_their_own_learners(hand_quiz, role_groups, departments):
    admin = user_in(roles.DEPARTMENT_ADMIN, username="adm")
    departments[0].admins.add(admin)
    report = report_for(admin, hand_quiz)
    assert (report.attempts, report.participants) == (2, 2)
    assert sorted(row.percent for row in selectors.quiz_statistics_rows(
        user=admin, quiz=hand_quiz).attempts) == [75.0, 100.0]
    # Asking for the other department gives nothing of it.
    other = report_for(admin, hand_quiz, department_id=departments[1].pk)
    assert other.attempts == 0


def test_editors_see_every_learner_but_learners_and_staff_trial_runs_are_not_counted(
        hand_quiz, role_groups, editor):
    services.attempt_submit(attempt=services.attempt_start(quiz=hand_quiz, user=editor))
    assert report_for(editor, hand_quiz).attempts == 3  # the editor's own try is left out
    learner = Attempt.objects.filter(quiz=hand_quiz, user__learner__isnull=False).first().user
    assert not selectors.user_can_see_quiz_results(learner)
    assert report_for(learner, hand_quiz).attempts == 0


def test_first_attempt_selection_ignores_retakes(hand_quiz):
    l3 = Attempt.objects.get(quiz=hand_quiz, user__learner__staff_number="L3").user
    sit(hand_quiz, l3, single_text="花钱必问效", true_false_value=True, multiple_texts=RIGHT)
    bureau = UserFactory(username="root", is_superuser=True)
    every = report_for(bureau, hand_quiz)
    first = report_for(bureau, hand_quiz, selection=statistics.FIRST_GRADED)
    assert (every.attempts, every.participants, every.passed_participants) == (4, 3, 3)
    assert (first.attempts, first.participants, first.passed_participants) == (3, 3, 2)


def test_report_page_in_chinese_shows_scores_items_and_flags(client, hand_quiz, role_groups):
    client.force_login(user_in(roles.BUREAU_STAFF, username="czj"))
    response = client.get(reverse("quiz_results:report", args=[hand_quiz.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "统计测验" in html and 'id="item-statistics"' in html
    for text in ("难度系数", "区分度", "通过率", "成绩分布", "未作答"):
        assert text in html, text
    assert "66.7" in html and "75.0" in html and "100.0" in html
    assert "-0.50" in html and "0.87" in html and "0.67" in html
    assert html.count('class="item-flagged"') == 1
    assert "区分度为负" in html
    assert "wagtailadmin" in html or "w-header" in html  # inside the admin chrome


def test_results_menu_index_and_quiz_list_button(client, hand_quiz, role_groups, editor):
    client.force_login(editor)
    index = client.get(reverse("quiz_results:index")).content.decode()
    assert reverse("quiz_results:report", args=[hand_quiz.pk]) in index
    listing = client.get(reverse("wagtailsnippets_quizzes_quiz:list")).content.decode()
    assert reverse("quiz_results:report", args=[hand_quiz.pk]) in listing


def test_learners_and_users_without_a_results_role_cannot_open_the_report(
        client, hand_quiz, role_groups):
    learner = Attempt.objects.filter(quiz=hand_quiz).first().user
    client.force_login(learner)
    response = client.get(reverse("quiz_results:report", args=[hand_quiz.pk]))
    assert response.status_code == 302 and "统计测验" not in response.content.decode()
    nobody = UserFactory(username="plain")
    nobody.user_permissions.add(*Group.objects.get(
        name=roles.DEPARTMENT_ADMIN).permissions.filter(codename="access_admin"))
    client.force_login(nobody)
    for name in ("report", "export"):
        # Inside the admin a refusal goes back to the dashboard with Wagtail's message.
        response = client.get(reverse(f"quiz_results:{name}", args=[hand_quiz.pk]))
        assert (response.status_code, response["Location"]) == (302, reverse("wagtailadmin_home"))
    assert client.get(reverse("quiz_results:index")).status_code == 302


def test_xlsx_export_holds_the_report_and_neutralises_formulas(client, hand_quiz, role_groups):
    client.force_login(user_in(roles.BUREAU_STAFF, username="czj"))
    response = client.get(reverse("quiz_results:export", args=[hand_quiz.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(BytesIO(response.content))
    assert len(workbook.sheetnames) == 4
    summary, bands, items, options = (workbook[name] for name in workbook.sheetnames)
    values = {row[0]: row[1] for row in summary.iter_rows(values_only=True)}
    assert values["参与人数"] == 3 and values["通过率"] == pytest.approx(2 / 3)
    rows = list(items.iter_rows(min_row=2, values_only=True))
    assert rows[0][1] == "'=SUM(A1:A9) 是什么？"  # shown as text, never run as a formula
    assert [round(row[5], 4) for row in rows] == [0.866, -0.5, 0.5]
    assert "区分度为负" in rows[1][8]
    assert sum(row[1] for row in bands.iter_rows(min_row=2, values_only=True)) == 3
    assert all(not str(cell).startswith("=") for row in options.iter_rows(values_only=True)
               for cell in row if cell is not None)


@pytest.mark.parametrize("learners", [3, 15])
def test_report_query_budget_does_not_grow_with_learners(
        client, bank, role_groups, departments, learners, django_assert_max_num_queries):
    questions = [services.question_create(bank=bank, data=data)
                 for data in (single(), true_false(), multiple())]
    quiz = make_quiz(questions, title="规模测验")
    for _i in range(learners):
        sit(quiz, learner_in(departments[0]).user, single_text="花钱必问效",
            true_false_value=True, multiple_texts=RIGHT[:1])
    bureau = user_in(roles.BUREAU_STAFF, username="czj")
    # Scope (2), attempts, their question rows, the versions shown and their options.
    with django_assert_max_num_queries(5):
        rows = selectors.quiz_statistics_rows(user=bureau, quiz=quiz)
    assert len(rows.attempts) == learners and len(rows.items) == 3
    client.force_login(bureau)
    # The selector's five, the department filter, then session, user and the admin chrome.
    with django_assert_max_num_queries(16):
        response = client.get(reverse("quiz_results:report", args=[quiz.pk]))
    assert response.status_code == 200
    with django_assert_max_num_queries(13):
        assert client.get(reverse("quiz_results:export", args=[quiz.pk])).status_code == 200
