"""The demo course loader: JSON files through `course_upsert`, idempotent, clear errors."""

from __future__ import annotations

import json

import pytest
from wagtail.models import Revision

from courses import demo
from courses.models import CoursePage, LessonPage
from portal.services import policy_document_upsert, policy_index_ensure

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(home):
    return policy_document_upsert(index=policy_index_ensure(home=home), data={
        "title": "关于全面实施预算绩效管理的意见", "issuer": "中共中央 国务院", "level": "central",
        "publish_date": "2018-09-01", "clauses": [{"number": "第十条", "text": "谁用钱谁负责"}]})


def course_json(quiz, exercise, case, policy, **overrides) -> dict:
    data = {
        "title": "绩效目标管理", "stage": "goals", "positions": ["business", "finance"],
        "credit_hours": "2", "intro": "怎样编制绩效目标。", "objectives": ["会写目标", "会选指标"],
        "required_quiz": quiz.title, "required_quiz_pass_percent": 80,
        "required_exercise": exercise.title,
        "lessons": [
            {"title": "目标的要素", "min_study_minutes": 5, "blocks": [
                {"type": "text", "html": "<p>绩效目标包括产出和效益。</p>"},
                {"type": "key_points", "items": ["可衡量", "可实现"]},
                {"type": "policy_excerpt", "policy_title": policy.title,
                 "clause_label": "第十条", "quote": "谁用钱谁负责"},
                {"type": "case", "case_title": case.title},
                {"type": "self_check", "question": "目标应当？", "options": ["可衡量", "空泛"],
                 "answer": 0, "feedback": "要可衡量。"}]},
            {"title": "练习", "min_study_minutes": 0, "blocks": [
                {"type": "quiz", "quiz_title": quiz.title},
                {"type": "exercise", "exercise_title": exercise.title}]},
        ],
    }
    data.update(overrides)
    return data


def write(tmp_path, *courses):
    for number, data in enumerate(courses):
        (tmp_path / f"{number:02d}.json").write_text(json.dumps(data, ensure_ascii=False),
                                                     encoding="utf-8")
    return tmp_path


def test_loader_builds_courses_and_lessons_once(tmp_path, course_index, quiz, exercise, case,
                                                policy):
    directory = write(tmp_path, course_json(quiz, exercise, case, policy))
    counts = demo.seed(log=lambda line: None, directory=directory)
    assert counts == {"courses": 1, "lessons": 2}
    course = CoursePage.objects.get()
    assert (course.stage, course.positions, course.required_quiz_pass_percent) == (
        "goals", ["finance", "business"], 80)
    first, second = LessonPage.objects.child_of(course).order_by("path")
    assert first.min_study_minutes == 5
    self_check = next(block for block in first.body if block.block_type == "self_check")
    assert self_check.value["answer"] == 1  # JSON counts from 0, editors from 1
    assert second.embedded_quizzes == f",{quiz.pk}," and second.exercise_ids() == [exercise.pk]

    revisions = Revision.objects.count()
    demo.seed(log=lambda line: None, directory=directory)
    new = Revision.objects.order_by("pk").values_list("object_str", flat=True)[revisions:]
    assert list(new) == []  # unchanged content: no new revision
    assert LessonPage.objects.count() == 2


def test_loader_names_an_unknown_quiz_and_writes_nothing(tmp_path, course_index, quiz,
                                                          exercise, case, policy):
    data = course_json(quiz, exercise, case, policy)
    data["lessons"][1]["blocks"][0]["quiz_title"] = "不存在的测验"
    with pytest.raises(ValueError, match="unknown quiz 《不存在的测验》"):
        demo.seed(log=lambda line: None, directory=write(tmp_path, data))
    assert not CoursePage.objects.exists()


def test_loader_names_an_unknown_policy_or_case(tmp_path, course_index, quiz, exercise, case,
                                                policy):
    data = course_json(quiz, exercise, case, policy)
    data["lessons"][0]["blocks"][3]["case_title"] = "没有的案例"
    with pytest.raises(ValueError, match="unknown case 《没有的案例》"):
        demo.seed(log=lambda line: None, directory=write(tmp_path, data))
    data = course_json(quiz, exercise, case, policy, stage="somewhere")
    with pytest.raises(ValueError, match="unknown stage"):
        demo.seed(log=lambda line: None, directory=write(tmp_path, data))


def test_the_shipped_course_files_are_valid_json_in_the_schema():
    for data in demo.course_files():
        assert data["stage"] in {"exante", "goals", "monitoring", "evaluation", "results",
                                 "general"}
        assert data["lessons"], data["title"]
