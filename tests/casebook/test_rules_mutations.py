"""Find-the-errors generator: injected mistakes are detected on their rows; marks are graded."""

import pytest

from casebook.rules.checker import check_goal_table
from casebook.rules.mutations import (
    MUTATORS,
    MutationError,
    grade_error_marks,
    grade_error_marks_detail,
    mutate_table,
)
from casebook.rules.table import GoalTable
from tests.casebook.tables import clean_table, reference_tables

EXPECTED_RULE = {
    "remove_satisfaction": "R03", "drop_unit": "R05", "wrong_level": "R02", "vague_value": "R04",
    "satisfaction_100": "R09", "cost_above_budget": "R12", "percent_over_100": "R07",
    "wrong_direction": "R08", "timeliness_vague": "R15", "qualitative_without_grades": "R21",
    "missing_basis": "R16",
}
TABLES = [(f"{case_id}-{framework}", data) for framework in ("2021", "2020")
          for case_id, data in reference_tables(framework)] + [
    ("clean-2021", clean_table("2021")), ("clean-2020", clean_table("2020"))]


def found(table):
    return {(f.row, f.rule) for f in check_goal_table(table).findings}


@pytest.mark.parametrize("name,data", TABLES, ids=[name for name, _ in TABLES])
def test_each_mutation_kind_is_detected_on_its_row(name, data):
    table = GoalTable.from_dict(data)
    for kind, rule in EXPECTED_RULE.items():
        for seed in range(6):
            try:
                mutated, key = mutate_table(table, seed=seed, k=1, kinds=[kind])
            except MutationError:
                # Only a table without a pairable or total cost row cannot take this mistake.
                assert kind == "cost_above_budget" and name.startswith("CASE-HEA-01")
                break
            assert len(key) == 1 and key[0][1] == rule
            assert set(key) <= found(mutated)


@pytest.mark.parametrize("name,data", TABLES, ids=[name for name, _ in TABLES])
def test_mixed_mutations_for_many_seeds(name, data):
    table = GoalTable.from_dict(data)
    for seed in range(60):
        k = 1 + seed % 5
        mutated, key = mutate_table(table, seed=seed, k=k)
        assert len(key) == k
        assert set(key) <= found(mutated)
        assert mutated != table
    # The clean table itself is untouched.
    assert check_goal_table(table).findings == []


def test_same_seed_same_exercise():
    table = GoalTable.from_dict(clean_table())
    assert mutate_table(table, seed=7, k=3) == mutate_table(table, seed=7, k=3)
    assert sorted(MUTATORS) == sorted(EXPECTED_RULE)


def test_impossible_requests_are_refused():
    table = GoalTable.from_dict(clean_table())
    with pytest.raises(MutationError):
        mutate_table(table, seed=1, k=3, kinds=["timeliness_vague"])
    with pytest.raises(MutationError):
        mutate_table(table, seed=1, k=1, kinds=["no_such_kind"])


KEY = [(None, "R03"), (2, "R05"), (5, "R15")]


@pytest.mark.parametrize("marks,score", [
    (KEY, 100.0),
    ([], 0.0),
    ([(2, "R05"), (5, "R15")], 80.0),                       # P 1, R 2/3
    ([(2, "R05"), (5, "R15"), (None, "R03"), (7, "R04")], 85.71),  # P 3/4, R 1
    ([(2, "R04"), (5, "R15"), (None, "R03")], 83.33),       # right row, wrong rule: half
    ([{"row": "2", "rule": "r05"}, {"row": None, "rule": "R03"}, {"row": 5, "rule": "R15"}],
     100.0),
])
def test_grade_error_marks(marks, score):
    assert grade_error_marks(KEY, marks) == score


def test_grade_details_and_edge_cases():
    detail = grade_error_marks_detail(KEY, [(2, "R05"), (9, "R01"), "junk"])
    assert detail.matched == [(2, "R05")]
    assert detail.missed == [(None, "R03"), (5, "R15")]
    assert detail.false_marks == [(9, "R01")]
    assert grade_error_marks([], []) == 100.0
    assert grade_error_marks([], [(1, "R05")]) == 0.0
    assert grade_error_marks(KEY, KEY + KEY) == 100.0  # duplicate marks count once
