"""Reads of the department assessment: schemes, score sheets, training items for the JSON
report, ranked results, appeals and the audit trail, each in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Case, IntegerField, QuerySet, Value, When

from assessments.models import (
    Appeal,
    AppealStatus,
    AssessmentScheme,
    AuditEntry,
    DepartmentResult,
    ItemKind,
    ItemScore,
    SchemeItem,
)
from assessments.scoring import points_round, rule_points, rule_text

_TRAINING_CACHE = "_assessment_training_cache"


def scheme_for_year(year: int) -> AssessmentScheme | None:
    """The assessment scheme of a year, with its plan (None when there is none)."""
    return AssessmentScheme.objects.select_related("plan", "locked_by").filter(year=year).first()


def _float(value) -> float | None:
    return None if value is None else float(value)


def score_sheet(*, scheme: AssessmentScheme, department) -> dict:
    """A department's score sheet: groups → items, each with its stored score (metric, rule,
    points, computed points, evidence, source, reason), the appeals with their history and the
    audit entries; plus the department's result. Five queries, whatever the size.

    {"scheme", "department", "result": DepartmentResult | None, "locked": bool,
     "total": Decimal, "max_total": Decimal,
     "groups": [{"name", "max_points", "points", "items": [
         {"item", "score": ItemScore | None, "metric": Decimal | None, "rule": str,
          "points": Decimal | None, "computed_points", "evidence", "evidence_file", "source",
          "source_label", "reason", "updated_by", "updated_at", "computed_at",
          "appeals": [Appeal, oldest first], "pending_appeal": Appeal | None,
          "audit": [AuditEntry, newest first]}]}],
     "appeals": [Appeal, newest first], "audit": [AuditEntry, newest first]}
    """
    items = list(scheme.items.all())
    scores = {score.item_id: score for score in ItemScore.objects.filter(
        scheme=scheme, department=department).select_related("updated_by")}
    appeals = list(Appeal.objects.filter(scheme=scheme, department=department)
                   .select_related("item", "filed_by", "answered_by"))
    audit = list(audit_for(scheme=scheme, department=department))
    result = DepartmentResult.objects.filter(scheme=scheme, department=department).first()
    appeals_by_item, audit_by_item = defaultdict(list), defaultdict(list)
    for appeal in reversed(appeals):  # oldest first: the history reads top to bottom
        appeals_by_item[appeal.item_id].append(appeal)
    for entry in audit:
        if entry.item_id is not None:
            audit_by_item[entry.item_id].append(entry)
    groups: dict[str, dict] = {}
    total = Decimal("0")
    max_total = Decimal("0")
    for item in items:
        score = scores.get(item.pk)
        points = score.points if score is not None else None
        group = groups.setdefault(item.group, {"name": item.group, "max_points": Decimal("0"),
                                               "points": Decimal("0"), "items": []})
        if item.max_points > 0:
            group["max_points"] += item.max_points
            if not item.bonus:  # bonus points come on top of the full marks
                max_total += item.max_points
        group["points"] += points or 0
        total += points or 0
        history = appeals_by_item.get(item.pk, [])
        group["items"].append({
            "item": item,
            "score": score,
            "metric": score.metric_value if score is not None else None,
            "rule": (score.rule_text if score is not None and score.rule_text
                     else rule_text(item)),
            "points": points,
            "computed_points": score.computed_points if score is not None else None,
            "evidence": score.evidence if score is not None else "",
            "evidence_file": score.evidence_file if score is not None else None,
            "source": score.source if score is not None else "",
            "source_label": score.get_source_display() if score is not None else "",
            "reason": score.reason if score is not None else "",
            "updated_by": score.updated_by if score is not None else None,
            "updated_at": score.updated_at if score is not None else None,
            "computed_at": score.computed_at if score is not None else None,
            "appeals": history,
            "pending_appeal": next((a for a in history if a.status == AppealStatus.PENDING),
                                   None),
            "audit": audit_by_item.get(item.pk, []),
        })
    return {"scheme": scheme, "department": department, "result": result,
            "locked": scheme.is_locked, "total": points_round(total),
            "max_total": max_total, "groups": list(groups.values()),
            "appeals": appeals, "audit": audit}


def _training_data(scheme: AssessmentScheme) -> tuple[list[SchemeItem], dict]:
    """The scheme's automatic items and their stored scores by (department, item), read once
    per scheme object (two queries), so a report calling `training_items` for every department
    costs no more."""
    cached = getattr(scheme, _TRAINING_CACHE, None)
    if cached is None:
        items = list(scheme.items.filter(kind=ItemKind.AUTOMATIC))
        scores = {(department_id, item_id): (metric, points)
                  for department_id, item_id, metric, points in ItemScore.objects.filter(
                      scheme=scheme, item__kind=ItemKind.AUTOMATIC,
                      computed_at__isnull=False).values_list(
                      "department_id", "item_id", "metric_value", "points")}
        cached = (items, scores)
        setattr(scheme, _TRAINING_CACHE, cached)
    return cached


def training_items_forget(scheme: AssessmentScheme) -> None:
    """Drop what `training_items` read on this scheme object (after changing scores)."""
    if hasattr(scheme, _TRAINING_CACHE):
        delattr(scheme, _TRAINING_CACHE)


def training_items(*, scheme: AssessmentScheme | None, participation) -> list[dict]:
    """The training items of a department for the JSON report:
    [{"item": name, "code", "metric": float | None, "points": float, "max": float}].

    Stored points (and the metric they came from) when the department has been computed,
    else the points the rule gives now for the live metric of `participation`
    (`assessments.metrics.DepartmentParticipation`). No scheme: an empty list.
    """
    if scheme is None:
        return []
    items, scores = _training_data(scheme)
    rows = []
    for item in items:
        stored = scores.get((participation.department_id, item.pk))
        if stored is not None and stored[1] is not None:
            metric, points = stored
        else:
            live = participation.metric(item.metric)
            metric = None if live is None else Decimal(live).quantize(Decimal("0.0001"))
            points = rule_points(rule=item.rule, metric=metric, max_points=item.max_points,
                                 lower=item.lower, upper=item.upper)
        rows.append({"item": item.name, "code": item.code, "metric": _float(metric),
                     "points": float(points_round(points)), "max": float(item.max_points)})
    return rows


def scheme_results(*, scheme: AssessmentScheme) -> list[DepartmentResult]:
    """Departments' totals, grades and ranks, best first (ties share a rank)."""
    return list(DepartmentResult.objects.filter(scheme=scheme).select_related("department")
                .order_by("rank", "department__sort_order", "department__code"))


def appeals_for(*, scheme: AssessmentScheme, department_ids=None) -> QuerySet[Appeal]:
    """A scheme's appeals, pending first, then newest first; `department_ids` limits them
    (a department admin's scope)."""
    qs = Appeal.objects.filter(scheme=scheme)
    if department_ids is not None:
        qs = qs.filter(department_id__in=list(department_ids))
    pending_first = Case(When(status=AppealStatus.PENDING, then=Value(0)), default=Value(1),
                         output_field=IntegerField())
    return (qs.select_related("department", "item", "filed_by", "answered_by")
            .order_by(pending_first, "-filed_at", "-pk"))


def audit_for(*, scheme: AssessmentScheme, department=None) -> QuerySet[AuditEntry]:
    """A scheme's audit trail, newest first; with `department`, that department's entries."""
    qs = AuditEntry.objects.filter(scheme=scheme)
    if department is not None:
        qs = qs.filter(department=department)
    return qs.select_related("user", "department", "item").order_by("-at", "-pk")
