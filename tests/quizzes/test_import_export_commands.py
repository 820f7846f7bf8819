"""import_questions / export_questions: counts, exit codes, all-or-nothing, database round trips."""

import io
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count

from quizzes import formats, types
from quizzes.formats import common
from quizzes.models import Category, Question, QuestionBank, QuestionVersion
from quizzes.services import question_bank_get_or_create, questions_as_data, questions_import
from tests.fixtures import MOODLE

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
FIXTURES = MOODLE  # Moodle's GPL fixtures, see tests/fixtures/moodle/README.md
C = types.ChoiceData


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def fails(*args):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command(*args, stdout=out, stderr=err)
    return str(excinfo.value), err.getvalue()


def nothing_written():
    return (QuestionBank.objects.count(), Question.objects.count(),
            QuestionVersion.objects.count(), Category.objects.count()) == (0, 0, 0, 0)


def xlsx_file(tmp_path, rows, name="q.xlsx"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(formats.xlsx.HEADERS))
    for values in rows:
        sheet.append(values + [""] * (len(formats.xlsx.HEADERS) - len(values)))
    path = tmp_path / name
    workbook.save(path)
    return path


def xrow(kind, text, options, answer, points="", difficulty="", explanation="", category=""):
    return [kind, text, *(list(options) + [""] * (8 - len(options))), answer, points, difficulty,
            explanation, category]


GOOD_ROWS = [
    xrow("单选", "绩效目标应当（  ）。", ["指向明确", "越多越好"], "A", 2, "易", "解析",
         "目标管理/指标"),
    xrow("多选", "绩效指标包括", ["产出", "效益", "编制"], "AB", "", "难"),
    xrow("判断", "事前评估由财政部门组织。", [], "错"),
    xrow("填空", "五个环节包括{{1}}和{{2}}。", [], "运行监控/监控|结果应用"),
    xrow("简答", "简述结果应用。", [], "与预算挂钩"),
]


def test_xlsx_import_writes_every_question_and_prints_counts_by_type(tmp_path):
    out, _err = run("import_questions", str(xlsx_file(tmp_path, GOOD_ROWS)), "--format", "xlsx",
                    "--bank", "年度考试题库")

    bank = QuestionBank.objects.get()
    assert bank.name == "年度考试题库"
    assert Question.objects.filter(bank=bank).count() == 5
    assert "已导入 imported 5" in out
    for line in ("单选 single: 1", "多选 multiple: 1", "判断 truefalse: 1", "填空 fill: 1",
                 "简答 essay: 1"):
        assert line in out
    single = Question.objects.get(kind=types.SINGLE)
    assert single.category.path == "目标管理/指标" and single.difficulty == types.EASY
    assert single.current_version.points == Decimal("2")
    assert [(c.text, c.is_correct) for c in single.current_version.choices.all()] == [
        ("指向明确", True), ("越多越好", False)]
    fill = Question.objects.get(kind=types.FILL).current_version
    assert fill.blanks == [["运行监控", "监控"], ["结果应用"]]


def test_one_bad_row_imports_nothing_and_names_the_row(tmp_path):
    path = xlsx_file(tmp_path, [*GOOD_ROWS, xrow("单选", "坏题", ["甲", "乙"], "C")])

    message, err = fails("import_questions", str(path), "--format", "xlsx")

    assert "1 error(s), nothing imported" in message
    assert "7" in err and "选项C" in err
    assert nothing_written()


def test_dry_run_validates_and_writes_nothing_not_even_the_bank(tmp_path):
    out, _err = run("import_questions", str(xlsx_file(tmp_path, GOOD_ROWS)), "--format", "xlsx",
                    "--dry-run", "--bank", "新题库")

    assert "[试运行 / dry run]" in out and "5" in out
    assert nothing_written()


def test_errors_found_by_the_services_also_import_nothing(tmp_path, monkeypatch):
    bad = types.QuestionData(kind=types.TRUE_FALSE, text="x", answer_true=None, source="第 9 行")
    monkeypatch.setattr(formats, "parse", lambda *a, **k: common.ParseResult(questions=[bad]))

    message, err = fails("import_questions", str(tmp_path / "any"), "--format", "gift")

    assert "第 9 行" in err and "nothing imported" in message
    assert nothing_written()


@pytest.mark.parametrize("name, fmt, counts", [
    ("questions.gift.txt", "gift",
     {"single": 1, "multiple": 1, "truefalse": 3, "fill": 1, "essay": 1}),
    ("questions_in_category.gift.txt", "gift", {"single": 1, "truefalse": 1, "fill": 1}),
    ("nested_categories_with_questions.xml", "moodle-xml", {"truefalse": 4, "essay": 1}),
    ("multichoice_testquestion.moodle.xml", "moodle-xml", {"multiple": 1}),
    ("shortanswer_testquestion.moodle.xml", "moodle-xml", {"fill": 1}),
])
def test_moodle_fixtures_import_through_the_command(name, fmt, counts):
    out, err = run("import_questions", str(FIXTURES / name), "--format", fmt,
                   "--skip-unsupported", "--category", "Moodle")

    assert dict(Question.objects.values_list("kind").annotate(n=Count("pk"))) == counts
    assert Question.objects.filter(category__path__startswith="Moodle").count() == sum(
        counts.values())
    if name == "questions.gift.txt":
        assert "跳过 skipped (unsupported): 2" in out and "Moodle activities" in out
        assert "Q5" in out and "numerical" in out and "Cat" in err
    if name == "nested_categories_with_questions.xml":
        paths = set(Category.objects.values_list("path", flat=True))
        assert {"Moodle/Iota/Kappa/Lambda", "Moodle/Iota/Mu"} <= paths


def test_unsupported_types_without_skip_fail_and_import_nothing():
    message, err = fails("import_questions", str(FIXTURES / "questions.gift.txt"),
                         "--format", "gift")

    assert "2 error(s)" in message
    assert "Moodle activities" in err and "matching" in err and "Q5" in err
    assert nothing_written()


def test_invalid_grades_fixture_is_rejected_naming_the_question():
    _message, err = fails("import_questions", str(FIXTURES / "error_invalid_grades.xml"),
                         "--format", "moodle-xml", "--skip-unsupported")

    assert "Question with invalid grades : x > 1 & x < 2" in err
    assert nothing_written()


@pytest.mark.parametrize("content", [
    b'<?xml version="1.0"?><!DOCTYPE q [<!ENTITY x SYSTEM "file:///etc/passwd">]><quiz>&x;</quiz>',
    b"\x00\xff garbage",
])
def test_hostile_files_fail_with_a_clear_error_and_write_nothing(tmp_path, content):
    path = tmp_path / "evil.xml"
    path.write_bytes(content)

    _message, err = fails("import_questions", str(path), "--format", "moodle-xml")

    assert err.strip()
    assert nothing_written()


def test_missing_file_is_an_error():
    _message, err = fails("import_questions", "/nonexistent/q.xlsx", "--format", "xlsx")

    assert "/nonexistent/q.xlsx" in err


def test_exit_status_is_non_zero_on_error_from_the_shell(tmp_path):
    path = tmp_path / "bad.gift.txt"
    path.write_text("::Q:: numerical {#1}", encoding="utf-8")

    process = subprocess.run(
        [sys.executable, "manage.py", "import_questions", str(path), "--format", "gift",
         "--settings=config.settings.test"],
        cwd=REPO, capture_output=True, text=True, timeout=60)

    assert process.returncode == 1
    assert "numerical" in process.stderr


# ------------------------------------------------------------------ export and round trips

SAMPLE = [
    types.QuestionData(kind=types.SINGLE, text="=1+1 单选", choices=[
        C("指向明确", True, ""), C("@越多越好", False, "")], points=Decimal("2"),
        difficulty=types.EASY, explanation="解析", category="目标管理/指标", tags=["绩效目标"]),
    types.QuestionData(kind=types.MULTIPLE, text="多选", choices=[
        C("a", True), C("b", True), C("c", False)], difficulty=types.HARD,
        category="目标管理/指标"),
    types.QuestionData(kind=types.TRUE_FALSE, text="判断", answer_true=False, category="运行监控"),
    types.QuestionData(kind=types.FILL, text="{{1}} 和 {{2}}", blanks=[["甲", "1/2"], ["乙"]],
                       points=Decimal("4"), category="运行监控"),
    types.QuestionData(kind=types.FILL, text="一个空 {{1}}", blanks=[["x"]], category="运行监控"),
    types.QuestionData(kind=types.ESSAY, text="论述", reference_answer="要点",
                       points=Decimal("10"), category="结果应用", tags=["应用", "评价"]),
]


def seed(bank_name="源题库"):
    bank = question_bank_get_or_create(name=bank_name)
    report = questions_import(bank=bank, questions=SAMPLE)
    assert report.ok, report.errors
    return bank


def without_source(questions, keep_names=True):
    return [replace(q, source="", name=q.name if keep_names else "") for q in questions]


@pytest.mark.parametrize("fmt, suffix", [("xlsx", "xlsx"), ("moodle-xml", "xml")])
def test_export_then_import_through_the_database_gives_the_same_questions(tmp_path, fmt, suffix):
    seed()
    before = questions_as_data(bank=QuestionBank.objects.get(name="源题库"))
    path = tmp_path / f"export.{suffix}"

    out, _err = run("export_questions", "--format", fmt, "-o", str(path), "--bank", "源题库")
    assert "已导出 exported 6" in out
    run("import_questions", str(path), "--format", fmt, "--bank", "副本")

    after = questions_as_data(bank=QuestionBank.objects.get(name="副本"))
    assert without_source(after) == without_source(before)
    assert without_source(before) == without_source(SAMPLE)


def test_exported_xlsx_is_formula_safe(tmp_path):
    seed()
    path = tmp_path / "e.xlsx"

    run("export_questions", "--format", "xlsx", "-o", str(path))

    sheet = openpyxl.load_workbook(path)["题目"]
    values = [c.value for r in sheet.iter_rows(min_row=2) for c in r if isinstance(c.value, str)]
    assert "'=1+1 单选" in values and "'@越多越好" in values
    assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)


def test_export_by_category_includes_sub_categories_only(tmp_path):
    seed()
    path = tmp_path / "e.xml"

    run("export_questions", "--format", "moodle-xml", "-o", str(path), "--category", "目标管理")

    result = formats.parse(path, format="moodle-xml")
    assert [q.category for q in result.questions] == ["目标管理/指标", "目标管理/指标"]


def test_export_unknown_bank_is_an_error_and_writes_no_file(tmp_path):
    path = tmp_path / "e.xlsx"

    message, _err = fails("export_questions", "--format", "xlsx", "-o", str(path),
                          "--bank", "没有这个题库")

    assert "没有这个题库" in message
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_export_failure_leaves_no_partial_file(tmp_path):
    bank = question_bank_get_or_create(name="宽")
    questions_import(bank=bank, questions=[types.QuestionData(
        kind=types.SINGLE, text="九个选项", choices=[C(str(i), i == 0) for i in range(9)])])
    path = tmp_path / "e.xlsx"

    fails("export_questions", "--format", "xlsx", "-o", str(path))

    assert list(tmp_path.iterdir()) == []


def test_template_command_writes_the_empty_template(tmp_path):
    path = tmp_path / "template.xlsx"

    run("export_questions", "--format", "xlsx", "--template", "-o", str(path))

    assert openpyxl.load_workbook(path).sheetnames == ["题目", "填写说明"]
    assert nothing_written()


# ------------------------------------------------------------------ committed sample files

FILES = Path(__file__).resolve().parent / "files"


@pytest.mark.parametrize("name, fmt", [
    ("sample_questions.gift.txt", "gift"),
    ("sample_questions_gbk.gift.txt", "gift"),
    ("sample_questions.xml", "moodle-xml"),
    ("sample_questions.xlsx", "xlsx"),
])
def test_sample_files_import_the_same_five_questions(name, fmt):
    out, _err = run("import_questions", str(FILES / name), "--format", fmt, "--bank", name)

    bank = QuestionBank.objects.get(name=name)
    data = without_source(questions_as_data(bank=bank))
    reference = without_source(
        formats.parse(FILES / "sample_questions.gift.txt", format="gift").questions)
    if fmt == "xlsx":  # the layout has no columns for question names or option feedback
        reference = [replace(q, name="", choices=[replace(c, feedback="") for c in q.choices])
                     for q in reference]
    assert data == reference
    assert {q.category for q in data} == {"预算绩效管理/目标管理", "预算绩效管理/绩效评价"}
    assert "已导入 imported 5" in out


@pytest.mark.parametrize("name", ["xxe.xml", "billion_laughs.xml"])
def test_committed_hostile_xml_files_are_refused(name):
    _message, err = fails("import_questions", str(FILES / name), "--format", "moodle-xml")

    assert str(formats.moodle_xml.ERR_XML_FORBIDDEN) in err
    assert "root:" not in err and "lollol" not in err
    assert nothing_written()
