"""`rebuild_progress` in bulk: the same result as recomputing each learner on their own (lesson
completions from embedded quizzes and exercises, course status, completion time, credited
hours), a fixed number of queries whatever the number of enrolments, and no write at all on a
consistent database. Also the bulk result readers it uses from `quizzes` and `casebook`."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casebook.exercises.selectors import exercise_passed, exercises_passed_by_users
from courses.models import CompletionHow, Enrolment, LessonCompletion, LessonPage, LessonStudy
from courses.selectors import course_lessons
from courses.services import enrolment_recompute, lesson_activities_check, progress_rebuild
from quizzes.models import Attempt, AttemptStatus
from quizzes.selectors import (
    quiz_passed,
    quiz_passed_by_users,
    quiz_score,
    quiz_score_by_users,
)
from quizzes.services import quiz_create
from tests.departments.factories import LearnerFactory

from .conftest import graded_attempt, scored_submission

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 5, 4, 10, 30))


def quiz_block(quiz_id: int) -> dict:
    return {"type": "quiz", "value": {"quiz": quiz_id, "intro": "", "button_label": ""}}


def exercise_block(exercise_id: int) -> dict:
    return {"type": "exercise", "value": {"exercise": exercise_id, "intro": "",
                                          "button_label": ""}}


def lessons_of(course) -> list[LessonPage]:
    return list(LessonPage.objects.child_of(course).order_by("path"))


@pytest.fixture
def world(make_course, quiz, exercise):
    """Courses covering every part of the rule, and a function adding learners in every state."""
    latest = quiz_create(title="运行监控小测", is_draft=False, mode="practice", pass_mark=60,
                         grading_method="latest")
    # Goals: lesson 2 embeds the quiz; the course asks 80 % of it and a passed exercise.
    goals = make_course(title="绩效目标管理", lessons=3, required_quiz=quiz,
                        required_quiz_pass_percent=80, required_exercise=exercise,
                        bodies={2: [quiz_block(quiz.pk)]})
    # Monitoring: lesson 1 embeds a latest-attempt quiz and the exercise; no further rule.
    monitoring = make_course(title="绩效运行监控", lessons=2,
                             bodies={1: [quiz_block(latest.pk), exercise_block(exercise.pk)]})
    type(monitoring).objects.filter(pk=monitoring.pk).update(credit_hours=Decimal("2.0"))
    monitoring.refresh_from_db()
    # Evaluation: the quiz at its own mark; lesson 1 embeds a quiz that no longer exists, so it
    # can only be finished by hand.
    evaluation = make_course(title="绩效评价", lessons=2, required_quiz=quiz,
                             bodies={1: [quiz_block(987654)]})
    empty = make_course(title="尚无课时", lessons=0)
    courses = {"goals": goals, "monitoring": monitoring, "evaluation": evaluation,
               "empty": empty}
    lessons = {name: lessons_of(course) for name, course in courses.items()}
    counter = {"n": 0}

    def done(user, *lesson_list):
        LessonCompletion.objects.bulk_create([
            LessonCompletion(user=user, lesson=lesson, how=CompletionHow.EXPLICIT,
                             completed_at=NOW - dt.timedelta(days=3), seconds_studied=60)
            for lesson in lesson_list])

    def enrol(user, name, *, status="in_progress", hours=None, started=None):
        completed = status == "completed"
        return Enrolment.objects.create(
            user=user, course=courses[name], status=status,
            started_at=started or NOW - dt.timedelta(days=10),
            completed_at=NOW - dt.timedelta(days=2) if completed else None,
            credited_hours=(courses[name].credit_hours if hours is None else hours)
            if completed else 0)

    def add_learners(count: int) -> list:
        users = []
        for _ in range(count):
            counter["n"] += 1
            n = counter["n"]
            user = LearnerFactory(staff_number=f"R{n:05d}").user
            users.append(user)
            g, m, e = lessons["goals"], lessons["monitoring"], lessons["evaluation"]
            kind = n % 8
            if kind == 0:    # finished every lesson by hand, 85 %, exercise passed: completes
                enrol(user, "goals")
                done(user, *g)
                graded_attempt(user=user, quiz=quiz, percent=85)
                scored_submission(user=user, exercise=exercise, score=90)
            elif kind == 1:  # 70 %: passes the quiz (lesson 2 auto) but not the course's 80 %
                enrol(user, "goals")
                done(user, g[0], g[2])
                graded_attempt(user=user, quiz=quiz, percent=50)
                graded_attempt(user=user, quiz=quiz, percent=70, number=2)
                scored_submission(user=user, exercise=exercise, score=95)
                LessonStudy.objects.create(user=user, lesson=g[1], seconds_studied=321)
            elif kind == 2:  # stored as completed, but the exercise never passed: reopened
                enrol(user, "goals", status="completed")
                done(user, *g)
                graded_attempt(user=user, quiz=quiz, percent=95)
                scored_submission(user=user, exercise=exercise, score=30)
            elif kind == 3:  # latest attempt fails after an earlier pass: no auto completion
                enrol(user, "monitoring")
                done(user, m[1])
                graded_attempt(user=user, quiz=latest, percent=90)
                graded_attempt(user=user, quiz=latest, percent=40, number=2)
                scored_submission(user=user, exercise=exercise, score=80)
            elif kind == 4:  # latest passes, exercise passed: lesson 1 auto, course complete
                enrol(user, "monitoring")
                done(user, m[1])
                graded_attempt(user=user, quiz=latest, percent=40)
                graded_attempt(user=user, quiz=latest, percent=90, number=2)
                scored_submission(user=user, exercise=exercise, score=40)
                scored_submission(user=user, exercise=exercise, score=80, number=2)
                Attempt.objects.create(quiz=latest, user=user, number=3,
                                       status=AttemptStatus.IN_PROGRESS)
            elif kind == 5:  # completed with outdated credited hours: hours corrected
                enrol(user, "evaluation", status="completed", hours=Decimal("0.5"))
                done(user, *e)
                graded_attempt(user=user, quiz=quiz, percent=61)
            elif kind == 6:  # passed the quiz, but the lesson with the missing quiz is not done
                enrol(user, "evaluation")
                done(user, e[1])
                graded_attempt(user=user, quiz=quiz, percent=100)
                enrol(user, "empty")
            else:            # already consistent and complete: nothing to do
                enrol(user, "evaluation", status="completed")
                done(user, *e)
                graded_attempt(user=user, quiz=quiz, percent=75)
        return users

    return add_learners


def per_learner_rebuild(*, now) -> tuple[list, list]:
    """The rebuild as it was written before the bulk path: one learner and lesson at a time."""
    completions, changes = [], []
    for enrolment in Enrolment.objects.select_related(
            "user", "course", "course__required_quiz", "course__required_exercise") \
            .order_by("pk"):
        for lesson in course_lessons(course=enrolment.course).exclude(
                embedded_quizzes="", embedded_exercises=""):
            completion = lesson_activities_check(user=enrolment.user, lesson=lesson, now=now)
            if completion is not None:
                completions.append(completion)
        change = enrolment_recompute(user=enrolment.user, course=enrolment.course, now=now)
        if change is not None:
            changes.append(change)
    return completions, changes


def report_lines(completions, changes) -> list[tuple]:
    return ([("lesson", c.user_id, c.lesson_id, c.how) for c in completions]
            + [("enrolment", c.enrolment.pk, c.enrolment.user_id, c.enrolment.course_id,
                c.old_status, c.new_status) for c in changes])


def database_state() -> tuple[list, list]:
    enrolments = list(Enrolment.objects.order_by("pk").values_list(
        "pk", "user_id", "course_id", "status", "completed_at", "credited_hours"))
    completions = list(LessonCompletion.objects.order_by("user_id", "lesson_id").values_list(
        "user_id", "lesson_id", "how", "completed_at", "seconds_studied"))
    return enrolments, completions


def outcome(run) -> tuple[list, tuple]:
    """Run one rebuild inside a savepoint that is rolled back: (report, database after)."""
    with transaction.atomic():
        completions, changes = run()
        result = report_lines(completions, changes), database_state()
        transaction.set_rollback(True)
    return result


def bulk(**options):
    def run():
        report = progress_rebuild(now=NOW, **options)
        return report.lessons_completed, report.status_changes
    return run


def test_bulk_rebuild_matches_the_per_learner_path_on_a_mixed_dataset(world):
    world(16)
    before = database_state()
    expected = outcome(lambda: per_learner_rebuild(now=NOW))
    assert database_state() == before  # the reference run was rolled back
    assert outcome(bulk()) == expected
    assert outcome(bulk(chunk_size=3)) == expected  # chunk boundaries change nothing
    lines, _state = expected
    kinds = {(line[4], line[5]) for line in lines if line[0] == "enrolment"}
    assert kinds == {("in_progress", "completed"), ("completed", "in_progress"),
                     ("completed", "completed")}
    # Kinds 1 and 4 (twice each) finish a lesson by their quiz; kind 6 cannot (missing quiz).
    assert sum(1 for line in lines if line[0] == "lesson") == 4


def test_bulk_rebuild_writes_what_it_reports_and_then_nothing(world):
    users = world(8)
    report = progress_rebuild(now=NOW)
    by_kind = {index % 8: user for index, user in enumerate(users, start=1)}
    auto = LessonCompletion.objects.get(user=by_kind[1], how=CompletionHow.AUTOMATIC)
    assert (auto.completed_at, auto.seconds_studied) == (NOW, 321)
    completed = Enrolment.objects.get(user=by_kind[0])
    assert (completed.status, completed.completed_at, completed.credited_hours) == (
        "completed", NOW, Decimal("1.5"))
    reopened = Enrolment.objects.get(user=by_kind[2])
    assert (reopened.status, reopened.completed_at, reopened.credited_hours) == (
        "in_progress", None, Decimal("0"))
    corrected = Enrolment.objects.get(user=by_kind[5])
    assert corrected.credited_hours == Decimal("1.5")
    assert corrected.completed_at == NOW - dt.timedelta(days=2)  # kept: no new transition
    untouched = Enrolment.objects.get(user=by_kind[7])
    assert untouched.completed_at == NOW - dt.timedelta(days=2)
    assert Enrolment.objects.filter(user=by_kind[6], course__title="尚无课时",
                                    status="in_progress").exists()
    assert len(report.status_changes) == 4
    before = database_state()
    with CaptureQueriesContext(connection) as queries:
        again = progress_rebuild(now=NOW + dt.timedelta(days=1))
    assert (again.lessons_completed, again.status_changes) == ([], [])
    assert database_state() == before
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []


def test_rebuild_query_count_does_not_grow_with_the_number_of_enrolments(world):
    world(8)
    with CaptureQueriesContext(connection) as small:
        outcome(bulk())
    world(40)
    assert Enrolment.objects.count() == 48 + 6
    with CaptureQueriesContext(connection) as large:
        outcome(bulk())
    assert len(large) <= len(small), [q["sql"][:120] for q in large.captured_queries]
    assert len(small) <= 30  # 13 reads and writes, savepoints, the two state reads


def test_rebuild_for_a_year_leaves_other_years_alone(world, make_course):
    users = world(8)
    stale = Enrolment.objects.get(user=users[1])  # kind 2: completed, should reopen
    Enrolment.objects.filter(pk=stale.pk).update(
        started_at=timezone.make_aware(dt.datetime(2025, 3, 1)))
    report = progress_rebuild(year=2025, now=NOW)
    assert [c.enrolment.pk for c in report.status_changes] == [stale.pk]
    assert report.lessons_completed == []
    assert Enrolment.objects.filter(status="completed").count() == 2  # kinds 5 and 7
    assert not LessonCompletion.objects.filter(how=CompletionHow.AUTOMATIC).exists()


def test_command_output_lists_the_bulk_changes_in_enrolment_order(world):
    world(8)
    out = io.StringIO()
    call_command("rebuild_progress", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert lines[-1] == f"{len(lines) - 1} changes"
    enrolment_lines = [line for line in lines if line.startswith("enrolment ")]
    pks = [int(line.split()[1].rstrip(":")) for line in enrolment_lines]
    assert pks == sorted(pks) and len(pks) == 4
    out = io.StringIO()
    call_command("rebuild_progress", stdout=out)
    assert out.getvalue() == "0 changes\n"


def test_a_course_completed_by_the_rebuild_issues_its_certificate_after_commit(
        make_course, django_capture_on_commit_callbacks):
    from courses.models import Certificate

    course = make_course(lessons=2, issues_certificate=True)
    finished, halfway = (LearnerFactory(staff_number=f"Z{n}").user for n in (1, 2))
    for user, lessons in ((finished, lessons_of(course)), (halfway, lessons_of(course)[:1])):
        Enrolment.objects.create(user=user, course=course, started_at=NOW)
        LessonCompletion.objects.bulk_create([
            LessonCompletion(user=user, lesson=lesson, how=CompletionHow.EXPLICIT)
            for lesson in lessons])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        progress_rebuild(now=NOW)
    assert len(callbacks) == 1  # one certificate run for the whole chunk
    assert list(Certificate.objects.values_list("user_id", "course_id")) == [
        (finished.pk, course.pk)]


# --- Bulk result readers of the lower apps ------------------------------------------------------


@pytest.mark.parametrize("grading_method", ["highest", "latest"])
def test_quiz_results_by_users_agree_with_the_per_learner_selectors(grading_method):
    quiz = quiz_create(title="对照", is_draft=False, mode="practice", pass_mark=60,
                       grading_method=grading_method)
    users = [LearnerFactory(staff_number=f"Q{n:03d}").user for n in range(6)]
    graded_attempt(user=users[0], quiz=quiz, percent=90)
    graded_attempt(user=users[0], quiz=quiz, percent=40, number=2)
    graded_attempt(user=users[1], quiz=quiz, percent=40)
    graded_attempt(user=users[1], quiz=quiz, percent=90, number=2)
    graded_attempt(user=users[2], quiz=quiz, percent=60)
    Attempt.objects.create(quiz=quiz, user=users[3], number=1, status=AttemptStatus.SUBMITTED,
                           submitted_at=timezone.now())  # awaiting marking: nothing counts
    Attempt.objects.create(quiz=quiz, user=users[4], number=1)  # still open
    ids = [user.pk for user in users]
    passed = quiz_passed_by_users(quiz=quiz, user_ids=ids)
    scores = quiz_score_by_users(quiz=quiz, user_ids=ids)
    assert passed == {user.pk: quiz_passed(user=user, quiz=quiz) for user in users}
    assert scores == {user.pk: quiz_score(user=user, quiz=quiz) for user in users}
    assert passed[users[3].pk] is None and passed[users[5].pk] is None
    assert passed[users[0].pk] is (grading_method == "highest")


def test_quiz_results_by_users_take_one_query_whatever_the_number_of_learners():
    quiz = quiz_create(title="对照", is_draft=False, mode="practice", pass_mark=60)
    users = [LearnerFactory(staff_number=f"Q{n:03d}").user for n in range(5)]
    for user in users:
        graded_attempt(user=user, quiz=quiz, percent=70)
    with CaptureQueriesContext(connection) as queries:
        quiz_passed_by_users(quiz=quiz, user_ids=[user.pk for user in users])
    assert len(queries) == 1


def test_exercises_passed_by_users_agrees_with_exercise_passed(exercise, case):
    from tests.casebook.exercise_helpers import make_exercise

    other = make_exercise(case, kind="self_evaluation", title="自评练习")
    users = [LearnerFactory(staff_number=f"X{n:03d}").user for n in range(3)]
    scored_submission(user=users[0], exercise=exercise, score=30)
    scored_submission(user=users[0], exercise=exercise, score=80, number=2)
    scored_submission(user=users[1], exercise=other, score=90)
    scored_submission(user=users[2], exercise=exercise, score=20)
    pairs = exercises_passed_by_users(exercise_ids=[exercise.pk, other.pk],
                                      user_ids=[user.pk for user in users])
    assert pairs == {(user.pk, ex.pk) for user in users for ex in (exercise, other)
                     if exercise_passed(user=user, exercise=ex)}
    assert pairs == {(users[0].pk, exercise.pk), (users[1].pk, other.pk)}
    assert exercises_passed_by_users(exercise_ids=[exercise.pk], user_ids=[]) == set()
