"""Moodle XML import and export.

Import (parsed with defusedxml; any DTD, entity declaration or external reference is refused, as
are files over 5 MB):

- ``<question type="category">``: the path becomes the category of the questions that follow;
  the context prefix (``$course$``, ``$system$`` …) and Moodle's ``top`` level are dropped.
- ``multichoice``: ``<single>true</single>`` -> single choice (exactly one answer at 100%;
  partial-credit answers count as wrong, with a warning); ``<single>false</single>`` -> multiple
  choice (answers with a positive fraction are correct; the positive fractions must add up to
  100, so Moodle's ``error_invalid_grades.xml`` is rejected naming the question).
- ``truefalse``; ``essay`` (``graderinfo`` -> reference answer).
- ``shortanswer`` -> fill-in with one blank: the 100% answers are accepted; partial-credit
  answers are dropped with a warning (our fill-in questions give full or no credit); 0% answers
  (such as the ``*`` catch-all) are ignored; an accepted answer using the ``*`` wildcard is an
  error. A ``____`` in the text becomes the blank ``{{1}}``.
- ``cloze`` whose sub-questions are all short answers (``{1:SHORTANSWER:=a~=b}``, also SA, MW
  and the case-sensitive _C variants) -> fill-in with one blank per sub-question. This is how we
  export fill-in questions with several blanks; cloze with any other sub-question is unsupported.
- ``generalfeedback`` -> explanation, ``defaultgrade`` -> points, ``<tags>`` -> tags; answer
  feedback -> the choice's feedback; our own ``<difficulty>`` element (ignored by Moodle).
- Text in html/moodle_auto_format/markdown is converted to plain text (scripts, styles and frames
  removed with their content, tags dropped, images dropped with a warning); plain_text is kept.

Every other type (matching, numerical, calculated, ddwtos, description …) is an error naming each
question and its type, or is skipped and listed with skip_unsupported.

Export writes plain_text formats, one category question per category, single/multiple choice as
multichoice (correct answers share 100%, wrong answers of a multiple choice question -100%),
one-blank fill-in as shortanswer (the blank as ``_____``), several blanks as cloze, and
``<difficulty>``; exporting and importing again gives the same questions.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as safe_fromstring
from django.utils.translation import gettext_lazy

from quizzes import types
from quizzes.formats.common import (
    ERR_EMPTY_FILE,
    ERR_FRACTION,
    ERR_MULTIPLE_SUM,
    ERR_NO_ACCEPTED_ANSWER,
    ERR_NO_QUESTIONS,
    ERR_SINGLE_CORRECT,
    ERR_TOO_MANY_QUESTIONS,
    ERR_UNSUPPORTED,
    ERR_WILDCARD,
    MAX_FILE_BYTES,
    MAX_NAME,
    MAX_QUESTIONS,
    WARN_CASE_SENSITIVE,
    WARN_IMAGES_DROPPED,
    WARN_PARTIAL_CHOICE,
    WARN_PARTIAL_DROPPED,
    FormatError,
    ParseResult,
    SkippedQuestion,
    clean_text,
    file_error,
    fill_stem_errors,
    html_to_text,
    moodle_category,
    parse_points,
    points_error,
    question_problems,
    question_source,
    too_large_message,
)

ERR_XML_FORBIDDEN = gettext_lazy(
    "The XML file declares a document type (DTD), entities or external references; these are "
    "refused for security. Export the questions from Moodle again without them."
)
ERR_XML_MALFORMED = gettext_lazy("The file is not well-formed XML (%(detail)s).")
ERR_XML_NOT_MOODLE = gettext_lazy("The XML file is not a Moodle question file (no <quiz>).")
ERR_TRUE_FALSE = gettext_lazy("the correct answer of a true/false question is neither true nor "
                              "false.")
ERR_DIFFICULTY = gettext_lazy("unknown difficulty “%(value)s”: use easy, medium or hard.")

SUPPORTED = {"multichoice", "truefalse", "shortanswer", "essay", "cloze"}
_PLAIN_FORMATS = {"plain_text", "plain"}
_CLOZE = re.compile(r"\{(\d*):([A-Z_]+):((?:\\.|[^\\}])*)\}")
_CLOZE_SHORT = {"SHORTANSWER", "SA", "MW", "SHORTANSWER_C", "SAC", "MWC"}
_CLOZE_ESCAPED = re.compile(r"\\([\\}~#/\"])")
_GBK_DECLARATION = re.compile(rb"^(<\?xml[^>]*encoding=[\"'])(gb2312|gbk|gb18030)([\"'])", re.I)


def _fraction(value: str | None) -> Decimal | None:
    try:
        fraction = Decimal((value or "0").strip())
    except (InvalidOperation, ValueError):
        return None
    if not fraction.is_finite() or not -100 <= fraction <= 100:
        return None
    return fraction


class _Reader:
    """Plain text out of Moodle's <x format="..."><text>…</text></x> elements."""

    def __init__(self):
        self.media = False

    def text(self, element, default_format: str = "html") -> str:
        if element is None:
            return ""
        node = element.find("text")
        raw = (node.text if node is not None else element.text) or ""
        fmt = element.get("format", default_format)
        if fmt in _PLAIN_FORMATS:
            return clean_text(raw)
        text, media = html_to_text(raw)
        self.media = self.media or media or element.find("file") is not None
        return text

    def child(self, question, tag: str, default_format: str = "html") -> str:
        return self.text(question.find(tag), default_format)


def _decode_declared_gbk(data: bytes) -> bytes:
    """Expat cannot read multi-byte Chinese encodings; re-encode such files as UTF-8."""
    match = _GBK_DECLARATION.match(data.lstrip())
    if not match:
        return data
    text = data.lstrip().decode("gb18030", errors="strict")
    return _GBK_DECLARATION.sub(rb"\1UTF-8\3", text.encode("utf-8"), count=1)


def parse(data: bytes, *, filename: str = "", skip_unsupported: bool = False) -> ParseResult:
    """Read a Moodle XML question file safely."""
    if len(data) > MAX_FILE_BYTES:
        return file_error(too_large_message())
    if not data.strip():
        return file_error(ERR_EMPTY_FILE)
    try:
        root = safe_fromstring(_decode_declared_gbk(data), forbid_dtd=True,
                               forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        return file_error(ERR_XML_FORBIDDEN)
    except ParseError as exc:
        return file_error(ERR_XML_MALFORMED % {"detail": exc})
    except (UnicodeDecodeError, ValueError) as exc:
        return file_error(ERR_XML_MALFORMED % {"detail": exc})
    if root.tag != "quiz":
        return file_error(ERR_XML_NOT_MOODLE)

    result = ParseResult()
    category = ""
    index = 0
    for element in root.findall("question"):
        kind_name = (element.get("type") or "").strip()
        if kind_name == "category":
            category = moodle_category(_Reader().child(element, "category", "plain_text"))
            continue
        index += 1
        if index > MAX_QUESTIONS:
            return file_error(ERR_TOO_MANY_QUESTIONS % {"limit": MAX_QUESTIONS})
        _parse_question(element, kind_name, index=index, category=category, filename=filename,
                        skip_unsupported=skip_unsupported, result=result)
    if not index:
        return file_error(ERR_NO_QUESTIONS)
    return result


def _parse_question(element, kind_name: str, *, index: int, category: str, filename: str,
                    skip_unsupported: bool, result: ParseResult) -> None:
    reader = _Reader()
    name = reader.child(element, "name", "html").replace("\n", " ")[:MAX_NAME]
    source = question_source(name=name, index=index, filename=filename)

    def fail(message):
        result.errors.append(FormatError(message=str(message), source=source))

    if kind_name not in SUPPORTED:
        if skip_unsupported:
            result.skipped.append(SkippedQuestion(source=source, type=kind_name or "?"))
        else:
            fail(ERR_UNSUPPORTED % {"type": kind_name or "?"})
        return

    question = types.QuestionData(kind="", text=reader.child(element, "questiontext"),
                                  category=category, name=name, source=source)
    question.explanation = reader.child(element, "generalfeedback")
    grade = (element.findtext("defaultgrade") or "").strip()
    if grade:
        points = parse_points(grade)
        if points is None:
            fail(points_error(grade))
        else:
            question.points = points
    difficulty = (element.findtext("difficulty") or "").strip()
    if difficulty:
        if difficulty in types.DIFFICULTIES:
            question.difficulty = difficulty
        else:
            fail(ERR_DIFFICULTY % {"value": difficulty[:20]})
    for tag in element.findall("tags/tag"):
        value = reader.text(tag, "plain_text")
        if value and value not in question.tags:
            question.tags.append(value)

    answers = element.findall("answer")
    ok = True
    if kind_name == "multichoice":
        ok = _multichoice(question, element, answers, reader, fail, result)
    elif kind_name == "truefalse":
        ok = _truefalse(question, answers, reader, fail)
    elif kind_name == "shortanswer":
        ok = _shortanswer(question, answers, reader, fail, result)
    elif kind_name == "essay":
        question.kind = types.ESSAY
        question.reference_answer = reader.child(element, "graderinfo")
    elif kind_name == "cloze":
        ok = _cloze(question, fail, result, skip_unsupported=skip_unsupported)
        if ok is None:
            return
    if not ok:
        return
    for problem in question_problems(question):
        fail(problem)
    if reader.media:
        result.warnings.append(str(WARN_IMAGES_DROPPED % {"source": source}))
    result.questions.append(question)


def _multichoice(question, element, answers, reader, fail, result) -> bool:
    single = (element.findtext("single") or "true").strip().lower() in ("true", "1")
    question.kind = types.SINGLE if single else types.MULTIPLE
    fractions = []
    for answer in answers:
        fraction = _fraction(answer.get("fraction"))
        if fraction is None:
            fail(ERR_FRACTION % {"value": (answer.get("fraction") or "")[:20]})
            return False
        fractions.append(fraction)
        question.choices.append(types.ChoiceData(
            text=reader.text(answer),
            correct=fraction == 100 if single else fraction > 0,
            feedback=reader.child(answer, "feedback"),
        ))
    if single:
        correct = sum(1 for c in question.choices if c.correct)
        if correct != 1:
            fail(ERR_SINGLE_CORRECT % {"count": correct})
            return False
        partial = [c.text for c, f in zip(question.choices, fractions, strict=True) if 0 < f < 100]
        if partial:
            result.warnings.append(str(WARN_PARTIAL_CHOICE % {
                "source": question.source, "answers": "、".join(partial)}))
        return True
    total = sum(f for f in fractions if f > 0)
    if abs(total - 100) > Decimal("0.01"):
        fail(ERR_MULTIPLE_SUM % {"sum": f"{total.normalize():f}"})
        return False
    return True


def _truefalse(question, answers, reader, fail) -> bool:
    question.kind = types.TRUE_FALSE
    right = [a for a in answers if _fraction(a.get("fraction")) == 100]
    value = reader.text(right[0]).strip().lower() if len(right) == 1 else ""
    if value not in ("true", "false"):
        fail(ERR_TRUE_FALSE)
        return False
    question.answer_true = value == "true"
    if not question.explanation:
        question.explanation = reader.child(right[0], "feedback")
    return True


def _accepted(pairs, source, fail, result):
    """Accepted answers from (fraction, text) pairs; None after reporting an error."""
    accepted, partial = [], []
    for fraction, text in pairs:
        if fraction is None:
            return None
        if fraction == 100:
            if "*" in text.replace("\\*", ""):
                fail(ERR_WILDCARD % {"value": text})
                return None
            text = text.replace("\\*", "*")
            if text and text not in accepted:
                accepted.append(text)
        elif fraction > 0 and text:
            partial.append(text)
    if not accepted:
        fail(ERR_NO_ACCEPTED_ANSWER)
        return None
    if partial:
        result.warnings.append(str(WARN_PARTIAL_DROPPED % {
            "source": source, "answers": "、".join(partial)}))
    return accepted


def _shortanswer(question, answers, reader, fail, result) -> bool:
    question.kind = types.FILL
    pairs = []
    for answer in answers:
        fraction = _fraction(answer.get("fraction"))
        if fraction is None:
            fail(ERR_FRACTION % {"value": (answer.get("fraction") or "")[:20]})
            return False
        # Moodle keeps short answers as plain strings whatever their format attribute says.
        pairs.append((fraction, clean_text(answer.findtext("text") or "")))
    accepted = _accepted(pairs, question.source, fail, result)
    if accepted is None:
        return False
    question.blanks = [accepted]
    question.text, problems = fill_stem_errors(question.text, question.blanks)
    for problem in problems:
        fail(problem)
    return not problems


def _cloze(question, fail, result, *, skip_unsupported: bool):
    """Cloze with short-answer sub-questions only -> fill-in. None means skipped."""
    question.kind = types.FILL
    found = list(_CLOZE.finditer(question.text))
    others = sorted({m.group(2) for m in found if m.group(2) not in _CLOZE_SHORT})
    if others or not found:
        kind_name = "cloze (" + ", ".join(others or ["-"]) + ")"
        if skip_unsupported:
            result.skipped.append(SkippedQuestion(source=question.source, type=kind_name))
            return None
        fail(ERR_UNSUPPORTED % {"type": kind_name})
        return False
    if any(m.group(2).endswith("C") for m in found):
        result.warnings.append(str(WARN_CASE_SENSITIVE % {"source": question.source}))
    for match in found:
        pairs = []
        for item in re.split(r"(?<!\\)~", match.group(3)):
            item = item.strip()
            item = re.split(r"(?<!\\)#", item, maxsplit=1)[0]
            if item.startswith("="):
                fraction, text = Decimal(100), item[1:]
            else:
                weight = re.match(r"^%(-?\d+(?:\.\d+)?)%", item)
                fraction = _fraction(weight.group(1)) if weight else Decimal(0)
                text = item[weight.end():] if weight else item
            pairs.append((fraction, _CLOZE_ESCAPED.sub(r"\1", text).strip()))
        accepted = _accepted(pairs, question.source, fail, result)
        if accepted is None:
            return False
        question.blanks.append(accepted)
    counter = iter(range(1, len(found) + 1))
    question.text = _CLOZE.sub(lambda _m: "{{%d}}" % next(counter), question.text)  # noqa: UP031
    question.text, problems = fill_stem_errors(question.text, question.blanks)
    for problem in problems:
        fail(problem)
    return not problems


# ------------------------------------------------------------------ export


def _text_element(parent, tag: str, text: str, fmt: str | None = "plain_text"):
    element = ET.SubElement(parent, tag)
    if fmt:
        element.set("format", fmt)
    ET.SubElement(element, "text").text = clean_text(text)
    return element


def _category_question(root, category: str):
    question = ET.SubElement(root, "question", type="category")
    path = "/".join(["$course$", "top", *(p.replace("/", "//") for p in category.split("/") if p)])
    _text_element(question, "category", path, fmt=None)


def _percent(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.00001')).normalize():f}"  # as Moodle: 33.33333


def _cloze_escape(answer: str) -> str:
    return re.sub(r"([\\}~#/\"])", r"\\\1", answer)


def export(questions: list[types.QuestionData]) -> bytes:
    """Questions as a Moodle XML file that Moodle and our importer read back."""
    root = ET.Element("quiz")
    current = None
    for data in questions:
        if data.category != current:
            _category_question(root, data.category)
            current = data.category
        _export_question(root, data)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def _export_question(root, data: types.QuestionData) -> None:
    kind_name = {
        types.SINGLE: "multichoice", types.MULTIPLE: "multichoice", types.TRUE_FALSE: "truefalse",
        types.ESSAY: "essay",
        types.FILL: "cloze" if len(data.blanks) > 1 else "shortanswer",
    }[data.kind]
    question = ET.SubElement(root, "question", type=kind_name)
    _text_element(question, "name", data.name, fmt=None)
    text = data.text
    if data.kind == types.FILL:
        if kind_name == "cloze":
            def sub_question(match):
                answers = data.blanks[int(match.group(1)) - 1]
                return "{1:SHORTANSWER:" + "~".join("=" + _cloze_escape(a) for a in answers) + "}"

            text = re.sub(r"\{\{(\d+)\}\}", sub_question, text)
        else:
            text = text.replace("{{1}}", "_____")
    _text_element(question, "questiontext", text)
    _text_element(question, "generalfeedback", data.explanation)
    ET.SubElement(question, "defaultgrade").text = f"{Decimal(data.points):.7f}"
    ET.SubElement(question, "penalty").text = "0.3333333"
    ET.SubElement(question, "hidden").text = "0"
    ET.SubElement(question, "difficulty").text = data.difficulty
    if data.kind in (types.SINGLE, types.MULTIPLE):
        single = data.kind == types.SINGLE
        ET.SubElement(question, "single").text = "true" if single else "false"
        ET.SubElement(question, "shuffleanswers").text = "true"
        ET.SubElement(question, "answernumbering").text = "ABCD"
        correct = sum(1 for c in data.choices if c.correct) or 1
        share = Decimal(100) / correct
        for choice in data.choices:
            if choice.correct:
                fraction = Decimal(100) if single else share
            else:
                fraction = Decimal(0) if single else Decimal(-100)
            answer = _text_element(question, "answer", choice.text)
            answer.set("fraction", _percent(fraction))
            if choice.feedback:
                _text_element(answer, "feedback", choice.feedback)
    elif data.kind == types.TRUE_FALSE:
        for value in (True, False):
            answer = _text_element(question, "answer", "true" if value else "false",
                                   fmt="moodle_auto_format")
            answer.set("fraction", "100" if data.answer_true is value else "0")
    elif data.kind == types.FILL and kind_name == "shortanswer":
        ET.SubElement(question, "usecase").text = "0"
        for accepted in data.blanks[0] if data.blanks else []:
            answer = _text_element(question, "answer", accepted.replace("*", "\\*"),
                                   fmt="moodle_auto_format")
            answer.set("fraction", "100")
    elif data.kind == types.ESSAY:
        ET.SubElement(question, "responseformat").text = "editor"
        ET.SubElement(question, "responserequired").text = "1"
        ET.SubElement(question, "responsefieldlines").text = "10"
        ET.SubElement(question, "attachments").text = "0"
        _text_element(question, "graderinfo", data.reference_answer)
        _text_element(question, "responsetemplate", "")
    if data.tags:
        tags = ET.SubElement(question, "tags")
        for tag in data.tags:
            _text_element(tags, "tag", tag, fmt=None)
