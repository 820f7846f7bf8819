"""The bureau's and the departments' admin pages for participation and assessment (部门考核).

- `assessment:overview`: every department against the year's plan in a sortable, filterable
  table, a chart of business vs finance office participation, the trend against last year's
  plan and the definitions (bureau staff and superusers; a department admin is sent to their
  own department's page).
- `assessment:department`: one department's units, offices, heads, learners and requirements,
  the missing business offices first (bureau: any department; department admin: their own, any
  other id answers 404).
- `assessment:report_json`: `assessments.report.participation_report` as JSON, scoped the
  same way.
- The admin home panel: a department admin's participation summary, the bureau's flags.

The numbers all come from `assessments.metrics` (one definition of each, a fixed number of
queries whatever the number of departments or learners); the views only choose, sort, filter
and format them. Templates run no queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_safe
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.viewsets.base import ViewSet

from assessments import charts, metrics
from assessments.models import AssessmentScheme, DepartmentResult
from assessments.permissions import (
    department_for,
    departments_in_scope,
    user_is_bureau,
    user_may_view_assessment,
)
from assessments.report import ReportError, participation_report
from assessments.selectors import training_items
from courses.models import TrainingPlan
from courses.selectors import RequirementStatus
from departments.models import DepartmentKind, OfficeKind, Position

LEARNERS_PER_PAGE = 100
SEARCH_MAX_LENGTH = 64
YEAR_MIN, YEAR_MAX = 1, 9999

KIND_LABELS = {
    DepartmentKind.CITY: pgettext_lazy("department kind, short", "City"),
    DepartmentKind.DISTRICT: pgettext_lazy("department kind, short", "District"),
}
OFFICE_KIND_LABELS = dict(OfficeKind.choices)
POSITION_LABELS = dict(Position.choices)


# --- Reading the request -------------------------------------------------------------------------


def _require_viewer(user) -> None:
    if not user_may_view_assessment(user):
        raise PermissionDenied


def _year(value) -> int | None:
    """A year from the query string; None when absent. Text, signs, non-ASCII digits or an
    impossible year name no plan: 404."""
    if value in (None, ""):
        return None
    value = str(value)
    if not (value.isascii() and value.isdigit()) or not YEAR_MIN <= int(value) <= YEAR_MAX:
        raise Http404
    return int(value)


def plan_years() -> list[int]:
    """Years that have a plan to report on (a published plan, or a scheme tied to a plan),
    newest first."""
    years = set(TrainingPlan.objects.filter(published_at__isnull=False)
                .values_list("year", flat=True))
    years |= set(AssessmentScheme.objects.filter(plan__isnull=False)
                 .values_list("year", flat=True))
    return sorted(years, reverse=True)


def default_year(years: list[int], *, today: dt.date) -> int | None:
    """This year's plan if there is one, else the latest earlier one, else the earliest."""
    if not years:
        return None
    earlier = [year for year in years if year <= today.year]
    return max(earlier) if earlier else min(years)


def _plan(year: int):
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise Http404
    plan = metrics.plan_for_year(year)
    if plan is None:
        raise Http404
    return plan


def _scheme(year: int) -> AssessmentScheme | None:
    return AssessmentScheme.objects.filter(year=year).first()


def _url_or_none(name: str, *args, query: dict | None = None) -> str | None:
    """A URL of another module's page, or None while that module has not registered it."""
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode(query)}" if query else url


# --- Formatting ----------------------------------------------------------------------------------


def percent(value) -> str:
    return charts.percent_text(None if value is None else float(value))


def points_text(value) -> str:
    return "—" if value is None else f"{Decimal(value):.2f}"


def score_text(value) -> str:
    return "—" if value is None else f"{float(value):.1f}"


def change_points(current, previous) -> float | None:
    """The change of a rate in percentage points (0.60 → 0.75: +15.0); None if either is
    missing."""
    if current is None or previous is None:
        return None
    return round((float(current) - float(previous)) * 100, 1)


def change_text(points: float | None) -> str:
    if points is None:
        return "—"
    if points == 0:
        return "±0"
    sign = "+" if points > 0 else "−"
    return _("%(sign)s%(points)s pt") % {"sign": sign, "points": f"{abs(points):.1f}"}


def _flags(keys, labels) -> list[dict]:
    return [{"key": key, "label": labels.get(key, key)} for key in keys]


# --- The overview --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SortKey:
    label: str
    value: object  # row -> comparable or None (None rows go last in both directions)


def _rate_key(name):
    return lambda row: row[name]


SORT_KEYS: dict[str, SortKey] = {
    "department": SortKey(pgettext_lazy("assessment", "Department"), lambda row: row["order"]),
    "kind": SortKey(pgettext_lazy("assessment", "Kind"), lambda row: row["kind"]),
    "completion": SortKey(gettext_lazy("Completion rate"), _rate_key("completion_rate")),
    "weighted": SortKey(gettext_lazy("Weighted completion"),
                        _rate_key("weighted_completion_rate")),
    "coverage": SortKey(gettext_lazy("Business-office coverage"),
                        _rate_key("business_coverage")),
    "heads": SortKey(gettext_lazy("Heads completed"), _rate_key("heads_rate")),
    "exam_average": SortKey(gettext_lazy("Exam average"), _rate_key("exam_average")),
    "exam_pass": SortKey(gettext_lazy("Exam pass rate"), _rate_key("exam_pass_rate")),
    "goal_setting": SortKey(gettext_lazy("Goal-setting pass rate"),
                            _rate_key("goal_setting_rate")),
    "points": SortKey(gettext_lazy("Training points"), _rate_key("training_points")),
    "flags": SortKey(pgettext_lazy("assessment", "Flags"), lambda row: len(row["flags"])),
}


def _sort(rows: list[dict], sort: str) -> tuple[list[dict], str]:
    """Rows sorted by a whitelisted key (`-key` descending); an unknown key keeps the
    department order. Missing values go last either way; ties keep the department order."""
    descending = sort.startswith("-")
    key = sort[1:] if descending else sort
    if key not in SORT_KEYS or (key == "department" and not descending):
        return rows, ""
    value = SORT_KEYS[key].value
    present = [row for row in rows if value(row) is not None]
    missing = [row for row in rows if value(row) is None]
    present.sort(key=value, reverse=descending)
    return present + missing, sort


def _overview_row(participation, *, index: int, labels: dict, points, previous,
                  department_url: str) -> dict:
    p = participation
    business = p.offices.get(OfficeKind.BUSINESS)
    finance = p.offices.get(OfficeKind.FINANCE)
    row = {
        "order": index, "id": p.department_id, "code": p.code, "name": p.name,
        "kind": p.kind, "kind_label": KIND_LABELS.get(p.kind, p.kind), "url": department_url,
        "completion_rate": p.completion_rate, "completion": percent(p.completion_rate),
        "completed": p.completed_total, "roster": p.roster_total,
        "weighted_completion_rate": p.weighted_completion_rate,
        "weighted": percent(p.weighted_completion_rate),
        "business_coverage": business.coverage if business else None,
        "business": business, "finance": finance,
        "coverage": percent(business.coverage if business else None),
        "heads_completed": p.heads_completed, "heads_required": p.heads_required,
        "heads_rate": (p.heads_completed / p.heads_required) if p.heads_required else None,
        "exam_average": p.exam.get("average_best"),
        "exam_average_text": score_text(p.exam.get("average_best")),
        "exam_pass_rate": p.exam.get("pass_rate"),
        "exam_pass": percent(p.exam.get("pass_rate")),
        "exam_participants": p.exam.get("participants", 0),
        "goal_setting_rate": p.goal_setting.get("business_pass_rate"),
        "goal_setting": percent(p.goal_setting.get("business_pass_rate")),
        "training_points": points, "points": points_text(points),
        "flags": _flags(p.flags, labels),
        "trend": None,
    }
    if previous is not None:
        prev_business = previous.offices.get(OfficeKind.BUSINESS)
        completion = change_points(p.completion_rate, previous.completion_rate)
        coverage = change_points(row["business_coverage"],
                                 prev_business.coverage if prev_business else None)
        row["trend"] = {"completion": change_text(completion), "coverage": change_text(coverage),
                        "completion_up": (completion or 0) > 0,
                        "completion_down": (completion or 0) < 0,
                        "coverage_up": (coverage or 0) > 0, "coverage_down": (coverage or 0) < 0}
    return row


def _totals(participations) -> dict:
    """The whole city: completed / roster and participating / total business offices."""
    roster = sum(p.roster_total for p in participations)
    completed = sum(p.completed_total for p in participations)
    offices = [p.offices.get(OfficeKind.BUSINESS) for p in participations]
    total = sum(o.total for o in offices if o)
    participating = sum(o.participating for o in offices if o)
    return {"completion_rate": completed / roster if roster else None,
            "business_coverage": participating / total if total else None,
            "roster": roster, "completed": completed, "business_total": total,
            "business_participating": participating}


def _trend(current: dict, previous: dict | None) -> dict | None:
    if previous is None:
        return None
    completion = change_points(current["completion_rate"], previous["completion_rate"])
    coverage = change_points(current["business_coverage"], previous["business_coverage"])
    return {"completion": change_text(completion), "coverage": change_text(coverage),
            "completion_now": percent(current["completion_rate"]),
            "completion_before": percent(previous["completion_rate"]),
            "coverage_now": percent(current["business_coverage"]),
            "coverage_before": percent(previous["business_coverage"])}


def participation_chart(rows: list[dict]) -> dict:
    """The business vs finance office participation chart and its table, from overview rows."""
    business_name = _("Business offices")
    finance_name = _("Finance offices")
    groups, table = [], []
    for row in rows:
        bars = []
        for stats, series in ((row["business"], business_name), (row["finance"], finance_name)):
            bars.append(charts.ratio_bar(
                numerator=stats.participating if stats else 0,
                denominator=stats.total if stats else 0,
                fraction=stats.coverage if stats else None,
                department=row["name"], series=series))
        groups.append(charts.BarGroup(label=row["name"], bars=tuple(bars)))
        table.append({"name": row["name"], "business": bars[0].text, "finance": bars[1].text})
    svg = charts.grouped_bars_svg(
        groups=groups,
        series=[charts.Series(business_name, "chart__bar--business"),
                charts.Series(finance_name, "chart__bar--finance")],
        title=_("Business vs finance office participation by department"),
        description=_("For each department, the share of its business offices and of its "
                      "finance offices with at least one learner who completed a requirement "
                      "of the plan."),
        chart_id="participation-chart")
    return {"svg": svg, "table": table}


def _definitions() -> list[dict]:
    """`metrics.DEFINITIONS` as term and text: each text opens with its term and a colon."""
    rows = []
    for key, text in metrics.DEFINITIONS.items():
        text = str(text)
        term, rest = key, text
        for colon in ("：", ":"):
            head, found, tail = text.partition(colon)
            if found and len(head) <= 40:
                term, rest = head.strip(), tail.strip()
                break
        rows.append({"key": key, "term": term, "text": rest})
    return rows


def _threshold(scheme):
    return (scheme.low_business_coverage if scheme is not None
            else metrics.DEFAULT_LOW_BUSINESS_COVERAGE)


def _training_points(*, scheme, participations, results) -> dict[int, Decimal]:
    """Training points per department: the stored result once computed, else what the
    scheme's automatic items give now (SCORING's `training_items`, two queries per scheme);
    none without a scheme or without automatic items."""
    if scheme is None:
        return {}
    points = {}
    for p in participations:
        result = results.get(p.department_id)
        if result is not None:
            points[p.department_id] = result.training_points
            continue
        items = training_items(scheme=scheme, participation=p)
        if items:
            points[p.department_id] = sum((Decimal(str(i["points"])) for i in items),
                                          Decimal(0))
    return points


def _overview_query(request: HttpRequest) -> dict:
    get = request.GET
    kind = get.get("kind", "")
    flag = get.get("flag", "")
    return {"kind": kind if kind in KIND_LABELS else "",
            "flag": flag,  # checked against FLAG_LABELS by the view
            "q": (get.get("q") or "").strip()[:SEARCH_MAX_LENGTH],
            "sort": (get.get("sort") or "")[:32]}


def _matches(row: dict, *, kind: str, flag: str, q: str) -> bool:
    if kind and row["kind"] != kind:
        return False
    if flag and flag not in {item["key"] for item in row["flags"]}:
        return False
    if q:
        needle = q.casefold()
        return needle in row["name"].casefold() or needle in row["code"].casefold()
    return True


@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    """Every department against the year's plan: the table, the chart, the trend, the
    definitions. Bureau only; a department admin goes to their own department's page."""
    user = request.user
    _require_viewer(user)
    today = timezone.localdate()
    years = plan_years()
    year = _year(request.GET.get("year"))
    if year is not None and year not in years:
        raise Http404
    year = year if year is not None else default_year(years, today=today)
    if not user_is_bureau(user):
        own = departments_in_scope(user).order_by("sort_order", "code").first()
        if own is not None and year is not None:
            return redirect("assessment:department", year=year, department_id=own.pk)
    context = {"years": years, "year": year, "plan": None,
               "definitions": _definitions(), "sort_keys": SORT_KEYS,
               "flag_choices": list(metrics.FLAG_LABELS.items()),
               "kind_choices": list(KIND_LABELS.items())}
    if year is None:
        return TemplateResponse(request, "assessments/admin/overview.html", context)
    plan = _plan(year)
    query = _overview_query(request)
    if query["flag"] not in metrics.FLAG_LABELS:
        query["flag"] = ""
    scheme = _scheme(year)
    participations = metrics.plan_participation(plan=plan, today=today,
                                                low_business_coverage=_threshold(scheme))
    previous_plan = metrics.previous_plan(plan)
    previous = ({p.department_id: p for p in metrics.plan_participation(
        plan=previous_plan, today=today,
        low_business_coverage=_threshold(_scheme(previous_plan.year)))}
        if previous_plan is not None else {})
    results = ({r.department_id: r for r in DepartmentResult.objects.filter(scheme=scheme)}
               if scheme is not None else {})
    points = _training_points(scheme=scheme, participations=participations, results=results)
    rows = [_overview_row(p, index=index, labels=metrics.FLAG_LABELS,
                          points=points.get(p.department_id),
                          previous=previous.get(p.department_id) if previous_plan else None,
                          department_url=reverse("assessment:department",
                                                 args=[year, p.department_id]))
            for index, p in enumerate(participations)]
    for row in rows:
        row["sheet_url"] = _url_or_none("assessment_scoring:sheet", year, row["id"])
    shown = [row for row in rows if _matches(row, kind=query["kind"], flag=query["flag"],
                                             q=query["q"])]
    shown, sort = _sort(shown, query["sort"])
    base = {"year": year, **{k: query[k] for k in ("kind", "flag", "q") if query[k]}}
    columns = []
    for key, sort_key in SORT_KEYS.items():
        current = sort.lstrip("-") == key if sort else key == "department"
        descending = current and sort.startswith("-")
        next_sort = key if (not current or descending) else f"-{key}"
        columns.append({"key": key, "label": sort_key.label,
                        "url": "?" + urlencode({**base, "sort": next_sort}),
                        "aria_sort": ("descending" if descending else "ascending")
                        if current else None})
    flag_counts = {key: sum(1 for row in rows if key in {f["key"] for f in row["flags"]})
                   for key in metrics.FLAG_LABELS}
    totals = _totals(participations)
    context.update({
        "plan": plan, "rows": shown, "rows_total": len(rows), "query": query, "sort": sort,
        "columns": {column["key"]: column for column in columns},
        "chart": participation_chart(shown),
        "previous_plan": previous_plan,
        "trend": _trend(totals, _totals(list(previous.values())) if previous_plan else None),
        "totals": {**totals, "completion": percent(totals["completion_rate"]),
                   "coverage": percent(totals["business_coverage"])},
        "flag_counts": [{"key": key, "label": label, "count": flag_counts[key],
                         "url": "?" + urlencode({"year": year, "flag": key})}
                        for key, label in metrics.FLAG_LABELS.items()],
        "scheme": scheme,
        "exports": [link for link in (
            {"label": _("Overview (XLSX)"),
             "url": _url_or_none("assessment_exports:export", year, "overview")},
            {"label": _("Score sheets (XLSX)"),
             "url": _url_or_none("assessment_exports:export", year, "sheets")},
        ) if link["url"]],
        "json_url": reverse("assessment:report_json", args=[year]),
    })
    return TemplateResponse(request, "assessments/admin/overview.html", context)


# --- One department ------------------------------------------------------------------------------


def _status_label(status) -> str:
    try:
        return str(RequirementStatus(status).label)
    except ValueError:
        return str(status)


def _office_row(office: dict) -> dict:
    return {**office, "kind_label": OFFICE_KIND_LABELS.get(office.get("kind"),
                                                           office.get("kind", ""))}


def _training(*, scheme, participation, result) -> dict:
    """The department's training items and points: live from SCORING's selector where it
    exists, else the stored result's training points (or nothing before a computation)."""
    raw = training_items(scheme=scheme, participation=participation)
    items = [{"item": item["item"], "metric": percent(item["metric"]),
              "points": points_text(item["points"]), "max": points_text(item["max"])}
             for item in raw]
    if result is not None:
        total = result.training_points
    elif raw:
        total = sum((Decimal(str(item["points"])) for item in raw), Decimal(0))
    else:
        total = None
    return {"items": items, "points": points_text(total), "computed": result is not None}


@require_safe
def department(request: HttpRequest, year: int, department_id: int) -> HttpResponse:
    """One department against the year's plan: offices (missing business offices first),
    heads, requirements, learners, flags and training points."""
    user = request.user
    _require_viewer(user)
    department_obj = department_for(user, department_id)
    plan = _plan(year)
    today = timezone.localdate()
    scheme = _scheme(year)
    detail = metrics.department_detail(plan=plan, department=department_obj, today=today,
                                       low_business_coverage=_threshold(scheme))
    p = detail["participation"]
    previous_plan = metrics.previous_plan(plan)
    previous = None
    if previous_plan is not None:
        previous = next(iter(metrics.plan_participation(
            plan=previous_plan, department_ids=[department_obj.pk], today=today,
            low_business_coverage=_threshold(_scheme(previous_plan.year)))), None)
    result = (DepartmentResult.objects.filter(scheme=scheme, department=department_obj).first()
              if scheme is not None else None)
    requirements = list(p.requirements)
    columns = [{"id": r["requirement_id"], "course": r["course"],
                "position": POSITION_LABELS.get(r["position"], r["position"])}
               for r in requirements]
    learners = Paginator(detail["learners"], LEARNERS_PER_PAGE).get_page(request.GET.get("page"))
    learner_rows = []
    for learner in learners:
        statuses = dict(learner["statuses"])
        learner_rows.append({
            **learner, "position_label": POSITION_LABELS.get(learner["position"],
                                                             learner["position"]),
            "office_kind_label": OFFICE_KIND_LABELS.get(learner["office_kind"],
                                                        learner["office_kind"]),
            "cells": [{"status": statuses[column["id"]],
                       "label": _status_label(statuses[column["id"]])}
                      if column["id"] in statuses else None for column in columns]})
    offices = {kind: p.offices.get(kind) for kind in OfficeKind.values}
    others = []
    if not user_is_bureau(user):
        others = [{"name": d.name, "url": reverse("assessment:department", args=[year, d.pk])}
                  for d in departments_in_scope(user).exclude(pk=department_obj.pk)]
    context = {
        "year": year, "plan": plan, "department": department_obj, "p": p,
        "targeted": detail.get("targeted", True),
        "kind_label": KIND_LABELS.get(department_obj.kind, department_obj.kind),
        "is_bureau": user_is_bureau(user), "other_departments": others,
        "summary": {
            "completion": percent(p.completion_rate),
            "business_completion": percent(p.business_completion_rate),
            "finance_completion": percent(p.finance_completion_rate),
            "weighted": percent(p.weighted_completion_rate),
            "coverage": percent(offices["business"].coverage if offices["business"] else None),
            "exam_average": score_text(p.exam.get("average_best")),
            "exam_pass": percent(p.exam.get("pass_rate")),
            "goal_setting": percent(p.goal_setting.get("business_pass_rate")),
        },
        "office_kinds": [{"kind": kind, "label": OFFICE_KIND_LABELS[kind], "stats": stats,
                          "coverage": percent(stats.coverage if stats else None)}
                         for kind, stats in offices.items()],
        "missing_business": [_office_row(o) for o in detail["missing_business_offices"]],
        "units": [{**unit, "offices": [_office_row(o) for o in unit["offices"]]}
                  for unit in detail["units"]],
        "heads": [{**head, "label": _status_label(head.get("status"))}
                  for head in detail["heads"]],
        "requirements": [{**r, "position_label": POSITION_LABELS.get(r["position"],
                                                                     r["position"])}
                         for r in requirements],
        "columns": columns, "learners": learners, "learner_rows": learner_rows,
        "flags": _flags(p.flags, metrics.FLAG_LABELS),
        "training": _training(scheme=scheme, participation=p, result=result),
        "scheme": scheme,
        "previous_plan": previous_plan,
        "trend": {"completion": change_text(change_points(
                      p.completion_rate, previous.completion_rate)),
                  "coverage": change_text(change_points(
                      offices["business"].coverage if offices["business"] else None,
                      previous.offices["business"].coverage
                      if previous.offices.get("business") else None))}
        if previous is not None else None,
        "sheet_url": _url_or_none("assessment_scoring:sheet", year, department_obj.pk),
        "export_url": _url_or_none("assessment_exports:export", year, "department",
                                   query={"department": department_obj.pk}),
        "json_url": (reverse("assessment:report_json", args=[year])
                     + "?" + urlencode({"department": department_obj.code})),
        "overview_url": (reverse("assessment:overview") + "?" + urlencode({"year": year})
                         if user_is_bureau(user) else None),
        "definitions": _definitions(),
    }
    return TemplateResponse(request, "assessments/admin/department.html", context)


# --- JSON ----------------------------------------------------------------------------------------


@require_safe
def report_json(request: HttpRequest, year: int) -> HttpResponse:
    """The participation report (the public JSON of `participation_report`): the bureau gets
    every department or `?department=CODE`; a department admin only their own."""
    user = request.user
    _require_viewer(user)
    _plan(year)
    code = request.GET.get("department")
    scope = departments_in_scope(user)
    if code is not None:
        if not code or len(code) > 32 or not scope.filter(code=code).exists():
            raise Http404
        codes = [code]
    elif user_is_bureau(user):
        codes = [None]
    else:
        codes = list(scope.order_by("sort_order", "code").values_list("code", flat=True))
    report = None
    for one in codes:  # a department admin's own departments (usually one)
        try:
            part = participation_report(year=year, department_code=one)
        except ReportError:
            continue  # the plan does not target this department
        if report is None:
            report = part
        else:
            report["departments"].extend(part["departments"])
    if report is None:
        raise Http404
    return JsonResponse(report, encoder=DjangoJSONEncoder,
                        json_dumps_params={"ensure_ascii": False, "indent": 1})


# --- Registration --------------------------------------------------------------------------------


class AssessmentViewSet(ViewSet):
    """部门考核: the overview, a department's page and the JSON report."""

    name = "assessment"
    url_prefix = "assessment"
    icon = "table"
    menu_label = pgettext_lazy("admin menu", "Participation and assessment")
    add_to_admin_menu = False

    def get_urlpatterns(self):
        return [
            path("", overview, name="overview"),
            path("<int:year>/departments/<int:department_id>/", department, name="department"),
            path("<int:year>/report.json", report_json, name="report_json"),
        ]


class AssessmentMenuItem(MenuItem):
    def is_shown(self, request):
        return user_may_view_assessment(request.user)


@hooks.register("register_admin_viewset")
def register_assessment_viewset():
    return AssessmentViewSet()


@hooks.register("register_admin_menu_item")
def register_assessment_menu_item():
    return AssessmentMenuItem(pgettext_lazy("admin menu", "Participation and assessment"),
                              reverse("assessment:overview"), icon_name="table", order=262)


# --- The admin home panel ------------------------------------------------------------------------


class ParticipationPanel(Component):
    """Admin home: a department admin's participation summary for the year (it links to their
    department page); for the bureau, how many departments carry each flag."""

    name = "assessment_participation"
    order = 40
    template_name = "assessments/admin/home_panel.html"

    def __init__(self, context: dict):
        self.context = context

    def get_context_data(self, parent_context=None):
        return self.context


def home_panel_context(user, *, today: dt.date) -> dict | None:
    """What the home panel shows this user, or None (no plan yet, or not theirs to see)."""
    if not user_may_view_assessment(user):
        return None
    year = default_year(plan_years(), today=today)
    if year is None:
        return None
    plan = metrics.plan_for_year(year)
    if plan is None:
        return None
    threshold = _threshold(_scheme(year))
    if user_is_bureau(user):
        participations = metrics.plan_participation(plan=plan, today=today,
                                                    low_business_coverage=threshold)
        counts = dict.fromkeys(metrics.FLAG_LABELS, 0)
        for p in participations:
            for flag in p.flags:
                counts[flag] = counts.get(flag, 0) + 1
        totals = _totals(participations)
        overview_url = reverse("assessment:overview")
        return {"bureau": True, "plan": plan, "year": year,
                "departments": len(participations),
                "completion": percent(totals["completion_rate"]),
                "coverage": percent(totals["business_coverage"]),
                "business_participating": totals["business_participating"],
                "business_total": totals["business_total"],
                "flags": [{"key": key, "label": label, "count": counts.get(key, 0),
                           "url": f"{overview_url}?{urlencode({'year': year, 'flag': key})}"}
                          for key, label in metrics.FLAG_LABELS.items()],
                "url": f"{overview_url}?{urlencode({'year': year})}"}
    ids = list(departments_in_scope(user).values_list("pk", flat=True))
    rows = []
    for p in metrics.plan_participation(plan=plan, department_ids=ids, today=today,
                                        low_business_coverage=threshold):
        business = p.offices.get(OfficeKind.BUSINESS)
        rows.append({
            "name": p.name, "completion": percent(p.completion_rate),
            "coverage": percent(business.coverage if business else None),
            "business_participating": business.participating if business else 0,
            "business_total": business.total if business else 0,
            "missing_business": len(business.missing) if business else 0,
            "heads_completed": p.heads_completed, "heads_required": p.heads_required,
            "flags": _flags(p.flags, metrics.FLAG_LABELS),
            "url": reverse("assessment:department", args=[year, p.department_id])})
    if not rows:  # the plan does not target the admin's departments
        return None
    return {"bureau": False, "plan": plan, "year": year, "rows": rows}


@hooks.register("construct_homepage_panels")
def add_participation_panel(request, panels):
    context = home_panel_context(request.user, today=timezone.localdate())
    if context is not None:
        panels.append(ParticipationPanel(context))
