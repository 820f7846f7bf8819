"""Writes for learning records: enrolment, study time, lesson completion and the derived
course status (a cache of `courses.selectors.course_progress`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

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
    from courses.membership import enrolment_requirement_id

    try:
        with transaction.atomic():
            # A course the learner's plan requires: the enrolment records which requirement.
            return Enrolment.objects.create(
                user=user, course=course, started_at=now or timezone.now(),
                requirement_id=enrolment_requirement_id(user=user, course_id=course.pk))
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
    if enrolment.status == EnrolmentStatus.COMPLETED and old != EnrolmentStatus.COMPLETED:
        from courses.certificates.services import certificates_issue_after_commit

        # The plan or the course may be done now: its certificate, once this commits.
        certificates_issue_after_commit(user_id=enrolment.user_id)
    return StatusChange(enrolment=enrolment, old_status=old, new_status=enrolment.status)


def progress_follow_quiz(*, user, quiz_id: int) -> list[StatusChange]:
    """After a graded attempt: complete lessons embedding the quiz, recompute the courses that
    embed or require it (idempotent)."""
    # Most graded attempts (the annual exam) belong to no lesson and no course: one written-out
    # query says so on every submit of an exam day (issue 12; the ORM's building of it was a
    # tenth of a submit).
    if not quiz_used_by_live_pages(quiz_id=quiz_id):
        return []
    lessons = LessonPage.objects.live().filter(embedded_quizzes__contains=f",{quiz_id},")
    courses = CoursePage.objects.live().filter(required_quiz_id=quiz_id)
    return _progress_follow(user=user, lessons=lessons, courses=courses)


def quiz_used_by_live_pages(*, quiz_id: int) -> bool:
    """Whether a live lesson embeds the quiz or a live course requires it (one query): what
    `LessonPage.objects.live().filter(embedded_quizzes__contains=",<id>,")` and
    `CoursePage.objects.live().filter(required_quiz_id=<id>)` find, without building them."""
    quote = connection.ops.quote_name
    page, lesson, course = (quote(m._meta.db_table) for m in (Page, LessonPage, CoursePage))
    # Identifiers from the models' metadata, quoted by the backend; values are parameters (the
    # pattern holds digits and commas only, nothing LIKE would read as a wildcard).
    sql = (f"SELECT 1 FROM {lesson} l INNER JOIN {page} p ON p.id = l.page_ptr_id "  # noqa: S608
           f"WHERE p.live = %s AND l.embedded_quizzes LIKE %s "
           f"UNION ALL SELECT 1 FROM {course} c INNER JOIN {page} p ON p.id = c.page_ptr_id "
           f"WHERE p.live = %s AND c.required_quiz_id = %s")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS({sql})", [True, f"%,{int(quiz_id)},%", True,
                                                 int(quiz_id)])
        return bool(cursor.fetchone()[0])


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


REBUILD_CHUNK_SIZE = 2000
_REBUILD_FIELDS = ("pk", "user_id", "course_id", "status", "completed_at", "credited_hours")


def progress_rebuild(*, year: int | None = None, now: dt.datetime | None = None,
                     chunk_size: int = REBUILD_CHUNK_SIZE) -> RebuildReport:
    """Recompute every enrolment (started in ``year``): automatic lesson completions the
    signals may have missed, then the course status. Reports what changed.

    The bulk form of `lesson_activities_check` on each embedding lesson followed by
    `enrolment_recompute`, with the same rules (`courses.selectors.course_progress`):
    enrolments are read in key order, a chunk at a time, each chunk locked and written in its
    own transaction at a fixed number of queries whatever its size (completions, one per quiz
    involved, exercises, study times, the new completions, one UPDATE per course and kind of
    change). Nothing is written when nothing changed, so a consistent database stays as it is.
    """
    from courses.selectors import courses_for_rebuild, enrolments_to_rebuild

    now = now or timezone.now()
    report = RebuildReport(lessons_completed=[], status_changes=[])
    rules: dict = {}
    last_pk = 0
    while True:
        with transaction.atomic():
            rows = list(enrolments_to_rebuild(year=year).filter(pk__gt=last_pk)
                        .select_for_update().values_list(*_REBUILD_FIELDS)[:chunk_size])
            if not rows:
                return report
            last_pk = rows[-1][0]
            missing = {row[2] for row in rows} - rules.keys()
            if missing:
                rules.update(courses_for_rebuild(course_ids=missing))
            _rebuild_chunk(rows=rows, rules=rules, now=now, report=report)


def _rebuild_chunk(*, rows: list[tuple], rules: dict, now: dt.datetime,
                   report: RebuildReport) -> None:
    from casebook.exercises.selectors import exercises_passed_by_users
    from courses.selectors import lesson_completion_pairs, lesson_study_seconds
    from quizzes.selectors import quiz_results_by_users

    # The learners go to the reads as lists of ids, not as a subquery on the enrolment table:
    # PostgreSQL, with statistics not yet gathered after a bulk load, plans such a subquery
    # as a nested loop over the whole chunk for every row (seconds per chunk).
    course_ids = {row[2] for row in rows}
    users_by_course: dict[int, set[int]] = {}
    for _pk, user_id, course_id, *_rest in rows:
        users_by_course.setdefault(course_id, set()).add(user_id)
    users = sorted({row[1] for row in rows})
    done = lesson_completion_pairs(user_ids=users, lesson_ids={
        lesson.pk for course_id in course_ids for lesson in rules[course_id].lessons})
    # Each quiz is read for the learners of the chunk's courses that use it, one query each.
    quiz_courses: dict[int, tuple[object, set[int]]] = {}
    exercise_ids: set[int] = set()
    for course_id in course_ids:
        rule = rules[course_id]
        for quiz_id, quiz in rule.quizzes.items():
            quiz_courses.setdefault(quiz_id, (quiz, set()))[1].add(course_id)
        exercise_ids |= rule.exercise_ids
    results = {quiz_id: quiz_results_by_users(
        quiz=quiz, user_ids=users if quiz_course_ids == course_ids
        else sorted(set().union(*(users_by_course[pk] for pk in quiz_course_ids))))
        for quiz_id, (quiz, quiz_course_ids) in quiz_courses.items()}
    exercises_passed = (exercises_passed_by_users(exercise_ids=exercise_ids, user_ids=users)
                        if exercise_ids else set())

    def passed(quiz_id: int, user_id: int) -> bool:
        result = results[quiz_id].get(user_id)
        return result is not None and result.passed

    new_completions: list[LessonCompletion] = []
    for _pk, user_id, course_id, *_rest in rows:
        for item in rules[course_id].activity_lessons:
            key = (user_id, item.lesson.pk)
            if key in done or not item.can_pass:
                continue
            if all(passed(quiz_id, user_id) for quiz_id in item.quiz_ids) and all(
                    (user_id, exercise_id) in exercises_passed
                    for exercise_id in item.exercise_ids):
                new_completions.append(LessonCompletion(
                    user_id=user_id, lesson_id=item.lesson.pk, how=CompletionHow.AUTOMATIC,
                    completed_at=now))
                done.add(key)
    if new_completions:
        seconds = lesson_study_seconds(
            user_ids={c.user_id for c in new_completions},
            lesson_ids={c.lesson_id for c in new_completions})
        for completion in new_completions:
            completion.seconds_studied = seconds.get((completion.user_id, completion.lesson_id),
                                                     0)
        # A completion a parallel request created meanwhile is left as it is.
        LessonCompletion.objects.bulk_create(new_completions, ignore_conflicts=True)
        report.lessons_completed.extend(new_completions)

    updates: dict[tuple[int, str], list[int]] = {}
    newly_complete: set[int] = set()
    for row in rows:
        change = _enrolment_rederive(row=row, rule=rules[row[2]], done=done,
                                     quiz_results=results, exercises_passed=exercises_passed,
                                     now=now)
        if change is not None:
            updates.setdefault((row[2], change[0]), []).append(row[0])
            report.status_changes.append(change[1])
            if change[0] == "completed":
                newly_complete.add(row[1])
    for (course_id, kind), pks in updates.items():
        course = rules[course_id].course
        if kind == "completed":
            values = {"status": EnrolmentStatus.COMPLETED, "completed_at": now,
                      "credited_hours": course.credit_hours}
        elif kind == "hours":
            values = {"credited_hours": course.credit_hours}
        else:
            values = {"status": EnrolmentStatus.IN_PROGRESS, "completed_at": None,
                      "credited_hours": 0}
        Enrolment.objects.filter(pk__in=pks).update(**values)
    if newly_complete:
        from courses.certificates.services import certificates_issue_after_commit

        # As `enrolment_recompute` does: certificates now due, in one run after this commits.
        for user_id in sorted(newly_complete):
            certificates_issue_after_commit(user_id=user_id)


def _enrolment_rederive(*, row: tuple, rule, done: set[tuple[int, int]], quiz_results: dict,
                        exercises_passed: set[tuple[int, int]], now: dt.datetime
                        ) -> tuple[str, StatusChange] | None:
    """`course_progress(...).complete` and the transitions of `enrolment_recompute`, from
    records already read; the kind of UPDATE and the change, or None. Keep the three in step."""
    pk, user_id, course_id, old, completed_at, hours = row
    course = rule.course
    complete = all((user_id, lesson.pk) in done for lesson in rule.lessons)
    if course.required_quiz_id:
        result = quiz_results[course.required_quiz_id].get(user_id)
        if course.required_quiz_pass_percent is None:
            quiz_ok = result is not None and result.passed
        else:
            quiz_ok = (result is not None and result.percent is not None
                       and result.percent >= course.required_quiz_pass_percent)
        complete = complete and quiz_ok
    if course.required_exercise_id:
        complete = complete and (user_id, course.required_exercise_id) in exercises_passed
    if not rule.lessons and not course.required_quiz_id and not course.required_exercise_id:
        complete = False  # "the course has no lessons yet"
    if complete and old != EnrolmentStatus.COMPLETED:
        kind, status, completed_at, hours = ("completed", EnrolmentStatus.COMPLETED, now,
                                             course.credit_hours)
    elif complete and hours != course.credit_hours:
        kind, status, hours = "hours", old, course.credit_hours
    elif not complete and old != EnrolmentStatus.IN_PROGRESS:
        kind, status, completed_at, hours = ("in_progress", EnrolmentStatus.IN_PROGRESS, None,
                                             Decimal("0"))
    else:
        return None
    enrolment = Enrolment(pk=pk, user_id=user_id, course_id=course_id, status=status,
                          completed_at=completed_at, credited_hours=hours)
    return kind, StatusChange(enrolment=enrolment, old_status=old, new_status=status)


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
    """Assign every requirement of a published plan to each learner who matches it (active,
    of the requirement's position, in a target department); the number of new assignments.

    The same synchronisation as roster changes (`courses.membership.plan_membership_sync`,
    the one definition of membership): it also re-assigns and, while the plan is open,
    withdraws. Idempotent: rows go in with bulk_create(ignore_conflicts=True) against the
    unique (user, requirement) constraint, so re-running it (a retried task, learners added
    since) creates only what is missing. Learners are read in key order, one batch at a time.
    """
    from courses.membership import plan_membership_sync
    from courses.models import PlanAssignment

    if not plan.is_published:
        return 0
    before = PlanAssignment.objects.filter(requirement__plan=plan).count()
    plan_membership_sync(plan=plan, batch_size=batch_size)
    return PlanAssignment.objects.filter(requirement__plan=plan).count() - before
