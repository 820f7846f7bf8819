"""Learning records: server-measured study time, "已学完", automatic completion from quizzes and
exercises, the derived course status and `rebuild_progress`."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from casebook.exercises.signals import submission_scored
from courses.models import CompletionHow, Enrolment, LessonCompletion, LessonPage, LessonStudy
from courses.services import (
    HEARTBEAT_MAX_GAP_SECONDS,
    enrolment_ensure,
    lesson_complete,
    lesson_heartbeat,
)
from quizzes.models import Attempt
from quizzes.signals import attempt_graded

from .conftest import graded_attempt, scored_submission

pytestmark = pytest.mark.django_db


def lessons_of(course) -> list[LessonPage]:
    return list(LessonPage.objects.child_of(course).order_by("path"))


def finish_all(user, course):
    for lesson in lessons_of(course):
        lesson_complete(user=user, lesson=lesson)


# --- Study time -------------------------------------------------------------------------------


def test_heartbeats_never_add_more_time_than_has_passed_on_the_server(user, make_course):
    lesson = lessons_of(make_course(lessons=1))[0]
    start = timezone.now()
    lesson_heartbeat(user=user, lesson=lesson, now=start)            # starts the clock
    lesson_heartbeat(user=user, lesson=lesson, now=start + dt.timedelta(seconds=30))
    for _ in range(5):                                              # a burst of beats
        lesson_heartbeat(user=user, lesson=lesson, now=start + dt.timedelta(seconds=30))
    lesson_heartbeat(user=user, lesson=lesson, now=start + dt.timedelta(seconds=50))
    study = LessonStudy.objects.get(user=user, lesson=lesson)
    assert study.seconds_studied == 50  # exactly the server time elapsed, not 7 beats' worth


def test_a_long_gap_between_heartbeats_adds_nothing(user, make_course):
    lesson = lessons_of(make_course(lessons=1))[0]
    start = timezone.now()
    lesson_heartbeat(user=user, lesson=lesson, now=start)
    lesson_heartbeat(user=user, lesson=lesson,
                     now=start + dt.timedelta(seconds=HEARTBEAT_MAX_GAP_SECONDS + 1))
    assert LessonStudy.objects.get(user=user, lesson=lesson).seconds_studied == 0


def test_heartbeat_endpoint_counts_only_real_elapsed_time(learner_client, user, make_course):
    lesson = lessons_of(make_course(lessons=1, minutes=1))[0]
    url = f"/courses/lessons/{lesson.pk}/heartbeat/"
    assert learner_client.post(url).json()["seconds_studied"] == 0
    for _ in range(10):  # a script hammering the endpoint gains (almost) nothing
        data = learner_client.post(url).json()
    assert data["seconds_studied"] <= 1
    assert data["seconds_left"] >= 59


def test_heartbeat_refuses_anonymous_and_unknown_lessons(learner_client, make_course):
    from django.test import Client

    lesson = lessons_of(make_course(lessons=1))[0]
    assert Client().post(f"/courses/lessons/{lesson.pk}/heartbeat/").status_code == 403
    assert learner_client.post("/courses/lessons/999999/heartbeat/").status_code == 404
    assert learner_client.get(f"/courses/lessons/{lesson.pk}/heartbeat/").status_code == 405
    assert not LessonStudy.objects.exists()


# --- Explicit completion ----------------------------------------------------------------------


def test_finishing_before_the_minimum_study_time_is_refused_in_chinese(learner_client, user,
                                                                        make_course):
    lesson = lessons_of(make_course(lessons=1, minutes=5))[0]
    response = learner_client.post(f"/courses/lessons/{lesson.pk}/complete/", follow=True)
    assert "本节至少需学习 5 分钟才能标记为已学完（还差 5 分钟）" in response.content.decode()
    assert not LessonCompletion.objects.exists()


def test_finishing_after_the_minimum_study_time_records_the_time(user, make_course):
    lesson = lessons_of(make_course(lessons=1, minutes=1))[0]
    start = timezone.now()
    for second in range(0, 61, 30):
        lesson_heartbeat(user=user, lesson=lesson, now=start + dt.timedelta(seconds=second))
    completion = lesson_complete(user=user, lesson=lesson)
    assert completion.how == CompletionHow.EXPLICIT
    assert completion.seconds_studied == 60
    assert lesson_complete(user=user, lesson=lesson).pk == completion.pk  # idempotent
    assert LessonCompletion.objects.count() == 1


def test_a_learner_cannot_finish_a_lesson_for_someone_else(learner_client, user, other_user,
                                                           make_course):
    lesson = lessons_of(make_course(lessons=1))[0]
    learner_client.post(f"/courses/lessons/{lesson.pk}/complete/",
                        {"user": other_user.pk, "user_id": other_user.pk})
    assert list(LessonCompletion.objects.values_list("user_id", flat=True)) == [user.pk]


# --- Course status ----------------------------------------------------------------------------


def test_course_completes_when_all_lessons_are_finished_and_credits_its_hours(user, make_course):
    course = make_course(lessons=2)
    enrolment_ensure(user=user, course=course)
    first, second = lessons_of(course)
    lesson_complete(user=user, lesson=first)
    assert Enrolment.objects.get(user=user, course=course).status == "in_progress"
    lesson_complete(user=user, lesson=second)
    enrolment = Enrolment.objects.get(user=user, course=course)
    assert enrolment.status == "completed" and enrolment.completed_at is not None
    assert enrolment.credited_hours == Decimal("1.5")


def test_required_quiz_at_the_course_mark_and_exercise_are_both_needed(user, make_course, quiz,
                                                                       exercise):
    course = make_course(lessons=1, required_quiz=quiz, required_quiz_pass_percent=80,
                         required_exercise=exercise)
    finish_all(user, course)
    enrolment = Enrolment.objects.get(user=user, course=course)
    assert enrolment.status == "in_progress"

    attempt = graded_attempt(user=user, quiz=quiz, percent=70)  # passes the quiz's 60, not 80
    attempt_graded.send(sender=Attempt, attempt=attempt)
    assert Enrolment.objects.get(pk=enrolment.pk).status == "in_progress"
    attempt = graded_attempt(user=user, quiz=quiz, percent=85, number=2)
    attempt_graded.send(sender=Attempt, attempt=attempt)
    assert Enrolment.objects.get(pk=enrolment.pk).status == "in_progress"

    submission = scored_submission(user=user, exercise=exercise, score=90)
    submission_scored.send(sender=type(submission), submission=submission)
    submission_scored.send(sender=type(submission), submission=submission)  # re-sent: harmless
    enrolment = Enrolment.objects.get(pk=enrolment.pk)
    assert enrolment.status == "completed"


def test_passing_an_embedded_quiz_finishes_its_lesson_automatically(user, other_user,
                                                                    make_course, quiz):
    course = make_course(lessons=2, bodies={2: [
        {"type": "quiz", "value": {"quiz": quiz.pk, "intro": "", "button_label": ""}}]})
    first, second = lessons_of(course)
    lesson_complete(user=user, lesson=first)
    failed = graded_attempt(user=user, quiz=quiz, percent=40)
    attempt_graded.send(sender=Attempt, attempt=failed)
    assert not LessonCompletion.objects.filter(lesson=second).exists()

    passed = graded_attempt(user=user, quiz=quiz, percent=90, number=2)
    attempt_graded.send(sender=Attempt, attempt=passed)
    attempt_graded.send(sender=Attempt, attempt=passed)
    completion = LessonCompletion.objects.get(lesson=second)
    assert (completion.user_id, completion.how) == (user.pk, CompletionHow.AUTOMATIC)
    assert Enrolment.objects.get(user=user, course=course).status == "completed"
    assert not LessonCompletion.objects.filter(user=other_user).exists()


def test_a_reviewer_failing_the_exercise_reopens_the_course(user, make_course, exercise):
    course = make_course(lessons=1, required_exercise=exercise)
    finish_all(user, course)
    submission = scored_submission(user=user, exercise=exercise, score=90)
    submission_scored.send(sender=type(submission), submission=submission)
    assert Enrolment.objects.get(user=user).status == "completed"
    submission.score, submission.passed = Decimal(30), False
    submission.save()
    submission_scored.send(sender=type(submission), submission=submission)
    enrolment = Enrolment.objects.get(user=user)
    assert (enrolment.status, enrolment.completed_at, enrolment.credited_hours) == (
        "in_progress", None, Decimal("0"))


# --- rebuild_progress ---------------------------------------------------------------------------


def rebuild(*args) -> str:
    out = io.StringIO()
    call_command("rebuild_progress", *args, stdout=out)
    return out.getvalue()


def test_rebuild_progress_changes_nothing_on_a_consistent_database(user, other_user,
                                                                  make_course, quiz):
    course = make_course(lessons=2, required_quiz=quiz)
    finish_all(user, course)
    finish_all(other_user, course)
    attempt_graded.send(sender=Attempt, attempt=graded_attempt(user=user, quiz=quiz, percent=90))
    before = list(Enrolment.objects.order_by("pk").values())
    assert rebuild().strip().endswith("0 changes")
    assert list(Enrolment.objects.order_by("pk").values()) == before


def test_rebuild_progress_repairs_what_a_missed_signal_left_and_reports_it(user, make_course,
                                                                          quiz):
    course = make_course(lessons=1, required_quiz=quiz, bodies={1: [
        {"type": "quiz", "value": {"quiz": quiz.pk, "intro": "", "button_label": ""}}]})
    enrolment = enrolment_ensure(user=user, course=course)
    graded_attempt(user=user, quiz=quiz, percent=90)  # no signal sent
    output = rebuild("--year", str(enrolment.started_at.year))
    assert f"enrolment {enrolment.pk}: user={user.pk} course={course.pk} in_progress -> " \
           "completed" in output
    assert "lesson completed" in output and output.strip().endswith("2 changes")
    assert rebuild().strip().endswith("0 changes")
    assert "0 changes" in rebuild("--year", "2001")


def test_rebuild_progress_refuses_an_impossible_year():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        rebuild("--year", "99")


def test_lesson_complete_refuses_anonymous_users(make_course):
    from django.contrib.auth.models import AnonymousUser

    lesson = lessons_of(make_course(lessons=1))[0]
    with pytest.raises(ValidationError):
        lesson_complete(user=AnonymousUser(), lesson=lesson)


def test_quiz_use_check_finds_what_the_orm_finds_live_pages_only(make_course, quiz):
    from django.db.models import Q
    from wagtail.models import Page

    from courses.services import quiz_used_by_live_pages
    from quizzes.services import quiz_create

    other = quiz_create(title="别的测验", is_draft=False, mode="practice", pass_mark=60)
    # An id that contains the other's digits: ",11," must not count as using quiz 1.
    lookalike = quiz_create(title="相似编号", is_draft=False, mode="practice", pass_mark=60)

    def orm(quiz_id):
        return Page.objects.live().filter(
            Q(lessonpage__embedded_quizzes__contains=f",{quiz_id},")
            | Q(coursepage__required_quiz_id=quiz_id)).exists()

    def both(quiz_id):
        assert quiz_used_by_live_pages(quiz_id=quiz_id) == orm(quiz_id)
        return orm(quiz_id)

    assert not both(quiz.pk) and not both(other.pk)
    course = make_course(lessons=1, bodies={1: [
        {"type": "quiz", "value": {"quiz": quiz.pk, "intro": "", "button_label": ""}}]})
    lesson = LessonPage.objects.child_of(course).get()
    assert lesson.embedded_quizzes == f",{quiz.pk},"
    assert both(quiz.pk) and not both(other.pk)
    LessonPage.objects.filter(pk=lesson.pk).update(
        embedded_quizzes=f",{lookalike.pk}{quiz.pk},{quiz.pk}{other.pk},")
    Page.objects.filter(pk=lesson.pk).update(live=True)
    assert not both(quiz.pk) and not both(other.pk)
    Page.objects.filter(pk=lesson.pk).update(live=False)  # a draft lesson does not count
    LessonPage.objects.filter(pk=lesson.pk).update(embedded_quizzes=f",{quiz.pk},")
    assert not both(quiz.pk)
    required = make_course(lessons=0, title="必考", required_quiz=other)
    assert both(other.pk)
    Page.objects.filter(pk=required.pk).update(live=False)  # unpublished course
    assert not both(other.pk)
