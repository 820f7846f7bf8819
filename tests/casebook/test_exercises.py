"""Exercises end to end through the views: goal setting, find the errors, self-evaluation,
monitoring and ex-ante — good input, wrong input, hostile input, nothing stored on rejection."""

from __future__ import annotations

import copy
import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.html import escape

from casebook.exercises import grading, services
from casebook.exercises.forms import ERR_UPLOAD_JSON
from casebook.models import Exercise, ExerciseSubmission
from casebook.rules.exante import ASPECTS, conclusion_for
from casebook.rules.excel import ERR_NOT_WORKBOOK, goal_table_from_xlsx, goal_table_workbook
from casebook.rules.monitoring import CONTINUE, SUSPEND
from casebook.rules.table import ERR_ROW_NUMBER, ERR_ROW_OP, GoalTable
from tests.departments.factories import LearnerFactory

from .exercise_helpers import demo_case, make_exercise, table_post
from .factories import CLEAN_ROWS

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner(db):
    return LearnerFactory()


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner.user)
    return client


@pytest.fixture
def goal_exercise(make_case):
    return make_exercise(make_case(), "goal_setting", pass_mark=70)


def url(exercise, suffix=""):
    return f"/casebook/exercises/{exercise.pk}/{suffix}"


def msg(msgid: str, **kwargs) -> str:
    """A message as the (Chinese-first) page shows it: translated, formatted and escaped."""
    with translation.override("zh-hans"):
        return escape(translation.gettext(msgid).format(**kwargs))


def html(response) -> str:
    return response.content.decode()


def row_body(page: str, name: str) -> str:
    """The <tbody> of the editor row holding `name`."""
    for body in re.findall(r"<tbody class=\"goal-row[^\"]*\" data-row>.*?</tbody>", page, re.S):
        if f'value="{name}"' in body:
            return body
    raise AssertionError(f"no editor row for {name}")


# ---- goal setting --------------------------------------------------------------------------

def test_exercise_page_requires_login(client, goal_exercise):
    response = client.get(url(goal_exercise))
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_unpublished_exercise_is_404_for_learners(learner_client, goal_exercise):
    Exercise.objects.filter(pk=goal_exercise.pk).update(published=False)
    assert learner_client.get(url(goal_exercise)).status_code == 404
    assert learner_client.post(url(goal_exercise), table_post()).status_code == 404
    assert not ExerciseSubmission.objects.exists()


def test_editor_page_shows_case_but_never_the_reference_table(learner_client, goal_exercise):
    page = html(learner_client.get(url(goal_exercise)))
    assert goal_exercise.case.title in page
    assert 'id="goal-editor"' in page
    for row in CLEAN_ROWS:
        assert row["name"] not in page
    assert "历史标准（上年调查88%）" not in page  # a reference basis text


def test_clean_table_passes_and_stores_input_result_and_coverage(learner_client, learner,
                                                                 goal_exercise):
    response = learner_client.post(url(goal_exercise), table_post())
    assert response.status_code == 302
    submission = ExerciseSubmission.objects.get()
    assert submission.user == learner.user
    assert submission.attempt_number == 1
    assert submission.passed is True
    assert submission.score == submission.auto_score >= 70
    assert submission.result["errors"] == 0
    assert [r["name"] for r in submission.input["indicators"]] == [r["name"] for r in CLEAN_ROWS]
    assert submission.input["project"] == goal_exercise.case.title
    assert submission.result["coverage"]["covered"] == submission.result["coverage"]["total"] == 6
    page = html(learner_client.get(response["Location"]))
    assert 'id="result-passed"' in page
    assert 'id="coverage"' in page


def test_mistakes_are_shown_on_their_rows_and_the_table_can_be_revised(learner_client,
                                                                        goal_exercise):
    rows = copy.deepcopy(CLEAN_ROWS)
    rows[1]["value"], rows[1]["op"] = "明显提高", ""   # vague value on row 2
    rows[2]["unit"] = ""                              # missing unit on row 3
    response = learner_client.post(url(goal_exercise), table_post(rows))
    assert response.status_code == 302
    submission = ExerciseSubmission.objects.get()
    assert submission.passed is False
    found = {(f["row"], f["rule"]) for f in submission.result["findings"]}
    assert (2, "R04") in found and (3, "R05") in found
    page = html(learner_client.get(response["Location"]))
    vague = row_body(page, rows[1]["name"])
    assert "goal-row--error" in vague and 'data-rule="R04"' in vague
    assert 'data-rule="R05"' in row_body(page, rows[2]["name"])
    assert 'data-rule="R' not in row_body(page, rows[0]["name"]).replace(
        'data-rule="R12"', "")
    # Revise: the editor is pre-filled with the last submission, then a fixed table passes.
    assert 'value="明显提高"' in page
    assert learner_client.post(url(goal_exercise), table_post()).status_code == 302
    assert list(ExerciseSubmission.objects.order_by("attempt_number")
                .values_list("attempt_number", "passed")) == [(1, False), (2, True)]
    history = html(learner_client.get(url(goal_exercise)))
    assert history.count("?attempt=") == 2


def test_table_level_findings_are_above_the_table(learner_client, goal_exercise):
    rows = [r for r in copy.deepcopy(CLEAN_ROWS) if r["level1"] != "满意度指标"]
    response = learner_client.post(url(goal_exercise), table_post(rows))
    page = html(learner_client.get(response["Location"]))
    assert page.index('id="table-findings"') < page.index('id="goal-rows"')
    assert "R03" in page[page.index('id="table-findings"'):page.index('id="goal-rows"')]


@pytest.mark.parametrize(("change", "message"), [
    ({"op": "≈"}, (ERR_ROW_OP, {"row": 2, "value": "≈"})),
    ({"value": "1e400"}, (ERR_ROW_NUMBER, {"row": 2, "field": "value"})),
    ({"value": "99999999999999999999"}, (ERR_ROW_NUMBER, {"row": 2, "field": "value"})),
])
def test_malformed_rows_are_refused_and_nothing_is_stored(learner_client, goal_exercise,
                                                          change, message):
    rows = copy.deepcopy(CLEAN_ROWS)
    rows[1].update(change)
    response = learner_client.post(url(goal_exercise), table_post(rows))
    assert response.status_code == 400
    assert msg(message[0], **message[1]) in html(response)
    assert not ExerciseSubmission.objects.exists()
    assert 'value="完成校舍维修改造面积"' in html(response)  # the learner's work is kept


def test_a_2000_row_table_is_refused(learner_client, goal_exercise):
    data = table_post()
    for index in range(2000):
        data[f"ind-{index}-name"] = f"指标{index}"
    response = learner_client.post(url(goal_exercise), data)
    assert response.status_code == 400
    assert msg(grading.ERR_TOO_MANY_ROWS, count=2000, limit=grading.EXERCISE_MAX_ROWS) \
        in html(response)
    assert not ExerciseSubmission.objects.exists()


def test_an_empty_table_is_refused(learner_client, goal_exercise):
    response = learner_client.post(url(goal_exercise), table_post([]))
    assert response.status_code == 400
    assert msg(grading.ERR_NO_ROWS) in html(response)
    assert not ExerciseSubmission.objects.exists()


def test_html_in_cells_is_escaped_on_every_page(learner_client, goal_exercise, django_user_model):
    rows = copy.deepcopy(CLEAN_ROWS)
    rows[1]["name"] = "<script>alert(1)</script>面积"
    rows[1]["explanation"] = '"><img src=x onerror=alert(2)>'
    response = learner_client.post(url(goal_exercise), table_post(
        rows, annual_goal="<b>目标</b>"))
    assert response.status_code == 302
    page = html(learner_client.get(response["Location"]))
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "<img src=x" not in page and "<b>目标</b>" not in page
    reviewer = django_user_model.objects.create_superuser("root", password="x")
    learner_client.force_login(reviewer)
    submission = ExerciseSubmission.objects.get()
    for page in (html(learner_client.get(f"/casebook/exercises/review/{submission.pk}/")),
                 html(learner_client.get("/casebook/exercises/review/"))):
        assert "<script>alert(1)" not in page and "<img src=x" not in page


def test_attempt_limit_is_enforced(learner_client, make_case):
    exercise = make_exercise(make_case(), "goal_setting", max_attempts=1)
    assert learner_client.post(url(exercise), table_post()).status_code == 302
    response = learner_client.post(url(exercise), table_post())
    assert response.status_code == 400
    assert msg(services.ERR_NO_ATTEMPTS_LEFT, limit=1) in html(response)
    assert ExerciseSubmission.objects.count() == 1
    assert 'id="no-attempts"' in html(learner_client.get(url(exercise)))


def test_upload_of_the_excel_template_fills_the_editor_and_stores_nothing(learner_client,
                                                                          goal_exercise):
    table = GoalTable.from_dict({"indicators": copy.deepcopy(CLEAN_ROWS),
                                 "annual_goal": "上传的年度目标"})
    upload = SimpleUploadedFile("t.xlsx", goal_table_workbook(table))
    response = learner_client.post(url(goal_exercise, "upload/"), {"file": upload})
    assert response.status_code == 200
    page = html(response)
    assert 'value="完成校舍维修改造面积"' in page and "上传的年度目标" in page
    assert not ExerciseSubmission.objects.exists()


@pytest.mark.parametrize(("content", "message"), [
    (b"PK\x03\x04 not really a zip", ERR_NOT_WORKBOOK),
    (b"{\"indicators\": [", ERR_UPLOAD_JSON),
    (b"\xff\xfe\x00garbage", ERR_UPLOAD_JSON),
])
def test_bad_uploads_are_refused_clearly(learner_client, goal_exercise, content, message):
    response = learner_client.post(url(goal_exercise, "upload/"),
                                   {"file": SimpleUploadedFile("bad.xlsx", content)})
    assert response.status_code == 400
    assert msg(message) in html(response)
    assert not ExerciseSubmission.objects.exists()


def test_json_upload_with_too_many_rows_is_refused(learner_client, goal_exercise):
    data = {"indicators": [{"name": f"指标{i}"} for i in range(2000)]}
    upload = SimpleUploadedFile("t.json", json.dumps(data).encode())
    response = learner_client.post(url(goal_exercise, "upload/"), {"file": upload})
    assert response.status_code == 400
    assert "2000" in html(response)


def test_export_downloads_the_editor_content_formula_safe(learner_client, goal_exercise):
    rows = copy.deepcopy(CLEAN_ROWS)
    rows[0]["explanation"] = "=HYPERLINK(\"http://x\")"
    response = learner_client.post(url(goal_exercise, "export.xlsx"), table_post(rows))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(row=10, column=8).value.startswith("'=")
    table = goal_table_from_xlsx(response.content)
    assert [r.name for r in table.indicators] == [r["name"] for r in CLEAN_ROWS]
    assert not ExerciseSubmission.objects.exists()
    blank = learner_client.get(url(goal_exercise, "export.xlsx"))
    assert goal_table_from_xlsx(blank.content).indicators == []


def test_coverage_rule_matches_similar_names_under_the_same_level2(goal_exercise):
    config = grading.exercise_config(goal_exercise)
    reference = grading.reference_table(goal_exercise)
    rows = copy.deepcopy(CLEAN_ROWS)
    rows[1]["name"] = "校舍维修改造面积"           # similar name, same level 2: covered
    rows[5]["level2"] = "经济效益指标"            # same name, other level 2: not covered
    table = GoalTable.from_dict({"indicators": rows})
    coverage = grading.reference_coverage(table=table, reference=reference, config=config)
    covered = {item["name"]: item["covered"] for item in coverage["items"]}
    assert covered["完成校舍维修改造面积"] is True
    assert covered["受益学生人数"] is False
    assert "学生家长满意度" not in covered  # satisfaction is not a key indicator


# ---- find the errors -----------------------------------------------------------------------

@pytest.fixture
def find_exercise(make_case):
    return make_exercise(make_case(**demo_case("CASE-URB-01")), "find_errors", error_count=3,
                         seed=5)


def _marks(key) -> dict:
    data = {}
    for row, rule in key:
        if row is None:
            data.setdefault("table_rule", []).append(rule)
        else:
            data[f"mark-{row}"] = "1"
            data[f"rule-{row}"] = rule
    return data


def test_find_errors_page_hides_the_key_until_submitted(learner_client, learner,
                                                        find_exercise):
    page = html(learner_client.get(url(find_exercise)))
    _table, key = grading.find_errors_table(find_exercise, user_id=learner.user.pk,
                                           attempt_number=1)
    assert 'id="mutated-table"' in page and 'id="answer-key"' not in page
    form = page[page.index('id="find-errors-form"'):]
    assert " selected" not in form and " checked" not in form
    for _row, rule in key:
        assert f'data-rule="{rule}"' not in page
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', page).group(1)
    response = learner_client.post(url(find_exercise), {"digest": digest, **_marks(key)})
    assert response.status_code == 302
    submission = ExerciseSubmission.objects.get()
    assert submission.score == 100 and submission.passed
    result_page = html(learner_client.get(response["Location"]))
    assert 'id="answer-key"' in result_page
    # The next attempt gets a different table, stable across reloads.
    next_table, _ = grading.find_errors_table(find_exercise, user_id=learner.user.pk,
                                              attempt_number=2)
    assert grading.table_digest(next_table) in result_page


def test_find_errors_wrong_marks_score_low_and_bad_marks_are_refused(learner_client, learner,
                                                                    find_exercise):
    page = html(learner_client.get(url(find_exercise)))
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', page).group(1)
    bad = learner_client.post(url(find_exercise), {"digest": digest, "mark-999": "1",
                                                   "rule-999": "R05"})
    assert bad.status_code == 400
    no_rule = learner_client.post(url(find_exercise), {"digest": digest, "mark-1": "1"})
    assert no_rule.status_code == 400
    stale = learner_client.post(url(find_exercise), {"digest": "0" * 16})
    assert stale.status_code == 400
    assert msg(grading.ERR_TABLE_CHANGED) in html(stale)
    assert not ExerciseSubmission.objects.exists()
    response = learner_client.post(url(find_exercise), {"digest": digest})
    assert response.status_code == 302
    assert ExerciseSubmission.objects.get().score == 0


# ---- self-evaluation -----------------------------------------------------------------------

@pytest.fixture
def selfeval_exercise(make_case):
    return make_exercise(make_case(**demo_case("CASE-EDU-01")), "self_evaluation",
                         pass_mark=80)


def _selfeval_post(exercise, *, wrong_row: int | None = None) -> dict:
    expected = grading.score_self_evaluation(grading.selfeval_source(exercise))
    data = {"budget_score": str(expected.budget_score), "total": str(expected.total),
            "grade": expected.grade}
    for row in expected.rows:
        data[f"row-{row.index}"] = str(row.score + (1 if row.index == wrong_row else 0))
    return data


def test_self_evaluation_page_shows_no_expected_scores(learner_client, selfeval_exercise):
    page = html(learner_client.get(url(selfeval_exercise)))
    assert "完成校舍维修改造面积" in page
    for value in ("96.26", "11.52", "5.94", "9.8", "9.80"):
        assert value not in page


def test_self_evaluation_by_hand_scores_pass_and_wrong_rows_are_flagged(learner_client,
                                                                        selfeval_exercise):
    # Hand check of the demo case: budget 842.8/860 → 9.80; total 96.26, 优.
    data = _selfeval_post(selfeval_exercise)
    assert data["budget_score"] == "9.8" and data["total"] == "96.26" and data["grade"] == "优"
    assert learner_client.post(url(selfeval_exercise), data).status_code == 302
    assert ExerciseSubmission.objects.get().score == 100
    response = learner_client.post(url(selfeval_exercise),
                                   _selfeval_post(selfeval_exercise, wrong_row=7))
    second = ExerciseSubmission.objects.get(attempt_number=2)
    assert float(second.score) == pytest.approx(100 * 14 / 15, abs=0.01)
    wrong = [c["item"] for c in second.result["checks"] if not c["correct"]]
    assert wrong == ["row:7"]
    assert 'id="selfeval-feedback"' in html(learner_client.get(response["Location"]))


@pytest.mark.parametrize("value", ["abc", "1e9", "-3", "NaN", ""])
def test_self_evaluation_absurd_entries_are_refused(learner_client, selfeval_exercise, value):
    data = _selfeval_post(selfeval_exercise)
    data["row-1"] = value
    response = learner_client.post(url(selfeval_exercise), data)
    assert response.status_code == 400
    assert not ExerciseSubmission.objects.exists()


# ---- monitoring ----------------------------------------------------------------------------

@pytest.fixture
def monitoring_exercise(make_case):
    return make_exercise(make_case(**demo_case("CASE-EDU-01")), "monitoring", settings={
        "causes": {"实施改造学校数": {"cause": "serious", "note": "施工单位转包"}}})


def test_monitoring_lights_computed_by_hand(learner_client, monitoring_exercise):
    page = html(learner_client.get(url(monitoring_exercise)))
    assert 'id="monitoring-feedback"' not in page and "blue" not in page.split(
        'id="monitoring-form"')[1].split("</form>")[0].replace('value="blue"', "")
    # Month 7: area 3100 / (5000×7/12) = 106 % green; schools 9 / 7 = 129 % blue;
    # desks 2400 / 1400 = 171 % blue; unit cost (reverse) 1185 <= 1200 green.
    answers = {"light-1": "green", "light-2": "blue", "light-3": "blue", "light-4": "green"}
    for i in range(1, 5):
        answers[f"response-{i}"] = CONTINUE
    # Row 2 is ahead of schedule, but the case records a serious problem there: suspend.
    answers["response-2"] = SUSPEND
    assert learner_client.post(url(monitoring_exercise), answers).status_code == 302
    assert ExerciseSubmission.objects.get().score == 100
    answers["light-2"], answers["response-2"] = "red", CONTINUE
    learner_client.post(url(monitoring_exercise), answers)
    second = ExerciseSubmission.objects.get(attempt_number=2)
    assert second.score == 75
    check = second.result["checks"][1]
    assert check["expected_light"] == "blue" and not check["light_correct"]
    assert check["expected_response"] == SUSPEND and not check["response_correct"]


def test_monitoring_missing_answers_are_refused(learner_client, monitoring_exercise):
    response = learner_client.post(url(monitoring_exercise), {"light-1": "purple"})
    assert response.status_code == 400
    assert msg(grading.ERR_LIGHT, row=1) in html(response)
    assert not ExerciseSubmission.objects.exists()


# ---- ex-ante -------------------------------------------------------------------------------

@pytest.fixture
def exante_exercise(make_case):
    return make_exercise(make_case(**demo_case("CASE-ENV-01")), "ex_ante", seed=3)


def test_ex_ante_mapping_and_conclusion(learner_client, exante_exercise):
    findings = grading.exante_findings(exante_exercise)
    page = html(learner_client.get(url(exante_exercise)))
    assert 'id="exante-feedback"' not in page
    data = {f"aspect-{i}": item["aspect"] for i, item in enumerate(findings, start=1)}
    scores = [18, 15, 12, 16, 14]
    data.update({f"score-{i}": str(s) for i, s in enumerate(scores, start=1)})
    data.update({"total": "75", "conclusion": conclusion_for(75)})
    assert learner_client.post(url(exante_exercise), data).status_code == 302
    assert ExerciseSubmission.objects.get().score == 100
    data["aspect-1"] = next(a for a in ASPECTS if a != findings[0]["aspect"])
    data["conclusion"] = "予以支持"
    learner_client.post(url(exante_exercise), data)
    second = ExerciseSubmission.objects.get(attempt_number=2)
    assert float(second.score) == pytest.approx(0.6 * 90 + 20)


def test_ex_ante_scores_out_of_range_are_refused(learner_client, exante_exercise):
    response = learner_client.post(url(exante_exercise), {"score-1": "25", "total": "x"})
    assert response.status_code == 400
    assert not ExerciseSubmission.objects.exists()


# ---- suitability and demo ------------------------------------------------------------------

def test_an_exercise_needs_suitable_case_data(make_case):
    case = make_case(monitoring=None, self_evaluation=None)
    for kind in ("self_evaluation", "monitoring"):
        # The editor reads why in Chinese (该案例没有可用的自评数据 / 运行监控数据).
        with pytest.raises(Exception, match="该案例没有可用的"):
            make_exercise(case, kind)


def test_demo_seeds_one_exercise_of_each_kind_idempotently(func_classes):
    from casebook import demo

    first = demo.seed(log=lambda message: None)
    again = demo.seed(log=lambda message: None)
    assert first["exercises"] == again["exercises"] == Exercise.objects.count() >= 5
    assert set(Exercise.objects.values_list("kind", flat=True)) == {
        "goal_setting", "find_errors", "self_evaluation", "monitoring", "ex_ante"}
