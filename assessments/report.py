"""The participation report as a JSON-ready dict: the public interface of
`manage.py participation_report --format json` and of the admin's report.json (see README).

Schema (stable; keys are only ever added):
    {"year", "plan", "generated_at" (ISO-8601), "definitions": {key: text},
     "departments": [DepartmentParticipation.as_json() + "training_points", "training_items"]}
Rates are fractions in [0, 1] rounded to 4 decimals (null when the denominator is 0); average
scores are 0–100 with 2 decimals; points have 2 decimals.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.metrics import (
    DEFAULT_LOW_BUSINESS_COVERAGE,
    DEFINITIONS,
    plan_for_year,
    plan_participation,
)
from departments.models import Department

ERROR_NO_PLAN = _("There is no published training plan for %(year)s.")
ERROR_NO_DEPARTMENT = _("There is no department with the code %(code)s in the plan of "
                        "%(year)s.")


class ReportError(ValueError):
    """An unknown year or department (the message is translated)."""


def department_json(*, participation, scheme) -> dict:
    """One department of the report: its participation and the training items of the year's
    scheme (none without a scheme)."""
    from assessments.selectors import training_items

    items = training_items(scheme=scheme, participation=participation)
    row = participation.as_json()
    row["training_points"] = round(sum(item["points"] or 0 for item in items), 2)
    row["training_items"] = [
        {**item, "points": None if item["points"] is None else round(item["points"], 2),
         "max": None if item["max"] is None else round(item["max"], 2),
         "metric": None if item["metric"] is None else round(item["metric"], 4)}
        for item in items]
    return row


def participation_report(*, year: int, department_code: str | None = None,
                         today: dt.date | None = None) -> dict:
    """The year's participation of every department the plan targets (or of one department)."""
    from assessments.selectors import scheme_for_year

    plan = plan_for_year(year)
    if plan is None:
        raise ReportError(str(ERROR_NO_PLAN) % {"year": year})
    department_ids = None
    if department_code is not None:
        department = Department.objects.filter(code=department_code).first()
        if department is None:
            raise ReportError(str(ERROR_NO_DEPARTMENT) % {"code": department_code, "year": year})
        department_ids = [department.pk]
    scheme = scheme_for_year(year)
    threshold = scheme.low_business_coverage if scheme else DEFAULT_LOW_BUSINESS_COVERAGE
    participations = plan_participation(plan=plan, department_ids=department_ids, today=today,
                                        low_business_coverage=threshold)
    if department_code is not None and not participations:
        raise ReportError(str(ERROR_NO_DEPARTMENT) % {"code": department_code, "year": year})
    departments = [department_json(participation=participation, scheme=scheme)
                   for participation in participations]
    return {
        "year": year,
        "plan": plan.title,
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "definitions": {key: str(text) for key, text in DEFINITIONS.items()},
        "departments": departments,
    }
