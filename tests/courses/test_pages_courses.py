"""Course pages: tree rules, creation in the admin, rendering, search and query budgets."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import Page
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from courses.models import CourseIndexPage, CoursePage, LessonPage
from portal.models import HomePage, SearchEntry

from .conftest import add_lesson

pytestmark = pytest.mark.django_db


def test_course_list_lives_once_under_home_and_holds_only_courses(course_index, home):
    assert CourseIndexPage.allowed_parent_page_models() == [HomePage]
    assert not CourseIndexPage.can_create_at(home)  # max_count = 1 and one exists
    assert CourseIndexPage.allowed_subpage_models() == [CoursePage]
    assert course_index.url == "/courses/"


def test_course_only_under_course_list_and_holds_only_lessons(course_index, home):
    assert CoursePage.can_create_at(course_index)
    assert not CoursePage.can_create_at(home)
    assert CoursePage.allowed_subpage_models() == [LessonPage]
    assert LessonPage.allowed_parent_page_models() == [CoursePage]
    assert LessonPage.allowed_subpage_models() == []
    assert not LessonPage.can_create_at(course_index)
    assert not LessonPage.can_create_at(Page.get_first_root_node())


def test_course_and_lesson_creatable_in_admin_with_pinyin_slugs(admin_client, course_index,
                                                                 quiz):
    response = admin_client.post(
        reverse("wagtailadmin_pages:add", args=["courses", "coursepage", course_index.pk]),
        {**nested_form_data({"title": "绩效运行监控", "slug": "", "stage": "monitoring",
                          "credit_hours": "2.0",
                          "intro": "双监控", "objectives": "会做监控",
                          "required_quiz": quiz.pk, "required_quiz_pass_percent": "80",
                          "required_exercise": "", "action-publish": "publish"}),
         "positions": ["finance", "business"]})
    assert response.status_code == 302, response.context["form"].errors
    course = CoursePage.objects.get(title="绩效运行监控")
    assert course.live and course.slug == "ji-xiao-yun-xing-jian-kong"
    assert course.positions == ["finance", "business"]
    assert course.quiz_pass_percent == 80

    response = admin_client.post(
        reverse("wagtailadmin_pages:add", args=["courses", "lessonpage", course.pk]),
        nested_form_data({"title": "什么是双监控", "slug": "", "intro": "",
                          "min_study_minutes": "5",
                          "body": streamfield([
                              ("text", rich_text("<p>进度和目标同时监控。</p>")),
                              ("quiz", {"quiz": quiz.pk, "intro": "", "button_label": ""}),
                          ]),
                          "action-publish": "publish"}))
    assert response.status_code == 302, response.context["form"].errors
    lesson = LessonPage.objects.get(title="什么是双监控")
    assert lesson.live and lesson.get_parent().pk == course.pk
    assert lesson.embedded_quizzes == f",{quiz.pk},"


def test_self_check_with_an_answer_outside_the_options_is_refused_in_admin(admin_client,
                                                                           make_course):
    course = make_course(lessons=0)
    response = admin_client.post(
        reverse("wagtailadmin_pages:add", args=["courses", "lessonpage", course.pk]),
        nested_form_data({"title": "自测", "slug": "", "intro": "", "min_study_minutes": "0",
                          "body": streamfield([("self_check", {
                              "question": "谁用钱谁负责？", "options": streamfield(
                                  [("item", "用钱的部门"), ("item", "财政局")]),
                              "answer": "3", "feedback": ""})]),
                          "action-publish": "publish"}))
    assert response.status_code == 200
    assert not LessonPage.objects.filter(title="自测").exists()


def test_course_list_groups_courses_by_stage_with_hours_in_chinese(client, make_course,
                                                                  course_index):
    make_course(title="绩效目标管理")
    html = client.get("/courses/").content.decode()
    assert "目标管理" in html and "绩效目标管理" in html
    assert "1.5 学时" in html


def test_lesson_page_renders_every_block_kind_without_the_self_check_answer(
        client, make_course, quiz, exercise, case):
    from portal.services import policy_document_upsert, policy_index_ensure

    policy = policy_document_upsert(
        index=policy_index_ensure(home=case.get_parent().get_parent()),
        data={"title": "项目支出绩效评价管理办法", "issuer": "财政部", "level": "central",
              "publish_date": "2020-02-25",
              "clauses": [{"number": "第十条", "text": "绩效评价内容"}]})
    course = make_course(lessons=0)
    lesson = add_lesson(course, "全部块", body=[
        {"type": "text", "value": "<p>正文段落</p>"},
        {"type": "key_points", "value": {"heading": "", "items": ["谁用钱谁负责"]}},
        {"type": "policy_excerpt", "value": {"policy": policy.pk, "clause_label": "第十条",
                                             "quote": "引用的条文"}},
        {"type": "case", "value": {"case": case.pk, "note": ""}},
        {"type": "quiz", "value": {"quiz": quiz.pk, "intro": "", "button_label": ""}},
        {"type": "exercise", "value": {"exercise": exercise.pk, "intro": "",
                                       "button_label": ""}},
        {"type": "self_check", "value": {"question": "绩效目标应当？",
                                         "options": ["可衡量", "越多越好"], "answer": 1,
                                         "feedback": "目标要可衡量才能评价。"}},
    ])
    html = client.get(lesson.url).content.decode()
    assert "正文段落" in html and "谁用钱谁负责" in html
    assert "引用的条文" in html and f'{policy.url}#clause-10' in html
    assert case.title in html and case.url in html
    assert quiz.title in html and exercise.title in html
    assert "绩效目标应当？" in html and "可衡量" in html
    assert "目标要可衡量才能评价" not in html  # feedback only after answering
    assert "答案是" not in html


def test_media_block_plays_the_sites_own_file_with_a_video_element(client, make_course):
    from django.core.files.base import ContentFile
    from wagtail.documents.models import Document

    document = Document.objects.create(title="讲解视频",
                                       file=ContentFile(b"\x00\x00", name="jiangjie.mp4"))
    course = make_course(lessons=0)
    lesson = add_lesson(course, "视频", body=[
        {"type": "media", "value": {"file": document.pk, "caption": "讲解"}},
        {"type": "download", "value": {"document": document.pk, "description": ""}}])
    html = client.get(lesson.url).content.decode()
    assert f'<video controls preload="metadata" src="{document.url}"' in html
    assert "<iframe" not in html
    assert "下载" in html


def test_courses_and_lessons_are_found_by_site_search(make_course):
    course = make_course(lessons=1, bodies={1: [{"type": "text", "value": "<p>双监控要点</p>"}]})
    kinds = dict(SearchEntry.objects.values_list("page_id", "kind"))
    assert kinds[course.pk] == "course"
    lesson = LessonPage.objects.child_of(course).get()
    assert kinds[lesson.pk] == "lesson"
    assert "双监控要点" in SearchEntry.objects.get(page_id=lesson.pk).text


@pytest.mark.parametrize("page_kind", ["course", "lesson"])
def test_page_queries_do_not_grow_with_the_number_of_lessons(page_kind, learner_client,
                                                             make_course, quiz, exercise):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (2, 12):
        course = make_course(title=f"课程{size}", lessons=size, required_quiz=quiz,
                             required_exercise=exercise)
        url = course.url if page_kind == "course" else \
            LessonPage.objects.child_of(course).order_by("path").last().url
        learner_client.get(url)  # first visit enrols the learner
        with CaptureQueriesContext(connection) as queries:
            response = learner_client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
