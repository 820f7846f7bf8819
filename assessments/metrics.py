"""Participation in a year's training plan, per department: the one place its metrics are defined.

Every number the dashboards, the JSON report, the exports and the scoring rules show comes from
here, and every definition is written once, in `DEFINITIONS` (shown under "如何计算").

The work is done by a fixed number of SQL queries whatever the number of departments and
learners: each table of facts (assignments with their exemptions and enrolments, lesson
completions, quiz attempts, exercise submissions) is read once, grouped per user in a CTE, and
the CTEs are joined to the learners and grouped by office, position and those facts (no
subquery per learner); the office-level rows are rolled up to departments here. A requirement's
status follows `courses.selectors.requirement_status` (the one definition): a completion
counts when it falls, in the site's time zone, between the plan's opening and its make-up
deadline; `tests/assessments/test_metrics_sql.py` proves the SQL
agrees with `courses.selectors.plan_assignment_states`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db import connection, transaction
from django.db.models import (
    Exists,
    OuterRef,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from casebook.models import Exercise, ExerciseKind, ExerciseSubmission
from courses.models import (
    Enrolment,
    EnrolmentStatus,
    LessonCompletion,
    PlanAssignment,
    PlanExemption,
    PlanRequirement,
    TrainingPlan,
)
from courses.selectors import DONE_STATUSES, RequirementStatus, plan_assignment_states
from departments.models import Department, Learner, Office, OfficeKind, Position, Unit
from quizzes.models import Attempt, AttemptStatus, Mode, Quiz

POSITIONS = (Position.HEAD, Position.FINANCE, Position.BUSINESS, Position.OTHER)
OFFICE_KINDS = (OfficeKind.BUSINESS, OfficeKind.FINANCE, OfficeKind.GENERAL)
DEFAULT_LOW_BUSINESS_COVERAGE = Decimal("0.5")

FINANCE_ONLY = "finance_only"
HEAD_INCOMPLETE = "head_incomplete"
LOW_BUSINESS_COVERAGE = "low_business_coverage"
NO_ACTIVITY = "no_activity"
IDENTICAL_SUBMISSIONS = "identical_submissions"
FLAGS = (FINANCE_ONLY, HEAD_INCOMPLETE, LOW_BUSINESS_COVERAGE, NO_ACTIVITY,
         IDENTICAL_SUBMISSIONS)

DEFINITIONS: dict[str, str] = {
    "roster": _(
        "Roster: the department's active learners (learner and account active) who have at "
        "least one assignment of the plan in force that is not exempt. Learners whose every "
        "assignment is exempt are counted as exempt, not on the roster. Counted by position "
        "(head, finance, business, other) and by the kind of their office."),
    "completed_learner": _(
        "Completed learner: a learner on the roster who completed every required course of the "
        "plan that is not exempt, between the day the plan opened and its make-up deadline. A "
        "late completion within the make-up period counts; a course completed before the plan "
        "opened or after the make-up deadline does not."),
    "requirement": _(
        "Per requirement: required = assignments in force that are not exempt; started = of "
        "those, the learner opened the course (a completion before the plan opened does not "
        "count); completed = completed in the plan window (on time or within the make-up "
        "period); overdue = not completed after the due date, or completed after the make-up "
        "deadline; exempt = assignments with an exemption in force."),
    "participating_office": _(
        "Participating office: an office with at least one learner on the roster, at least one "
        "of whom completed at least one requirement of the plan. Only offices with at least one "
        "learner on the roster are counted."),
    "active_office": _(
        "Active office: an office at least one of whose learners on the roster did any learning "
        "in the plan window (from the day it opened to the make-up deadline): finished a lesson, "
        "had a quiz attempt graded or submitted an exercise."),
    "business_office_coverage": _(
        "Business-office coverage: participating business offices ÷ business offices with at "
        "least one learner on the roster (empty when there are none)."),
    "completion_rate": _("Completion rate: completed learners ÷ learners on the roster."),
    "business_completion_rate": _(
        "Business staff completion rate: completed business staff ÷ business staff on the "
        "roster. The finance staff completion rate is counted the same way."),
    "weighted_completion_rate": _(
        "Weighted completion rate: business staff weigh w = the larger of 50 % and their share "
        "of the roster; rate = w × business staff completion rate + (1 − w) × completion rate "
        "of everyone else on the roster. Without business staff on the roster it is the "
        "others' rate; with only business staff, the business staff rate; empty for an empty "
        "roster."),
    "heads": _(
        "Heads: learners on the roster in the head position; completed when they completed "
        "every required course. Heads completion rate = completed ÷ required. The names of the "
        "heads who have not completed are shown so the department can act."),
    "exam": _(
        "Exam: graded attempts in the plan window on the exam-mode quizzes required by the "
        "plan's courses. Participants = learners on the roster with at least one; average best "
        "= mean of each participant's best percent; pass rate = participants who passed (at the "
        "course's pass mark when it sets one, otherwise the quiz's) ÷ participants. Practice "
        "quizzes are counted the same way, separately."),
    "goal_setting": _(
        "Goal-setting practice: business staff on the roster who passed at least one "
        "goal-setting exercise submission in the plan window; their share = those ÷ business "
        "staff on the roster; average best = mean best score of the business staff who "
        "submitted at least one."),
    "flags": _(
        "Flags: finance_only (finance only) — at least one finance office took part and no "
        "business office did; head_incomplete — not every head on the roster completed; "
        "low_business_coverage — the department has business offices and their coverage is "
        "below the bureau's threshold (default 50 %); no_activity — nobody on a non-empty "
        "roster did any learning in the plan window; identical_submissions — two learners of "
        "the department submitted identical goal-setting answers in the plan window (a sign of "
        "proxy completion)."),
}

FLAG_LABELS: dict[str, str] = {
    FINANCE_ONLY: pgettext_lazy("participation flag", "Finance offices only"),
    HEAD_INCOMPLETE: pgettext_lazy("participation flag", "Heads not completed"),
    LOW_BUSINESS_COVERAGE: pgettext_lazy("participation flag", "Low business-office coverage"),
    NO_ACTIVITY: pgettext_lazy("participation flag", "No learning activity"),
    IDENTICAL_SUBMISSIONS: pgettext_lazy("participation flag", "Identical submissions"),
}

# `DepartmentParticipation.metric` keys (the `assessments.models.Metric` values).
METRIC_KEYS = ("heads_completion_rate", "completion_rate", "business_completion_rate",
               "weighted_completion_rate", "business_office_coverage", "exam_pass_rate",
               "goal_setting_pass_rate")


# --- Plans --------------------------------------------------------------------------------------


def plan_for_year(year: int) -> TrainingPlan | None:
    """The plan a year is assessed on: its scheme's plan, else that year's published plan
    (the earliest to open)."""
    from assessments.models import AssessmentScheme

    scheme = AssessmentScheme.objects.filter(year=year, plan__isnull=False).select_related(
        "plan").first()
    if scheme is not None:
        return scheme.plan
    return (TrainingPlan.objects.filter(year=year, published_at__isnull=False)
            .order_by("opens_on", "pk").first())


def previous_plan(plan: TrainingPlan) -> TrainingPlan | None:
    """The plan of the year before (for the trend)."""
    return plan_for_year(plan.year - 1)


def plan_window(plan: TrainingPlan) -> tuple[dt.datetime, dt.datetime]:
    """[opening day 00:00, day after the make-up deadline 00:00) in the site's time zone."""
    zone = timezone.get_default_timezone()
    start = dt.datetime.combine(plan.opens_on, dt.time.min).replace(tzinfo=zone)
    end = dt.datetime.combine(plan.makeup_until + dt.timedelta(days=1),
                              dt.time.min).replace(tzinfo=zone)
    return start, end


# --- Results ------------------------------------------------------------------------------------


def _rate(numerator: int, denominator: int) -> Fraction | None:
    return Fraction(numerator, denominator) if denominator else None


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _round(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)


def weighted_rate(*, business_completed: int, business_total: int, others_completed: int,
                  others_total: int) -> Fraction | None:
    """REPORT §4.3: business staff weigh w = max(50 %, their share of the roster)."""
    total = business_total + others_total
    if not total:
        return None
    if not business_total:
        return Fraction(others_completed, others_total)
    if not others_total:
        return Fraction(business_completed, business_total)
    weight = max(Fraction(1, 2), Fraction(business_total, total))
    return (weight * Fraction(business_completed, business_total)
            + (1 - weight) * Fraction(others_completed, others_total))


@dataclass
class OfficeKindStats:
    """One office kind (finance / business / general) of a department."""

    total: int = 0
    participating: int = 0
    active: int = 0
    coverage: float | None = None
    missing: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"total": self.total, "participating": self.participating,
                "active": self.active, "coverage": _round(self.coverage, 4),
                "missing": [dict(item) for item in self.missing]}


@dataclass
class DepartmentParticipation:
    """A department's participation in a plan (see `DEFINITIONS`)."""

    department_id: int
    code: str
    name: str
    kind: str
    roster_total: int = 0
    roster_by_position: dict[str, int] = field(default_factory=dict)
    roster_by_office_kind: dict[str, int] = field(default_factory=dict)
    exempt: int = 0
    completed_total: int = 0
    completed_by_position: dict[str, int] = field(default_factory=dict)
    completed_by_office_kind: dict[str, int] = field(default_factory=dict)
    requirements: list[dict] = field(default_factory=list)
    heads_required: int = 0
    heads_completed: int = 0
    heads_missing: list[dict] = field(default_factory=list)
    offices: dict[str, OfficeKindStats] = field(default_factory=dict)
    completion_rate: float | None = None
    business_completion_rate: float | None = None
    finance_completion_rate: float | None = None
    weighted_completion_rate: float | None = None
    exam: dict = field(default_factory=dict)
    practice: dict = field(default_factory=dict)
    goal_setting: dict = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    # Exact values of the scored metrics (fractions), so a threshold is met exactly.
    exact: dict[str, Fraction | None] = field(default_factory=dict, repr=False)

    @property
    def business_office_coverage(self) -> float | None:
        return self.offices[OfficeKind.BUSINESS].coverage

    def metric(self, key: str) -> Decimal | None:
        """The value of an `assessments.models.Metric` (a fraction in [0, 1], 4 decimals), or
        None when its denominator is 0."""
        if key not in METRIC_KEYS:
            raise KeyError(key)
        value = self.exact.get(key)
        if value is None:
            return None
        return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP)

    def as_json(self) -> dict:
        """The report's per-department JSON (without the training points)."""
        return {
            "code": self.code, "name": self.name, "kind": self.kind,
            "roster": {"total": self.roster_total, "by_position": dict(self.roster_by_position),
                       "by_office_kind": dict(self.roster_by_office_kind),
                       "exempt": self.exempt},
            "completed": {"total": self.completed_total,
                          "by_position": dict(self.completed_by_position),
                          "by_office_kind": dict(self.completed_by_office_kind)},
            "requirements": [dict(item) for item in self.requirements],
            "heads": {"required": self.heads_required, "completed": self.heads_completed,
                      "missing": [dict(item) for item in self.heads_missing]},
            "offices": {kind: stats.as_json() for kind, stats in self.offices.items()},
            "completion_rate": _round(self.completion_rate, 4),
            "business_completion_rate": _round(self.business_completion_rate, 4),
            "finance_completion_rate": _round(self.finance_completion_rate, 4),
            "weighted_completion_rate": _round(self.weighted_completion_rate, 4),
            "exam": _quiz_json(self.exam),
            "practice": _quiz_json(self.practice),
            "goal_setting": {
                "business_passed": self.goal_setting["business_passed"],
                "business_pass_rate": _round(self.goal_setting["business_pass_rate"], 4),
                "average_best": _round(self.goal_setting["average_best"], 2)},
            "flags": list(self.flags),
        }


def _quiz_json(stats: dict) -> dict:
    return {"participants": stats["participants"],
            "average_best": _round(stats["average_best"], 2),
            "pass_rate": _round(stats["pass_rate"], 4)}


# --- The queries --------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What the queries need of the plan: window, requirements and the quizzes it counts."""

    plan: TrainingPlan
    start: dt.datetime
    end: dt.datetime
    requirements: list[PlanRequirement]
    # An exam quiz of the plan -> the course's pass mark (None: the quiz's own verdict).
    exam_marks: dict[int, int | None]
    exam_quiz_ids: list[int]
    practice_quiz_ids: list[int]
    goal_setting_ids: list[int]


def _plan_facts(plan: TrainingPlan) -> _Plan:
    start, end = plan_window(plan)
    requirements = list(PlanRequirement.objects.filter(plan=plan)
                        .select_related("course", "course__required_quiz")
                        .order_by("sort_order", "pk"))
    exam_marks: dict[int, int | None] = {}
    for requirement in requirements:
        course = requirement.course
        quiz = course.required_quiz
        if quiz is not None and quiz.mode == Mode.EXAM:
            exam_marks.setdefault(quiz.pk, course.required_quiz_pass_percent)
    return _Plan(plan=plan, start=start, end=end, requirements=requirements,
                 exam_marks=exam_marks, exam_quiz_ids=list(exam_marks),
                 practice_quiz_ids=list(Quiz.objects.filter(mode=Mode.PRACTICE).order_by()
                                        .values_list("pk", flat=True)),
                 goal_setting_ids=list(Exercise.objects.filter(kind=ExerciseKind.GOAL_SETTING)
                                       .order_by().values_list("pk", flat=True)))


def _roster_learners(department_ids):
    return Learner.objects.filter(is_active=True, user__is_active=True,
                                  office__unit__department_id__in=department_ids)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _placeholders(values) -> str:
    return ", ".join(["%s"] * len(values))


def _rows(sql: str, params: list) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _decimal(value) -> Decimal | None:
    """A sum of 2-decimal columns as the ORM gives it (SQLite sums them as floats)."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(Decimal("0.01"))


# The per-learner facts are read in raw SQL (placeholders only; table names and clauses built
# here are the only text interpolated), portable between SQLite and PostgreSQL: each table is
# read once and grouped per user in a CTE, and the CTEs are joined to the learners, instead of
# one correlated subquery per learner and fact (which PostgreSQL runs as a SubPlan per row).
# The learners are joined as tables, not as a CTE, so the planner sees their statistics.


class _Sql:
    """The plan's window and the departments' learners, as SQL fragments and parameters."""

    def __init__(self, facts: _Plan, department_ids, *, every_department: bool = False):
        from django.contrib.auth import get_user_model

        self.facts = facts
        self.window = [connection.ops.adapt_datetimefield_value(value)
                       for value in (facts.start, facts.end)]
        self.department_ids = list(department_ids)
        # With every department, the per-table CTEs need no filter: the join to the learners
        # keeps theirs (a semi-join on 600,000 attempts costs more than it saves).
        self.every_department = every_department
        self.users = _table(get_user_model())
        self.in_departments = f"u.department_id IN ({_placeholders(self.department_ids)})"

    def learners(self) -> str:
        """FROM-clause of the departments' learners as `l` (learner), `au` (account),
        `o` (office), `u` (unit); `learners_where` keeps the active ones (account active)."""
        return (f"{_table(Learner)} l JOIN {self.users} au ON au.id = l.user_id"
                f" JOIN {_table(Office)} o ON o.id = l.office_id"
                f" JOIN {_table(Unit)} u ON u.id = o.unit_id")

    def learners_where(self) -> tuple[str, list]:
        return f"l.is_active AND au.is_active AND {self.in_departments}", self.department_ids

    def members(self, column: str) -> tuple[str, list]:
        """` AND column IN (the users who are learners of the departments)`, unless every
        department is read."""
        if self.every_department:
            return "", []
        return (f" AND {column} IN (SELECT l.user_id FROM {_table(Learner)} l"  # noqa: S608
                f" JOIN {_table(Office)} o ON o.id = l.office_id"
                f" JOIN {_table(Unit)} u ON u.id = o.unit_id WHERE {self.in_departments})",
                self.department_ids)


def _by_kind(name: str, column: str, ids: list[int], passed: str, passed_params: list,
             best: str) -> tuple[str, list]:
    """Per user (over the rows of `column` IN ids): `<name>_passed` 1 if one passed, 0 if none
    did, null without any; `<name>_best` the best value. Both null when there are no ids."""
    if not ids:  # an empty IN is not SQL
        return (f"CAST(NULL AS INTEGER) AS {name}_passed,"
                f" CAST(NULL AS INTEGER) AS {name}_best"), []
    within = f"t.{column} IN ({_placeholders(ids)})"
    return (f"MAX(CASE WHEN {within} THEN CASE WHEN {passed} THEN 1 ELSE 0 END END)"
            f" AS {name}_passed, MAX(CASE WHEN {within} THEN {best} END) AS {name}_best",
            [*ids, *passed_params, *ids])


def _groups(facts: _Plan, department_ids, *, every_department: bool
            ) -> tuple[list[dict], list[dict]]:
    """One statement, two kinds of rows (column `part`):

    "learners": the learners of these departments with ≥ 1 assignment of the plan in force,
    grouped by office, position and their facts, with counts and the sums behind the averages.
    Group keys: `required` (assignments in force not exempt; 0: every one exempt) and `done`
    (of those, completed in the window), `active`, per quiz kind / goal setting a "passed"
    key that is null without any graded attempt (submission) in the window, else 0 or 1, and
    `head_missing`: the staff number of a head on the roster who has not completed (one row
    each, with `head_name`); in staff-number order.

    "requirements": their assignments in force grouped by department (`office_id` holds it),
    requirement, exemption and where the learner's enrolment in the course stands (`stage`),
    counted in `learners`.

    Both are read from one CTE of the assignments (`ar`), materialized once."""
    q = _Sql(facts, department_ids, every_department=every_department)
    members, members_params = q.members("t.user_id")
    clauses, exam_params = [], []  # the course's pass mark when it sets one, else the quiz's
    for quiz_id, mark in facts.exam_marks.items():
        if mark is None:
            clauses.append("(t.quiz_id = %s AND t.passed)")
            exam_params.append(quiz_id)
        else:
            clauses.append("(t.quiz_id = %s AND t.percent >= %s)")
            exam_params += [quiz_id, mark]
    exam, exam_params = _by_kind("exam", "quiz_id", facts.exam_quiz_ids, " OR ".join(clauses),
                                 exam_params, "t.percent")
    practice, practice_params = _by_kind("practice", "quiz_id", facts.practice_quiz_ids,
                                         "t.passed", [], "t.percent")
    goal, goal_params = _by_kind("goal", "exercise_id", facts.goal_setting_ids, "t.passed", [],
                                 "t.score")
    stage = ("CASE WHEN en.id IS NULL THEN NULL WHEN en.status <> %s THEN 'open'"
             " WHEN en.completed_at < %s THEN 'before' WHEN en.completed_at < %s THEN 'done'"
             " ELSE 'after' END")
    active = ("CASE WHEN att.user_id IS NOT NULL OR sub.user_id IS NOT NULL"
              " OR les.user_id IS NOT NULL THEN 1 ELSE 0 END")
    head_missing = ("CASE WHEN lr.head_number IS NOT NULL AND lr.required > 0"
                    " AND lr.done < lr.required THEN lr.head_number END")
    where, where_params = q.learners_where()
    # One active exemption per assignment and one enrolment per user and course (unique
    # constraints): the outer joins never repeat an assignment. A learner's office, position
    # and (heads only, to keep the rows narrow) staff number and name are the same on each of
    # their rows (MAX picks them).
    sql = f"""
    WITH ar AS (
      SELECT l.user_id, l.office_id, l.position,
        CASE WHEN l.position = %s THEN l.staff_number END AS head_number,
        CASE WHEN l.position = %s THEN au.first_name END AS head_name, u.department_id,
        a.requirement_id, CASE WHEN e.id IS NULL THEN 0 ELSE 1 END AS exempt, {stage} AS stage
      FROM {q.learners()}
      JOIN {_table(PlanAssignment)} a ON a.user_id = l.user_id
      JOIN {_table(PlanRequirement)} r ON r.id = a.requirement_id
      LEFT JOIN {_table(PlanExemption)} e ON e.assignment_id = a.id AND e.revoked_at IS NULL
      LEFT JOIN {_table(Enrolment)} en ON en.user_id = a.user_id AND en.course_id = r.course_id
      WHERE r.plan_id = %s AND a.withdrawn_at IS NULL AND {where}
    ), lr AS (
      SELECT user_id, MAX(office_id) AS office_id, MAX(position) AS position,
        MAX(head_number) AS head_number, MAX(head_name) AS head_name,
        SUM(1 - exempt) AS required,
        SUM(CASE WHEN exempt = 0 AND stage = 'done' THEN 1 ELSE 0 END) AS done
      FROM ar GROUP BY user_id
    ), les AS (
      SELECT DISTINCT t.user_id FROM {_table(LessonCompletion)} t
      WHERE t.completed_at >= %s AND t.completed_at < %s{members}
    ), att AS (
      SELECT t.user_id, {exam}, {practice}
      FROM {_table(Attempt)} t
      WHERE t.status = %s AND t.submitted_at >= %s AND t.submitted_at < %s{members}
      GROUP BY t.user_id
    ), sub AS (
      SELECT t.user_id, {goal}
      FROM {_table(ExerciseSubmission)} t
      WHERE t.created_at >= %s AND t.created_at < %s{members}
      GROUP BY t.user_id
    )
    SELECT 'learners' AS part, lr.office_id, lr.position, lr.required, lr.done,
      {active} AS active, att.exam_passed, att.practice_passed, sub.goal_passed,
      {head_missing} AS head_missing, MAX(lr.head_name) AS head_name, COUNT(*) AS learners,
      SUM(att.exam_best) AS exam_best_sum, SUM(att.practice_best) AS practice_best_sum,
      SUM(sub.goal_best) AS goal_best_sum, NULL AS requirement_id, NULL AS exempt,
      NULL AS stage
    FROM lr
    LEFT JOIN les ON les.user_id = lr.user_id
    LEFT JOIN att ON att.user_id = lr.user_id
    LEFT JOIN sub ON sub.user_id = lr.user_id
    GROUP BY lr.office_id, lr.position, lr.required, lr.done, {active}, att.exam_passed,
      att.practice_passed, sub.goal_passed, {head_missing}
    UNION ALL
    SELECT 'requirements', department_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, COUNT(*), NULL, NULL, NULL, requirement_id, exempt, stage
    FROM ar
    GROUP BY department_id, requirement_id, exempt, stage
    ORDER BY head_missing"""  # noqa: S608 - placeholders, table names
    rows = _rows(sql, [
        Position.HEAD, Position.HEAD, EnrolmentStatus.COMPLETED, *q.window, facts.plan.pk,
        *where_params,
        *q.window, *members_params,
        *exam_params, *practice_params, AttemptStatus.GRADED, *q.window, *members_params,
        *goal_params, *q.window, *members_params])
    learners, requirements = [], []
    for row in rows:
        if row["part"] == "requirements":
            requirements.append({"department_id": row["office_id"],
                                 "requirement_id": row["requirement_id"],
                                 "exempt": row["exempt"], "stage": row["stage"],
                                 "assignments": row["learners"]})
            continue
        for name in ("exam_best_sum", "practice_best_sum", "goal_best_sum"):
            row[name] = _decimal(row[name])
        learners.append(row)
    return learners, requirements


def _identical_departments(facts: _Plan, department_ids) -> set[int]:
    """Departments where two learners submitted the same goal-setting input in the window."""
    if not facts.goal_setting_ids:
        return set()
    q = _Sql(facts, department_ids)
    goal = (f"t.exercise_id IN ({_placeholders(facts.goal_setting_ids)}) AND t.created_at >= %s"
            " AND t.created_at < %s AND t.input_digest <> ''")
    # Two users share the input when MIN(user) <> MAX(user) (hashable, unlike COUNT DISTINCT);
    # only inputs shared by two users anywhere are looked up by department.
    sql = f"""
    WITH shared AS (
      SELECT t.input_digest FROM {_table(ExerciseSubmission)} t WHERE {goal}
      GROUP BY t.input_digest HAVING MIN(t.user_id) <> MAX(t.user_id)
    )
    SELECT u.department_id
    FROM {_table(ExerciseSubmission)} t
    JOIN shared s ON s.input_digest = t.input_digest
    JOIN {_table(Learner)} l ON l.user_id = t.user_id
    JOIN {_table(Office)} o ON o.id = l.office_id
    JOIN {_table(Unit)} u ON u.id = o.unit_id
    WHERE {goal} AND {q.in_departments}
    GROUP BY u.department_id, t.input_digest
    HAVING MIN(t.user_id) <> MAX(t.user_id)"""  # noqa: S608 - placeholders, table names
    params = [*facts.goal_setting_ids, *q.window]
    return {row["department_id"] for row in _rows(sql, [*params, *params, *q.department_ids])}


def _departments(plan: TrainingPlan, department_ids) -> tuple[list[Department], bool]:
    """The departments the plan targets (those of `department_ids` among them), in order, and
    whether they are every department there is (then the grouped queries need no filter by
    department before the join to the learners); one query."""
    departments = Department.objects.order_by("sort_order", "code")
    if not plan.all_departments:
        departments = departments.annotate(targeted=Exists(
            TrainingPlan.departments.through.objects.filter(
                trainingplan_id=plan.pk, department_id=OuterRef("pk"))))
    every = list(departments)
    wanted = None if department_ids is None else {int(pk) for pk in department_ids}
    chosen = [department for department in every
              if (plan.all_departments or department.targeted)
              and (wanted is None or department.pk in wanted)]
    return chosen, len(chosen) == len(every)


# --- Rolling up ---------------------------------------------------------------------------------


@dataclass
class _OfficeRow:
    roster: int = 0
    completed: int = 0
    participating: bool = False
    active: bool = False


@dataclass
class _Tally:
    """Sums over one department's learner groups."""

    roster: dict = field(default_factory=lambda: dict.fromkeys(POSITIONS, 0))
    completed: dict = field(default_factory=lambda: dict.fromkeys(POSITIONS, 0))
    exempt: int = 0
    any_active: bool = False
    quiz: dict = field(default_factory=lambda: defaultdict(int))
    quiz_sums: dict = field(default_factory=lambda: defaultdict(Decimal))
    goal_passed: int = 0
    goal_n: int = 0
    goal_sum: Decimal = Decimal("0")


def _quiz_stats(participants: int, best_sum: Decimal, passed: int) -> dict:
    return {"participants": participants,
            "average_best": float(best_sum / participants) if participants else None,
            "pass_rate": _float(_rate(passed, participants))}


@dataclass
class _Computed:
    participations: list[DepartmentParticipation]
    offices: dict[int, _OfficeRow]
    office_meta: list[dict]


@contextlib.contextmanager
def _without_jit():
    """PostgreSQL's JIT spends seconds compiling the many expressions of the grouped learner
    query to save milliseconds (measured on 20,000 learners: 4.5 s of 5.8 s; 1.5 s without):
    it is switched off for this transaction only (one `SET LOCAL`)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield


def _compute(*, plan: TrainingPlan, department_ids=None, today: dt.date | None = None,
             low_business_coverage=DEFAULT_LOW_BUSINESS_COVERAGE) -> _Computed:
    with _without_jit():
        return _compute_rows(plan=plan, department_ids=department_ids, today=today,
                             low_business_coverage=low_business_coverage)


def _compute_rows(*, plan: TrainingPlan, department_ids, today: dt.date | None,
                  low_business_coverage) -> _Computed:
    today = today or timezone.localdate()
    facts = _plan_facts(plan)
    departments, every_department = _departments(plan, department_ids)
    if not departments:
        return _Computed(participations=[], offices={}, office_meta=[])
    ids = [department.pk for department in departments]
    office_meta = list(Office.objects.filter(unit__department_id__in=ids)
                       .order_by("unit__code", "name", "pk")
                       .values("pk", "name", "kind", "unit_id", "unit__name", "unit__code",
                               "unit__department_id"))
    department_of_office = {row["pk"]: row["unit__department_id"] for row in office_meta}
    offices: dict[int, _OfficeRow] = {}
    tallies: dict[int, _Tally] = {pk: _Tally() for pk in ids}
    heads_missing: dict[int, list[dict]] = defaultdict(list)
    learner_rows, requirement_rows = _groups(facts, ids,
                                             every_department=every_department)
    for row in learner_rows:
        department_id = department_of_office[row["office_id"]]
        tally = tallies[department_id]
        count = row["learners"]
        if row["head_missing"] is not None:  # in staff-number order
            heads_missing[department_id].append(
                {"staff_number": row["head_missing"], "name": row["head_name"]})
        if not row["required"]:  # every assignment exempt
            tally.exempt += count
            continue
        required, done = row["required"], row["done"]
        position = row["position"]
        office = offices.setdefault(row["office_id"], _OfficeRow())
        office.roster += count
        tally.roster[position] += count
        if done == required:
            office.completed += count
            tally.completed[position] += count
        office.participating |= done > 0
        office.active |= row["active"]
        tally.any_active |= row["active"]
        for kind in ("exam", "practice"):
            if row.get(f"{kind}_passed") is not None:  # graded attempts in the window
                tally.quiz[f"{kind}_n"] += count
                tally.quiz_sums[kind] += row[f"{kind}_best_sum"]
                tally.quiz[f"{kind}_passed"] += count * row[f"{kind}_passed"]
        if position == Position.BUSINESS and row.get("goal_passed") is not None:
            tally.goal_n += count
            tally.goal_sum += row["goal_best_sum"]
            tally.goal_passed += count * row["goal_passed"]
    requirements = _requirement_tables(facts, ids, today, requirement_rows)
    identical = _identical_departments(facts, ids)
    offices_by_department: dict[int, list[dict]] = defaultdict(list)
    for meta in office_meta:
        offices_by_department[meta["unit__department_id"]].append(meta)
    threshold = Fraction(str(low_business_coverage))
    participations = [
        _participation(department, tallies[department.pk], offices,
                       offices_by_department[department.pk], requirements[department.pk],
                       heads_missing[department.pk], department.pk in identical, threshold)
        for department in departments]
    return _Computed(participations=participations, offices=offices, office_meta=office_meta)


def _requirement_tables(facts: _Plan, ids, today: dt.date,
                        rows: list[dict]) -> dict[int, list[dict]]:
    """Per department, per requirement: required, started, completed, overdue, exempt."""
    past_due = today > facts.plan.due_on
    tables = {pk: {requirement.pk: {
        "requirement_id": requirement.pk, "position": requirement.position,
        "course": requirement.course.title, "required": 0, "started": 0, "completed": 0,
        "overdue": 0, "exempt": 0} for requirement in facts.requirements} for pk in ids}
    for row in rows:
        item = tables[row["department_id"]].get(row["requirement_id"])
        if item is None:
            continue
        count, stage = row["assignments"], row["stage"]
        if row["exempt"]:
            item["exempt"] += count
            continue
        item["required"] += count
        if stage in ("open", "done", "after"):
            item["started"] += count
        if stage == "done":
            item["completed"] += count
        elif stage == "after" or past_due:
            item["overdue"] += count
    return {pk: list(table.values()) for pk, table in tables.items()}


def _participation(department: Department, tally: _Tally, offices: dict[int, _OfficeRow],
                   office_meta: list[dict], requirements: list[dict], heads_missing: list[dict],
                   identical: bool, threshold: Fraction) -> DepartmentParticipation:
    kinds = {kind: OfficeKindStats() for kind in OFFICE_KINDS}
    roster_by_kind = dict.fromkeys(OFFICE_KINDS, 0)
    completed_by_kind = dict.fromkeys(OFFICE_KINDS, 0)
    for meta in office_meta:
        row = offices.get(meta["pk"])
        if row is None or not row.roster:
            continue
        roster_by_kind[meta["kind"]] += row.roster
        completed_by_kind[meta["kind"]] += row.completed
        stats = kinds[meta["kind"]]
        stats.total += 1
        stats.participating += row.participating
        stats.active += row.active
        if not row.participating:
            stats.missing.append({"unit": meta["unit__name"], "office": meta["name"],
                                  "office_id": meta["pk"], "unit_id": meta["unit_id"]})
    coverage = {kind: _rate(stats.participating, stats.total) for kind, stats in kinds.items()}
    for kind, stats in kinds.items():
        stats.coverage = _float(coverage[kind])
    roster_total = sum(tally.roster.values())
    completed_total = sum(tally.completed.values())
    business, business_done = tally.roster[Position.BUSINESS], tally.completed[Position.BUSINESS]
    exact = {
        "completion_rate": _rate(completed_total, roster_total),
        "business_completion_rate": _rate(business_done, business),
        "finance_completion_rate": _rate(tally.completed[Position.FINANCE],
                                         tally.roster[Position.FINANCE]),
        "weighted_completion_rate": weighted_rate(
            business_completed=business_done, business_total=business,
            others_completed=completed_total - business_done,
            others_total=roster_total - business),
        "heads_completion_rate": _rate(tally.completed[Position.HEAD],
                                       tally.roster[Position.HEAD]),
        "business_office_coverage": coverage[OfficeKind.BUSINESS],
        "exam_pass_rate": _rate(tally.quiz["exam_passed"], tally.quiz["exam_n"]),
        "goal_setting_pass_rate": _rate(tally.goal_passed, business),
    }
    participation = DepartmentParticipation(
        department_id=department.pk, code=department.code, name=department.name,
        kind=department.kind, roster_total=roster_total,
        roster_by_position={str(p): n for p, n in tally.roster.items()}, exempt=tally.exempt,
        roster_by_office_kind={str(k): n for k, n in roster_by_kind.items()},
        completed_total=completed_total,
        completed_by_position={str(p): n for p, n in tally.completed.items()},
        completed_by_office_kind={str(k): n for k, n in completed_by_kind.items()},
        requirements=requirements,
        heads_required=tally.roster[Position.HEAD],
        heads_completed=tally.completed[Position.HEAD], heads_missing=heads_missing,
        offices={str(kind): stats for kind, stats in kinds.items()},
        completion_rate=_float(exact["completion_rate"]),
        business_completion_rate=_float(exact["business_completion_rate"]),
        finance_completion_rate=_float(exact["finance_completion_rate"]),
        weighted_completion_rate=_float(exact["weighted_completion_rate"]),
        exam=_quiz_stats(tally.quiz["exam_n"], tally.quiz_sums["exam"],
                         tally.quiz["exam_passed"]),
        practice=_quiz_stats(tally.quiz["practice_n"], tally.quiz_sums["practice"],
                             tally.quiz["practice_passed"]),
        goal_setting={
            "business_passed": tally.goal_passed,
            "business_pass_rate": _float(exact["goal_setting_pass_rate"]),
            "average_best": float(tally.goal_sum / tally.goal_n) if tally.goal_n else None},
        exact=exact,
    )
    participation.flags = _flags(participation, kinds, tally, identical, threshold)
    return participation


def _flags(participation: DepartmentParticipation, kinds: dict[str, OfficeKindStats],
           tally: _Tally, identical: bool, threshold: Fraction) -> list[str]:
    flags = []
    business = kinds[OfficeKind.BUSINESS]
    if kinds[OfficeKind.FINANCE].participating and not business.participating:
        flags.append(FINANCE_ONLY)
    if participation.heads_required > participation.heads_completed:
        flags.append(HEAD_INCOMPLETE)
    if business.total and Fraction(business.participating, business.total) < threshold:
        flags.append(LOW_BUSINESS_COVERAGE)
    if participation.roster_total and not tally.any_active:
        flags.append(NO_ACTIVITY)
    if identical:
        flags.append(IDENTICAL_SUBMISSIONS)
    return flags


# --- Public API ---------------------------------------------------------------------------------


def plan_participation(*, plan: TrainingPlan, department_ids=None, today: dt.date | None = None,
                       low_business_coverage=DEFAULT_LOW_BUSINESS_COVERAGE
                       ) -> list[DepartmentParticipation]:
    """Each department the plan targets (or those of `department_ids` among them), in the
    departments' order, with its participation; a fixed number of queries (7 reads, and on
    PostgreSQL the `SET LOCAL` of `_without_jit` in a savepoint)."""
    return _compute(plan=plan, department_ids=department_ids, today=today,
                    low_business_coverage=low_business_coverage).participations


def _overall_status(statuses: list[str]) -> str:
    """One learner's status over their requirements: completed (late if any was), else
    overdue if any is, else in progress if any is started or done, else not started."""
    open_ = [status for status in statuses if status != RequirementStatus.EXEMPT]
    if not open_:
        return RequirementStatus.EXEMPT
    if all(status in DONE_STATUSES for status in open_):
        return (RequirementStatus.COMPLETED_LATE if RequirementStatus.COMPLETED_LATE in open_
                else RequirementStatus.COMPLETED)
    if RequirementStatus.OVERDUE in open_:
        return RequirementStatus.OVERDUE
    if any(status == RequirementStatus.IN_PROGRESS or status in DONE_STATUSES
           for status in open_):
        return RequirementStatus.IN_PROGRESS
    return RequirementStatus.NOT_STARTED


def department_detail(*, plan: TrainingPlan, department: Department,
                      today: dt.date | None = None,
                      low_business_coverage=DEFAULT_LOW_BUSINESS_COVERAGE) -> dict:
    """A department's page: its participation, its units with their offices (units without an
    office are left out), the business offices that took no part, heads and learners (active,
    with an assignment in force) with their statuses; a fixed number of queries (11 reads,
    see `plan_participation`)."""
    today = today or timezone.localdate()
    computed = _compute(plan=plan, department_ids=[department.pk], today=today,
                        low_business_coverage=low_business_coverage)
    if not computed.participations:  # the plan does not target this department
        empty = _participation(department, _Tally(), {}, [], [], [], False, Fraction(0))
        return {"participation": empty, "units": [], "missing_business_offices": [],
                "heads": [], "learners": [], "targeted": False}
    participation = computed.participations[0]
    units: dict[int, dict] = {}
    missing = []
    for meta in computed.office_meta:
        row = computed.offices.get(meta["pk"], _OfficeRow())
        office = {"office_id": meta["pk"], "name": meta["name"], "kind": meta["kind"],
                  "unit": meta["unit__name"], "roster": row.roster, "completed": row.completed,
                  "participating": row.participating, "active": row.active}
        units.setdefault(meta["unit_id"], {
            "unit_id": meta["unit_id"], "code": meta["unit__code"], "name": meta["unit__name"],
            "offices": []})["offices"].append(office)
        if meta["kind"] == OfficeKind.BUSINESS and row.roster and not row.participating:
            missing.append(office)
    assigned = PlanAssignment.objects.filter(
        requirement__plan_id=plan.pk, withdrawn_at__isnull=True, user_id=OuterRef("user_id"))
    learners = list(
        _roster_learners([department.pk]).filter(Exists(assigned)).order_by("staff_number")
        .values("pk", "user_id", "staff_number", "user__first_name", "position",
                "office__name", "office__kind", "office__unit__name"))
    statuses: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for state in plan_assignment_states(plan=plan, user_ids=[row["user_id"] for row in learners],
                                        today=today):
        statuses[state.user_id].append((state.requirement_id, state.status))
    rows, heads = [], []
    for learner in learners:
        mine = statuses.get(learner["user_id"], [])
        overall = _overall_status([status for _requirement, status in mine])
        rows.append({
            "learner_id": learner["pk"], "staff_number": learner["staff_number"],
            "name": learner["user__first_name"], "position": learner["position"],
            "unit": learner["office__unit__name"], "office": learner["office__name"],
            "office_kind": learner["office__kind"], "statuses": mine, "status": overall,
            "completed": overall in DONE_STATUSES})
        if learner["position"] == Position.HEAD:
            heads.append({"staff_number": learner["staff_number"],
                          "name": learner["user__first_name"], "status": overall,
                          "status_label": RequirementStatus(overall).label})
    return {"participation": participation, "units": list(units.values()),
            "missing_business_offices": missing, "heads": heads, "learners": rows,
            "targeted": True}
