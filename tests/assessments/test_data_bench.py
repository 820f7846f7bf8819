"""bench/assessment_bench.py at a tiny size: the hand-written SQL aggregate and the metrics
agree department by department on every number compared (the timing is only measured, never
asserted here)."""

import io

import pytest
from django.core.management import call_command

from bench import assessment_bench

pytestmark = pytest.mark.django_db


def test_the_bench_sql_and_the_metrics_agree_on_a_small_load_set():
    call_command("generate_load_data", departments=4, learners=300, attempts=1500, seed=3,
                 stdout=io.StringIO())
    plan = assessment_bench.load_plan()

    result = assessment_bench.measure(plan, repeat=1)

    assert result["problems"] == []
    assert result["departments"] == 4
    numbers = assessment_bench.hand_written_sql(plan)
    assert set(numbers[next(iter(numbers))]) == set(assessment_bench.FIELDS)

    def total(name):
        return sum(row[name] for row in numbers.values())

    # The set exercises the numbers compared, so the agreement above is not vacuous.
    assert total("roster") > 200
    for name in ("completed", "roster_business", "completed_business", "heads",
                 "business_offices_total", "business_offices_participating",
                 "business_offices_active", "finance_offices_total", "exam_participants",
                 "exam_passed", "practice_participants", "goal_setting_passed"):
        assert total(name) > 0, name
    assert all(row["exam_average_best"] is not None for row in numbers.values())
    assert result["ratio"] > 0


def test_the_comparison_names_a_department_and_number_that_differ():
    metrics = {7: dict.fromkeys(assessment_bench.FIELDS, 1)}
    sql = {7: {**metrics[7], "heads_completed": 0, "exam_average_best": 80.0}, 8: metrics[7]}
    metrics[7]["exam_average_best"] = 80.0000001  # within the tolerance

    assert assessment_bench.disagreements(metrics, sql) == [
        "department 7 heads_completed: metrics 1, SQL 0", "department 8: only in the SQL"]


def test_an_average_missing_on_one_side_is_a_disagreement():
    metrics = {7: {**dict.fromkeys(assessment_bench.FIELDS, 1), "practice_average_best": None}}
    sql = {7: {**metrics[7], "practice_average_best": 55.5}}

    assert assessment_bench.disagreements(metrics, sql) == [
        "department 7 practice_average_best: metrics None, SQL 55.5"]
