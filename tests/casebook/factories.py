"""Test data for the casebook: a valid case dict (demo_cases schema) and indicator dicts."""

from __future__ import annotations

import copy
import itertools

from casebook.demo_cases import CASES

_numbers = itertools.count(1)

# The 单位自评 of CASE-GOV-01 (scores 91.72, 优), without its stored results: the case page
# computes them.
SELF_EVALUATION = {
    "budget_wan": 48, "executed_wan": 45.6,
    "rows": [{key: value for key, value in row.items() if key != "score"}
             for row in next(case for case in CASES
                             if case["code"] == "CASE-GOV-01")["self_evaluation"]["rows"]],
}

CLEAN_ROWS = [
    {"level1": "成本指标", "level2": "经济成本指标", "name": "校舍维修改造单位造价", "op": "<=",
     "value": "1200", "unit": "元/平方米", "basis": "预算支出标准",
     "explanation": "按工程预算定额测算", "history": ""},
    {"level1": "产出指标", "level2": "数量指标", "name": "完成校舍维修改造面积", "op": ">=",
     "value": "5000", "unit": "平方米", "basis": "计划标准（年度维修计划）", "explanation": "",
     "history": ""},
    {"level1": "产出指标", "level2": "数量指标", "name": "实施改造学校数", "op": "=",
     "value": "12", "unit": "所", "basis": "计划标准", "explanation": "", "history": ""},
    {"level1": "产出指标", "level2": "质量指标", "name": "工程竣工验收合格率", "op": "=",
     "value": "100", "unit": "%", "basis": "行业标准", "explanation": "", "history": ""},
    {"level1": "产出指标", "level2": "时效指标", "name": "维修工程完工时间", "op": "<=",
     "value": "2025-08-25", "unit": "日期", "basis": "计划标准（秋季开学前）", "explanation": "",
     "history": ""},
    {"level1": "效益指标", "level2": "社会效益指标", "name": "受益学生人数", "op": ">=",
     "value": "8600", "unit": "人", "basis": "计划标准（在校生统计）", "explanation": "",
     "history": ""},
    {"level1": "满意度指标", "level2": "服务对象满意度指标", "name": "学生家长满意度", "op": ">=",
     "value": "90", "unit": "%", "basis": "历史标准（上年调查88%）",
     "explanation": "抽样问卷调查，满意和基本满意人数占有效问卷的比例", "history": "88"},
]


def case_data(**overrides) -> dict:
    """A valid CASES item whose reference table passes the checker."""
    n = next(_numbers)
    data = {
        "code": f"CASE-TST-{n:03d}",
        "title": f"2025年义务教育学校校舍维修项目{n}",
        "department": "某市教育局",
        "func_class_code": "205",
        "func_subclass": {"code": "20502", "name": "普通教育"},
        "year": 2025,
        "budget_wan": 860,
        "funding_source": "本级财政拨款",
        "project_type": "new",
        "multi_year": False,
        "background": "部分学校校舍老化，存在安全隐患。",
        "overall_goal": "2025年完成12所学校共5000平方米校舍维修改造，开学前完工并验收合格，"
                        "改善8600名学生学习条件。",
        "annual_goal": "2025年完成12所学校共5000平方米校舍维修改造，开学前完工并验收合格，"
                       "改善8600名学生学习条件。",
        "framework": "2021",
        "indicators": copy.deepcopy(CLEAN_ROWS),
        "monitoring": {"month": 7, "budget_wan": 860, "executed_wan": 430,
                       "rows": [{"name": "完成校舍维修改造面积", "target": "5000",
                                 "progress": "2600", "direction": "positive"}]},
        "self_evaluation": copy.deepcopy(SELF_EVALUATION),
        "findings": "个别学校开工延迟。",
        "rectification": "调整施工计划。",
        "teaching_good": "数量、质量、时效齐全。",
        "teaching_mistakes": "把满意度当作效益指标。",
        "stages": ["goals", "monitoring"],
        "difficulty": "easy",
    }
    data.update(overrides)
    return data


def indicator_data(**overrides) -> dict:
    """A valid INDICATORS item."""
    n = next(_numbers)
    data = {
        "func_class_code": "205", "func_subclass_code": "20502", "sector": "校舍维修",
        "level1": "产出指标", "level2": "数量指标", "name": f"完成校舍维修改造面积{n}",
        "explanation": "年度内完成并验收的面积", "unit": "平方米", "direction": "positive",
        "typical_value": "5000", "basis": "plan", "source": "specific",
        "examples": "CASE-EDU-01",
    }
    data.update(overrides)
    return data
