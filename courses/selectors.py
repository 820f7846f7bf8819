"""Reads for course pages and progress: what a learner has finished and what is left.

Course completion is derived here, from lesson completions and from what the lower apps say
about quizzes (`quizzes.selectors`) and exercises (`casebook.exercises.selectors`); every
function runs a fixed number of queries, whatever the number of lessons.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from casebook.exercises.selectors import exercise_passed
from courses.models import (
    CourseIndexPage,
    CoursePage,
    Enrolment,
    LessonCompletion,
    LessonPage,
    LessonStudy,
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
    }


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
    """Enrolments whose derived status `rebuild_progress` recomputes (started in `year`)."""
    qs = Enrolment.objects.select_related(
        "user", "course", "course__required_quiz", "course__required_exercise").order_by("pk")
    return qs if year is None else qs.filter(started_at__year=year)
