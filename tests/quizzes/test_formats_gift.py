"""GIFT import beyond Moodle's fixtures: escapes, encodings, formats, hostile and broken files."""

from decimal import Decimal

import pytest

from quizzes import formats, types
from quizzes.formats import common, gift


def parse(text, **kwargs):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return formats.parse(data, format="gift", **kwargs)


CHINESE = """// 预算绩效管理题目
$CATEGORY: $course$/top/目标管理/指标

::单选1:: 绩效目标应当（  ）。{
  =指向明确、细化量化 # 正确
  ~越多越好 # 不对
  ~只写定性描述
  ####绩效目标要指向明确、细化量化、合理可行。
}

::多选1:: 绩效指标包括哪些？{~%50%产出指标 ~%50%效益指标 ~%-100%人员编制}

::判断1:: 事前绩效评估由财政部门组织。{F#错误#正确}

::填空1:: 预算绩效管理包括事前评估、目标管理、{=运行监控 =运行监督}、绩效评价和结果应用。

::简答1:: 简述绩效评价结果应用的方式。{####与预算安排挂钩。}
"""


def test_chinese_gift_file_imports_every_kind():
    result = parse(CHINESE)

    assert result.ok, [str(e) for e in result.errors]
    single, multiple, truefalse, fill, essay = result.questions
    assert {q.category for q in result.questions} == {"目标管理/指标"}
    assert single.kind == types.SINGLE and single.text == "绩效目标应当（  ）。"
    assert [(c.text, c.correct, c.feedback) for c in single.choices] == [
        ("指向明确、细化量化", True, "正确"), ("越多越好", False, "不对"),
        ("只写定性描述", False, "")]
    assert single.explanation == "绩效目标要指向明确、细化量化、合理可行。"
    assert multiple.kind == types.MULTIPLE
    assert [c.correct for c in multiple.choices] == [True, True, False]
    assert truefalse.answer_true is False and truefalse.explanation == "正确"
    # Text after the braces: the braces are the blank.
    assert fill.kind == types.FILL
    assert fill.text == "预算绩效管理包括事前评估、目标管理、{{1}}、绩效评价和结果应用。"
    assert fill.blanks == [["运行监控", "运行监督"]]
    assert essay.kind == types.ESSAY and essay.explanation == "与预算安排挂钩。"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_utf8_bom_gbk_and_utf16_files_read_the_same(encoding):
    result = parse(CHINESE.encode(encoding))

    assert result.ok
    assert [q.text for q in result.questions] == [q.text for q in parse(CHINESE).questions]


def test_crlf_line_endings_are_fine():
    assert parse(CHINESE.replace("\n", "\r\n")).questions == parse(CHINESE).questions


def test_escapes_are_literal_characters():
    result = parse(r"::a\:b:: 1 \= 1 \~ 2 \# 3 \{x\} \\ {=c\:d\=e\#f\~g\{h\}}")

    question = result.questions[0]
    assert question.name == "a:b"
    assert question.text == "1 = 1 ~ 2 # 3 {x} \\"
    assert question.blanks == [["c:d=e#f~g{h}"]]


def test_missing_word_multiple_choice_keeps_a_blank_in_the_stem():
    result = parse("Moodle costs {~lots of money =nothing ~a small amount} to download.")

    question = result.questions[0]
    assert question.kind == types.SINGLE
    assert question.text == "Moodle costs _____ to download."
    assert [c.text for c in question.choices if c.correct] == ["nothing"]


@pytest.mark.parametrize("answers", ["{T}", "{TRUE}", "{t}", "{F}", "{FALSE}"])
def test_true_false_spellings(answers):
    result = parse(f"Sky is blue. {answers}")

    assert result.questions[0].answer_true is answers.lower().startswith("{t")


def test_html_is_converted_to_text_and_scripts_dropped_with_their_content():
    result = parse("::x::[html]<p>预算<b>绩效</b></p><script>alert('x')</script>"
                   r"<img src=x onerror=alert(1)><style>p\{\}</style>{T}")

    question = result.questions[0]
    assert question.text == "预算绩效"
    dropped = str(common.WARN_IMAGES_DROPPED % {"source": ""}).strip(" :：")
    assert any(dropped in w for w in result.warnings)


def test_markup_in_plain_text_stays_literal_text_and_is_escaped_when_shown():
    from django.utils.html import escape

    result = parse("<script>alert(1)</script> 是否正确？{T}")

    text = result.questions[0].text
    assert text == "<script>alert(1)</script> 是否正确？"
    assert "<script>" not in escape(text)


@pytest.mark.parametrize("text, kind", [
    ("Match {=a -> 1 =b -> 2}", "matching"),
    ("Number {#3:2}", "numerical"),
    ("Just a description without answers.", "description"),
])
def test_unsupported_types_fail_or_are_skipped(text, kind):
    failed = parse("::bad:: " + text + "\n\n::good:: ok? {T}")
    skipped = parse("::bad:: " + text + "\n\n::good:: ok? {T}", skip_unsupported=True)

    assert [e.message for e in failed.errors] == [str(common.ERR_UNSUPPORTED % {"type": kind})]
    assert "“bad”" in str(failed.errors[0])
    assert skipped.ok and [s.type for s in skipped.skipped] == [kind]
    assert [q.name for q in skipped.questions] == ["good"]


@pytest.mark.parametrize("text, message", [
    ("::m:: Pick {~%50%a ~%40%b ~c}", common.ERR_MULTIPLE_SUM % {"sum": "90"}),
    ("::s:: Pick {=a =%100%b ~c ~d}", None),
    ("::w:: Name {=fr*g}", common.ERR_WILDCARD % {"value": "fr*g"}),
    ("::p:: Name {=%50%frog}", common.ERR_NO_ACCEPTED_ANSWER),
    ("::o:: Open {=a", gift.ERR_NO_CLOSING_BRACE),
    ("::f:: Weight {~%150%a ~b}", common.ERR_FRACTION % {"value": 150.0}),
    ("::e:: {T}", common.ERR_EMPTY_TEXT),
    ("::b:: 填 ____ 和 ____ {=a}", common.ERR_BLANK_COUNT % {"stem": 2, "answers": 1}),
])
def test_bad_questions_are_errors_naming_the_question(text, message):
    result = parse(text)

    assert not result.ok
    name = text.split("::")[1]
    assert all(f"“{name}”" in str(e) for e in result.errors)
    if message is not None:
        assert str(message) in [e.message for e in result.errors]


def test_a_bad_question_does_not_hide_errors_in_others():
    result = parse("::a:: x {#1}\n\n::b:: y {=%50%z}\n\n::c:: fine {T}")

    assert [("“a”" in str(e), "“b”" in str(e)) for e in result.errors] == [
        (True, False), (False, True)]


@pytest.mark.parametrize("data, message", [
    (b"", common.ERR_EMPTY_FILE),
    (b"   \n\n  ", common.ERR_EMPTY_FILE),
    (b"// only a comment\n", common.ERR_NO_QUESTIONS),
    (b"\x00\x01\x02binary\xff\xfe garbage" * 20, common.ERR_BINARY),
    (bytes(range(256)) * 40, common.ERR_BINARY),
    ("café crème {T}".encode("cp1252"), common.ERR_ENCODING),
])
def test_broken_files_give_one_clear_error(data, message):
    result = parse(data)

    assert [str(e) for e in result.errors] == [str(message)]
    assert result.questions == []


def test_a_file_over_5_mb_is_refused_before_parsing(tmp_path):
    path = tmp_path / "big.gift.txt"
    path.write_bytes(b"::q:: x {T}\n\n" * (6 * 1024 * 1024 // 13 + 1))

    for source in (path, path.read_bytes()):
        result = formats.parse(source, format="gift")
        assert [str(e) for e in result.errors] == [common.too_large_message()]


def test_too_many_questions_are_refused(monkeypatch):
    monkeypatch.setattr(gift, "MAX_QUESTIONS", 3)

    result = parse("a {T}\n\nb {T}\n\nc {T}\n\nd {T}")

    assert [str(e) for e in result.errors] == [
        str(common.ERR_TOO_MANY_QUESTIONS % {"limit": 3})]


def test_missing_file_and_unknown_format(tmp_path):
    result = formats.parse(tmp_path / "nope.txt", format="gift")
    assert "nope.txt" in str(result.errors[0])
    with pytest.raises(ValueError):
        formats.parse(b"x", format="aiken")


def test_category_prefix_puts_every_question_under_it():
    result = formats.with_category_prefix(parse(CHINESE), "2025年度/")

    assert {q.category for q in result.questions} == {"2025年度/目标管理/指标"}
    assert formats.with_category_prefix(parse("x {T}"), "前缀").questions[0].category == "前缀"


def test_points_default_to_one():
    assert parse("x {T}").questions[0].points == Decimal("1")
