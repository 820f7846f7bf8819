"""Checker rules R01–R22: a clean table stays clean, each broken rule gives exactly its finding."""

import pytest

from casebook.rules.checker import RULES, check_goal_table, score_findings, to_json
from casebook.rules.config import CheckerConfig, default_config
from casebook.rules.table import GoalTable
from tests.casebook.tables import clean_table, reference_tables

FRAMEWORKS = ("2021", "2020")


def check(data, config=None):
    return check_goal_table(GoalTable.from_dict(data), config)


def only(result, rule, row, *, ignore_info=False):
    """Assert the result holds exactly one finding: `rule` on `row`."""
    findings = [f for f in result.findings if not (ignore_info and f.severity == "info")]
    assert [(f.rule, f.row) for f in findings] == [(rule, row)], [
        (f.rule, f.row, f.message) for f in result.findings]
    return findings[0]


def rows(data):
    return data["indicators"]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_clean_table_has_no_findings_and_full_score(framework):
    result = check(clean_table(framework))
    assert result.findings == []
    assert result.score == 100 and result.passed


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("case_id,data", reference_tables("2021"), ids=lambda v: str(v)[:12])
def test_report_reference_tables_are_clean_in_both_frameworks(framework, case_id, data):
    data = dict(reference_tables(framework)[[c for c, _ in reference_tables()].index(case_id)][1])
    result = check(data)
    assert result.findings == [], [(f.rule, f.row, f.message) for f in result.findings]


def test_level_names_without_the_trailing_zhibiao_are_accepted():
    data = clean_table()
    for row in rows(data):
        row["level1"] = row["level1"].removesuffix("指标")
        row["level2"] = row["level2"].removesuffix("指标")
    assert check(data).findings == []


def test_full_width_operators_are_normalised():
    data = clean_table()
    rows(data)[0]["op"], rows(data)[1]["op"], rows(data)[2]["op"] = "≤", "≥", "＝"
    assert check(data).findings == []


# ---- R01 / R02 / R03 ----------------------------------------------------------------------

def test_r01_missing_cost_class_in_2021():
    data = clean_table("2021")
    del rows(data)[0]
    finding = only(check(data), "R01", None)
    assert finding.severity == "error" and "成本指标" in finding.message


def test_r01_missing_benefit_class_in_2020():
    data = clean_table("2020")
    data["indicators"] = [r for r in rows(data) if r["level1"] != "效益指标"]
    finding = only(check(data), "R01", None, ignore_info=True)
    assert "效益指标" in finding.message


def test_r01_2020_does_not_require_a_cost_class():
    data = clean_table("2020")
    del rows(data)[0]
    assert check(data).findings == []


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r02_level2_from_another_level1(framework):
    data = clean_table(framework)
    rows(data)[2]["level2"] = "社会效益指标"
    finding = only(check(data), "R02", 3)
    assert finding.severity == "error" and "效益指标" in finding.message


def test_r02_cost_as_level1_in_the_2020_framework():
    data = clean_table("2021")
    data["framework"] = "2020"
    finding = only(check(data), "R02", 1)
    assert "产出指标" in finding.message


def test_r02_cost_as_level2_of_output_in_the_2021_framework():
    data = clean_table("2020")
    data["framework"] = "2021"
    result = check(data)
    assert ("R02", 1) in [(f.rule, f.row) for f in result.findings]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r03_missing_satisfaction(framework):
    data = clean_table(framework)
    data["indicators"] = [r for r in rows(data) if r["level1"] != "满意度指标"]
    finding = only(check(data), "R03", None)
    assert finding.severity == "error"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r03_satisfaction_as_the_only_benefit(framework):
    data = clean_table(framework)
    rows(data)[5].update(name="群众出行满意度", value=90)
    del rows(data)[6]
    only(check(data), "R03", 6)


# ---- R04–R09 ------------------------------------------------------------------------------

@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r04_vague_value(framework):
    data = clean_table(framework)
    rows(data)[5]["value"] = "明显提高"
    finding = only(check(data), "R04", 6)
    assert "明显" in finding.message and finding.basis


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r04_vague_name_with_text_value(framework):
    data = clean_table(framework)
    rows(data)[6].update(name="养护管理水平进一步提升", value="较好", unit="")
    only(check(data), "R04", 7)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r04_number_name_with_vague_word_but_numeric_value_is_fine(framework):
    data = clean_table(framework)
    rows(data)[6]["name"] = "养护资金有效使用率"
    assert check(data).findings == []


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r05_quantitative_without_unit(framework):
    data = clean_table(framework)
    rows(data)[1]["unit"] = ""
    finding = only(check(data), "R05", 2)
    assert "计量单位" in finding.message


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r06_rate_with_a_length_unit(framework):
    data = clean_table(framework)
    rows(data)[3]["unit"] = "公里"
    assert only(check(data), "R06", 4).severity == "warning"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r06_people_count_with_wrong_unit(framework):
    data = clean_table(framework)
    rows(data)[2].update(name="受益群众人数", unit="座", level1="效益指标", level2="社会效益指标")
    rows(data)[2]["value"] = 4
    result = check(data)
    assert ("R06", 3) in [(f.rule, f.row) for f in result.findings]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r07_percent_above_100(framework):
    data = clean_table(framework)
    rows(data)[5]["value"] = 120
    assert only(check(data), "R07", 6).severity == "error"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r07_growth_rate_may_exceed_100(framework):
    data = clean_table(framework)
    rows(data)[5].update(name="农村公路列养里程同比增长", value=120)
    assert check(data).findings == []


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r07_negative_value(framework):
    data = clean_table(framework)
    rows(data)[2]["value"] = -4
    result = check(data)
    assert ("R07", 3) in [(f.rule, f.row) for f in result.findings]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r08_cost_with_greater_or_equal(framework):
    data = clean_table(framework)
    rows(data)[0]["op"] = ">="
    assert only(check(data), "R08", 1).severity == "warning"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r08_satisfaction_with_less_or_equal(framework):
    data = clean_table(framework)
    rows(data)[7]["op"] = "<="
    only(check(data), "R08", 8)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r08_missing_operator(framework):
    data = clean_table(framework)
    rows(data)[2]["op"] = ""
    only(check(data), "R08", 3)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r08_decrease_rate_with_greater_or_equal_is_fine(framework):
    data = clean_table(framework)
    rows(data)[5].update(name="沿线交通事故投诉量同比下降率", op=">=", value=10)
    assert check(data).findings == []


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("name", ["每公里养护财政投入", "户均改造补助", "农村公路养护资金"])
def test_r08_every_cost_class_indicator_is_reverse_whatever_its_name(framework, name):
    data = clean_table(framework)
    rows(data)[0].update(name=name, op=">=")
    finding = only(check(data), "R08", 1)
    assert "成本指标" in finding.message and "≤" in finding.message


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("op", ["<=", "=", "<"])
def test_r08_cost_class_indicators_with_reverse_or_fixed_operators_are_fine(framework, op):
    data = clean_table(framework)
    rows(data)[0].update(name="每公里养护财政投入", op=op)
    assert check(data).findings == []


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("name,unit,value", [("养护单位成本降低率", "%", 5),
                                             ("养护资金节约额", "万元", 10)])
def test_r08_cost_class_decrease_and_saving_indicators_may_use_greater_or_equal(
        framework, name, unit, value):
    data = clean_table(framework)
    rows(data)[0].update(name=name, op=">=", unit=unit, value=value)
    assert "R08" not in [f.rule for f in check(data).findings]


def test_r08_a_cost_level2_misplaced_under_output_is_reported_by_r02_only():
    data = clean_table("2021")
    rows(data)[1].update(level2="经济成本指标")  # 农村公路日常养护里程 >= 1000 公里
    assert [f.rule for f in check(data).findings] == ["R02"]


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("value", [100, 70])
def test_r09_satisfaction_100_or_low(framework, value):
    data = clean_table(framework)
    rows(data)[7]["value"] = value
    assert only(check(data), "R09", 8).severity == "warning"


def test_r09_boundary_80_is_not_low():
    data = clean_table()
    rows(data)[7]["value"] = 80
    assert check(data).findings == []


def test_r09_explanation_without_survey_method_is_info():
    data = clean_table()
    rows(data)[7]["explanation"] = "满意人数占比"
    assert only(check(data), "R09", 8).severity == "info"
    rows(data)[7]["explanation"] = "委托第三方问卷调查，满意人数/调查人数"
    assert check(data).findings == []


# ---- R10–R16 ------------------------------------------------------------------------------

@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r10_output_as_benefit(framework):
    data = clean_table(framework)
    rows(data)[6].update(name="完成危桥加固", value=4, unit="座", op=">=")
    assert only(check(data), "R10", 7).severity == "warning"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r10_outcome_as_output_quantity(framework):
    data = clean_table(framework)
    rows(data)[2].update(name="带动沿线农户增收户数", unit="户", op=">=", value=4)
    only(check(data), "R10", 3)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r11_outcome_under_quality(framework):
    data = clean_table(framework)
    rows(data)[3].update(name="沿线农户收入增长率")
    assert only(check(data), "R11", 4).severity == "warning"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r12_unit_cost_times_quantity_above_budget_is_an_error(framework):
    data = clean_table(framework)
    rows(data)[0]["value"] = 50000
    finding = only(check(data), "R12", 1)
    assert finding.severity == "error" and "5000.00" in finding.message


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r12_budget_mismatch_over_20_percent_is_a_warning(framework):
    data = clean_table(framework)
    data["budget_wan"] = 800
    assert only(check(data), "R12", 1).severity == "warning"


def test_r12_budget_within_20_percent_is_fine():
    data = clean_table()
    data["budget_wan"] = 600  # 500 of 600: 16.7 %
    assert check(data).findings == []


def test_r12_total_cost_row_above_budget():
    data = clean_table()
    rows(data)[0].update(name="危桥检测费", unit="万元", value=650)
    assert only(check(data), "R12", 1).severity == "error"


def test_r12_cost_standard_from_configuration():
    data = clean_table()
    config = CheckerConfig.from_dict({"cost_standards": {"养护单价": 4000}}, "2021")
    assert only(check(data, config), "R12", 1).severity == "error"


def test_r12_large_budget_with_few_indicators():
    data = clean_table()
    data["overall_goal"] = "2026年完成1000公里农村公路日常养护。"
    data["indicators"] = [rows(data)[i] for i in (0, 1, 5, 7)]
    finding = only(check(data), "R12", None)
    assert finding.severity == "warning" and "4" in finding.message


def test_r13_too_few_indicators_is_an_error():
    data = clean_table()
    data["indicators"] = rows(data)[:2]
    result = check(data)
    assert ("R13", None, "error") in [(f.rule, f.row, f.severity) for f in result.findings]
    assert not result.passed


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r13_more_than_20_indicators_is_a_warning(framework):
    data = clean_table(framework)
    for i in range(13):
        rows(data).append({"level1": "效益指标", "level2": "社会效益指标",
                           "name": f"第{i + 1}标段列养率", "op": "=", "value": 100,
                           "unit": "%", "basis": "计划标准"})
    assert only(check(data), "R13", None, ignore_info=True).severity == "warning"


def test_r13_dominant_level1_is_info():
    data = clean_table()
    for i in range(6):
        rows(data).append({"level1": "产出指标", "level2": "数量指标",
                           "name": f"第{i + 1}标段巡查次数", "op": ">=", "value": 12,
                           "unit": "次", "basis": "计划标准"})
    assert only(check(data), "R13", None).severity == "info"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r14_process_work_as_output(framework):
    data = clean_table(framework)
    rows(data)[2].update(name="召开养护工作会议次数", unit="次")
    assert only(check(data), "R14", 3).severity == "warning"


def test_r14_meetings_are_legitimate_outputs_of_a_meeting_project():
    data = clean_table()
    data["project"] = "2026年农村公路养护培训及会议项目"
    rows(data)[2].update(name="召开养护工作会议次数", unit="次")
    assert check(data).findings == []


R14_PHRASINGS = [
    # 召开…会
    "召开养护工作推进会次数", "召开全县公路养护现场会", "召开危桥改造专题调度会场次",
    # 开展…调研
    "开展农村公路养护专题调研次数", "开展实地调研", "组织路况调研次数",
    # 印发…文件/通知
    "印发养护管理制度文件数量", "印发年度养护资金管理通知", "下发危桥改造工作通知份数",
    "出台养护考核文件",
    # 组织…检查
    "组织开展路况安全检查次数", "组织养护质量检查", "组织专项检查",
    # fixed phrases
    "按时上报养护统计报表", "召开会议次数",
]


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("name", R14_PHRASINGS)
def test_r14_process_work_is_found_with_words_between_verb_and_object(framework, name):
    data = clean_table(framework)
    rows(data)[2].update(name=name, unit="次")
    finding = only(check(data), "R14", 3, ignore_info=True)
    assert finding.severity == "warning" and "过程性或日常工作" in finding.message


@pytest.mark.parametrize("name", ["召开养护工作推进会次数", "召开全县公路养护现场会"])
def test_r14_meetings_phrased_freely_are_outputs_of_a_meeting_project(name):
    data = clean_table()
    data["project"] = "2026年农村公路养护培训及会议项目"
    rows(data)[2].update(name=name, unit="次")
    assert check(data).findings == []


@pytest.mark.parametrize("name", ["印发年度养护资金管理通知", "组织养护质量检查"])
def test_r14_other_process_work_is_still_found_in_a_meeting_project(name):
    data = clean_table()
    data["project"] = "2026年农村公路养护培训及会议项目"
    rows(data)[2].update(name=name, unit="次")
    only(check(data), "R14", 3, ignore_info=True)


@pytest.mark.parametrize("name", ["组织65岁以上老年人健康检查人次", "完成危桥检查座数",
                                  "召开", "养护会议室改造面积", "开展，后续调研"])
def test_r14_services_and_unrelated_words_are_not_process_work(name):
    data = clean_table()
    rows(data)[2].update(name=name, unit="人次" if "人次" in name else "座")
    assert "R14" not in [f.rule for f in check(data).findings]


def test_r14_gap_between_verb_and_object_is_bounded_by_configuration():
    data = clean_table()
    rows(data)[2].update(name="召开养护工作推进会次数", unit="次")
    assert "R14" not in [f.rule for f in check(data, CheckerConfig.from_dict(
        {"process_work_gap": 2})).findings]
    only(check(data, CheckerConfig.from_dict({"process_work_gap": 6})), "R14", 3,
         ignore_info=True)


def test_demo_case_reference_tables_have_no_direction_or_process_findings():
    from casebook.demo_cases import CASES

    for case in CASES:
        data = {"framework": case["framework"], "project": case["title"],
                "budget_wan": case["budget_wan"], "year": case["year"],
                "multi_year": case["multi_year"], "overall_goal": case["overall_goal"],
                "annual_goal": case["annual_goal"], "indicators": case["indicators"]}
        assert check(data).findings == [], case["code"]


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("value", ["按时完成", "及时"])
def test_r15_timeliness_not_a_date(framework, value):
    data = clean_table(framework)
    rows(data)[4]["value"] = value
    assert only(check(data), "R15", 5).severity == "error"


@pytest.mark.parametrize("value,unit", [(30, "日"), (95, "%"), ("2026年10月底前", ""),
                                        ("2026/10/31", "日期")])
def test_r15_dates_durations_and_rates_are_fine(value, unit):
    data = clean_table()
    rows(data)[4].update(value=value, unit=unit)
    if value == 95:
        rows(data)[4]["name"] = "危桥改造按期完成及时率"
        rows(data)[4]["op"] = ">="
    assert check(data).findings == []


def test_r15_number_with_a_non_time_unit():
    data = clean_table()
    rows(data)[4].update(value=4, unit="座", name="危桥改造完成期限")
    only(check(data), "R15", 5)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r16_missing_basis(framework):
    data = clean_table(framework)
    rows(data)[2]["basis"] = ""
    assert only(check(data), "R16", 3).severity == "warning"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r16_target_below_history(framework):
    data = clean_table(framework)
    rows(data)[1]["history"] = 1100
    finding = only(check(data), "R16", 2)
    assert "1100" in finding.message


def test_r16_target_above_history_is_fine():
    data = clean_table()
    rows(data)[1]["history"] = "950"
    assert check(data).findings == []


# ---- R17–R22 ------------------------------------------------------------------------------

@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r17_multi_year_without_annual_goal(framework):
    data = clean_table(framework)
    data["multi_year"] = True
    assert only(check(data), "R17", None).severity == "warning"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r17_annual_goal_with_multi_year_wording(framework):
    data = clean_table(framework)
    data["annual_goal"] = data["overall_goal"] + "三年累计改造12座危桥。"
    data["annual_goal"] = data["annual_goal"].replace("12座", "危桥")
    finding = only(check(data), "R17", None)
    assert "三年" in finding.message


def test_r17_annual_indicator_takes_the_multi_year_total():
    data = clean_table()
    data.update(multi_year=True, budget_wan=1500,
                overall_goal="2026—2028年累计完成3000公里农村公路养护。",
                annual_goal="2026年完成4座危桥改造，养护路段优良路率达到85%以上。")
    rows(data)[1]["value"] = 3000
    only(check(data), "R17", 2)


def test_r17_multi_year_with_separate_goals_is_clean():
    data = clean_table()
    data.update(multi_year=True, overall_goal="2026—2028年累计完成3000公里农村公路养护。",
                annual_goal=data["overall_goal"])
    assert check(data).findings == []


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r18_goal_without_numbers(framework):
    data = clean_table(framework)
    data["overall_goal"] = "加强农村公路养护，改善群众出行条件。"
    assert only(check(data), "R18", None).severity == "warning"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r18_goal_number_missing_from_indicators(framework):
    data = clean_table(framework)
    data["overall_goal"] = data["overall_goal"].replace("4座", "6座")
    finding = only(check(data), "R18", None)
    assert "6座" in finding.message


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r19_identical_names(framework):
    data = clean_table(framework)
    rows(data)[6]["name"] = "农村公路列养率"
    finding = only(check(data), "R19", 7)
    assert "第6行" in finding.message


def test_r19_near_identical_names():
    data = clean_table()
    rows(data)[6]["name"] = "农村公路列养比率"
    only(check(data), "R19", 7)


def test_r19_names_differing_only_by_a_number_are_not_duplicates():
    data = clean_table()
    rows(data)[5]["name"] = "一标段农村公路列养率"
    rows(data)[6]["name"] = "二标段农村公路列养率"
    assert check(data).findings == []


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r20_macro_benefit(framework):
    data = clean_table(framework)
    rows(data)[5]["name"] = "带动全市经济发展贡献率"
    assert only(check(data), "R20", 6).severity == "warning"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_r21_qualitative_without_grades(framework):
    data = clean_table(framework)
    rows(data)[6].update(op="qualitative", value="达到预期", unit="")
    assert only(check(data), "R21", 7).severity == "error"


def test_r21_qualitative_with_graded_scale_is_fine():
    data = clean_table()
    rows(data)[6].update(op="定性", value="达到预期目标", unit="",
                         explanation="分档：达到预期目标/部分达到并具备一定效果/未达到")
    assert check(data).findings == []


def test_r22_data_source_only_when_required():
    data = clean_table()
    for row in rows(data):
        row["explanation"] = "数据来源：养护台账与问卷调查"
    rows(data)[1]["explanation"] = "养护里程合计"
    assert check(data).findings == []
    config = CheckerConfig.from_dict({"require_data_source": True}, "2021")
    assert only(check(data, config), "R22", 2).severity == "info"


# ---- result, scoring, order ---------------------------------------------------------------

def test_every_rule_has_a_title_and_basis():
    assert sorted(RULES) == [f"R{n:02d}" for n in range(1, 23)]
    assert all(title and basis for title, basis in RULES.values())


def test_findings_are_deterministic_and_ordered():
    data = clean_table()
    data["overall_goal"] = "加强养护。"
    rows(data)[5]["value"] = "明显提高"
    rows(data)[1]["unit"] = ""
    rows(data)[1]["basis"] = ""
    first = check(data)
    assert first == check(data)
    keys = [(f.row is not None, f.row or 0, int(f.rule[1:])) for f in first.findings]
    assert keys == sorted(keys)
    assert first.findings[0].row is None


def test_scoring_penalties_caps_and_pass_rule():
    config = default_config()
    data = clean_table()
    for row in rows(data):
        row["basis"] = ""
    result = check(data)
    # Eight R16 warnings are charged three times: 100 - 3 × 5.
    assert result.score == 85 and result.passed
    rows(data)[1]["unit"] = ""
    result = check(data)
    assert result.score == 70 and not result.passed  # an error never passes
    assert score_findings([], config) == (100.0, True)


def test_to_json_matches_the_cli_schema():
    import json

    data = clean_table()
    rows(data)[2]["unit"] = ""
    payload = json.loads(to_json(check(data)))
    assert set(payload) == {"score", "passed", "findings"}
    assert payload["findings"][0]["rule"] == "R05" and payload["findings"][0]["row"] == 3
    assert {"rule", "severity", "row", "message"} <= set(payload["findings"][0])


def test_html_in_cells_is_kept_as_text():
    data = clean_table()
    rows(data)[2]["name"] = "<script>alert(1)</script>危桥改造座数"
    result = check(data)
    assert result.findings == []
    rows(data)[2]["unit"] = ""
    assert "<script>alert(1)</script>" in check(data).findings[0].message


def test_fifty_row_table_is_fast():
    import time

    data = clean_table()
    base = rows(data)[:]
    data["indicators"] = [dict(base[i % len(base)], name=f"{base[i % len(base)]['name']}{i}")
                          for i in range(50)]
    table = GoalTable.from_dict(data)
    check_goal_table(table)
    started = time.perf_counter()
    for _ in range(10):
        check_goal_table(table)
    assert (time.perf_counter() - started) / 10 < 0.05
