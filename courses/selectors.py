"""Reads for course pages and progress: what a learner has finished and what is left.

Course completion is derived here, from lesson completions and from what the lower apps say
about quizzes (`quizzes.selectors`) and exercises (`casebook.exercises.selectors`); every
function runs a fixed number of queries, whatever the number of lessons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from casebook.exercises.selectors import exercise_passed
from courses.models import (
    CourseIndexPage,
    CoursePage,
    Enrolment,
    LessonCompletion,
    LessonPage,
    LessonStudy,
    PlanAssignment,
    PlanExemption,
    PlanRequirement,
    TrainingPlan,
)
from portal.models import Stage
from quizzes.selectors import quiz_passed, quiz_score


def _signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def course_lessons(*, course: CoursePage) -> QuerySet[LessonPage]:
    """The course's live lessons in their tree order."""
    return LessonPage.objects.live().child_of(course).order_by("path")


def course_quiz_passed(*, user, course: CoursePage) -> bool | None:
    """Whether the learner passed the course's required quiz at the course's mark (None: no
    graded attempt yet). A course's own mark is compared with the counting attempt's percent."""
    quiz = course.required_quiz
    if course.required_quiz_pass_percent is None:
        return quiz_passed(user=user, quiz=quiz)
    percent = quiz_score(user=user, quiz=quiz)
    return None if percent is None else percent >= course.required_quiz_pass_percent


@dataclass
class CourseProgress:
    """Where one learner stands against a course's completion rule."""

    lesson_ids: list[int]
    done_lesson_ids: set[int]
    quiz_required: bool
    quiz_passed: bool
    exercise_required: bool
    exercise_passed: bool
    rule: str
    remaining: list[str] = field(default_factory=list)

    @property
    def lessons_done(self) -> int:
        return sum(1 for pk in self.lesson_ids if pk in self.done_lesson_ids)

    @property
    def lessons_total(self) -> int:
        return len(self.lesson_ids)

    @property
    def complete(self) -> bool:
        return not self.remaining

    @property
    def percent(self) -> int:
        parts = self.lessons_total + self.quiz_required + self.exercise_required
        done = self.lessons_done + (self.quiz_required and self.quiz_passed) + (
            self.exercise_required and self.exercise_passed)
        return round(100 * done / parts) if parts else 0


def _join(items: list[str]) -> str:
    return pgettext("list separator", "; ").join(items)


def completion_rule_text(*, course: CoursePage, lessons_total: int) -> str:
    """The completion rule in plain words: 学完全部 4 节课；通过测验《…》（80%）；通过练习《…》."""
    parts = [_("finish all %(count)s lessons") % {"count": lessons_total}]
    if course.required_quiz_id:
        parts.append(_("pass the quiz 《%(title)s》 (%(percent)s%%)") % {
            "title": course.required_quiz.title, "percent": course.quiz_pass_percent})
    if course.required_exercise_id:
        parts.append(_("pass the exercise 《%(title)s》") % {
            "title": course.required_exercise.title})
    return _join(parts)


def course_progress(*, user, course: CoursePage, lessons: list[LessonPage] | None = None
                    ) -> CourseProgress:
    """The learner's progress against the course's rule (anonymous visitors have none)."""
    lessons = list(course_lessons(course=course)) if lessons is None else lessons
    lesson_ids = [lesson.pk for lesson in lessons]
    signed_in = _signed_in(user)
    done: set[int] = set()
    if signed_in and lesson_ids:
        done = set(LessonCompletion.objects.filter(user=user, lesson_id__in=lesson_ids)
                   .values_list("lesson_id", flat=True))
    quiz_ok = bool(signed_in and course.required_quiz_id
                   and course_quiz_passed(user=user, course=course))
    exercise_ok = bool(signed_in and course.required_exercise_id
                       and exercise_passed(user=user, exercise=course.required_exercise))
    remaining = []
    left = [lesson for lesson in lessons if lesson.pk not in done]
    if left:
        remaining.append(_("%(count)s lessons not finished: %(titles)s") % {
            "count": len(left), "titles": "、".join(lesson.title for lesson in left)})
    if course.required_quiz_id and not quiz_ok:
        remaining.append(_("the quiz 《%(title)s》 is not passed yet") % {
            "title": course.required_quiz.title})
    if course.required_exercise_id and not exercise_ok:
        remaining.append(_("the exercise 《%(title)s》 is not passed yet") % {
            "title": course.required_exercise.title})
    if not lessons and not course.required_quiz_id and not course.required_exercise_id:
        remaining.append(_("the course has no lessons yet"))
    return CourseProgress(
        lesson_ids=lesson_ids, done_lesson_ids=done,
        quiz_required=bool(course.required_quiz_id), quiz_passed=quiz_ok,
        exercise_required=bool(course.required_exercise_id), exercise_passed=exercise_ok,
        rule=completion_rule_text(course=course, lessons_total=len(lessons)),
        remaining=remaining,
    )


def _course_with_rule(course: CoursePage) -> CoursePage:
    """The course with its required quiz and exercise loaded in one query."""
    return (CoursePage.objects.select_related("required_quiz", "required_exercise")
            .get(pk=course.pk))


def enrolment_for(*, user, course: CoursePage) -> Enrolment | None:
    if not _signed_in(user):
        return None
    return Enrolment.objects.filter(user=user, course=course).first()


def course_detail(*, course: CoursePage, user) -> dict:
    """Context of the course page: lessons with ticks, the rule, what is left, where to go on."""
    course = _course_with_rule(course)
    lessons = list(course_lessons(course=course))
    progress = course_progress(user=user, course=course, lessons=lessons)
    for lesson in lessons:
        lesson.done = lesson.pk in progress.done_lesson_ids
    enrolment = enrolment_for(user=user, course=course)
    last_lesson_id = enrolment.last_lesson_id if enrolment else None
    resume = next((lesson for lesson in lessons
                   if lesson.pk == last_lesson_id and not lesson.done), None)
    resume = resume or next((lesson for lesson in lessons if not lesson.done), None)
    return {
        "course": course, "lessons": lessons, "progress": progress, "enrolment": enrolment,
        "start_lesson": lessons[0] if lessons else None, "resume_lesson": resume,
        "certificate": _course_certificate(user=user, course=course, enrolment=enrolment),
    }


def _course_certificate(*, user, course: CoursePage, enrolment: Enrolment | None):
    """The learner's certificate of this course (one query, only once it is completed)."""
    if enrolment is None or not enrolment.is_completed or not course.issues_certificate:
        return None
    from courses.certificates.selectors import certificate_of_course

    return certificate_of_course(user=user, course=course)


@dataclass
class SelfCheckResult:
    block_id: str
    choice: int | None
    correct: bool
    answer: int
    feedback: str


def _self_check_result(lesson: LessonPage, answer: tuple[str, str] | None
                       ) -> SelfCheckResult | None:
    """The feedback for one posted self-check answer (only then does the page hold it)."""
    if not answer:
        return None
    block_id, choice = answer
    block = next((b for b in lesson.body if b.id == block_id and b.block_type == "self_check"),
                 None)
    if block is None:
        return None
    try:
        chosen = int(choice)
    except (TypeError, ValueError):
        chosen = None
    options = list(block.value["options"])
    if chosen is not None and not 1 <= chosen <= len(options):
        chosen = None
    correct_index = block.value["answer"]
    return SelfCheckResult(block_id=block_id, choice=chosen,
                           correct=chosen == correct_index, answer=correct_index,
                           feedback=block.value["feedback"] or "")


def lesson_detail(*, lesson: LessonPage, user, self_check_answer=None) -> dict:
    """Context of a lesson page: its course, neighbours, study time and whether the learner
    may mark it finished."""
    course = (CoursePage.objects.select_related("required_quiz", "required_exercise")
              .parent_of(lesson).first())
    lessons = list(course_lessons(course=course)) if course else []
    ids = [item.pk for item in lessons]
    position = ids.index(lesson.pk) if lesson.pk in ids else -1
    completion = study = None
    if _signed_in(user):
        completion = LessonCompletion.objects.filter(user=user, lesson=lesson).first()
        study = LessonStudy.objects.filter(user=user, lesson=lesson).first()
    seconds = study.seconds_studied if study else 0
    required = lesson.min_study_minutes * 60
    return {
        "course": course,
        "lesson_number": position + 1,
        "lessons_total": len(lessons),
        "previous_lesson": lessons[position - 1] if position > 0 else None,
        "next_lesson": lessons[position + 1] if 0 <= position < len(lessons) - 1 else None,
        "completion": completion,
        "seconds_studied": seconds,
        "seconds_required": required,
        "seconds_left": max(0, required - seconds),
        "can_complete": _signed_in(user) and completion is None and seconds >= required,
        "self_check_result": _self_check_result(lesson, self_check_answer),
    }


@dataclass
class StageGroup:
    stage: str
    label: str
    courses: list[CoursePage]


def course_index_groups(*, index: CourseIndexPage, user) -> list[StageGroup]:
    """Live courses grouped by stage (in the cycle's order), each with the learner's status."""
    courses = list(CoursePage.objects.live().child_of(index).order_by("path"))
    statuses: dict[int, Enrolment] = {}
    if _signed_in(user):
        statuses = {e.course_id: e for e in Enrolment.objects.filter(
            user=user, course_id__in=[c.pk for c in courses])}
    groups: dict[str, StageGroup] = {
        code: StageGroup(stage=code, label=label, courses=[]) for code, label in Stage.choices}
    for course in courses:
        course.enrolment = statuses.get(course.pk)
        groups.setdefault(course.stage, StageGroup(course.stage, course.stage, [])) \
            .courses.append(course)
    return [group for group in groups.values() if group.courses]


def enrolments_to_rebuild(*, year: int | None = None) -> QuerySet[Enrolment]:
    """Enrolments whose derived status `rebuild_progress` recomputes (started in `year`), in key
    order; nothing joined (each course's rule is loaded once, by `courses_for_rebuild`)."""
    qs = Enrolment.objects.order_by("pk")
    return qs if year is None else qs.filter(started_at__year=year)


@dataclass
class ActivityLesson:
    """A lesson that embeds quizzes or exercises: passing them all completes it."""

    lesson: LessonPage
    quiz_ids: list[int]
    exercise_ids: list[int]
    # False when the lesson can never be completed this way: nothing chosen in its body, or a
    # chosen quiz/exercise no longer exists (as `_lesson_activities_passed` decides).
    can_pass: bool


@dataclass
class CourseRule:
    """What `rebuild_progress` needs of one course: its rule, live lessons and their
    embedded activities."""

    course: CoursePage
    lessons: list[LessonPage]
    activity_lessons: list[ActivityLesson]
    quizzes: dict[int, object]  # every quiz the rule reads (embedded and required), by id

    @property
    def exercise_ids(self) -> set[int]:
        ids = {pk for item in self.activity_lessons if item.can_pass for pk in item.exercise_ids}
        if self.course.required_exercise_id:
            ids.add(self.course.required_exercise_id)
        return ids


def _as_ids(raw: list) -> set[int]:
    ids = set()
    for pk in raw:
        try:
            ids.add(int(pk))
        except (TypeError, ValueError):
            continue
    return ids


def _chosen_ids_existing(raw: list, existing: set[int]) -> tuple[list[int], bool]:
    """The chosen ids that exist, and whether every chosen one does (duplicates and all, as
    `len(Model.objects.filter(pk__in=raw)) == len(set(raw))` counts them)."""
    try:
        ids = {int(pk) for pk in raw}
    except (TypeError, ValueError):
        return [], False
    found = sorted(ids & existing)
    return found, len(found) == len(set(raw))


def courses_for_rebuild(*, course_ids) -> dict[int, CourseRule]:
    """The rule, live lessons (tree order) and embedded activities of each course, in four
    queries whatever the number of courses and lessons: courses, lessons, quizzes, exercises."""
    from casebook.models import Exercise
    from quizzes.models import Quiz

    courses = list(CoursePage.objects.select_related("required_quiz", "required_exercise")
                   .filter(pk__in=list(course_ids)))
    if not courses:
        return {}
    prefix = Q()
    for course in courses:
        prefix |= Q(path__startswith=course.path, depth=course.depth + 1)
    by_path = {course.path: course.pk for course in courses}
    lessons_by_course: dict[int, list[LessonPage]] = {course.pk: [] for course in courses}
    for lesson in LessonPage.objects.live().filter(prefix).order_by("path"):
        course_id = by_path.get(lesson.path[:-LessonPage.steplen])
        if course_id is not None:
            lessons_by_course[course_id].append(lesson)
    # Lessons with nothing recorded as embedded are never completed automatically (the
    # per-learner path skips them the same way); the others are judged by their body.
    embedding = [lesson for lessons in lessons_by_course.values() for lesson in lessons
                 if lesson.embedded_quizzes or lesson.embedded_exercises]
    raw = {lesson.pk: (lesson.quiz_ids(), lesson.exercise_ids()) for lesson in embedding}
    wanted_quizzes, wanted_exercises = set(), set()
    for quiz_ids, exercise_ids in raw.values():
        wanted_quizzes.update(_as_ids(quiz_ids))
        wanted_exercises.update(_as_ids(exercise_ids))
    quizzes = Quiz.objects.in_bulk(list(wanted_quizzes)) if wanted_quizzes else {}
    exercises = (set(Exercise.objects.filter(pk__in=list(wanted_exercises))
                     .values_list("pk", flat=True)) if wanted_exercises else set())
    rules = {}
    for course in courses:
        activity = []
        for lesson in lessons_by_course[course.pk]:
            if lesson.pk not in raw:
                continue
            quiz_raw, exercise_raw = raw[lesson.pk]
            quiz_ids, quizzes_ok = _chosen_ids_existing(quiz_raw, set(quizzes))
            exercise_ids, exercises_ok = _chosen_ids_existing(exercise_raw, exercises)
            activity.append(ActivityLesson(
                lesson=lesson, quiz_ids=quiz_ids, exercise_ids=exercise_ids,
                can_pass=bool(quiz_raw or exercise_raw) and quizzes_ok and exercises_ok))
        rule_quizzes = {pk: quizzes[pk] for item in activity if item.can_pass
                        for pk in item.quiz_ids}
        if course.required_quiz_id:
            rule_quizzes[course.required_quiz_id] = course.required_quiz
        rules[course.pk] = CourseRule(course=course, lessons=lessons_by_course[course.pk],
                                      activity_lessons=activity, quizzes=rule_quizzes)
    return rules


def _ids_or_subquery(ids):
    return ids if isinstance(ids, QuerySet) else list(ids)


def lesson_completion_pairs(*, user_ids, lesson_ids) -> set[tuple[int, int]]:
    """(user id, lesson id) of every completion among these learners (ids, or a `values`
    queryset of user ids) and lessons, in one query."""
    if not lesson_ids:
        return set()
    return set(LessonCompletion.objects.filter(
        user_id__in=_ids_or_subquery(user_ids), lesson_id__in=list(lesson_ids))
        .values_list("user_id", "lesson_id"))


def lesson_study_seconds(*, user_ids, lesson_ids) -> dict[tuple[int, int], int]:
    """Server-measured study time by (user id, lesson id), for these learners and lessons."""
    if not lesson_ids:
        return {}
    return {(user_id, lesson_id): seconds for user_id, lesson_id, seconds in
            LessonStudy.objects.filter(user_id__in=_ids_or_subquery(user_ids),
                                       lesson_id__in=list(lesson_ids))
            .values_list("user_id", "lesson_id", "seconds_studied")}


# --- Annual training plans ----------------------------------------------------------------------


class RequirementStatus(models.TextChoices):
    NOT_STARTED = "not_started", pgettext_lazy("requirement", "Not started")
    IN_PROGRESS = "in_progress", pgettext_lazy("requirement", "In progress")
    COMPLETED = "completed", pgettext_lazy("requirement", "Completed")
    COMPLETED_LATE = "completed_late", pgettext_lazy("requirement", "Completed late")
    OVERDUE = "overdue", pgettext_lazy("requirement", "Overdue")
    EXEMPT = "exempt", pgettext_lazy("requirement", "Exempt")


DONE_STATUSES = {RequirementStatus.COMPLETED, RequirementStatus.COMPLETED_LATE}
# Unfinished: what reminders, digests and escalations are about.
OPEN_STATUSES = {RequirementStatus.NOT_STARTED, RequirementStatus.IN_PROGRESS,
                 RequirementStatus.OVERDUE}


def completed_before_plan(*, plan, enrolment: Enrolment | None) -> bool:
    """The learner completed the course before the plan opened (the record is one per learner
    and course, so an earlier year's completion cannot be redone in the same course)."""
    return bool(enrolment is not None and enrolment.is_completed
                and timezone.localdate(enrolment.completed_at) < plan.opens_on)


def requirement_status(*, plan, enrolment: Enrolment | None, lessons_done: int,
                       today: dt.date, exempt: bool = False) -> str:
    """The status of one assigned requirement on `today` (dates in the site's time zone).

    An exemption in force wins over everything. Only a completion inside the plan's window
    counts: a course completed after the make-up deadline is shown as overdue, like one never
    completed; one completed before the plan opened (an earlier year's training) does not
    count for this plan at all — annual training is done again each year, with that year's
    edition of the course (see `completed_before_plan`).
    """
    if exempt:
        return RequirementStatus.EXEMPT
    if completed_before_plan(plan=plan, enrolment=enrolment):
        return RequirementStatus.OVERDUE if today > plan.due_on else RequirementStatus.NOT_STARTED
    if enrolment is not None and enrolment.is_completed:
        completed_on = timezone.localdate(enrolment.completed_at)
        if completed_on <= plan.due_on:
            return RequirementStatus.COMPLETED
        if completed_on <= plan.makeup_until:
            return RequirementStatus.COMPLETED_LATE
        return RequirementStatus.OVERDUE
    if today > plan.due_on:
        return RequirementStatus.OVERDUE
    if enrolment is not None or lessons_done:
        return RequirementStatus.IN_PROGRESS
    return RequirementStatus.NOT_STARTED


@dataclass
class RequirementProgress:
    requirement: PlanRequirement
    course: CoursePage
    status: str
    lessons_done: int
    lessons_total: int
    resume_lesson: LessonPage | None
    completed_earlier: bool = False

    @property
    def done(self) -> bool:
        return self.status in DONE_STATUSES

    @property
    def overdue(self) -> bool:
        return self.status == RequirementStatus.OVERDUE

    @property
    def percent(self) -> int:
        if self.done:
            return 100
        return round(100 * self.lessons_done / self.lessons_total) if self.lessons_total else 0

    @property
    def status_label(self) -> str:
        return RequirementStatus(self.status).label


@dataclass
class PlanProgress:
    """One plan's requirements for a learner, and the credit hours they earned in its window
    (every course completed from the plan's opening to its make-up deadline, required or not)."""

    plan: TrainingPlan
    items: list[RequirementProgress]

    earned_hours: Decimal = Decimal("0")

    @property
    def hours_met(self) -> bool:
        return self.earned_hours >= self.plan.min_credit_hours

    @property
    def completed_count(self) -> int:
        return sum(1 for item in self.items if item.done)

    @property
    def overdue_count(self) -> int:
        return sum(1 for item in self.items if item.overdue)


def plan_progress_of_learner(*, user, today: dt.date | None = None) -> list[PlanProgress]:
    """The learner's published plans, newest year first, each with every assigned requirement's
    status, lesson progress and where to go on. Four queries, whatever the number of plans,
    requirements and lessons: assignments, enrolments, lessons, lesson completions."""
    # Enrolments are read whole (not only the required courses'): the credit hours a plan
    # counts come from every course completed in its window.
    if not _signed_in(user):
        return []
    today = today or timezone.localdate()
    assignments = list(
        PlanAssignment.objects.filter(user=user, requirement__plan__published_at__isnull=False,
                                      withdrawn_at__isnull=True)
        .select_related("requirement__plan", "requirement__course")
        .annotate(exempt=models.Exists(PlanExemption.objects.filter(
            assignment=models.OuterRef("pk"), revoked_at__isnull=True)))
        .order_by("-requirement__plan__year", "requirement__plan_id",
                  "requirement__sort_order", "requirement_id"))
    if not assignments:
        return []
    courses = {a.requirement.course_id: a.requirement.course for a in assignments}
    all_enrolments = list(Enrolment.objects.filter(user=user))
    enrolments = {e.course_id: e for e in all_enrolments if e.course_id in courses}
    lessons_by_course: dict[int, list[LessonPage]] = {pk: [] for pk in courses}
    by_path = {course.path: course.pk for course in courses.values()}
    prefix = Q()
    for course in courses.values():
        prefix |= Q(path__startswith=course.path, depth=course.depth + 1)
    lessons = list(LessonPage.objects.live().filter(prefix).order_by("path"))
    for lesson in lessons:
        course_id = by_path.get(lesson.path[:-LessonPage.steplen])
        if course_id is not None:
            lessons_by_course[course_id].append(lesson)
    done_on = {lesson_id: timezone.localdate(when) for lesson_id, when in
               LessonCompletion.objects.filter(
                   user=user, lesson_id__in=[lesson.pk for lesson in lessons])
               .values_list("lesson_id", "completed_at")}
    plans: dict[int, PlanProgress] = {}
    for assignment in assignments:
        requirement = assignment.requirement
        plan, course = requirement.plan, requirement.course
        course_lessons_ = lessons_by_course[course.pk]
        enrolment = enrolments.get(course.pk)
        # A plan counts the lessons finished since it opened (see `requirement_status`).
        done_ids = {pk for pk, day in done_on.items() if day >= plan.opens_on}
        done = sum(1 for lesson in course_lessons_ if lesson.pk in done_ids)
        resume = None
        if enrolment is not None and enrolment.last_lesson_id not in done_ids:
            resume = next((lesson for lesson in course_lessons_
                           if lesson.pk == enrolment.last_lesson_id), None)
        resume = resume or next((lesson for lesson in course_lessons_
                                 if lesson.pk not in done_ids), None)
        status = requirement_status(plan=plan, enrolment=enrolment, lessons_done=done,
                                    today=today, exempt=assignment.exempt)
        plans.setdefault(plan.pk, PlanProgress(plan=plan, items=[])).items.append(
            RequirementProgress(
                requirement=requirement, course=course, status=status, lessons_done=done,
                lessons_total=len(course_lessons_), resume_lesson=resume,
                completed_earlier=completed_before_plan(plan=plan, enrolment=enrolment)))
    for progress in plans.values():
        plan = progress.plan
        progress.earned_hours = sum(
            (e.credited_hours for e in all_enrolments if e.is_completed
             and plan.opens_on <= timezone.localdate(e.completed_at) <= plan.makeup_until),
            Decimal("0"))
    return list(plans.values())


@dataclass(frozen=True)
class AssignmentState:
    """One assignment in force of a plan and its status on a day (see `requirement_status`)."""

    assignment_id: int
    user_id: int
    requirement_id: int
    position: str
    course_id: int
    status: str
    exemption_id: int | None
    completed_at: dt.datetime | None

    @property
    def done(self) -> bool:
        return self.status in DONE_STATUSES

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES


def plan_assignment_states(*, plan: TrainingPlan, user_ids=None, today: dt.date | None = None
                           ) -> list[AssignmentState]:
    """Every assignment in force of a published plan (withdrawn ones left out), with its status
    on `today`, for all learners or only `user_ids` (ids or a values_list queryset).

    The one definition of a requirement's status for lists of learners (rosters, reminders,
    certificates, participation); three queries whatever the number of learners: assignments,
    exemptions in force, enrolments in the plan's courses. "Not started" and "in progress" are
    told apart by the enrolment (opening a lesson enrols the learner).
    """
    today = today or timezone.localdate()
    assignments = (PlanAssignment.objects
                   .filter(requirement__plan=plan, withdrawn_at__isnull=True)
                   .order_by("user_id", "requirement__sort_order", "requirement_id"))
    if user_ids is not None:
        assignments = assignments.filter(user_id__in=user_ids)
    rows = list(assignments.values_list("pk", "user_id", "requirement_id",
                                        "requirement__position", "requirement__course_id"))
    if not rows:
        return []
    exemptions = dict(PlanExemption.objects.filter(
        assignment__requirement__plan=plan, assignment__withdrawn_at__isnull=True,
        revoked_at__isnull=True, **({} if user_ids is None
                                    else {"assignment__user_id__in": user_ids}))
        .values_list("assignment_id", "pk"))
    course_ids = {row[4] for row in rows}
    enrolments = Enrolment.objects.filter(course_id__in=course_ids)
    if user_ids is not None:
        enrolments = enrolments.filter(user_id__in=user_ids)
    by_key = {(e.user_id, e.course_id): e for e in enrolments.only(
        "pk", "user_id", "course_id", "status", "completed_at")}
    states = []
    for pk, user_id, requirement_id, position, course_id in rows:
        enrolment = by_key.get((user_id, course_id))
        exemption_id = exemptions.get(pk)
        states.append(AssignmentState(
            assignment_id=pk, user_id=user_id, requirement_id=requirement_id,
            position=position, course_id=course_id,
            status=requirement_status(plan=plan, enrolment=enrolment, lessons_done=0,
                                      today=today, exempt=exemption_id is not None),
            exemption_id=exemption_id,
            completed_at=enrolment.completed_at if enrolment is not None else None))
    return states
