"""Fixtures for the course tests: the course list, courses with lessons, quizzes, exercises,
graded attempts and scored submissions (built through the services where they exist)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from casebook.services import case_index_ensure, case_upsert, functional_classes_load
from courses.authoring import course_index_ensure
from courses.models import CoursePage, LessonPage
from portal.services import page_publish, site_home_ensure
from quizzes.models import Attempt, AttemptStatus
from quizzes.services import quiz_create
from tests.casebook.exercise_helpers import make_exercise
from tests.casebook.factories import case_data
from tests.departments.factories import DepartmentFactory, LearnerFactory


@pytest.fixture
def dept_a(db):
    return DepartmentFactory(code="A01", name="财政局")


@pytest.fixture
def dept_b(db):
    return DepartmentFactory(code="B01", name="教育局")


@pytest.fixture
def home(db):
    return site_home_ensure()


@pytest.fixture
def course_index(home):
    return course_index_ensure(home=home)


@pytest.fixture
def user(db):
    return LearnerFactory(staff_number="C0001", position="business").user


@pytest.fixture
def other_user(db):
    return LearnerFactory(staff_number="C0002", position="business").user


@pytest.fixture
def learner_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def quiz(db):
    return quiz_create(title="目标管理练习", is_draft=False, mode="practice", pass_mark=60)


@pytest.fixture
def case(home):
    functional_classes_load()
    return case_upsert(index=case_index_ensure(home=home), data=case_data())


@pytest.fixture
def exercise(case):
    return make_exercise(case, title="绩效目标编制：校舍维修改造项目")


def add_lesson(course: CoursePage, title: str, *, body=(), minutes: int = 0) -> LessonPage:
    lesson = LessonPage(title=title, live=False, min_study_minutes=minutes, body=list(body))
    course.add_child(instance=lesson)
    return page_publish(lesson)


@pytest.fixture
def make_course(course_index):
    def make(*, lessons: int = 3, title: str = "绩效目标管理", minutes: int = 0,
             bodies: dict | None = None, **fields) -> CoursePage:
        course = CoursePage(title=title, live=False, stage="goals", positions=["business"],
                            credit_hours=Decimal("1.5"), intro="怎样编制绩效目标。",
                            objectives="会写绩效目标\n会选指标", **fields)
        course_index.add_child(instance=course)
        course = page_publish(course)
        for number in range(1, lessons + 1):
            add_lesson(course, f"第{number}课", minutes=minutes,
                       body=(bodies or {}).get(number, [
                           {"type": "text", "value": f"<p>第{number}课正文</p>"}]))
        return CoursePage.objects.get(pk=course.pk)

    return make


def graded_attempt(*, user, quiz, percent: int, number: int = 1) -> Attempt:
    """A graded attempt as `quizzes` records it (the quiz's own pass mark decides `passed`)."""
    return Attempt.objects.create(
        quiz=quiz, user=user, number=number, status=AttemptStatus.GRADED,
        submitted_at=timezone.now(), graded_at=timezone.now(), score=Decimal(percent),
        max_score=Decimal(100), percent=Decimal(percent), passed=percent >= quiz.pass_mark)


def scored_submission(*, user, exercise, score: int, number: int = 1):
    from casebook.models import ExerciseSubmission

    return ExerciseSubmission.objects.create(
        exercise=exercise, user=user, attempt_number=number, input={}, result={},
        auto_score=Decimal(score), score=Decimal(score), passed=score >= exercise.pass_mark)
