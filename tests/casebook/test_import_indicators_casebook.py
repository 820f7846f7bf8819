"""import_indicators: template, all-or-nothing validation with row/column errors, dry run."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.utils.translation import gettext as _
from openpyxl import Workbook

from casebook.models import FunctionalClass, Indicator
from casebook.selectors import indicators_search
from casebook.services import (
    ERROR_IMPORT_CLASS,
    ERROR_IMPORT_DIRECTION,
    ERROR_IMPORT_DUPLICATE,
    ERROR_IMPORT_EMPTY,
    ERROR_IMPORT_HEADERS,
    ERROR_IMPORT_LEVEL1,
    ERROR_IMPORT_REQUIRED,
    ERROR_IMPORT_SUBCLASS,
    ERROR_IMPORT_TOO_LONG,
    IMPORT_HEADERS,
    indicators_import,
)
from portal import uploads

pytestmark = pytest.mark.django_db

GOOD = ["205 教育支出", "20502", "产出指标", "数量指标", "新增学位数", "年内新增的公办学位", "个",
        "正向", "3000", "计划标准", "个性"]


def write_xlsx(path, rows, header=IMPORT_HEADERS):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_template_round_trips(tmp_path, func_classes):
    path = tmp_path / "template.xlsx"
    call_command("import_indicators", str(path), "--template")
    result = indicators_import(path=path)
    assert result.ok and result.created == 2
    assert {i.name for i in Indicator.objects.all()} == {"完成校舍维修改造面积", "服务对象满意度"}
    assert Indicator.objects.get(name="服务对象满意度").source == "common"


def test_import_creates_indicators_searchable_at_once(tmp_path, func_classes, capsys):
    path = write_xlsx(tmp_path / "ok.xlsx", [GOOD, ["210", "", "满意度指标", "服务对象满意度指标",
                                                    "患者满意度", "", "%", "正向", "90", "历史",
                                                    "共性"]])
    call_command("import_indicators", str(path))
    assert "2 indicators created" in capsys.readouterr().out
    assert Indicator.objects.count() == 2
    assert indicators_search(q="学位").get().func_subclass.code == "20502"
    # Re-import: everything is already in the library.
    result = indicators_import(path=path)
    assert result.ok and result.created == 0 and result.skipped == 2
    assert Indicator.objects.count() == 2


def test_bad_rows_are_all_reported_and_nothing_is_written(tmp_path, func_classes):
    rows = [
        GOOD,
        ["999", "", "产出指标", "数量指标", "甲", "", "", "正向", "", "", ""],        # row 3
        ["205", "", "产出", "数量指标", "乙", "", "", "正向", "", "", ""],            # row 4
        ["205", "", "产出指标", "数量指标", "", "", "", "向上", "", "", ""],          # row 5
        ["205", "21004", "产出指标", "数量指标", "丙", "", "", "正向", "", "", ""],   # row 6
        GOOD,                                                                         # row 7
    ]
    path = write_xlsx(tmp_path / "bad.xlsx", rows)
    result = indicators_import(path=path)
    assert not result.ok
    assert _(ERROR_IMPORT_CLASS).format(row=3, value="999") in result.errors
    assert _(ERROR_IMPORT_LEVEL1).format(
        row=4, value="产出", choices="成本指标/产出指标/效益指标/满意度指标") in result.errors
    assert _(ERROR_IMPORT_REQUIRED).format(row=5, column="三级指标") in result.errors
    assert _(ERROR_IMPORT_DIRECTION).format(row=5, value="向上") in result.errors
    assert _(ERROR_IMPORT_SUBCLASS).format(row=6, value="21004") in result.errors
    assert _(ERROR_IMPORT_DUPLICATE).format(row=7, first=2) in result.errors
    assert Indicator.objects.count() == 0
    with pytest.raises(CommandError):
        call_command("import_indicators", str(path))
    assert Indicator.objects.count() == 0


def test_dry_run_writes_nothing(tmp_path, func_classes, capsys):
    path = write_xlsx(tmp_path / "ok.xlsx", [GOOD])
    call_command("import_indicators", str(path), "--dry-run")
    assert "1 indicators would be created" in capsys.readouterr().out
    assert Indicator.objects.count() == 0


def test_new_subclass_given_with_name_is_added(tmp_path, func_classes):
    row = list(GOOD)
    row[1] = "20508 进修及培训"
    result = indicators_import(path=write_xlsx(tmp_path / "sub.xlsx", [row]))
    assert result.ok and result.new_subclasses == ["20508"]
    sub = FunctionalClass.objects.get(code="20508")
    assert sub.parent.code == "205" and Indicator.objects.get().func_subclass == sub


def test_wrong_headers_unreadable_and_empty_files(tmp_path, func_classes):
    wrong = write_xlsx(tmp_path / "wrong.xlsx", [GOOD], header=[*IMPORT_HEADERS[:-1], "备注"])
    result = indicators_import(path=wrong)
    assert result.errors == [_(ERROR_IMPORT_HEADERS).format(
        expected=" | ".join(IMPORT_HEADERS), found=" | ".join([*IMPORT_HEADERS[:-1], "备注"]))]
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 not really a workbook")
    assert indicators_import(path=junk).errors == [str(uploads.ERR_NOT_XLSX)]
    empty = write_xlsx(tmp_path / "empty.xlsx", [])
    assert indicators_import(path=empty).errors == [_(ERROR_IMPORT_EMPTY)]
    assert Indicator.objects.count() == 0
    with pytest.raises(CommandError):
        call_command("import_indicators", str(junk))


def test_oversized_and_formula_cells_are_rejected(tmp_path, func_classes):
    long_name = list(GOOD)
    long_name[4] = "长" * 201
    formula = list(GOOD)
    formula[4] = "=HYPERLINK(\"http://x\")"
    result = indicators_import(path=write_xlsx(tmp_path / "x.xlsx", [long_name]))
    assert _(ERROR_IMPORT_TOO_LONG).format(row=2, column="三级指标", limit=200) in result.errors
    result = indicators_import(path=write_xlsx(tmp_path / "f.xlsx", [formula]))
    # Formulas are never evaluated: only cached values are read, and this one has none.
    assert result.errors == [_(ERROR_IMPORT_REQUIRED).format(row=2, column="三级指标")]
    assert Indicator.objects.count() == 0
