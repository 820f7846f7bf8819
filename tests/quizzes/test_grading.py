"""Grading rules per kind and scoring policy (pure functions, no database)."""

from decimal import Decimal

import pytest

from quizzes import grading, types


def grade(kind, answer, **kw):
    defaults = {"points": Decimal("4"), "correct_choice_ids": {1, 2}, "choice_ids": {1, 2, 3, 4},
                    "answer_true": True, "blanks": [["无效", "低效"], ["预算"]],
                    "partial_multiple": False}
    defaults.update(kw)
    return grading.grade(kind=kind, answer=answer, **defaults)


def test_single_right_wrong_and_two_choices():
    assert grade(types.SINGLE, {"choices": [1]}, correct_choice_ids={1}) == (True, Decimal(4))
    assert grade(types.SINGLE, {"choices": [2]}, correct_choice_ids={1}) == (False, 0)
    assert grade(types.SINGLE, {"choices": [1, 2]}, correct_choice_ids={1}) == (False, 0)
    assert grade(types.SINGLE, None, correct_choice_ids={1}) == (False, 0)


def test_multiple_all_or_nothing():
    assert grade(types.MULTIPLE, {"choices": [1, 2]}) == (True, Decimal(4))
    assert grade(types.MULTIPLE, {"choices": [1]}) == (False, 0)
    assert grade(types.MULTIPLE, {"choices": [1, 2, 3]}) == (False, 0)


def test_multiple_partial_credit_shares_and_cancels():
    assert grade(types.MULTIPLE, {"choices": [1]}, partial_multiple=True) == (False, Decimal("2"))
    assert grade(types.MULTIPLE, {"choices": [1, 3]}, partial_multiple=True) == (False, 0)
    assert grade(types.MULTIPLE, {"choices": [1, 2, 3]}, partial_multiple=True) == (
        False, Decimal("2"))
    assert grade(types.MULTIPLE, {"choices": [1, 2]}, partial_multiple=True) == (
        True, Decimal("4"))


def test_true_false():
    assert grade(types.TRUE_FALSE, {"value": True}) == (True, Decimal(4))
    assert grade(types.TRUE_FALSE, {"value": False}) == (False, 0)
    assert grade(types.TRUE_FALSE, None) == (False, 0)


@pytest.mark.parametrize("given", [["无效", "预算"], ["  低效 ", "预算"], ["无效", "预算"]])
def test_fill_accepts_alternatives_trimmed(given):
    assert grade(types.FILL, {"blanks": given}) == (True, Decimal(4))


def test_fill_folds_full_width_and_case():
    ok, points = grade(types.FILL, {"blanks": ["ＡＢＣ", "ｘｙ　z"]},
                       blanks=[["abc"], ["XY Z"]])
    assert ok and points == Decimal(4)


def test_fill_half_blanks_half_points():
    assert grade(types.FILL, {"blanks": ["无效", "错"]}) == (False, Decimal("2.00"))
    assert grade(types.FILL, {"blanks": ["", ""]}) == (False, Decimal("0.00"))


def test_essay_is_left_for_a_marker():
    assert grade(types.ESSAY, {"text": "x"}) == (None, None)


def test_stem_segments_place_blanks():
    assert grading.stem_segments("a{{1}}b{{2}}", 2) == [("a", None), ("", 0), ("b", None),
                                                         ("", 1), ("", None)]
    assert grading.stem_segments("无标记", 1) == [("无标记", None), ("", 0)]
