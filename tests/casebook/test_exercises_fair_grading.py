"""Exercises grade fairly and say how: serious monitoring problems drive the response, a mark
on the right row with the wrong error type reads as half credit everywhere, a new find-the-errors
table is announced, and goal-setting scores weigh the key reference indicators."""

from __future__ import annotations

import copy
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.html import escape

from casebook.exercises import grading
from casebook.exercises.demo_exercises import EXERCISES
from casebook.models import ExerciseSubmission
from casebook.rules.monitoring import (
    BLUE,
    CONTINUE,
    GREEN,
    RED,
    SERIOUS_PROBLEMS,
    SUSPEND,
    MonitoringError,
    check_monitoring_answers,
    deviation_response,
)
from tests.departments.factories import LearnerFactory

from .exercise_helpers import demo_case, make_exercise, table_post

pytestmark = pytest.mark.django_db

AUDIT_NOTE = "审计发现1所学校施工单位转包、工程款被挪用"


def zh(msgid: str, **kwargs) -> str:
    """A message as the Chinese page shows it: translated, formatted and escaped."""
    with translation.override("zh-hans"):
        text = translation.gettext(msgid)
    return escape(text.format(**kwargs) if kwargs else text)


def url(exercise) -> str:
    return f"/casebook/exercises/{exercise.pk}/"


def html(response) -> str:
    return response.content.decode()


def result_section(page: str) -> str:
    start = page.index('id="result"')
    return page[start:page.index("</section>", start)]


@pytest.fixture
def learner(db):
    return LearnerFactory()


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner.user)
    return client


# ---- monitoring: serious problems ----------------------------------------------------------

@pytest.mark.parametrize("light", [GREEN, BLUE, RED, "黄灯"])
def test_a_recorded_serious_problem_suspends_whatever_the_light(light):
    for code in SERIOUS_PROBLEMS:
        assert deviation_response(light=light, cause="objective", problems=[code]) == SUSPEND


def test_without_a_problem_the_light_and_cause_decide():
    assert deviation_response(light=BLUE, problems=[]) == CONTINUE
    assert deviation_response(light=GREEN, cause="objective", problems=None) == CONTINUE
    with pytest.raises(MonitoringError):
        deviation_response(light=GREEN, problems=["转包"])  # codes, never free text


def _demo_monitoring_item(code: str) -> dict:
    return next(item for item in EXERCISES
                if item["kind"] == "monitoring" and item["case"] == code)


@pytest.fixture
def audited_exercise(make_case):
    """The seeded monitoring exercise of the school-repair case, with its audit findings."""
    item = _demo_monitoring_item("CASE-EDU-01")
    return make_exercise(make_case(**demo_case("CASE-EDU-01")), "monitoring",
                         settings=copy.deepcopy(item["settings"]))


def test_seeded_audit_findings_make_the_key_suspend_the_row_that_is_ahead(audited_exercise):
    rows = grading.monitoring_rows(audited_exercise)
    checks = check_monitoring_answers(month=7, rows=rows, answers=[])
    by_name = {row["name"]: check for row, check in zip(rows, checks, strict=True)}
    schools = by_name["实施改造学校数"]
    assert schools.expected_light == BLUE  # 9 of 12 schools by July: ahead of schedule
    assert schools.expected_response == SUSPEND
    assert {name for name, check in by_name.items() if check.expected_response == SUSPEND} == {
        "实施改造学校数"}


def test_every_seeded_monitoring_key_follows_the_serious_problem_rule(make_case):
    for item in (i for i in EXERCISES if i["kind"] == "monitoring"):
        exercise = make_exercise(make_case(**demo_case(item["case"])), "monitoring",
                                 settings=copy.deepcopy(item.get("settings") or {}))
        rows = grading.monitoring_rows(exercise)
        checks = check_monitoring_answers(month=exercise.case.monitoring_month, rows=rows,
                                          answers=[])
        for row, check in zip(rows, checks, strict=True):
            if row["problems"]:
                assert check.expected_response == SUSPEND, (item["case"], row["name"])
            if check.expected_response == CONTINUE:
                assert not row["problems"], (item["case"], row["name"])


def test_the_response_follows_recorded_facts_not_the_wording_of_the_note(make_case):
    exercise = make_exercise(make_case(**demo_case("CASE-EDU-01")), "monitoring", settings={
        "causes": {"实施改造学校数": {"note": AUDIT_NOTE}}})
    rows = grading.monitoring_rows(exercise)
    checks = check_monitoring_answers(month=7, rows=rows, answers=[])
    assert checks[1].expected_response == CONTINUE  # a note alone records no problem


def test_monitoring_page_shows_the_facts_and_the_rule_in_chinese(learner_client,
                                                                 audited_exercise):
    page = html(learner_client.get(url(audited_exercise)))
    form = page[page.index('id="monitoring-form"'):]
    assert "监控发现：" in form
    assert "违法转包、违法分包；项目资金被挤占挪用" in form
    assert "无论亮何种灯，处理措施均为“暂停项目实施/调减预算/停止拨付”" in form
    assert "illegal_subcontracting" not in page and "Monitoring found" not in page


def test_the_seeded_key_grades_suspend_right_and_continue_wrong(learner_client,
                                                               audited_exercise):
    answers = {"light-1": "green", "light-2": "blue", "light-3": "blue", "light-4": "green"}
    answers.update({f"response-{i}": CONTINUE for i in range(1, 5)})
    learner_client.post(url(audited_exercise), answers)
    answers["response-2"] = SUSPEND
    learner_client.post(url(audited_exercise), answers)
    scores = list(ExerciseSubmission.objects.order_by("attempt_number")
                  .values_list("score", flat=True))
    assert scores == [Decimal("87.50"), Decimal("100.00")]
    page = html(learner_client.get(url(audited_exercise)))
    assert "处理措施：发现严重问题" in result_section(page)


def test_an_unknown_problem_code_makes_the_exercise_unsuitable(make_case):
    with pytest.raises(ValidationError, match="transferred"):
        make_exercise(make_case(**demo_case("CASE-EDU-01")), "monitoring", settings={
            "causes": {"实施改造学校数": {"problems": ["transferred"]}}})


# ---- find the errors -----------------------------------------------------------------------

@pytest.fixture
def find_exercise(make_case):
    return make_exercise(make_case(**demo_case("CASE-URB-01")), "find_errors", error_count=3,
                         seed=5, max_attempts=3, pass_mark=90)


def _digest(page: str) -> str:
    return re.search(r'name="digest" value="([0-9a-f]+)"', page).group(1)


def _row_marks(section: str) -> dict[str, str]:
    """{row number: the row's HTML} of the learner's marks table."""
    table = section[section.index('id="your-marks"'):]
    table = table[:table.index("</table>")]
    return {re.search(r"<td>(\d+)</td>", row).group(1): row
            for row in re.findall(r"<tr class=\"check--.*?</tr>", table, re.S)}


def test_right_row_wrong_type_shows_half_credit_in_the_row_and_the_summary(
        learner_client, learner, find_exercise):
    page = html(learner_client.get(url(find_exercise)))
    _table, key = grading.find_errors_table(find_exercise, user_id=learner.user.pk,
                                           attempt_number=1)
    (exact_row, exact_rule), (half_row, half_rule) = [item for item in key if item[0]][:2]
    wrong_rule = next(rule for rule in ("R05", "R19", "R20") if rule != half_rule)
    response = learner_client.post(url(find_exercise), {
        "digest": _digest(page), f"mark-{exact_row}": "1", f"rule-{exact_row}": exact_rule,
        f"mark-{half_row}": "1", f"rule-{half_row}": wrong_rule})
    submission = ExerciseSubmission.objects.get()
    # 1.5 points: precision 1.5 / 2 = 0.75, recall 1.5 / 3 = 0.5, F1 = 0.6.
    assert submission.score == Decimal("60.00")
    section = result_section(html(learner_client.get(response["Location"])))
    marks = _row_marks(section)
    assert 'data-mark-status="exact"' in marks[str(exact_row)] and "✓" in marks[str(exact_row)]
    half = marks[str(half_row)]
    assert 'data-mark-status="partial"' in half and "check--partial" in half
    assert "✓" not in half and zh("faulty row, wrong error type (0.5 point)") in half
    summary = section[section.index('id="find-errors-summary"'):]
    summary = summary[:summary.index("</p>")]
    assert "另有 1 个标记行号正确但错误类型不对（各计0.5分）" in summary
    assert "0.75" in summary and "0.5" in summary
    assert "行号正确但错误类型不对，计0.5分" in section  # the rule under the marks


def test_the_partial_credit_rule_is_stated_before_the_first_submission(learner_client,
                                                                       find_exercise):
    page = html(learner_client.get(url(find_exercise)))
    rule = page[page.index('id="find-errors-scoring"'):]
    rule = rule[:rule.index("</p>")]
    assert "计1分" in rule and "计0.5分" in rule and "查准率" in rule and "查全率" in rule
    assert 'id="new-table-notice"' not in page


def test_a_new_table_after_a_submission_is_announced_in_chinese(learner_client, learner,
                                                                find_exercise):
    first = html(learner_client.get(url(find_exercise)))
    response = learner_client.post(url(find_exercise), {"digest": _digest(first)})
    page = html(learner_client.get(response["Location"]))
    notice = page[page.index('id="new-table-notice"'):]
    notice = notice[:notice.index("</div>")]
    assert "这是第 2 次作答的新表格" in notice and "重新植入错误" in notice
    second_table, _key = grading.find_errors_table(find_exercise, user_id=learner.user.pk,
                                                   attempt_number=2)
    assert _digest(page) == grading.table_digest(second_table) != _digest(first)
    # A reload shows the same new table.
    assert _digest(html(learner_client.get(url(find_exercise)))) == _digest(page)


def test_result_view_counts_each_key_item_once_for_old_results():
    result = {"key": [{"row": 2, "rule": "R05", "found": False},
                      {"row": 4, "rule": "R08", "found": True},
                      {"row": None, "rule": "R03", "found": False}],
              "marks": [[2, "R07"], [4, "R08"], [4, "R08"], [6, "R05"]],
              "false_marks": [[6, "R05"]], "precision": 0.5, "recall": 0.5}
    view = grading.result_view(kind="find_errors", input_data={}, result=result,
                               revealed=True)
    assert [(m["row"], m["status"]) for m in view["marks"]] == [
        (2, "partial"), (4, "exact"), (6, "wrong")]
    assert (view["found"], view["partial"], view["missed"]) == (1, 1, 1)
    assert [item["status"] for item in view["key"]] == ["partial", "exact", "wrong"]


# ---- goal setting: coverage of the key reference indicators --------------------------------

@pytest.mark.parametrize("checker,covered,total,expected", [
    (100, 11, 11, "100.00"),
    (100, 9, 11, "90.91"),   # the reported case: 2 of 11 key indicators missing
    (100, 0, 11, "50.00"),   # clean but unrelated to the project: below every pass mark
    (0, 11, 11, "50.00"),
    (85, 4, 10, "62.50"),
    (100, 0, 0, "100.00"),   # a reference without key indicators: the checker alone
])
def test_goal_setting_score_weighs_rules_and_coverage_equally(checker, covered, total,
                                                              expected):
    assert grading.goal_setting_score(checker_score=checker, covered=covered,
                                      total=total) == Decimal(expected)


@pytest.fixture
def school_goal_exercise(make_case):
    return make_exercise(make_case(**demo_case("CASE-EDU-01")), "goal_setting", pass_mark=90)


def _reference_rows_without(*names: str) -> list[dict]:
    rows = copy.deepcopy(demo_case("CASE-EDU-01")["indicators"])
    return [row for row in rows if row["name"] not in names]


def test_a_clean_table_missing_two_of_eleven_key_indicators_no_longer_scores_100(
        learner_client, school_goal_exercise):
    annual = demo_case("CASE-EDU-01")["annual_goal"]
    rows = _reference_rows_without("工程竣工验收合格率", "课桌椅抽检合格率")
    response = learner_client.post(url(school_goal_exercise),
                                   table_post(rows, annual_goal=annual))
    submission = ExerciseSubmission.objects.get()
    assert submission.result["checker_score"] == 100 and submission.result["errors"] == 0
    assert submission.result["coverage"]["covered"] == 9
    assert submission.result["coverage"]["total"] == 11
    assert submission.score == Decimal("90.91") and submission.passed  # pass mark 90
    page = html(learner_client.get(response["Location"]))
    assert ("自动得分 90.91 = 规则检查得分 100 × 50% + 关键指标覆盖率 81.82 × 50%。"
            in result_section(page))
    # The full reference table scores 100; one more missing indicator falls below 90.
    learner_client.post(url(school_goal_exercise),
                        table_post(_reference_rows_without(), annual_goal=annual))
    learner_client.post(url(school_goal_exercise), table_post(
        _reference_rows_without("工程竣工验收合格率", "课桌椅抽检合格率", "更新学生课桌椅"),
        annual_goal=annual))
    outcomes = list(ExerciseSubmission.objects.order_by("attempt_number")
                    .values_list("score", "passed"))
    assert outcomes[1] == (Decimal("100.00"), True)
    assert outcomes[2][0] < 90 and outcomes[2][1] is False


def test_the_goal_scoring_formula_is_on_the_editor_page(learner_client, school_goal_exercise):
    page = html(learner_client.get(url(school_goal_exercise)))
    rule = page[page.index('id="goal-scoring-rule"'):]
    rule = rule[:rule.index("</p>")]
    assert "得分 = 规则检查得分 × 50% + 参考表关键指标覆盖率 × 50%" in rule
    assert "每个错误扣15分、每个警告扣5分" in rule


def test_the_exercise_editor_lists_the_serious_problem_codes(admin_client, audited_exercise):
    page = html(admin_client.get(f"/admin/snippets/casebook/exercise/edit/{audited_exercise.pk}/"))
    assert "记录了严重问题的指标，无论亮何种灯" in page
    for code in SERIOUS_PROBLEMS:
        assert code in page
