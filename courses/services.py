"""Writes for learning records: enrolment, study time, lesson completion and the derived
course status (a cache of `courses.selectors.course_progress`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casebook.exercises.selectors import exercise_passed
from courses.models import (
    CompletionHow,
    CoursePage,
    Enrolment,
    EnrolmentStatus,
    LessonCompletion,
    LessonPage,
    LessonStudy,
)
from courses.selectors import course_progress
from quizzes.selectors import quiz_passed

# Heartbeats come every 30 s while the lesson is open and visible. The server adds the real time
# since the previous beat, but only when that gap is short enough to mean "the page stayed
# open": a longer gap (tab hidden, laptop asleep, page closed) adds nothing and restarts the
# clock. So no client can add more time than has passed on the server.
HEARTBEAT_INTERVAL_SECONDS = 30
HEARTBEAT_MAX_GAP_SECONDS = 60

ERROR_STUDY_TIME = _("Study this lesson for at least %(minutes)s minutes before marking it "
                     "finished (%(left)s min left).")
ERROR_NOT_SIGNED_IN = _("Sign in to record your progress.")


def _lesson_course(lesson: LessonPage) -> CoursePage:
    return CoursePage.objects.select_related("required_quiz", "required_exercise") \
        .parent_of(lesson).get()


@transaction.atomic
def enrolment_ensure(*, user, course: CoursePage, now: dt.datetime | None = None
                     ) -> Enrolment:
    """The learner's enrolment in the course, created on first use (self-enrolment)."""
    enrolment = Enrolment.objects.filter(user=user, course=course).first()
    if enrolment is not None:
        return enrolment
    try:
        with transaction.atomic():
            return Enrolment.objects.create(user=user, course=course,
                                            started_at=now or timezone.now())
    except IntegrityError:  # a parallel request enrolled first
        return Enrolment.objects.get(user=user, course=course)


def lesson_visit(*, user, lesson: LessonPage, course: CoursePage) -> Enrolment:
    """Record that the learner opened a lesson: enrol them and remember it for 继续学习."""
    enrolment = enrolment_ensure(user=user, course=course)
    if enrolment.last_lesson_id != lesson.pk:
        Enrolment.objects.filter(pk=enrolment.pk).update(last_lesson=lesson)
        enrolment.last_lesson_id = lesson.pk
    return enrolment


@transaction.atomic
def lesson_heartbeat(*, user, lesson: LessonPage, now: dt.datetime | None = None
                     ) -> LessonStudy:
    """Add the time since the learner's previous heartbeat on this lesson (see the limits)."""
    now = now or timezone.now()
    study, _created = LessonStudy.objects.get_or_create(user=user, lesson=lesson)
    study = LessonStudy.objects.select_for_update().get(pk=study.pk)
    if study.last_heartbeat_at is not None:
        gap = (now - study.last_heartbeat_at).total_seconds()
        if 0 < gap <= HEARTBEAT_MAX_GAP_SECONDS:
            study.seconds_studied += int(gap)
    if study.last_heartbeat_at is None or now > study.last_heartbeat_at:
        study.last_heartbeat_at = now
    study.save(update_fields=["seconds_studied", "last_heartbeat_at"])
    return study


def _completion_create(*, user, lesson: LessonPage, how: str, now: dt.datetime
                       ) -> tuple[LessonCompletion, bool]:
    study = LessonStudy.objects.filter(user=user, lesson=lesson).first()
    try:
        with transaction.atomic():
            return LessonCompletion.objects.get_or_create(
                user=user, lesson=lesson,
                defaults={"how": how, "completed_at": now,
                          "seconds_studied": study.seconds_studied if study else 0})
    except IntegrityError:  # the same lesson completed by a parallel request
        return LessonCompletion.objects.get(user=user, lesson=lesson), False


@transaction.atomic
def lesson_complete(*, user, lesson: LessonPage, now: dt.datetime | None = None
                    ) -> LessonCompletion:
    """The learner marks a lesson finished ("已学完"), allowed once the minimum study time,
    measured by heartbeats, has passed. Idempotent; recomputes the course's status."""
    if not getattr(user, "is_authenticated", False):
        raise ValidationError(ERROR_NOT_SIGNED_IN)
    now = now or timezone.now()
    existing = LessonCompletion.objects.filter(user=user, lesson=lesson).first()
    if existing is not None:
        return existing
    required = lesson.min_study_minutes * 60
    study = LessonStudy.objects.filter(user=user, lesson=lesson).first()
    studied = study.seconds_studied if study else 0
    if studied < required:
        raise ValidationError(ERROR_STUDY_TIME, code="study_time", params={
            "minutes": lesson.min_study_minutes, "left": -(-(required - studied) // 60)})
    completion, _created = _completion_create(user=user, lesson=lesson,
                                              how=CompletionHow.EXPLICIT, now=now)
    course = _lesson_course(lesson)
    enrolment_ensure(user=user, course=course, now=now)
    enrolment_recompute(user=user, course=course, now=now)
    return completion


def _lesson_activities_passed(*, user, lesson: LessonPage) -> bool:
    """Whether every quiz and exercise the lesson embeds is passed (False if it has none)."""
    from casebook.models import Exercise
    from quizzes.models import Quiz

    quiz_ids, exercise_ids = lesson.quiz_ids(), lesson.exercise_ids()
    if not quiz_ids and not exercise_ids:
        return False
    quizzes = list(Quiz.objects.filter(pk__in=quiz_ids))
    exercises = list(Exercise.objects.filter(pk__in=exercise_ids))
    return (len(quizzes) == len(set(quiz_ids)) and len(exercises) == len(set(exercise_ids))
            and all(quiz_passed(user=user, quiz=quiz) for quiz in quizzes)
            and all(exercise_passed(user=user, exercise=ex) for ex in exercises))


def lesson_activities_check(*, user, lesson: LessonPage, now: dt.datetime | None = None
                            ) -> LessonCompletion | None:
    """Complete the lesson automatically when all its embedded quizzes/exercises are passed;
    the new completion, or None (already completed, or not passed yet)."""
    if LessonCompletion.objects.filter(user=user, lesson=lesson).exists():
        return None
    if not _lesson_activities_passed(user=user, lesson=lesson):
        return None
    completion, created = _completion_create(user=user, lesson=lesson,
                                             how=CompletionHow.AUTOMATIC,
                                             now=now or timezone.now())
    return completion if created else None


@dataclass
class StatusChange:
    enrolment: Enrolment
    old_status: str
    new_status: str


@transaction.atomic
def enrolment_recompute(*, user, course: CoursePage, now: dt.datetime | None = None
                        ) -> StatusChange | None:
    """Bring the learner's enrolment in line with the completion rule; the change, or None.

    Only a transition writes: completed_at is set when the course becomes complete and kept
    while it stays so, so recomputing a consistent enrolment changes nothing.
    """
    enrolment = Enrolment.objects.select_for_update().filter(user=user, course=course).first()
    if enrolment is None:
        return None
    progress = course_progress(user=user, course=course)
    old = enrolment.status
    if progress.complete and old != EnrolmentStatus.COMPLETED:
        enrolment.status = EnrolmentStatus.COMPLETED
        enrolment.completed_at = now or timezone.now()
        enrolment.credited_hours = course.credit_hours
    elif progress.complete and enrolment.credited_hours != course.credit_hours:
        enrolment.credited_hours = course.credit_hours
    elif not progress.complete and old != EnrolmentStatus.IN_PROGRESS:
        enrolment.status = EnrolmentStatus.IN_PROGRESS
        enrolment.completed_at = None
        enrolment.credited_hours = 0
    else:
        return None
    enrolment.save(update_fields=["status", "completed_at", "credited_hours"])
    return StatusChange(enrolment=enrolment, old_status=old, new_status=enrolment.status)


def progress_follow_quiz(*, user, quiz_id: int) -> list[StatusChange]:
    """After a graded attempt: complete lessons embedding the quiz, recompute the courses that
    embed or require it (idempotent)."""
    lessons = LessonPage.objects.live().filter(embedded_quizzes__contains=f",{quiz_id},")
    courses = CoursePage.objects.live().filter(required_quiz_id=quiz_id)
    return _progress_follow(user=user, lessons=lessons, courses=courses)


def progress_follow_exercise(*, user, exercise_id: int) -> list[StatusChange]:
    """After a scored submission: the same for lessons and courses using the exercise."""
    lessons = LessonPage.objects.live().filter(embedded_exercises__contains=f",{exercise_id},")
    courses = CoursePage.objects.live().filter(required_exercise_id=exercise_id)
    return _progress_follow(user=user, lessons=lessons, courses=courses)


def _progress_follow(*, user, lessons, courses) -> list[StatusChange]:
    course_ids = set(courses.values_list("pk", flat=True))
    for lesson in lessons:
        completion = lesson_activities_check(user=user, lesson=lesson)
        if completion is not None:
            course = _lesson_course(lesson)
            enrolment_ensure(user=user, course=course)
            course_ids.add(course.pk)
    changes = []
    for course in CoursePage.objects.select_related("required_quiz", "required_exercise") \
            .filter(pk__in=course_ids):
        change = enrolment_recompute(user=user, course=course)
        if change is not None:
            changes.append(change)
    return changes


@dataclass
class RebuildReport:
    lessons_completed: list[LessonCompletion]
    status_changes: list[StatusChange]


def progress_rebuild(*, year: int | None = None) -> RebuildReport:
    """Recompute every enrolment (started in ``year``): automatic lesson completions the
    signals may have missed, then the course status. Reports what changed."""
    from courses.selectors import course_lessons, enrolments_to_rebuild

    report = RebuildReport(lessons_completed=[], status_changes=[])
    for enrolment in enrolments_to_rebuild(year=year).iterator(chunk_size=500):
        course = enrolment.course
        for lesson in course_lessons(course=course).exclude(
                embedded_quizzes="", embedded_exercises=""):
            completion = lesson_activities_check(user=enrolment.user, lesson=lesson)
            if completion is not None:
                report.lessons_completed.append(completion)
        change = enrolment_recompute(user=enrolment.user, course=course)
        if change is not None:
            report.status_changes.append(change)
    return report


# --- Annual training plans ----------------------------------------------------------------------

ASSIGN_BATCH_SIZE = 2000
ERROR_PLAN_EMPTY = _("A plan without requirements cannot be published.")


def plan_publish(*, plan, user, now: dt.datetime | None = None, enqueue: bool = True) -> bool:
    """Publish the plan and queue the assignment of its requirements; True if this call
    published it. A conditional UPDATE decides, so a double click publishes (and assigns) once.
    ``enqueue=False`` leaves the assignment to the caller (seeding runs it synchronously)."""
    from courses.models import TrainingPlan

    if not plan.requirements.exists():
        raise ValidationError(ERROR_PLAN_EMPTY, code="no_requirements")
    with transaction.atomic():
        published = TrainingPlan.objects.filter(pk=plan.pk, published_at__isnull=True).update(
            published_at=now or timezone.now(), published_by=user)
        if published and enqueue:
            _assign_on_commit(plan.pk)
    plan.refresh_from_db(fields=["published_at", "published_by"])
    return bool(published)


def plan_assign_later(*, plan) -> None:
    """Queue the assignment of a published plan after the current transaction commits: on
    publishing, and whenever a published plan is saved again (a requirement or a department
    added); assignment is idempotent, so only what is missing is created."""
    if plan.is_published:
        _assign_on_commit(plan.pk)


def _assign_on_commit(plan_id: int) -> None:
    from courses import tasks

    transaction.on_commit(lambda: tasks.plan_assign.delay(plan_id))


def plan_assign(*, plan, batch_size: int = ASSIGN_BATCH_SIZE) -> int:
    """Assign every requirement of a published plan to each active learner of the matching
    position in the plan's departments; the number of new assignments.

    Idempotent: rows go in with bulk_create(ignore_conflicts=True) against the unique
    (user, requirement) constraint, so re-running it (a retried task, learners added since)
    creates only what is missing. Learners are read in key order, one batch at a time.
    """
    from courses.models import PlanAssignment
    from departments.models import Learner

    if not plan.is_published:
        return 0
    by_position: dict[str, list[int]] = {}
    for requirement_id, position in plan.requirements.values_list("pk", "position"):
        by_position.setdefault(position, []).append(requirement_id)
    if not by_position:
        return 0
    learners = Learner.objects.filter(is_active=True, user__is_active=True,
                                      position__in=list(by_position))
    if not plan.all_departments:
        learners = learners.filter(office__unit__department__in=plan.departments.all())
    before = PlanAssignment.objects.filter(requirement__plan=plan).count()
    last_pk = 0
    while True:
        batch = list(learners.filter(pk__gt=last_pk).order_by("pk")
                     .values_list("pk", "user_id", "position")[:batch_size])
        if not batch:
            break
        last_pk = batch[-1][0]
        PlanAssignment.objects.bulk_create(
            [PlanAssignment(user_id=user_id, requirement_id=requirement_id)
             for _pk, user_id, position in batch for requirement_id in by_position[position]],
            ignore_conflicts=True, batch_size=batch_size)
    return PlanAssignment.objects.filter(requirement__plan=plan).count() - before
