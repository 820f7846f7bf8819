"""Exercise messages a learner reads are Chinese: the flash, validation errors, severities and
lights (the msgids stay English; the page shows the zh_Hans catalogue)."""

from __future__ import annotations

import re

import pytest

from casebook.exercises import grading
from casebook.models import ExerciseSubmission
from casebook.rules.monitoring import CONTINUE
from tests.departments.factories import LearnerFactory

from .exercise_helpers import demo_case, make_exercise, table_post
from .factories import CLEAN_ROWS

pytestmark = pytest.mark.django_db

ENGLISH_WORDS = re.compile(r"\b(?:Submitted|attempt|score|Finding|choose|Aspect|Total|enter|"
                           r"Choose|conclusion|warning|error|info|green|yellow|red|blue)\b")


@pytest.fixture
def learner_client(client):
    client.force_login(LearnerFactory().user)
    return client


def page_text(response) -> str:
    """Visible text without tags, scripts and attribute values (classes name severities)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_submission_flash_and_findings_read_in_chinese(learner_client, make_case):
    exercise = make_exercise(make_case(**demo_case("CASE-EDU-01")), "goal_setting")
    rows = [dict(row) for row in CLEAN_ROWS[:4]]
    rows[1]["value"] = "明显提高"  # vague (an error on the row); no 满意度 row (on the table)
    response = learner_client.post(f"/casebook/exercises/{exercise.pk}/",
                                   table_post(rows, annual_goal="完成20所学校维修改造。"),
                                   follow=True)
    submission = ExerciseSubmission.objects.get(exercise=exercise)
    text = page_text(response)
    assert f"已提交：第 1 次作答，得分 {submission.score}。" in text
    severities = re.findall(r'class="finding__severity">([^<]*)<', response.content.decode())
    assert severities and set(severities) <= {"错误", "警告", "提示"}
    assert "错误" in severities
    assert not ENGLISH_WORDS.search(text), ENGLISH_WORDS.findall(text)


def test_empty_ex_ante_submission_lists_every_problem_in_chinese(learner_client, make_case):
    exercise = make_exercise(make_case(**demo_case("CASE-ENV-01")), "ex_ante", seed=3)
    response = learner_client.post(f"/casebook/exercises/{exercise.pk}/", {})
    text = page_text(response)
    assert response.status_code == 400
    assert "第 1 条问题：请选择所属方面。" in text
    assert "“立项必要性”未填写得分。" in text
    assert "总分：请输入 0 到 100 之间的数字。" in text
    assert "请选择评估结论。" in text
    assert not ENGLISH_WORDS.search(text), ENGLISH_WORDS.findall(text)
    assert not ExerciseSubmission.objects.exists()


def test_monitoring_lights_read_as_chinese_lamp_names(learner_client, make_case):
    exercise = make_exercise(make_case(**demo_case("CASE-EDU-01")), "monitoring")
    url = f"/casebook/exercises/{exercise.pk}/"
    form = learner_client.get(url).content.decode()
    assert re.findall(r'<option value="(\w+)"[^>]*>(.灯)</option>', form)[:4] == [
        ("red", "红灯"), ("yellow", "黄灯"), ("green", "绿灯"), ("blue", "蓝灯")]
    rows = len(grading.monitoring_rows(exercise))
    refused = learner_client.post(url, {})
    assert "第 1 行：请选择预警灯。" in page_text(refused)
    answers = {**{f"light-{i}": "green" for i in range(1, rows + 1)},
               **{f"response-{i}": CONTINUE for i in range(1, rows + 1)}}
    result = learner_client.post(url, answers, follow=True).content.decode()
    feedback = result[result.index('id="monitoring-feedback"'):]
    assert "绿灯 " in feedback
    assert not re.search(r">\s*(green|yellow|red|blue)\s", feedback)
