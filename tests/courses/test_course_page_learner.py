"""The course and lesson pages for a signed-in learner: ticks, the rule in plain Chinese, what
is left, 开始/继续学习, and self-check feedback only after answering."""

from __future__ import annotations

import pytest

from courses.models import Enrolment, LessonPage
from courses.services import lesson_complete

pytestmark = pytest.mark.django_db


def lessons_of(course) -> list[LessonPage]:
    return list(LessonPage.objects.child_of(course).order_by("path"))


def test_course_page_states_the_rule_and_what_is_left_in_chinese(learner_client, user,
                                                                make_course, quiz, exercise):
    course = make_course(lessons=4, required_quiz=quiz, required_quiz_pass_percent=80,
                         required_exercise=exercise)
    first = lessons_of(course)[0]
    html = learner_client.get(course.url).content.decode()
    assert ("学完全部 4 节课；通过测验《目标管理练习》（80%）；"
            "通过练习《绩效目标编制：校舍维修改造项目》") in html
    assert "开始学习" in html

    learner_client.get(first.url)  # opening a lesson enrols the learner
    lesson_complete(user=user, lesson=first)
    html = learner_client.get(course.url).content.decode()
    assert "还有 3 节课未学完：第2课、第3课、第4课" in html
    assert "测验《目标管理练习》尚未通过" in html
    assert "继续学习" in html
    assert html.count('class="lesson-item lesson-item--done"') == 1


def test_course_list_shows_the_learners_status(learner_client, user, make_course):
    course = make_course(lessons=1)
    assert "未开始" in learner_client.get("/courses/").content.decode()
    learner_client.get(lessons_of(course)[0].url)
    assert "学习中" in learner_client.get("/courses/").content.decode()
    lesson_complete(user=user, lesson=lessons_of(course)[0])
    html = learner_client.get("/courses/").content.decode()
    assert "已完成" in html
    assert "已于" in learner_client.get(course.url).content.decode()


def test_anonymous_visitors_read_courses_without_any_record(client, make_course):
    course = make_course(lessons=1)
    assert client.get(course.url).status_code == 200
    html = client.get(lessons_of(course)[0].url).content.decode()
    assert "data-heartbeat-url" not in html
    assert not Enrolment.objects.exists()


def test_lesson_page_disables_the_finish_button_until_the_study_time_is_reached(
        learner_client, make_course):
    lesson = lessons_of(make_course(lessons=1, minutes=3))[0]
    html = learner_client.get(lesson.url).content.decode()
    assert "最短学习时间：3 分钟" in html
    assert "data-finish-button disabled" in html
    assert f'data-heartbeat-url="/courses/lessons/{lesson.pk}/heartbeat/"' in html


def test_self_check_feedback_appears_only_after_the_learner_answers(learner_client,
                                                                    make_course):
    course = make_course(lessons=1, bodies={1: [{"type": "self_check", "value": {
        "question": "谁对项目绩效负责？", "options": ["财政局", "用钱的部门"], "answer": 2,
        "feedback": "谁用钱谁负责。"}}]})
    lesson = lessons_of(course)[0]
    html = learner_client.get(lesson.url).content.decode()
    assert "谁对项目绩效负责？" in html and "谁用钱谁负责" not in html
    block_id = lesson.body[0].id

    wrong = learner_client.post(lesson.url, {"self_check": block_id, "choice": "1"})
    html = wrong.content.decode()
    assert "回答有误：正确答案是第 2 项。" in html and "谁用钱谁负责。" in html

    right = learner_client.post(lesson.url, {"self_check": block_id, "choice": "2"})
    assert "回答正确。" in right.content.decode()

    junk = learner_client.post(lesson.url, {"self_check": "nope", "choice": "x"})
    assert junk.status_code == 200 and "谁用钱谁负责" not in junk.content.decode()


def test_self_check_and_finish_posts_need_the_csrf_token(user, make_course):
    from django.test import Client

    lesson = lessons_of(make_course(lessons=1))[0]
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(lesson.url, {"self_check": "x", "choice": "1"}).status_code == 403
    assert client.post(f"/courses/lessons/{lesson.pk}/complete/").status_code == 403
    assert not lesson.completions.exists()
