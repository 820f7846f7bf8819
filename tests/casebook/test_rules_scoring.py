"""Self-evaluation scoring, monitoring lights and ex-ante assessment."""

import copy

import pytest

from casebook.rules.config import CheckerConfig
from casebook.rules.exante import (
    ASPECTS,
    CONDITIONAL,
    REJECT,
    SUPPORT,
    TYPICAL_FINDINGS,
    ExAnteError,
    check_aspect_mapping,
    exante_assess,
)
from casebook.rules.monitoring import (
    ADJUST,
    BLUE,
    CONTINUE,
    GREEN,
    RED,
    SUSPEND,
    YELLOW,
    MonitoringError,
    check_monitoring_answers,
    deviation_response,
    traffic_light,
)
from casebook.rules.selfeval import (
    SelfEvalError,
    check_learner_scores,
    grade_for,
    score_self_evaluation,
)
from tests.casebook.tables import load


@pytest.fixture
def example():
    return load("selfeval_example.json")


def test_worked_example_reproduces_91_72_and_you(example):
    result = score_self_evaluation(example)
    assert result.total == 91.72 and result.grade == "优"
    assert result.budget_score == 9.5
    assert [row.score for row in result.rows] == [row["score"] for row in example["rows"]]
    assert result.notes == []


def test_unmet_rows_without_explanation_are_flagged(example):
    assert score_self_evaluation(example).missing_explanations == [2, 5, 6, 8, 9]
    example["rows"][1]["explanation"] = "部分单位工作冲突未能参训，次年分批补训。"
    assert 2 not in score_self_evaluation(example).missing_explanations


def test_rules_are_inferred_from_operator_and_target(example):
    for row in example["rows"]:
        del row["rule"]
    example["rows"][5]["rule"] = "late<=30d:60%"
    assert score_self_evaluation(example).total == 91.72


def test_default_date_rule_and_lateness_beyond_30_days(example):
    row = example["rows"][5]
    del row["rule"]
    assert score_self_evaluation(example).rows[5].score == 3.6
    row["actual"] = "2025-12-05"  # 35 days late
    assert score_self_evaluation(example).rows[5].score == 0
    row["actual"] = "2025-10-30"
    assert score_self_evaluation(example).rows[5].score == 6


def test_weights_default_to_50_30_10_and_missing_class_is_reallocated(example):
    for row in example["rows"]:
        del row["weight"]
    result = score_self_evaluation(example)
    assert round(sum(r.weight for r in result.rows[:7]), 1) == 50.0
    assert [r.weight for r in result.rows[7:]] == [15, 15, 10]
    no_satisfaction = copy.deepcopy(example)
    no_satisfaction["rows"] = no_satisfaction["rows"][:9]
    result = score_self_evaluation(no_satisfaction)
    # 满意度's 10 points go to 产出 and 效益 in proportion 50:30.
    # Displayed row weights are rounded to 2 decimals, so their sums are within 0.05.
    assert abs(sum(r.weight for r in result.rows[:7]) - 56.25) < 0.05
    assert abs(sum(r.weight for r in result.rows[7:]) - 33.75) < 0.05
    assert result.notes == []


def test_mixed_weights_are_refused(example):
    del example["rows"][0]["weight"]
    with pytest.raises(SelfEvalError):
        score_self_evaluation(example)


def test_qualitative_bands():
    data = {"budget_execution_rate": 100, "rows": [
        {"name": "制度完善", "level1": "效益指标", "op": "定性", "band": "达成", "weight": 30},
        {"name": "宣传效果", "level1": "产出指标", "op": "定性", "band": "部分达成",
         "band_percent": 75, "weight": 50},
        {"name": "满意度", "level1": "满意度指标", "op": "定性", "band": "未达到", "weight": 10}]}
    result = score_self_evaluation(data)
    assert [r.score for r in result.rows] == [30, 37.5, 3]
    data["rows"][1]["band_percent"] = 90  # outside 60–80
    with pytest.raises(SelfEvalError):
        score_self_evaluation(data)


def test_budget_execution_capped_and_computed_from_amounts():
    rows = [{"name": "x", "level1": "产出指标", "op": ">=", "target": 1, "actual": 1,
             "weight": 90}]
    assert score_self_evaluation({"budget_execution_rate": 120, "rows": rows}).budget_score == 10
    result = score_self_evaluation({"budget_wan": 48, "executed_wan": 45.6, "rows": rows})
    assert result.budget_score == 9.5 and result.total == 99.5


def test_overachievement_deduction_is_optional():
    data = {"budget_execution_rate": 100, "rows": [
        {"name": "新建高标准农田", "level1": "产出指标", "op": ">=", "target": 2.0,
         "actual": 2.6, "weight": 10}]}
    assert score_self_evaluation(data).rows[0].score == 10
    config = CheckerConfig.from_dict({"selfeval_overachievement_deduction": True}, "2021")
    assert score_self_evaluation(data, config).rows[0].score == 9  # +30 %: 10 pp over 20 %


@pytest.mark.parametrize("total,grade", [(90, "优"), (89.99, "良"), (80, "良"), (79.99, "中"),
                                         (60, "中"), (59.99, "差"), (0, "差")])
def test_grade_bands(total, grade):
    assert grade_for(total) == grade


@pytest.mark.parametrize("data", [None, [], {"rows": "x"}, {"budget_execution_rate": "NaN",
                                                              "rows": []}])
def test_unusable_self_evaluations_are_refused(data):
    with pytest.raises(SelfEvalError):
        score_self_evaluation(data)


def test_learner_scores_within_tolerance(example):
    expected = score_self_evaluation(example)
    entries = {"budget_score": 9.5, "rows": [r["score"] for r in example["rows"]],
               "total": 91.73, "grade": "优"}
    checks = check_learner_scores(expected, entries)
    assert all(check.correct for check in checks)
    entries.update(total=91.70, grade="良")
    entries["rows"][1] = 7.2
    wrong = [c.item for c in check_learner_scores(expected, entries) if not c.correct]
    assert wrong == ["row:2", "total", "grade"]
    assert not any(c.correct for c in check_learner_scores(expected, {})[:1])


# ---- monitoring --------------------------------------------------------------------------

def light(actual, target=120, month=6, level1="产出指标", level2="数量指标", op=">="):
    return traffic_light(month=month, level1=level1, level2=level2, op=op, target=target,
                         actual=actual)


@pytest.mark.parametrize("actual,expected", [
    (35.99, RED), (36, YELLOW), (47.99, YELLOW), (48, GREEN), (71.99, GREEN), (72, BLUE)])
def test_time_proportional_boundaries(actual, expected):
    # Benchmark 120 × 6/12 = 60: 60 % = 36 yellow, 80 % = 48 green, 120 % = 72 blue.
    assert light(actual) == expected


@pytest.mark.parametrize("month,target,actual,expected", [
    (7, 12, 4.2, YELLOW), (7, 12, 5.6, GREEN), (7, 12, 8.4, BLUE), (3, 0.3, 0.045, YELLOW),
    (12, 10, 6, YELLOW)])
def test_exact_boundaries_with_awkward_fractions(month, target, actual, expected):
    assert light(actual, target=target, month=month) == expected


def test_benefit_and_satisfaction_use_the_benchmark_too():
    assert light(20, target=90, month=4, level1="满意度指标", level2="服务对象满意度指标") == YELLOW
    assert light(30, target=90, month=4, level1="效益指标", level2="社会效益指标") == GREEN


def test_reverse_quality_timeliness_and_cost_are_in_range_or_red():
    assert light(420, target=450, op="<=", level1="成本指标", level2="经济成本指标") == GREEN
    assert light(460, target=450, op="<=", level1="成本指标", level2="经济成本指标") == RED
    assert light(5, target=10, op="<=", level1="效益指标", level2="社会效益指标") == GREEN
    assert light(12, target=10, op="<=", level1="效益指标", level2="社会效益指标") == RED
    assert light(97, target=98, level2="质量指标") == RED
    assert light(99, target=98, level2="质量指标") == GREEN
    assert light("2025-08-20", target="2025-08-25", op="<=", level2="时效指标") == GREEN
    assert light("2025-09-01", target="2025-08-25", op="<=", level2="时效指标") == RED


@pytest.mark.parametrize("actual,expected", [("达到", GREEN), ("部分达到并具备一定效果", YELLOW),
                                             ("未达到", RED)])
def test_qualitative_lights(actual, expected):
    assert light(actual, target="达到", op="定性", level2="质量指标") == expected


@pytest.mark.parametrize("kwargs", [{"month": 0}, {"month": 13}, {"actual": "abc"},
                                    {"actual": "很多", "op": "定性"}])
def test_bad_monitoring_input(kwargs):
    with pytest.raises(MonitoringError):
        light(**{"actual": 10, **kwargs})


def test_deviation_responses():
    assert deviation_response(light=GREEN) == CONTINUE
    assert deviation_response(light="蓝") == CONTINUE
    assert deviation_response(light=RED, cause="objective") == ADJUST
    assert deviation_response(light=YELLOW, cause="serious") == SUSPEND
    with pytest.raises(MonitoringError):
        deviation_response(light=RED)


def test_monitoring_answers_are_checked_against_the_key():
    rows = [{"level1": "产出指标", "level2": "数量指标", "op": ">=", "target": 12, "actual": 2},
            {"level1": "产出指标", "level2": "数量指标", "op": ">=", "target": 12, "actual": 5,
             "cause": "serious"},
            {"level1": "产出指标", "level2": "数量指标", "op": ">=", "target": 12,
             "actual": 6.5}]
    answers = [{"light": "红", "response": ADJUST}, {"light": "yellow", "response": ADJUST},
               {"light": "green", "response": CONTINUE}]
    checks = check_monitoring_answers(month=7, rows=rows, answers=answers)
    assert [(c.light_correct, c.response_correct) for c in checks] == [
        (True, True), (True, False), (True, True)]


# ---- ex-ante -----------------------------------------------------------------------------

@pytest.mark.parametrize("points,total,conclusion", [
    ((20, 18, 16, 14, 12), 80, SUPPORT), ((16, 16, 16, 16, 15.99), 79.99, CONDITIONAL),
    ((12, 12, 12, 12, 12), 60, CONDITIONAL), ((12, 12, 12, 12, 11.5), 59.5, REJECT)])
def test_exante_total_and_conclusion(points, total, conclusion):
    result = exante_assess(dict(zip(ASPECTS, points, strict=True)))
    assert (result.total, result.conclusion) == (total, conclusion)


def test_exante_thresholds_are_configurable():
    config = CheckerConfig.from_dict({"exante_support_from": 85}, "2021")
    scores = dict(zip(ASPECTS, (20, 18, 16, 14, 12), strict=True))
    assert exante_assess(scores, config).conclusion == CONDITIONAL


@pytest.mark.parametrize("scores", [
    {}, dict(zip(ASPECTS, (21, 1, 1, 1, 1), strict=True)),
    {**dict(zip(ASPECTS, (1, 1, 1, 1, 1), strict=True)), "其他": 3},
    dict(zip(ASPECTS, ("x", 1, 1, 1, 1), strict=True))])
def test_exante_bad_scores(scores):
    with pytest.raises(ExAnteError):
        exante_assess(scores)


def test_aspect_mapping_key():
    assert set(TYPICAL_FINDINGS.values()) == set(ASPECTS)
    answers = dict(TYPICAL_FINDINGS)
    first = next(iter(answers))
    answers[first] = "筹资合规性"
    result = check_aspect_mapping(TYPICAL_FINDINGS, answers)
    assert (result.correct, result.total) == (9, 10) and list(result.wrong) == [first]
    assert result.score == 90
