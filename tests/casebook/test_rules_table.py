"""Interchange format, configuration and the Excel template: validation of hostile input."""

import io
import math

import pytest
from django.utils import translation

from casebook.rules import table as table_module
from casebook.rules.config import CheckerConfig, ConfigError, default_config, load_config
from casebook.rules.excel import goal_table_from_xlsx, goal_table_workbook
from casebook.rules.table import GoalTable, TableError, normalise_op
from tests.casebook.tables import clean_table


def errors_of(data) -> list[str]:
    with translation.override("en"), pytest.raises(TableError) as caught:
        GoalTable.from_dict(data)
    return caught.value.messages


def test_round_trip_keeps_the_table():
    data = clean_table()
    table = GoalTable.from_dict(data)
    assert GoalTable.from_dict(table.to_dict()) == table
    assert table.to_dict()["indicators"][4]["value"] == "2026-10-31"
    assert table.indicators[4].value_kind == "date"


@pytest.mark.parametrize("raw,expected", [
    ("≥", ">="), ("≤", "<="), ("＝", "="), ("＞", ">"), ("＜", "<"), ("定性", "qualitative"),
    (">=", ">="), ("qualitative", "qualitative"), ("", ""), (None, ""), ("~", None)])
def test_operator_normalisation(raw, expected):
    assert normalise_op(raw) == expected


def test_numeric_strings_and_operator_typed_into_the_value_cell():
    data = clean_table()
    data["indicators"][1].update(value="1,000")
    data["indicators"][2].update(op="", value="≥4")
    table = GoalTable.from_dict(data)
    assert table.indicators[1].number == 1000
    assert (table.indicators[2].op, table.indicators[2].number) == (">=", 4)


@pytest.mark.parametrize("data,message", [
    ([], table_module.ERR_NOT_OBJECT),
    ("text", table_module.ERR_NOT_OBJECT),
    ({"project": "x"}, table_module.ERR_NO_INDICATORS),
    ({"indicators": "rows"}, table_module.ERR_NO_INDICATORS),
])
def test_malformed_tables_are_refused_with_a_clear_message(data, message):
    assert errors_of(data) == [message]


def test_more_than_2000_rows_is_refused():
    data = clean_table()
    data["indicators"] = data["indicators"] * 251  # 2008 rows
    assert errors_of(data) == [table_module.ERR_TOO_MANY_ROWS.format(count=2008, limit=2000)]


def test_2000_rows_are_accepted():
    data = clean_table()
    data["indicators"] = (data["indicators"] * 250)[:2000]
    assert len(GoalTable.from_dict(data).indicators) == 2000


@pytest.mark.parametrize("value", [1e300, math.nan, math.inf, -math.inf, 10 ** 400, "1e300"])
def test_absurd_numbers_are_refused(value):
    data = clean_table()
    data["indicators"][1]["value"] = value
    assert errors_of(data) == [table_module.ERR_ROW_NUMBER.format(row=2, field="value")]


@pytest.mark.parametrize("budget", [math.nan, -5, 1e300, "abc"])
def test_absurd_budget_is_refused(budget):
    data = clean_table()
    data["budget_wan"] = budget
    assert errors_of(data) == [table_module.ERR_NUMBER.format(field="budget_wan")]


def test_over_long_cells_are_refused_and_every_problem_is_listed():
    data = clean_table()
    data["indicators"][0]["name"] = "长" * 2001
    data["overall_goal"] = "目" * 2001
    data["indicators"][3]["op"] = "≈"
    data["framework"] = "2019"
    messages = errors_of(data)
    assert table_module.ERR_ROW_TEXT_TOO_LONG.format(row=1, field="name", limit=2000) in messages
    assert table_module.ERR_TEXT_TOO_LONG.format(field="overall_goal", limit=2000) in messages
    assert table_module.ERR_ROW_OP.format(row=4, value="≈") in messages
    assert table_module.ERR_FRAMEWORK.format(value="2019") in messages


@pytest.mark.parametrize("row", [["a"], "row", 5, None])
def test_rows_that_are_not_objects_are_refused(row):
    data = clean_table()
    data["indicators"][2] = row
    assert errors_of(data) == [table_module.ERR_ROW_NOT_OBJECT.format(row=3)]


def test_nested_values_are_refused():
    data = clean_table()
    data["indicators"][2]["value"] = {"x": 1}
    data["indicators"][3]["name"] = ["x"]
    messages = errors_of(data)
    assert table_module.ERR_ROW_FIELD_TYPE.format(row=3, field="value") in messages
    assert table_module.ERR_ROW_FIELD_TYPE.format(row=4, field="name") in messages


def test_html_is_kept_as_literal_text():
    data = clean_table()
    data["indicators"][2]["name"] = "<b onmouseover=x>危桥</b>"
    assert GoalTable.from_dict(data).indicators[2].name == "<b onmouseover=x>危桥</b>"


def test_note_is_read_as_the_explanation():
    data = clean_table()
    del data["indicators"][0]["explanation"]
    data["indicators"][0]["note"] = "按定额测算"
    assert GoalTable.from_dict(data).indicators[0].explanation == "按定额测算"


# ---- configuration ---------------------------------------------------------------------

def test_default_configs_differ_by_framework():
    new, old = default_config("2021"), default_config("2020")
    assert new.level1 == ["成本指标", "产出指标", "效益指标", "满意度指标"]
    assert new.level2["成本指标"] == ["经济成本指标", "社会成本指标", "生态环境成本指标"]
    assert old.level1 == ["产出指标", "效益指标", "满意度指标"]
    assert "成本指标" in old.level2["产出指标"]
    assert (new.satisfaction_low, new.budget_mismatch_share, new.large_budget_wan) == (80, 0.2, 100)
    assert (new.max_indicators, new.min_indicators, new.dominant_level1_share) == (20, 3, 0.6)


def test_overrides_merge_onto_defaults_and_round_trip():
    config = CheckerConfig.from_dict({
        "satisfaction_low": 85, "vague_words": ["明显"],
        "level2": {"效益指标": ["经济效益", "社会效益"]}}, "2021")
    assert config.satisfaction_low == 85.0 and config.vague_words == ["明显"]
    assert config.level2["效益指标"] == ["经济效益指标", "社会效益指标"]
    assert config.level2["产出指标"] == ["数量指标", "质量指标", "时效指标"]
    assert CheckerConfig.from_dict(config.to_dict(), "2021") == config


@pytest.mark.parametrize("overrides", [
    {"no_such_key": 1}, {"satisfaction_low": "high"}, {"vague_words": "明显"},
    {"require_data_source": 1}, {"level2": ["x"]}, "text"])
def test_bad_overrides_are_refused(overrides):
    with pytest.raises(ConfigError):
        CheckerConfig.from_dict(overrides, "2021")


def test_load_config_falls_back_to_defaults_without_a_year():
    assert load_config("2020", None) == default_config("2020")


@pytest.mark.django_db
def test_load_config_reads_the_bureaus_overrides_when_saved():
    from casebook.services import goal_rule_settings_save

    goal_rule_settings_save(year=2026, framework="2021", overrides={"satisfaction_low": 85})
    assert load_config("2021", 2026).satisfaction_low == 85
    assert load_config("2021", 2025) == default_config("2021")


# ---- Excel template --------------------------------------------------------------------

def test_excel_round_trip():
    table = GoalTable.from_dict(clean_table())
    assert goal_table_from_xlsx(goal_table_workbook(table)) == table


def test_excel_template_is_formula_safe_and_read_back_literally():
    from openpyxl import load_workbook

    data = clean_table()
    data["indicators"][2]["name"] = "=HYPERLINK(\"http://x\")"
    data["indicators"][2]["explanation"] = "@SUM(A1)"
    table = GoalTable.from_dict(data)
    content = goal_table_workbook(table)
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet["C12"].value.startswith("'=")
    assert sheet["C12"].data_type == "s"
    assert goal_table_from_xlsx(content).indicators[2].name == "=HYPERLINK(\"http://x\")"


def test_empty_template_has_the_chinese_headers():
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(goal_table_workbook())).active
    assert [c.value for c in sheet[9]] == ["一级指标", "二级指标", "三级指标", "计算符号", "指标值",
                                           "计量单位", "指标值设定依据", "指标解释", "历史值"]


@pytest.mark.parametrize("content", [b"", b"not a zip", b"PK\x03\x04broken"])
def test_unreadable_excel_is_refused(content):
    with pytest.raises(TableError):
        goal_table_from_xlsx(content)


def test_excel_without_the_indicator_header_is_refused():
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["名称", "金额"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with translation.override("en"), pytest.raises(TableError) as caught:
        goal_table_from_xlsx(buffer.getvalue())
    assert caught.value.messages == [
        "The workbook has no indicator header row starting with 一级指标."]


def test_excel_with_more_than_2000_rows_is_refused():
    data = clean_table()
    data["indicators"] = (data["indicators"] * 251)[:2001]
    table = GoalTable.from_dict({**data, "indicators": data["indicators"][:10]})
    from openpyxl import load_workbook

    sheet_book = load_workbook(io.BytesIO(goal_table_workbook(table)))
    sheet = sheet_book.active
    for _ in range(1995):
        sheet.append(["产出指标", "数量指标", "里程", "≥", 1, "公里", "计划标准", "", ""])
    buffer = io.BytesIO()
    sheet_book.save(buffer)
    with pytest.raises(TableError) as caught:
        goal_table_from_xlsx(buffer.getvalue())
    assert "2000" in caught.value.messages[0]
