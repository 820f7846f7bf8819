"""Builders for the assessment tests (reusable by every owner: import them from here).

A published plan with a requirement per position built through `courses` (pages, publishing,
assignment), departments with a unit and offices of each kind, learners by position, and the
records participation counts, each at a given local date: course completions (through
`courses.services.lesson_complete`), graded quiz attempts, goal-setting submissions and
exemptions.

    world = plan_world()          # or the `world` fixture: the hand-computed data set below
    course = course_make(index, "…", exam=quiz)
    learner = learner_make(office, "business", "A001")
    course_complete(learner, course, on=dt.date(2026, 5, 1))
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.utils import timezone

from casebook.models import ExerciseSubmission
from casebook.services import case_index_ensure, case_upsert, functional_classes_load
from courses.authoring import course_index_ensure
from courses.models import (
    CoursePage,
    Enrolment,
    ExemptionReason,
    LessonPage,
    PlanAssignment,
    PlanExemption,
    PlanRequirement,
    TrainingPlan,
)
from courses.services import lesson_complete, plan_assign, plan_publish
from departments.models import Department, Office, OfficeKind, Unit
from portal.services import site_home_ensure
from quizzes.models import Attempt, AttemptStatus
from quizzes.services import quiz_create
from tests.casebook.exercise_helpers import make_exercise
from tests.casebook.factories import case_data
from tests.departments.factories import LearnerFactory

YEAR = 2026
OPENS = dt.date(2026, 3, 1)
DUE = dt.date(2026, 10, 31)
MAKEUP = dt.date(2026, 12, 31)
BEFORE_DUE = dt.date(2026, 6, 1)   # a "today" while the plan runs
AFTER_MAKEUP = dt.date(2027, 1, 10)  # a "today" after it closed


def local(day: dt.date, hour: int = 10, minute: int = 0, second: int = 0) -> dt.datetime:
    """An aware datetime at this local time (settings.TIME_ZONE)."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, second,
                       tzinfo=timezone.get_default_timezone())


def _when(at) -> dt.datetime:
    return local(at) if isinstance(at, dt.date) and not isinstance(at, dt.datetime) else at


# --- Organisation -------------------------------------------------------------------------------


def department_make(code: str, name: str | None = None, *, kind: str = "city",
                    offices=(OfficeKind.FINANCE, OfficeKind.BUSINESS, OfficeKind.GENERAL),
                    sort_order: int = 0) -> tuple[Department, list[Office]]:
    """A department with one unit and an office of each kind given (in that order)."""
    department = Department.objects.create(code=code, name=name or f"部门{code}", kind=kind,
                                           sort_order=sort_order)
    unit = unit_make(department)
    return department, [office_make(unit, office_kind) for office_kind in offices]


def unit_make(department: Department, code: str | None = None) -> Unit:
    count = Unit.objects.filter(department=department).count() + 1
    code = code or f"{department.code}-{count:02d}"
    return Unit.objects.create(department=department, code=code, name=f"单位{code}")


_LABELS = {OfficeKind.FINANCE: "财务科", OfficeKind.BUSINESS: "业务科",
           OfficeKind.GENERAL: "办公室"}


def office_make(unit: Unit, kind: str, name: str | None = None) -> Office:
    count = Office.objects.filter(unit=unit).count() + 1
    return Office.objects.create(unit=unit, kind=kind,
                                 name=name or f"{_LABELS[kind]}{count}")


def learner_make(office: Office, position: str, number: str, *, name: str | None = None,
                 **fields):
    learner = LearnerFactory(office=office, position=position, staff_number=number, **fields)
    if name:
        learner.user.first_name = name
        learner.user.save(update_fields=["first_name"])
    return learner


# --- Courses and plans --------------------------------------------------------------------------


def course_index_make():
    return course_index_ensure(home=site_home_ensure())


def course_make(index, title: str, *, lessons: int = 1, exam=None,
                pass_percent: int | None = None) -> CoursePage:
    """A live course with `lessons` lessons, optionally requiring the quiz `exam` (saved live
    without revisions: publishing through `portal.services.page_publish` is tested elsewhere and
    costs seconds a course)."""
    course = CoursePage(title=title, live=True, stage="goals", positions=["business"],
                        credit_hours=Decimal("1.0"), required_quiz=exam,
                        required_quiz_pass_percent=pass_percent)
    index.add_child(instance=course)
    for number in range(1, lessons + 1):
        course.add_child(instance=LessonPage(
            title=f"{title}第{number}课", live=True, min_study_minutes=0,
            body=[{"type": "text", "value": f"<p>第{number}课</p>"}]))
    return CoursePage.objects.get(pk=course.pk)


def exam_quiz_make(title: str = "年度考试", *, pass_mark: int = 60, mode: str = "exam"):
    return quiz_create(title=title, is_draft=False, mode=mode, pass_mark=pass_mark)


def plan_make(requirements: dict, *, departments=None, year: int = YEAR, opens=OPENS, due=DUE,
              makeup=MAKEUP, title: str | None = None, publish: bool = True) -> TrainingPlan:
    """A plan with a requirement per (position: course or [courses]), published and assigned to
    the learners that exist now (call `plan_assign(plan=plan)` again after adding more)."""
    plan = TrainingPlan.objects.create(
        year=year, title=title or f"{year}年度预算绩效管理培训计划", opens_on=opens, due_on=due,
        makeup_until=makeup, all_departments=departments is None)
    if departments:
        plan.departments.set(departments)
        plan.save()
    order = 0
    for position, courses in requirements.items():
        for course in courses if isinstance(courses, list | tuple) else [courses]:
            PlanRequirement.objects.create(plan=plan, position=position, course=course,
                                           sort_order=order)
            order += 1
    if publish:
        plan_publish(plan=plan, user=None, enqueue=False)
        plan_assign(plan=plan)
    return plan


def assignment_of(learner, plan, course=None) -> PlanAssignment:
    qs = PlanAssignment.objects.filter(user=learner.user, requirement__plan=plan)
    if course is not None:
        qs = qs.filter(requirement__course=course)
    return qs.get()


def exempt(learner, plan, course=None, *, reason=ExemptionReason.LONG_LEAVE) -> PlanExemption:
    """Exempt the learner from one requirement (or from each of theirs, course=None)."""
    qs = PlanAssignment.objects.filter(user=learner.user, requirement__plan=plan)
    if course is not None:
        qs = qs.filter(requirement__course=course)
    exemption = None
    for assignment in qs:
        exemption = PlanExemption.objects.create(assignment=assignment, reason=reason,
                                                 note="长期病假")
    return exemption


def withdraw(learner, plan, course=None) -> None:
    qs = PlanAssignment.objects.filter(user=learner.user, requirement__plan=plan)
    if course is not None:
        qs = qs.filter(requirement__course=course)
    qs.update(withdrawn_at=timezone.now())


# --- Records ------------------------------------------------------------------------------------


def course_complete(learner, course: CoursePage, *, on, exam_percent: int = 80) -> Enrolment:
    """The learner finishes every lesson at `on` (a local date, or an aware datetime); a course
    that requires a quiz is first passed with a graded attempt at the same time."""
    at = _when(on)
    if course.required_quiz_id:
        quiz = course.required_quiz
        number = Attempt.objects.filter(quiz=quiz, user=learner.user).count() + 1
        attempt_graded(learner, quiz, percent=exam_percent, on=at, number=number)
    for lesson in LessonPage.objects.child_of(course).live():
        lesson_complete(user=learner.user, lesson=lesson, now=at)
    enrolment = Enrolment.objects.get(user=learner.user, course=course)
    assert enrolment.is_completed, "the course's rule is not met (is its quiz passed?)"
    return enrolment


def attempt_graded(learner, quiz, *, percent: int, on, number: int | None = None,
                   status: str = AttemptStatus.GRADED) -> Attempt:
    """A graded attempt as `quizzes` records it (the quiz's pass mark decides `passed`)."""
    at = _when(on)
    if number is None:
        number = Attempt.objects.filter(quiz=quiz, user=learner.user).count() + 1
    graded = status == AttemptStatus.GRADED
    return Attempt.objects.create(
        quiz=quiz, user=learner.user, number=number, status=status, started_at=at,
        submitted_at=at, graded_at=at if graded else None, score=Decimal(percent),
        max_score=Decimal(100), percent=Decimal(percent) if graded else None,
        passed=(percent >= quiz.pass_mark) if graded else None)


def goal_setting_exercise_make():
    """A published goal-setting exercise on a fresh case."""
    home = site_home_ensure()
    functional_classes_load()
    case = case_upsert(index=case_index_ensure(home=home), data=case_data())
    return make_exercise(case, title="绩效目标编制练习")


def submission_make(learner, exercise, *, score: int, on, answers=None,
                    number: int | None = None) -> ExerciseSubmission:
    """A scored exercise submission made at `on` (`answers` is its input: equal answers give
    equal fingerprints)."""
    if number is None:
        number = ExerciseSubmission.objects.filter(exercise=exercise,
                                                   user=learner.user).count() + 1
    submission = ExerciseSubmission.objects.create(
        exercise=exercise, user=learner.user, attempt_number=number,
        input=answers if answers is not None else {"learner": learner.staff_number,
                                                   "attempt": number},
        result={}, auto_score=Decimal(score), score=Decimal(score),
        passed=score >= exercise.pass_mark)
    ExerciseSubmission.objects.filter(pk=submission.pk).update(created_at=_when(on))
    submission.refresh_from_db()
    return submission


# --- The hand-computed data set -----------------------------------------------------------------


@dataclass
class World:
    """The data set `test_metrics_*` computes by hand (see `plan_world`)."""

    plan: TrainingPlan
    courses: dict
    exam: object
    exercise: object
    departments: dict
    offices: dict
    learners: dict = field(default_factory=dict)


def plan_world() -> World:
    """Four departments and a 2026 plan (opens 3-1, due 10-31, make-up until 12-31):
    head → 负责人课程, finance → 财务课程, business → 业务课程 (requires the exam, pass mark 60).

    A (101, city): finance, two business and a general office.
      heads: a_head1 done 4-1; a_head2 nothing.
      finance: a_fin1 done late 11-15 (counts); a_fin2 done 2-10 (before the plan: not done);
               a_fin3 withdrawn assignment (ignored).
      business, office 业务科2: a_bus1 done 5-1 (exam 90), goal setting 50 (fail);
                                a_bus2 exam 40 in the window, goal setting 75 (pass) with the
                                same answers as a_bus1 (identical submissions).
      business, office 业务科3: a_bus3 exempt; a_bus4 inactive (ignored); a_bus5 done 2027-1-5
                                (after the make-up deadline: overdue, exam outside the window).
      other: a_other (no requirement: not on the roster).
    B (201, district): finance and business office. b_head done 6-1; b_fin done 6-1;
      b_bus nothing → finance_only, low_business_coverage.
    C (301, city): finance office only; c_fin nothing → no_activity, no business office.
    D (401, city): no learners.
    """
    index = course_index_make()
    exam = exam_quiz_make()
    courses = {"head": course_make(index, "负责人课程"), "finance": course_make(index, "财务课程"),
               "business": course_make(index, "业务课程", exam=exam)}
    exercise = goal_setting_exercise_make()
    a, (a_fin, a_bus2, a_bus3, a_gen) = department_make(
        "101", "市教育局", offices=(OfficeKind.FINANCE, OfficeKind.BUSINESS, OfficeKind.BUSINESS,
                                    OfficeKind.GENERAL), sort_order=1)
    b, (b_fin, b_bus) = department_make("201", "甲区", kind="district",
                                        offices=(OfficeKind.FINANCE, OfficeKind.BUSINESS),
                                        sort_order=2)
    c, (c_fin,) = department_make("301", "市统计局", offices=(OfficeKind.FINANCE,), sort_order=3)
    d, _offices = department_make("401", "市档案馆", offices=(), sort_order=4)
    people = {
        "a_head1": (a_gen, "head"), "a_head2": (a_gen, "head"),
        "a_fin1": (a_fin, "finance"), "a_fin2": (a_fin, "finance"), "a_fin3": (a_fin, "finance"),
        "a_bus1": (a_bus2, "business"), "a_bus2": (a_bus2, "business"),
        "a_bus3": (a_bus3, "business"), "a_bus4": (a_bus3, "business"),
        "a_bus5": (a_bus3, "business"), "a_other": (a_gen, "other"),
        "b_head": (b_fin, "head"), "b_fin": (b_fin, "finance"), "b_bus": (b_bus, "business"),
        "c_fin": (c_fin, "finance"),
    }
    learners = {key: learner_make(office, position, f"S{number:03d}", name=key)
                for number, (key, (office, position)) in enumerate(people.items(), start=1)}
    plan = plan_make(courses)
    world = World(plan=plan, courses=courses, exam=exam, exercise=exercise,
                  departments={"A": a, "B": b, "C": c, "D": d},
                  offices={"a_fin": a_fin, "a_bus2": a_bus2, "a_bus3": a_bus3, "a_gen": a_gen,
                           "b_fin": b_fin, "b_bus": b_bus, "c_fin": c_fin},
                  learners=learners)
    L = learners
    course_complete(L["a_head1"], courses["head"], on=dt.date(2026, 4, 1))
    course_complete(L["a_fin1"], courses["finance"], on=dt.date(2026, 11, 15))
    course_complete(L["a_fin2"], courses["finance"], on=dt.date(2026, 2, 10))
    withdraw(L["a_fin3"], plan)
    course_complete(L["a_bus1"], courses["business"], on=dt.date(2026, 5, 1), exam_percent=90)
    attempt_graded(L["a_bus2"], exam, percent=40, on=dt.date(2026, 5, 2))
    same = {"rows": [{"name": "校舍维修面积", "value": "5000"}]}
    submission_make(L["a_bus1"], exercise, score=50, on=dt.date(2026, 5, 3), answers=same)
    submission_make(L["a_bus2"], exercise, score=75, on=dt.date(2026, 5, 4), answers=same)
    exempt(L["a_bus3"], plan)
    L["a_bus4"].is_active = False
    L["a_bus4"].save(update_fields=["is_active"])
    course_complete(L["a_bus5"], courses["business"], on=dt.date(2027, 1, 5))
    course_complete(L["b_head"], courses["head"], on=dt.date(2026, 6, 1))
    course_complete(L["b_fin"], courses["finance"], on=dt.date(2026, 6, 1))
    return world


@pytest.fixture
def world(db) -> World:
    return plan_world()
