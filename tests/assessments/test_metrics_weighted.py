"""The weighted completion rate (REPORT §4.3: business staff weigh at least 50 %) and the
exact metric values the scoring thresholds compare (60 % and 90 %)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from assessments.metrics import DepartmentParticipation, weighted_rate


def test_business_share_below_half_weighs_half():
    # 2 business (1 done) of 10: w = 0.5 → 0.5 × 1/2 + 0.5 × 6/8.
    assert weighted_rate(business_completed=1, business_total=2, others_completed=6,
                         others_total=8) == Fraction(1, 4) + Fraction(3, 8)


def test_business_share_above_half_weighs_its_share():
    # 6 business (3 done) of 8: w = 0.75 → 0.75 × 1/2 + 0.25 × 2/2.
    assert weighted_rate(business_completed=3, business_total=6, others_completed=2,
                         others_total=2) == Fraction(3, 8) + Fraction(1, 4)


def test_exactly_half_business_is_the_plain_mean_of_the_two_rates():
    assert weighted_rate(business_completed=1, business_total=2, others_completed=2,
                         others_total=2) == Fraction(3, 4)


def test_no_business_staff_is_the_others_rate_and_only_business_the_business_rate():
    assert weighted_rate(business_completed=0, business_total=0, others_completed=3,
                         others_total=4) == Fraction(3, 4)
    assert weighted_rate(business_completed=2, business_total=5, others_completed=0,
                         others_total=0) == Fraction(2, 5)


def test_empty_roster_has_no_rate():
    assert weighted_rate(business_completed=0, business_total=0, others_completed=0,
                         others_total=0) is None


@pytest.mark.parametrize(("numerator", "denominator", "expected"), [
    (3, 5, Decimal("0.6000")), (9, 10, Decimal("0.9000")), (2, 3, Decimal("0.6667")),
    (1, 8, Decimal("0.1250")), (0, 4, Decimal("0.0000")), (4, 4, Decimal("1.0000"))])
def test_metric_is_exact_at_the_scoring_boundaries(numerator, denominator, expected):
    participation = DepartmentParticipation(department_id=1, code="1", name="x", kind="city",
                                            exact={"completion_rate": Fraction(numerator,
                                                                               denominator)})
    assert participation.metric("completion_rate") == expected
