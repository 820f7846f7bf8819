"""The XLSX workbooks of the assessment exports, read back with openpyxl: Chinese headers, the
numbers of the JSON report, formula-looking names neutralised, the definitions on their own
sheet."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import load_workbook

from assessments import exports
from assessments.metrics import DEFINITIONS, FLAG_LABELS, DepartmentParticipation
from portal.spreadsheets import FORMULA_PREFIXES

HOSTILE_DEPARTMENT = '=HYPERLINK("http://evil.example/","点我")'
HOSTILE_OFFICE = "@SUM(1)"


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def offices(business=(1, 2, 2, 0.5), finance=(1, 1, 1, 1.0), missing=()):
    def kind(stats, missing=()):
        participating, total, active, coverage = stats
        return {"total": total, "participating": participating, "active": active,
                "coverage": coverage, "missing": list(missing)}

    return {"business": kind(business, missing), "finance": kind(finance),
            "general": kind((0, 0, 0, None))}


def department(code="101", name="市教育局", kind="city", **overrides) -> dict:
    """One department in the JSON report's shape (numbers chosen by hand)."""
    row = {
        "code": code, "name": name, "kind": kind,
        "roster": {"total": 12, "by_position": {"head": 1, "finance": 3, "business": 7,
                                                "other": 1}, "exempt": 2},
        "completed": {"total": 5, "by_position": {"head": 0, "finance": 3, "business": 2,
                                                  "other": 0}},
        "requirements": [],
        "heads": {"required": 1, "completed": 0,
                  "missing": [{"staff_number": "101H", "name": "张局长"}]},
        "offices": offices(missing=[{"unit": "市教育局本级", "office": "基础教育处"}]),
        "completion_rate": 0.4167, "business_completion_rate": 0.2857,
        "finance_completion_rate": 1.0, "weighted_completion_rate": 0.4286,
        "exam": {"participants": 4, "average_best": 71.25, "pass_rate": 0.75},
        "practice": {"participants": 0, "average_best": None, "pass_rate": None},
        "goal_setting": {"business_passed": 2, "business_pass_rate": 0.2857,
                         "average_best": 66.5},
        "flags": ["head_incomplete", "low_business_coverage"],
        "training_points": 0.0,
        "training_items": [
            {"item": "负责人完成", "code": "training-heads", "metric": 0.0, "points": 0.0,
             "max": 1.0},
            {"item": "参训完成率", "code": "training-completion", "metric": 0.4286,
             "points": 0.0, "max": 1.5}],
    }
    row.update(overrides)
    return row


def report(*departments) -> dict:
    return {"year": 2026, "plan": "2026年度培训计划", "generated_at": "2026-12-06T09:00:00+08:00",
            "definitions": {key: str(text) for key, text in DEFINITIONS.items()},
            "departments": list(departments)}


def read(workbook):
    return load_workbook(io.BytesIO(exports.workbook_bytes(workbook)))


def rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def as_dicts(sheet) -> list[dict]:
    header, *body = rows(sheet)
    return [dict(zip(header, row, strict=True)) for row in body]


def no_formulas(workbook) -> None:
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_PREFIXES), cell.value


# --- Overview ----------------------------------------------------------------------------------


def test_overview_has_the_four_sheets_with_chinese_headers_and_a_frozen_header_row():
    book = read(exports.overview_workbook(report(department())))
    assert book.sheetnames == ["总览", "未参训业务处室", "负责人未完成", "口径说明"]
    header = rows(book["总览"])[0]
    assert header[:8] == ["部门代码", "部门名称", "类型", "应训人数", "已完成人数", "参训完成率",
                          "业务人员参训完成率", "加权完成率"]
    for expected in ("负责人已完成", "负责人应完成", "业务处室参训数", "业务处室总数",
                     "业务处室覆盖率", "财务处室参训数", "财务处室总数", "考试参加人数",
                     "考试平均最高分", "考试合格率", "目标编制实操合格人数", "实操合格率",
                     "培训得分", "预警"):
        assert expected in header
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
    assert book["总览"].column_dimensions["B"].width >= 20


def test_overview_numbers_are_the_report_numbers_with_percent_formats():
    city = department()
    district = department(code="201", name="上城区", kind="district", completion_rate=None,
                          business_completion_rate=1.0, training_points=3.5,
                          exam={"participants": 0, "average_best": None, "pass_rate": None},
                          flags=[])
    book = read(exports.overview_workbook(report(city, district)))
    first, second = as_dicts(book["总览"])
    assert first["部门代码"] == "101" and first["部门名称"] == "市教育局"
    assert first["类型"] == "市直" and second["类型"] == "区"
    assert first["应训人数"] == 12 and first["已完成人数"] == 5
    assert first["参训完成率"] == city["completion_rate"]
    assert first["业务人员参训完成率"] == city["business_completion_rate"]
    assert first["加权完成率"] == city["weighted_completion_rate"]
    assert (first["负责人已完成"], first["负责人应完成"]) == (0, 1)
    assert (first["业务处室参训数"], first["业务处室总数"], first["业务处室覆盖率"]) == (1, 2, 0.5)
    assert (first["财务处室参训数"], first["财务处室总数"]) == (1, 1)
    assert first["考试参加人数"] == 4 and first["考试平均最高分"] == 71.25
    assert first["考试合格率"] == 0.75
    assert first["目标编制实操合格人数"] == 2 and first["实操合格率"] == 0.2857
    assert first["培训得分"] == 0
    assert first["预警"] == "、".join(
        str(FLAG_LABELS[flag]) for flag in ("head_incomplete", "low_business_coverage"))
    # No value (a zero denominator) is an empty cell, not 0.
    assert second["参训完成率"] is None and second["考试平均最高分"] is None
    assert second["培训得分"] == 3.5 and second["预警"] is None
    overview = book["总览"]
    header = rows(overview)[0]
    rate = overview.cell(row=2, column=header.index("参训完成率") + 1)
    assert rate.data_type == "n" and rate.number_format == "0.0%"
    assert overview.cell(row=2, column=header.index("培训得分") + 1).number_format == "0.00"


def test_overview_lists_missing_business_offices_and_unfinished_heads():
    book = read(exports.overview_workbook(report(department())))
    assert rows(book["未参训业务处室"]) == [
        ["部门代码", "部门名称", "预算单位", "内设机构"],
        ["101", "市教育局", "市教育局本级", "基础教育处"]]
    assert rows(book["负责人未完成"]) == [
        ["部门代码", "部门名称", "工号", "姓名"], ["101", "市教育局", "101H", "张局长"]]


def test_overview_definitions_sheet_has_one_row_per_definition():
    book = read(exports.overview_workbook(report(department())))
    body = rows(book["口径说明"])
    assert body[0] == ["名词", "口径"]
    assert ["年度", 2026] in body and ["培训计划", "2026年度培训计划"] in body
    texts = [row[1] for row in body]
    for text in DEFINITIONS.values():
        assert str(text) in texts
    labels = [row[0] for row in body]
    assert "加权完成率" in labels and "参训处室" in labels


def test_overview_neutralises_names_that_look_like_formulas():
    hostile = department(
        code="+101", name=HOSTILE_DEPARTMENT,
        offices=offices(missing=[{"unit": "-1+1", "office": HOSTILE_OFFICE}]),
        heads={"required": 1, "completed": 0,
               "missing": [{"staff_number": "\t1", "name": "=1+1"}]})
    workbook = read(exports.overview_workbook(report(hostile)))
    no_formulas(workbook)
    first = as_dicts(workbook["总览"])[0]
    assert first["部门名称"] == "'" + HOSTILE_DEPARTMENT
    assert first["部门代码"] == "'+101"
    assert rows(workbook["未参训业务处室"])[1][3] == "'" + HOSTILE_OFFICE
    assert rows(workbook["负责人未完成"])[1][3] == "'=1+1"


def test_overview_reports_progress_every_batch_of_departments():
    calls = []
    many = [department(code=f"{n:03d}", name=f"部门{n}") for n in range(60)]
    read(exports.overview_workbook(report(*many), progress=lambda done, total: calls.append(
        (done, total))))
    assert calls == [(25, 60), (50, 60), (60, 60)]


def test_an_empty_report_still_has_headers_and_definitions():
    book = read(exports.overview_workbook(report()))
    assert len(rows(book["总览"])) == 1
    assert len(rows(book["口径说明"])) > len(DEFINITIONS)


# --- One department ----------------------------------------------------------------------------


def detail(hostile: bool = False) -> dict:
    participation = DepartmentParticipation(
        department_id=1, code="101", name="市教育局", kind="city",
        requirements=[
            {"requirement_id": 7, "position": "business", "course": "预算绩效管理基础",
             "required": 2, "started": 1, "completed": 1, "overdue": 0, "exempt": 0},
            {"requirement_id": 8, "position": "head", "course": "负责人专题",
             "required": 1, "started": 0, "completed": 0, "overdue": 1, "exempt": 0}])
    office = HOSTILE_OFFICE if hostile else "基础教育处"

    def office_row(pk, name, kind, roster, completed, participating, active):
        return {"office_id": pk, "name": name, "kind": kind, "unit": "市教育局本级",
                "roster": roster, "completed": completed, "participating": participating,
                "active": active}

    finance = office_row(1, "财务处", "finance", 2, 2, True, True)
    done = office_row(2, "职业教育处", "business", 1, 1, True, True)
    missing = office_row(3, office, "business", 3, 0, False, False)
    return {
        "participation": participation,
        "units": [{"unit_id": 10, "code": "U101", "name": "市教育局本级",
                   "offices": [finance, done, missing]}],
        "missing_business_offices": [missing],
        "heads": [{"staff_number": "101H", "name": "张局长", "status": "overdue"}],
        "learners": [
            {"learner_id": 1, "staff_number": "101B1", "name": "=CMD()" if hostile else "李四",
             "position": "business", "unit": "市教育局本级", "office": "职业教育处",
             "office_kind": "business", "statuses": [(7, "completed")], "status": "completed",
             "completed": True},
            {"learner_id": 2, "staff_number": "101H", "name": "张局长", "position": "head",
             "unit": "市教育局本级", "office": "财务处", "office_kind": "finance",
             "statuses": [(8, "overdue")], "status": "overdue", "completed": False}],
        "targeted": True,
    }


def test_department_workbook_sheets_and_summary_numbers():
    row = department()
    book = read(exports.department_workbook(detail(), row))
    assert book.sheetnames == ["部门概况", "处室参训情况", "人员完成情况", "口径说明"]
    summary = dict(rows(book["部门概况"])[1:])
    assert summary["部门名称"] == "市教育局"
    assert summary["应训人数"] == 12
    assert summary["参训完成率"] == row["completion_rate"]
    assert summary["加权完成率"] == row["weighted_completion_rate"]
    assert summary["考试平均最高分"] == 71.25
    assert summary["培训得分"] == 0
    assert summary["考核项目：参训完成率"] == 0
    sheet = book["部门概况"]
    labels = [r[0] for r in rows(sheet)]
    assert sheet.cell(row=labels.index("参训完成率") + 1, column=2).number_format == "0.0%"


def test_department_workbook_lists_missing_business_offices_first():
    book = read(exports.department_workbook(detail(), department()))
    body = as_dicts(book["处室参训情况"])
    assert [row["内设机构"] for row in body] == ["基础教育处", "财务处", "职业教育处"]
    assert body[0]["是否参训"] == "否" and body[0]["机构类型"] == "业务机构"
    assert body[1]["是否参训"] == "是" and body[1]["应训人数"] == 2


def test_department_workbook_learner_statuses_per_requirement():
    book = read(exports.department_workbook(detail(), department()))
    header, first, second = rows(book["人员完成情况"])
    assert header[:3] == ["工号", "姓名", "职务类别"]
    business_column = header.index("预算绩效管理基础（业务人员）")
    head_column = header.index("负责人专题（负责人）")
    assert first[business_column] == "已完成" and first[head_column] is None
    assert second[head_column] == "已逾期" and second[-1] == "否"


def test_department_workbook_neutralises_formulas():
    book = read(exports.department_workbook(
        detail(hostile=True), department(name=HOSTILE_DEPARTMENT)))
    no_formulas(book)
    assert as_dicts(book["处室参训情况"])[0]["内设机构"] == "'" + HOSTILE_OFFICE


def test_department_workbook_of_a_department_outside_the_plan_is_empty_but_valid():
    empty = {"participation": None, "units": [], "missing_business_offices": [], "heads": [],
             "learners": [], "targeted": False}
    book = read(exports.department_workbook(
        empty, {"code": "9", "name": "不在计划内", "kind": "city"}))
    summary = dict(rows(book["部门概况"])[1:])
    assert summary["部门名称"] == "不在计划内" and summary["应训人数"] is None
    assert len(rows(book["人员完成情况"])) == 1


# --- Score sheets ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sheets_workbook_summary_details_and_appeals():
    from assessments.models import Appeal, DepartmentResult, ItemScore, ScoreSource
    from assessments.selectors import score_sheet
    from tests.assessments.scoring_helpers import small_scheme
    from tests.departments.factories import DepartmentFactory, UserFactory

    scheme = small_scheme()
    department_row = DepartmentFactory(code="101", name=HOSTILE_DEPARTMENT)
    items = {item.code: item for item in scheme.items.all()}
    ItemScore.objects.create(scheme=scheme, department=department_row,
                             item=items["training-completion"], metric_value=Decimal("0.75"),
                             computed_points=Decimal("0.75"), points=Decimal("0.75"),
                             rule_text="1.5 × clamp(…)", evidence="7/10 完成")
    ItemScore.objects.create(scheme=scheme, department=department_row, item=items["org-rules"],
                             points=Decimal("2.50"), source=ScoreSource.MANUAL,
                             evidence="@SUM(1) 制度文件", reason="-核减")
    DepartmentResult.objects.create(scheme=scheme, department=department_row,
                                    total=Decimal("3.25"), training_points=Decimal("0.75"),
                                    grade="不合格", rank=1, flags=["finance_only"])
    filer = UserFactory(username="admin_101", first_name="王五")
    Appeal.objects.create(scheme=scheme, department=department_row, item=items["org-rules"],
                          reason="+材料已补交", filed_by=filer,
                          points_when_filed=Decimal("2.50"))
    sheet = score_sheet(scheme=scheme, department=department_row)
    book = read(exports.sheets_workbook(scheme, [sheet]))
    assert book.sheetnames == ["得分汇总", "评分明细", "申诉", "口径说明"]
    summary = as_dicts(book["得分汇总"])[0]
    assert summary["部门名称"] == "'" + HOSTILE_DEPARTMENT
    assert summary["总分"] == 3.25 and summary["等级"] == "不合格" and summary["排名"] == 1
    assert summary["培训得分"] == 0.75 and summary["预警"] == str(FLAG_LABELS["finance_only"])
    details = {row["考核项目"]: row for row in as_dicts(book["评分明细"])}
    assert details["参训完成率"]["指标值"] == 0.75
    assert details["参训完成率"]["得分"] == 0.75 and details["参训完成率"]["满分"] == 1.5
    assert details["制度"]["来源"] == "人工录入"
    assert details["制度"]["依据"] == "'@SUM(1) 制度文件"
    assert details["制度"]["变更原因"] == "'-核减"
    assert details["负责人完成"]["得分"] is None
    appeal = as_dicts(book["申诉"])[0]
    assert appeal["申诉理由"] == "'+材料已补交" and appeal["申诉人"] == "王五"
    assert appeal["状态"] == "待处理" and appeal["申诉时得分"] == 2.5
    definitions = rows(book["口径说明"])
    assert ["考核方案", scheme.title] in definitions
    no_formulas(book)


def test_export_filenames_are_chinese_and_safe():
    from departments.models import Department

    assert exports.export_filename(kind="overview", year=2026) == "参训情况_2026.xlsx"
    assert exports.export_filename(kind="sheets", year=2026) == "考核评分_2026.xlsx"
    name = exports.export_filename(kind="department", year=2026,
                                   department=Department(name='a/b:"c"'))
    assert name == "参训情况_2026_a_b__c_.xlsx"


def test_every_header_and_label_is_translated():
    """No header row (and no label of the 部门概况 and 口径说明 sheets) is left in English."""
    import re

    latin = re.compile("[A-Za-z]{3,}")
    books = [read(exports.overview_workbook(report(department()))),
             read(exports.department_workbook(detail(), department()))]
    for book in books:
        for sheet in book.worksheets:
            header = rows(sheet)[0]
            assert not [cell for cell in header if latin.search(str(cell))], sheet.title
        for title in ("部门概况", "口径说明"):
            if title in book.sheetnames:
                labels = [row[0] for row in rows(book[title])[1:]]
                assert not [label for label in labels if latin.search(str(label))], labels
