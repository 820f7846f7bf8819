"""The Excel wide layout: parsing, row-level errors, hostile files, template, safe export."""

import io
import zipfile
from dataclasses import replace
from decimal import Decimal

import openpyxl
import pytest

from portal import uploads
from quizzes import formats, types
from quizzes.formats import common, xlsx
from quizzes.formats.xlsx import HEADERS

C = types.ChoiceData


def row(kind="单选", text="题干", options=("甲", "乙"), answer="A", points="", difficulty="",
        explanation="", category="", tags=""):
    options = list(options) + [""] * (8 - len(options))
    return [kind, text, *options, answer, points, difficulty, explanation, category, tags]


def make_xlsx(rows, header=HEADERS, sheet_title="题目"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    if header is not None:
        sheet.append(list(header))
    for values in rows:
        sheet.append(list(values))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def parse(rows, **kwargs):
    return formats.parse(make_xlsx(rows, **kwargs), format="xlsx")


def errors_at(result):
    return [(e.row, e.column, e.message) for e in result.errors]


def test_every_kind_parses_from_the_wide_layout():
    result = parse([
        row("单选", "绩效目标应当（  ）。", ["指向明确", "越多越好", "丙"], "a", 2, "易",
            "解析", " 目标管理 / 指标 ", "绩效目标、指标，目标"),
        row("多选题", "选出", ["a", "b", "c", "d"], "A，C、D", "1.5", "难"),
        row("多选", "一项也行", ["a", "b"], "B"),
        row("判断", "对吗", [], "√"),
        row("判断题", "错吗", [], "错误"),
        row("判断", "选项式判断", ["正确", "错误"], "B"),
        row("填空", "预算{{1}}管理和（ ）以及____。", [], "绩效/效益|评价 | 监控\\/督"),
        row("填空", "无标记", [], "答案"),
        row("简答", "论述", [], "参考答案", 10, "中"),
        row("简答", "无参考答案", [], ""),
    ])

    assert result.ok, [str(e) for e in result.errors]
    q = result.questions
    assert q[0] == types.QuestionData(
        kind=types.SINGLE, text="绩效目标应当（  ）。",
        choices=[C("指向明确", True), C("越多越好", False), C("丙", False)],
        points=Decimal("2"), difficulty=types.EASY, explanation="解析", category="目标管理/指标",
        tags=["绩效目标", "指标", "目标"], source=q[0].source)
    assert "2" in q[0].source
    assert [c.correct for c in q[1].choices] == [True, False, True, True]
    assert q[1].points == Decimal("1.5") and q[1].difficulty == types.HARD
    assert q[2].kind == types.MULTIPLE and [c.correct for c in q[2].choices] == [False, True]
    assert [q[3].answer_true, q[4].answer_true, q[5].answer_true] == [True, False, False]
    assert q[6].text == "预算{{1}}管理和{{2}}以及{{3}}。"
    assert q[6].blanks == [["绩效", "效益"], ["评价"], ["监控/督"]]
    assert q[7].text == "无标记" and q[7].blanks == [["答案"]]
    assert q[8].kind == types.ESSAY and q[8].reference_answer == "参考答案"
    assert q[8].points == Decimal("10") and q[8].difficulty == types.MEDIUM
    assert q[9].reference_answer == "" and q[9].points == Decimal("1")


def test_columns_may_come_in_any_order_and_optional_ones_may_be_missing():
    result = parse([["对", "题干", "判断", "x、y"]], header=["正确答案", "题干", "*题型", "标签 "])

    assert result.ok and result.questions[0].answer_true is True
    assert result.questions[0].tags == ["x", "y"]


@pytest.mark.parametrize("values, column, message", [
    (row("单选x"), "题型", xlsx.ERR_UNKNOWN_KIND % {"value": "单选x",
                                                    "allowed": "单选、多选、判断、填空、简答"}),
    (row(""), "题型", xlsx.ERR_REQUIRED),
    (row(text=""), "题干", xlsx.ERR_REQUIRED),
    (row(answer="C"), "正确答案", xlsx.ERR_LETTER_WITHOUT_OPTION % {"letter": "C",
                                                                "column": "选项C"}),
    (row(answer="AB"), "正确答案", xlsx.ERR_SINGLE_SEVERAL % {"value": "AB"}),
    (row(answer="A,B"), "正确答案", xlsx.ERR_SINGLE_SEVERAL % {"value": "A,B"}),
    (row(answer=""), "正确答案", xlsx.ERR_REQUIRED),
    (row(answer="Z"), "正确答案", xlsx.ERR_NOT_A_LETTER % {"value": "Z"}),
    (row("多选", answer="A1"), "正确答案", xlsx.ERR_NOT_A_LETTER % {"value": "1"}),
    (row(options=["甲"]), "选项B", xlsx.ERR_TOO_FEW_OPTIONS),
    (row(options=["甲", "", "丙"]), "选项B", xlsx.ERR_OPTION_GAP),
    (row(points="两分"), "分值", common.points_error("两分")),
    (row(points=-1), "分值", common.points_error("-1")),
    (row(points=0), "分值", common.points_error("0")),
    (row(points=1e9), "分值", common.points_error("1000000000")),
    (row(points="1.234"), "分值", common.points_error("1.234")),
    (row(difficulty="超难"), "难度", xlsx.ERR_UNKNOWN_DIFFICULTY % {"value": "超难",
                                                                  "allowed": "易、中、难"}),
    (row("判断", options=[], answer="也许"), "正确答案", xlsx.ERR_TRUE_FALSE % {"value": "也许"}),
    (row("判断", options=["甲"], answer="对"), "选项A", xlsx.ERR_OPTIONS_NOT_USED),
    (row("填空", "空{{1}}和{{2}}", [], "一"), "正确答案",
     common.ERR_BLANK_COUNT % {"stem": 2, "answers": 1}),
    (row("填空", "空____", [], "一|二"), "正确答案",
     common.ERR_BLANK_COUNT % {"stem": 1, "answers": 2}),
    (row("填空", "{{2}} 和 {{1}}", [], "一|二"), "正确答案", common.ERR_BLANK_ORDER),
    (row("填空", "空{{1}}", [], "/"), "正确答案", xlsx.ERR_BLANK_EMPTY % {"number": 1}),
    (row("简答", options=["甲"], answer=""), "选项A", xlsx.ERR_OPTIONS_NOT_USED),
    (row(category="a" * 101), "分类", None),
    (row(tags="t" * 51), "标签", xlsx.ERR_CELL_TOO_LONG % {"limit": 50}),
])
def test_row_errors_name_the_row_the_column_and_the_problem(values, column, message):
    result = parse([row(), values])

    assert result.questions and len(result.questions) == 1  # the good row is still previewed
    assert not result.ok
    assert {e.row for e in result.errors} == {3}
    assert column in {e.column for e in result.errors}
    if message is not None:
        text = str(message)
        assert any(e.message.startswith(text[:25]) for e in result.errors), errors_at(result)
    first = result.errors[0]
    assert str(first) == str(common.FormatError(message=first.message, row=3, column=first.column))
    assert "3" in str(first) and first.column in str(first)


def test_all_rows_are_checked_not_only_the_first_bad_one():
    result = parse([row(kind="?"), row(), row(points="x"), row(answer="E")])

    assert sorted({e.row for e in result.errors}) == [2, 4, 5]


def test_blank_rows_are_ignored_and_rows_keep_their_sheet_numbers():
    result = parse([row(), [None] * 19, row(kind="??")])

    assert [e.row for e in result.errors] == [4]


@pytest.mark.parametrize("header, message", [
    (["题干", "正确答案"], xlsx.ERR_MISSING_HEADERS % {"columns": "题型"}),
    ([*HEADERS, "备注"], xlsx.ERR_UNKNOWN_HEADERS % {"columns": "备注"}),
    (["题型", "题干", "正确答案", "题干"], xlsx.ERR_DUPLICATE_HEADERS % {"columns": "题干"}),
    (["type", "text", "answer"], None),
])
def test_wrong_headers_are_file_errors_in_row_1(header, message):
    result = parse([row()], header=header)

    assert result.errors and all(e.row == 1 for e in result.errors)
    assert result.questions == []
    if message is not None:
        assert str(message) in [e.message for e in result.errors]


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * (120 * 1024 * 1024) + b"</a>")
    return buffer.getvalue()


@pytest.mark.parametrize("data, message", [
    (b"", common.ERR_EMPTY_FILE),
    (make_xlsx([], header=None), common.ERR_EMPTY_FILE),
    (make_xlsx([]), xlsx.ERR_NO_DATA_ROWS),
    (b"\x00\x01garbage" * 100, xlsx.ERR_NOT_SPREADSHEET),
    ("题型,题干,正确答案\n判断,x,对\n".encode("gbk"), xlsx.ERR_NOT_SPREADSHEET),
    (b"PK\x03\x04 this is not really a zip file", xlsx.ERR_NOT_SPREADSHEET),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, xlsx.ERR_OLD_XLS),
])
def test_unreadable_files_give_one_clear_error(data, message):
    result = formats.parse(data, format="xlsx")

    assert [str(e) for e in result.errors] == [str(message)]


def test_a_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")

    result = formats.parse(buffer.getvalue(), format="xlsx")

    assert [str(e) for e in result.errors] == [str(xlsx.ERR_NOT_SPREADSHEET)]


def test_a_zip_bomb_is_refused_without_unpacking():
    result = formats.parse(_zip_bomb(), format="xlsx")

    assert [str(e) for e in result.errors] == [
        str(uploads.ERR_XLSX_PART_TOO_LARGE % {"limit": "50"})]


def test_a_file_over_5_mb_is_refused(tmp_path):
    path = tmp_path / "big.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * (6 * 1024 * 1024))

    assert [str(e) for e in formats.parse(path, format="xlsx").errors] == [
        common.too_large_message()]


def test_more_than_5000_rows_are_refused():
    result = parse([row()] * 5001)

    assert [str(e) for e in result.errors] == [
        str(xlsx.ERR_TOO_MANY_ROWS % {"limit": 5000})]
    assert parse([row()] * 5000).ok


def test_html_and_script_in_cells_stay_literal_text():
    result = parse([row(text="<script>alert(1)</script><b>x</b>", options=["<img src=x>", "乙"])])

    assert result.questions[0].text == "<script>alert(1)</script><b>x</b>"
    assert result.questions[0].choices[0].text == "<img src=x>"


# ------------------------------------------------------------------ template and export


def test_template_has_headers_drop_downs_and_instructions_and_no_questions():
    workbook = openpyxl.load_workbook(io.BytesIO(formats.xlsx_template()))

    assert workbook.sheetnames == ["题目", "填写说明"]
    sheet = workbook["题目"]
    assert [c.value for c in sheet[1]] == list(HEADERS)
    formulas = {v.formula1 for v in sheet.data_validations.dataValidation}
    assert formulas == {'"单选,多选,判断,填空,简答"', '"易,中,难"'}
    notes = [r[0] for r in workbook["填写说明"].iter_rows(values_only=True) if r and r[0]]
    assert "正确答案" in notes and "题型" in notes
    result = formats.parse(formats.xlsx_template(), format="xlsx")
    assert [str(e) for e in result.errors] == [str(xlsx.ERR_NO_DATA_ROWS)]


def test_the_template_examples_import_once_copied_into_the_question_sheet():
    result = parse([list(example) for example in xlsx.EXAMPLES])

    assert result.ok and [q.kind for q in result.questions] == list(types.KINDS)


SAMPLE = [
    types.QuestionData(kind=types.SINGLE, text="=1+1 是公式吗", choices=[
        C("+86 电话"), C("-5%", True), C("@SUM(A1)"), C("=cmd|' /C calc'!A0")],
        points=Decimal("2.5"), difficulty=types.EASY, explanation="-解析",
        category="目标管理/指标", tags=["绩效目标", "指标"]),
    types.QuestionData(kind=types.MULTIPLE, text="多选", choices=[
        C(chr(ord("a") + i), i % 2 == 0) for i in range(8)], difficulty=types.HARD),
    types.QuestionData(kind=types.TRUE_FALSE, text="判断", answer_true=True),
    types.QuestionData(kind=types.TRUE_FALSE, text="判断2", answer_true=False, category="a/b"),
    types.QuestionData(kind=types.FILL, text="{{1}} 和 {{2}}",
                       blanks=[["1/2", "二分之一"], ["a|b", "c\\d"]], points=Decimal("100")),
    types.QuestionData(kind=types.FILL, text="无标记", blanks=[["x"]]),
    types.QuestionData(kind=types.ESSAY, text="论述\n多行", reference_answer="=参考",
                       points=Decimal("0.01")),
]


def test_export_neutralises_formulas_in_every_text_cell():
    workbook = openpyxl.load_workbook(io.BytesIO(formats.export(SAMPLE, format="xlsx")))
    sheet = workbook["题目"]

    values = [c.value for r in sheet.iter_rows(min_row=2) for c in r]
    cells = [c for r in sheet.iter_rows(min_row=2) for c in r]
    assert all(c.data_type != "f" for c in cells)
    strings = [v for v in values if isinstance(v, str)]
    assert not [v for v in strings if v[:1] in ("=", "+", "-", "@")]
    assert "'=1+1 是公式吗" in strings and "'=cmd|' /C calc'!A0" in strings
    assert "'+86 电话" in strings and "'-5%" in strings and "'@SUM(A1)" in strings
    assert "'-解析" in strings and "'=参考" in strings


def test_export_then_import_gives_the_same_questions():
    result = formats.parse(formats.export(SAMPLE, format="xlsx"), format="xlsx")

    assert result.ok, [str(e) for e in result.errors]
    assert [replace(q, source="") for q in result.questions] == SAMPLE
    assert result.questions[0].source.endswith("2")


def test_export_refuses_more_than_eight_options():
    question = types.QuestionData(kind=types.SINGLE, text="九个", name="九选一",
                                  choices=[C(str(i), i == 0) for i in range(9)])

    with pytest.raises(xlsx.ExportError, match="九选一"):
        formats.export([question], format="xlsx")
