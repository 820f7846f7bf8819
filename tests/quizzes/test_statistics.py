"""quizzes.statistics against a hand computation: 3 learners, 3 questions.

Q1 single (2 points, A right), Q2 true/false (2 points, true), Q3 multiple (4 points, all or
nothing). Marks and the rest of the test (total minus the item):

    learner  Q1  Q2  Q3  total  percent   rest Q1  rest Q2  rest Q3
    L1        2   0   4      6      75         4        6        2
    L2        2   2   4      8     100         6        6        4
    L3        0   2   0      2      25         2        0        2   (Q1: B; Q3 left blank)

Facility of each question = 2/3. Discrimination (Pearson r of mark and rest; deviations from
the means, then covariance sum / sqrt(product of the sums of squares)):
Q1: (2/3, 2/3, -4/3) and (0, 2, -2): 4 / sqrt(8/3 * 8) = sqrt(3)/2 = 0.866;
Q2: (-4/3, 2/3, 2/3) and (2, 2, -4): -4 / sqrt(8/3 * 24) = -0.5, so Q2 is flagged;
Q3: (4/3, 4/3, -8/3) and (-2/3, 4/3, -2/3): (8/3) / sqrt(32/3 * 8/3) = 0.5.
"""

from datetime import datetime, timedelta

import pytest

from quizzes import statistics as st

T0 = datetime(2026, 3, 1, 9, 0)


def hand_quiz():
    attempts = [st.AttemptRow(1, 101, 1, T0, 75.0, True),
                st.AttemptRow(2, 102, 1, T0, 100.0, True),
                st.AttemptRow(3, 103, 1, T0, 25.0, False)]
    marks = {1: (2, 0, 4), 2: (2, 2, 4), 3: (0, 2, 0)}
    chosen = {1: ({"a"}, {"false"}, {"m1", "m2", "m3"}),
              2: ({"a"}, {"true"}, {"m1", "m2", "m3"}),
              3: ({"b"}, {"true"}, set())}
    responses = [st.ResponseRow(attempt, item, marks[attempt][item - 1], (2, 2, 4)[item - 1],
                                answered=bool(chosen[attempt][item - 1]),
                                chosen=frozenset(chosen[attempt][item - 1]))
                 for attempt in (1, 2, 3) for item in (1, 2, 3)]
    items = [
        st.ItemInfo(1, "Q1", "single", (st.OptionInfo("a", "A", True),
                                        st.OptionInfo("b", "B", False))),
        st.ItemInfo(2, "Q2", "truefalse", (st.OptionInfo("true", "True", True),
                                           st.OptionInfo("false", "False", False))),
        st.ItemInfo(3, "Q3", "multiple", tuple(st.OptionInfo(f"m{i}", f"M{i}", i < 4)
                                               for i in range(1, 5))),
    ]
    return attempts, responses, items


def test_summary_matches_the_hand_computation():
    attempts, responses, items = hand_quiz()
    report = st.quiz_statistics(attempts=attempts, responses=responses, items=items)
    assert (report.attempts, report.participants, report.passed_participants) == (3, 3, 2)
    assert report.average == pytest.approx(200 / 3)
    assert (report.median, report.best) == (75.0, 100.0)
    assert report.pass_rate == pytest.approx(2 / 3)
    counts = {band.low: band.count for band in report.distribution}
    assert counts == {0: 0, 10: 0, 20: 1, 30: 0, 40: 0, 50: 0, 60: 0, 70: 1, 80: 0, 90: 1}


def test_item_statistics_match_the_hand_computation():
    attempts, responses, items = hand_quiz()
    q1, q2, q3 = st.quiz_statistics(attempts=attempts, responses=responses, items=items).items
    assert q1.facility == pytest.approx(2 / 3)
    assert q1.discrimination == pytest.approx(3 ** 0.5 / 2)
    assert q1.flags == ()
    assert q2.facility == pytest.approx(2 / 3)
    assert q2.discrimination == pytest.approx(-0.5)
    assert q2.flags == (st.FLAG_NEGATIVE_DISCRIMINATION,)
    assert q3.facility == pytest.approx(2 / 3)
    assert q3.discrimination == pytest.approx(0.5)
    assert q3.flags == ()
    assert [(o.label, o.count) for o in q1.options] == [("A", 2), ("B", 1)]
    assert [(o.label, o.count) for o in q2.options] == [("True", 2), ("False", 1)]
    assert [o.count for o in q3.options] == [2, 2, 2, 0]
    assert (q1.blanks, q2.blanks, q3.blanks) == (0, 0, 1)
    assert q3.blank_share == pytest.approx(1 / 3)


def test_discrimination_is_pearson_r_of_item_and_rest_of_test():
    # Moodle: 100 * cov(x, X - x) / sqrt(var(x) var(X - x)); the factor 100 is display only.
    xs, rest = [1.0, 0.0, 1.0, 0.0, 1.0], [3.0, 1.0, 2.0, 2.0, 4.0]
    n = len(xs)
    mx, my = sum(xs) / n, sum(rest) / n
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, rest, strict=True)) / (n - 1)
    var_x = sum((x - mx) ** 2 for x in xs) / (n - 1)
    var_y = sum((y - my) ** 2 for y in rest) / (n - 1)
    assert st.correlation(xs, rest) == pytest.approx(cov / (var_x * var_y) ** 0.5)
    assert st.correlation([1.0], [2.0]) is None
    assert st.correlation([1.0, 1.0], [2.0, 3.0]) is None


def test_first_attempt_selection_keeps_each_learners_first_graded_attempt():
    attempts, responses, items = hand_quiz()
    retake = st.AttemptRow(4, 103, 2, T0 + timedelta(days=1), 100.0, True)
    responses += [st.ResponseRow(4, item, points, points, answered=True)
                  for item, points in ((1, 2), (2, 2), (3, 4))]
    every = st.quiz_statistics(attempts=[*attempts, retake], responses=responses, items=items)
    first = st.quiz_statistics(attempts=[*attempts, retake], responses=responses, items=items,
                               selection=st.FIRST_GRADED)
    assert (every.attempts, every.participants, every.passed_participants) == (4, 3, 3)
    assert (first.attempts, first.participants, first.passed_participants) == (3, 3, 2)
    assert first.items[2].facility == pytest.approx(2 / 3)
    assert every.items[2].facility == pytest.approx(3 / 4)


def test_latest_grading_method_counts_the_latest_attempt_for_the_pass_rate():
    attempts = [st.AttemptRow(1, 7, 1, T0, 90.0, True),
                st.AttemptRow(2, 7, 2, T0 + timedelta(hours=1), 40.0, False)]
    highest = st.quiz_statistics(attempts=attempts, responses=[], items=[])
    latest = st.quiz_statistics(attempts=attempts, responses=[], items=[],
                                grading_method=st.LATEST)
    assert (highest.pass_rate, latest.pass_rate) == (1.0, 0.0)


@pytest.mark.parametrize(("facility", "discrimination", "flags"), [
    (0.19, 0.3, (st.FLAG_TOO_HARD,)), (0.2, 0.3, ()), (0.95, 0.3, ()),
    (0.96, None, (st.FLAG_TOO_EASY,)), (0.5, -0.01, (st.FLAG_NEGATIVE_DISCRIMINATION,)),
    (0.5, 0.0, ())])
def test_flags_questions_too_hard_too_easy_or_negatively_discriminating(
        facility, discrimination, flags):
    assert st.item_flags(facility=facility, discrimination=discrimination) == flags


def test_empty_quiz_has_no_scores_and_an_empty_distribution():
    report = st.quiz_statistics(attempts=[], responses=[], items=[])
    assert (report.attempts, report.average, report.median, report.pass_rate) == (
        0, None, None, None)
    assert sum(band.count for band in report.distribution) == 0


def test_unknown_attempt_selection_is_refused():
    with pytest.raises(ValueError):
        st.attempts_selected(attempts=[], selection="best")
