"""Helpers for the scoring tests: a scheme on a plan, and participations built by hand (the real
`DepartmentParticipation` dataclass with chosen numbers), so the rules are checked against
hand-computed points without building every record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from assessments.metrics import DepartmentParticipation, OfficeKindStats
from assessments.models import AssessmentScheme, GradeBand, ItemKind, Metric, Rule, SchemeItem
from assessments.services import scheme_default_create
from courses.models import TrainingPlan


def plan_of(year: int = 2026) -> TrainingPlan:
    return TrainingPlan.objects.create(
        year=year, title=f"{year}年度培训计划", opens_on=dt.date(year, 1, 1),
        due_on=dt.date(year, 11, 30), makeup_until=dt.date(year, 12, 31))


def default_scheme(year: int = 2026) -> AssessmentScheme:
    return scheme_default_create(year=year, plan=plan_of(year))


def small_scheme(year: int = 2026) -> AssessmentScheme:
    """The three training items and one manual item (fits one INSERT batch on SQLite)."""
    scheme = AssessmentScheme.objects.create(year=year, title=f"{year} 小方案",
                                             plan=plan_of(year))
    SchemeItem.objects.bulk_create([
        SchemeItem(scheme=scheme, sort_order=0, group="组织", code="training-heads",
                   name="负责人完成", kind=ItemKind.AUTOMATIC,
                   metric=Metric.HEADS_COMPLETION_RATE, rule=Rule.BINARY, lower=Decimal("1"),
                   max_points=Decimal("1")),
        SchemeItem(scheme=scheme, sort_order=1, group="组织", code="training-completion",
                   name="参训完成率", kind=ItemKind.AUTOMATIC,
                   metric=Metric.WEIGHTED_COMPLETION_RATE, rule=Rule.LINEAR,
                   lower=Decimal("0.6"), upper=Decimal("0.9"), max_points=Decimal("1.5")),
        SchemeItem(scheme=scheme, sort_order=2, group="组织", code="training-goal-setting",
                   name="实操合格率", kind=ItemKind.AUTOMATIC,
                   metric=Metric.GOAL_SETTING_PASS_RATE, rule=Rule.LINEAR,
                   lower=Decimal("0.6"), upper=Decimal("0.9"), max_points=Decimal("1.5")),
        SchemeItem(scheme=scheme, sort_order=3, group="制度", code="org-rules", name="制度",
                   max_points=Decimal("3")),
    ])
    GradeBand.objects.bulk_create([
        GradeBand(scheme=scheme, sort_order=0, name="优秀", min_points=Decimal("90")),
        GradeBand(scheme=scheme, sort_order=1, name="不合格", min_points=Decimal("0"))])
    return scheme


def participation_of(department, *, heads=(1, 1), completed=(9, 10), goal=(9, 10),
                     offices=(3, 5), flags=()) -> DepartmentParticipation:
    """A department's participation with these (numerator, denominator) pairs; a zero
    denominator gives a metric of None, as in `assessments.metrics`."""

    def rate(pair):
        return Fraction(pair[0], pair[1]) if pair[1] else None

    return DepartmentParticipation(
        department_id=department.pk, code=department.code, name=department.name,
        kind=department.kind, roster_total=completed[1],
        roster_by_position={"head": heads[1], "finance": 0, "business": goal[1], "other": 0},
        completed_total=completed[0],
        completed_by_position={"head": heads[0], "finance": 0, "business": goal[0],
                               "other": 0},
        heads_required=heads[1], heads_completed=heads[0],
        offices={"business": OfficeKindStats(total=offices[1], participating=offices[0]),
                 "finance": OfficeKindStats(), "general": OfficeKindStats()},
        exam={"participants": 0, "average_best": None, "pass_rate": None},
        goal_setting={"business_passed": goal[0], "business_pass_rate": None,
                      "average_best": None},
        flags=list(flags),
        exact={"heads_completion_rate": rate(heads), "weighted_completion_rate": rate(completed),
               "goal_setting_pass_rate": rate(goal)})
