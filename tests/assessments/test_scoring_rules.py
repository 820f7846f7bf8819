"""The scoring rules and the seeded default scheme, with hand-computed examples."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from assessments.defaults import DEFAULT_ITEMS, EXTRA_CODES, TRAINING_CODES
from assessments.models import GradeBand, ItemKind, Metric, Rule, SchemeItem
from assessments.scoring import grade_for, rank_with_ties, rule_points, rule_text
from assessments.services import scheme_default_create

D = Decimal
LINEAR = {"rule": Rule.LINEAR, "max_points": D("1.5"), "lower": D("0.6"), "upper": D("0.9")}


@pytest.mark.parametrize(("metric", "points"), [
    ("0", "0.00"),
    ("0.5999", "0.00"),
    ("0.6", "0.00"),        # exactly 60 %: no points
    ("0.6001", "0.00"),     # 1.5 × 0.0001 / 0.3 = 0.0005 → 0.00
    ("0.603", "0.02"),      # 1.5 × 0.003 / 0.3 = 0.015 → 0.02 (half up)
    ("0.7", "0.50"),        # 1.5 × 0.1 / 0.3
    ("0.75", "0.75"),       # half way: half the points
    ("0.8", "1.00"),
    ("0.8999", "1.50"),     # 1.5 × 0.2999 / 0.3 = 1.4995 → 1.50 (half up)
    ("0.9", "1.50"),        # exactly 90 %: full points
    ("1", "1.50"),
])
def test_linear_rule_hand_computed_examples(metric, points):
    assert rule_points(metric=D(metric), **LINEAR) == D(points)


def test_a_metric_without_denominator_gives_no_points_under_every_rule():
    assert rule_points(metric=None, **LINEAR) == D("0.00")
    assert rule_points(rule=Rule.BINARY, metric=None, max_points=D("1")) == D("0.00")
    assert rule_points(rule=Rule.RATIO, metric=None, max_points=D("4")) == D("0.00")


@pytest.mark.parametrize(("metric", "threshold", "points"), [
    ("1", None, "1.00"),       # every head finished
    ("0.9999", None, "0.00"),  # one head of many missing: nothing
    ("0.8", "0.8", "1.00"),    # a lowered threshold is reached exactly
    ("0.7999", "0.8", "0.00"),
])
def test_binary_rule_needs_the_threshold(metric, threshold, points):
    lower = None if threshold is None else D(threshold)
    assert rule_points(rule=Rule.BINARY, metric=D(metric), max_points=D("1"),
                       lower=lower) == D(points)


def test_ratio_rule_is_metric_times_maximum_clamped():
    assert rule_points(rule=Rule.RATIO, metric=D("0.5"), max_points=D("4")) == D("2.00")
    assert rule_points(rule=Rule.RATIO, metric=D("0.333"), max_points=D("4")) == D("1.33")
    assert rule_points(rule=Rule.RATIO, metric=D("1.2"), max_points=D("4")) == D("4.00")


def test_grades_use_the_highest_band_reached():
    bands = [("优秀", D(90)), ("良好", D(80)), ("合格", D(60)), ("不合格", D(0))]
    assert grade_for(D("90"), bands) == "优秀"
    assert grade_for(D("89.99"), bands) == "良好"
    assert grade_for(D("60"), bands) == "合格"
    assert grade_for(D("59.99"), bands) == "不合格"


def test_ranking_shares_ranks_between_ties():
    assert rank_with_ties({1: D("90"), 2: D("95"), 3: D("90"), 4: D("80")}) == {
        2: 1, 1: 2, 3: 2, 4: 4}


@pytest.mark.django_db
def test_default_scheme_sums_to_100_with_the_three_training_items():
    scheme = scheme_default_create(year=2031)
    items = list(scheme.items.all())
    regular = [item for item in items if item.code not in EXTRA_CODES]
    assert sum(item.max_points for item in regular) == D("100")
    assert len(items) == len(DEFAULT_ITEMS)
    training = {item.code: item for item in items if item.kind == ItemKind.AUTOMATIC}
    assert tuple(training) == TRAINING_CODES
    heads, completion, goal = (training[code] for code in TRAINING_CODES)
    assert (heads.metric, heads.rule, heads.lower, heads.max_points) == (
        Metric.HEADS_COMPLETION_RATE, Rule.BINARY, D("1"), D("1"))
    assert (completion.metric, completion.rule, completion.lower, completion.upper,
            completion.max_points) == (Metric.WEIGHTED_COMPLETION_RATE, Rule.LINEAR,
                                       D("0.6"), D("0.9"), D("1.5"))
    assert (goal.metric, goal.rule, goal.max_points) == (
        Metric.GOAL_SETTING_PASS_RATE, Rule.LINEAR, D("1.5"))
    group_total = sum(item.max_points for item in items if item.group == heads.group)
    assert group_total == D("10")  # 组织保障与制度建设: 3 + 3 + 4 (the training item)
    bonus = scheme.items.get(code="bonus")
    deduction = scheme.items.get(code="deduction")
    assert (bonus.min_points, bonus.max_points, bonus.bonus) == (D("0"), D("5"), True)
    assert sum(item.max_points for item in items if not item.bonus) == D("100")
    assert (deduction.min_points, deduction.max_points) == (D("-10"), D("0"))
    assert {(band.name, band.min_points) for band in GradeBand.objects.filter(
        scheme=scheme)} == {("优秀", D(90)), ("良好", D(80)), ("合格", D(60)), ("不合格", D(0))}
    assert all("示例方案" in item.description for item in items)  # never an official text


@pytest.mark.django_db
def test_default_scheme_is_created_once():
    first = scheme_default_create(year=2031)
    again = scheme_default_create(year=2031)
    assert again.pk == first.pk
    assert SchemeItem.objects.filter(scheme=first).count() == len(DEFAULT_ITEMS)


@pytest.mark.django_db
def test_thresholds_with_lower_not_below_upper_are_refused():
    scheme = scheme_default_create(year=2031)
    item = scheme.items.get(code="training-completion")
    item.lower, item.upper = D("0.9"), D("0.9")
    with pytest.raises(ValidationError) as caught:
        item.full_clean()
    assert "upper" in caught.value.message_dict
    item.lower, item.upper = D("0.95"), D("0.9")
    with pytest.raises(ValidationError):
        item.full_clean()
    item.refresh_from_db()
    assert (item.lower, item.upper) == (D("0.6"), D("0.9"))


@pytest.mark.django_db
def test_rule_text_says_the_rule_in_words():
    scheme = scheme_default_create(year=2031)
    text = rule_text(scheme.items.get(code="training-completion"))
    assert "60%" in text and "90%" in text and "1.50" in text
