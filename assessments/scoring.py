"""The scoring rules: how an automatic item turns a metric into points, in one place.

- binary: full points when the metric reaches the threshold (`lower`, default 1 = 100 %), else 0;
- ratio: metric × maximum points;
- linear: 0 at or below `lower`, full points at or above `upper`, in between
  max × (metric − lower) / (upper − lower) — REPORT-style "1.5 × clamp((rate − 60 %) / 30 %, 0, 1)".

A metric of None (its denominator is 0: a department with no heads, no business staff, …) gives
no points; the score sheet says so, and bureau staff may override the item with a reason.
Points are rounded half up to 2 decimals.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from assessments.models import ItemKind, Rule, SchemeItem

CENT = Decimal("0.01")
ONE = Decimal("1")
ZERO = Decimal("0")


def points_round(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _percent(value: Decimal | None) -> str:
    if value is None:
        return "—"
    text = f"{(Decimal(value) * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


def rule_points(*, rule: str, metric: Decimal | None, max_points: Decimal,
                lower: Decimal | None = None, upper: Decimal | None = None) -> Decimal:
    """The points an automatic rule gives for a metric (a fraction in [0, 1], or None)."""
    if metric is None:
        return ZERO.quantize(CENT)
    metric = Decimal(metric)
    max_points = Decimal(max_points)
    if rule == Rule.BINARY:
        threshold = ONE if lower is None else Decimal(lower)
        return points_round(max_points if metric >= threshold else ZERO)
    if rule == Rule.RATIO:
        return points_round(max_points * min(max(metric, ZERO), ONE))
    if rule == Rule.LINEAR:
        lower, upper = Decimal(lower), Decimal(upper)
        if metric <= lower:
            return ZERO.quantize(CENT)
        if metric >= upper:
            return points_round(max_points)
        return points_round(max_points * (metric - lower) / (upper - lower))
    raise ValueError(f"unknown rule {rule!r}")


def rule_text(item: SchemeItem) -> str:
    """The rule in plain words, as stored with each score and shown on the score sheet."""
    if item.kind == ItemKind.MANUAL:
        return _("Entered by bureau staff (%(min)s to %(max)s points)") % {
            "min": item.min_points, "max": item.max_points}
    metric = item.get_metric_display()
    if item.rule == Rule.BINARY:
        threshold = ONE if item.lower is None else item.lower
        return _("%(metric)s ≥ %(threshold)s: %(max)s points, otherwise 0") % {
            "metric": metric, "threshold": _percent(threshold), "max": item.max_points}
    if item.rule == Rule.RATIO:
        return _("%(max)s × %(metric)s") % {"metric": metric, "max": item.max_points}
    return _("%(max)s × clamp((%(metric)s − %(lower)s) ÷ (%(upper)s − %(lower)s), 0, 1): "
             "0 at or below %(lower)s, full points at or above %(upper)s") % {
        "metric": metric, "max": item.max_points, "lower": _percent(item.lower),
        "upper": _percent(item.upper)}


def item_errors(item: SchemeItem) -> dict[str, list[str]]:
    """What is wrong with an item's settings, by field (empty when it is usable)."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if item.max_points is not None and item.min_points is not None \
            and item.min_points > item.max_points:
        add("min_points", _("The minimum points cannot be above the maximum."))
    for field in ("lower", "upper"):
        value = getattr(item, field)
        if value is not None and not ZERO <= value <= ONE:
            add(field, _("Enter a fraction between 0 and 1 (0.6 = 60 %)."))
    if item.kind != ItemKind.AUTOMATIC:
        return errors
    if not item.metric:
        add("metric", _("An automatic item needs a metric."))
    if not item.rule:
        add("rule", _("An automatic item needs a rule."))
    if item.max_points is not None and item.max_points < 0:
        add("max_points", _("An automatic item's maximum cannot be negative."))
    if item.rule == Rule.LINEAR:
        if item.lower is None or item.upper is None:
            add("upper", _("The linear rule needs a lower and an upper threshold."))
        elif item.lower >= item.upper:
            add("upper", _("The lower threshold must be below the upper threshold."))
    return errors


def grade_for(total: Decimal, bands: list[tuple[str, Decimal]]) -> str:
    """The highest band whose lower bound the total reaches ('' when none)."""
    reached = [(minimum, name) for name, minimum in bands if total >= minimum]
    return max(reached)[1] if reached else ""


def rank_with_ties(totals: dict[int, Decimal]) -> dict[int, int]:
    """Competition ranking (1, 2, 2, 4): equal totals share a rank."""
    ordered = sorted(totals.items(), key=lambda pair: -pair[1])
    ranks: dict[int, int] = {}
    previous, rank = None, 0
    for position, (key, total) in enumerate(ordered, start=1):
        if total != previous:
            rank, previous = position, total
        ranks[key] = rank
    return ranks
