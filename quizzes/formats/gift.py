"""GIFT (Moodle's text format) import.

Supported: ``$CATEGORY:`` lines, ``::name::``, ``//`` comment lines, escapes ``\\: \\= \\~ \\# \\{
\\} \\\\ \\n``, text formats ``[html]``, ``[moodle]``, ``[markdown]`` (converted to plain text:
scripts and styles are removed, tags dropped) and ``[plain]`` (kept verbatim; the default when
no format is given), and these question types:

- multiple choice ``{=right ~wrong}`` -> single choice; ``{~%50%a ~%50%b ~%-100%c}`` (no ``=``)
  -> multiple choice (positive weights must add up to 100); per-answer feedback ``#`` ->
  the choice's feedback. Missing-word questions (text after the braces) keep a ``_____``.
- true/false ``{T}`` ``{F}`` ``{TRUE}`` ``{FALSE}``, with ``#wrong#right`` feedback;
- short answer ``{=a =b}`` -> fill-in with one blank accepting a or b. Only 100% answers are
  accepted; partial-credit answers are dropped with a warning, 0% answers ignored; an accepted
  answer with the ``*`` wildcard is an error. Text after the braces makes the braces the blank;
- essay ``{}``.
General feedback ``####…`` becomes the explanation (for true/false without one, the feedback of
the correct answer does).

Matching (``->``), numerical (``{#…}``) and description-only items are not supported: they are
errors naming each question and its type, or are skipped and listed with skip_unsupported.
Trailing text after the closing brace that holds no letters or digits (a stray ``";``) is
ignored.
"""

from __future__ import annotations

import re

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
    MAX_NAME,
    MAX_QUESTIONS,
    WARN_IMAGES_DROPPED,
    WARN_PARTIAL_CHOICE,
    WARN_PARTIAL_DROPPED,
    FormatError,
    InputError,
    ParseResult,
    SkippedQuestion,
    clean_text,
    decode_text,
    file_error,
    fill_stem_errors,
    html_to_text,
    moodle_category,
    question_problems,
    question_source,
)

ERR_NO_CLOSING_BRACE = gettext_lazy("the answer section has no closing brace “}”.")
ERR_BAD_ANSWERS = gettext_lazy("the answer section “%(value)s” cannot be understood.")

# Escaped characters are swapped for private-use placeholders while the structure is parsed.
_ESCAPES = {"\\\\": "\ue010", "\\:": "\ue011", "\\#": "\ue012", "\\=": "\ue013",
            "\\{": "\ue014", "\\}": "\ue015", "\\~": "\ue016"}
_RESTORE = {placeholder: escaped[1] for escaped, placeholder in _ESCAPES.items()}
_FORMAT = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
TRUE_FALSE_WORDS = {"t": True, "true": True, "f": False, "false": False}


def _protect(text: str) -> str:
    for escaped, placeholder in _ESCAPES.items():
        text = text.replace(escaped, placeholder)
    return text.replace("\\n", "\n")


def _restore(text: str) -> str:
    for placeholder, char in _RESTORE.items():
        text = text.replace(placeholder, char)
    return text


class _Text:
    """Converts GIFT text (with an optional [format] marker) to plain text."""

    def __init__(self, default_format: str = "plain"):
        self.default_format = default_format
        self.media = False

    def __call__(self, raw: str, fmt: str | None = None) -> str:
        match = _FORMAT.match(raw)
        if match:
            fmt = match.group(1).lower()
            raw = raw[match.end():]
        fmt = fmt or self.default_format
        raw = _restore(raw)
        if fmt == "plain":
            return clean_text(raw)
        text, media = html_to_text(raw)
        self.media = self.media or media
        return text


def _blocks(text: str):
    """Question blocks: runs of non-blank lines, with // comment lines removed."""
    block: list[str] = []
    for line in text.split("\n"):
        if line.lstrip().startswith("//"):
            continue
        if line.strip():
            block.append(line)
        elif block:
            yield "\n".join(block)
            block = []
    if block:
        yield "\n".join(block)


def parse(data: bytes, *, filename: str = "", skip_unsupported: bool = False) -> ParseResult:
    """Read a GIFT file (UTF-8, UTF-8 with BOM or GBK)."""
    try:
        text = decode_text(data)
    except InputError as exc:
        return file_error(exc)
    if not text.strip():
        return file_error(ERR_EMPTY_FILE)
    text = _protect(text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff"))
    result = ParseResult()
    category = ""
    index = 0
    for block in _blocks(text):
        block = block.strip()
        if block.startswith("$CATEGORY:"):
            category = moodle_category(_restore(block[len("$CATEGORY:"):]))
            continue
        index += 1
        if index > MAX_QUESTIONS:
            return file_error(ERR_TOO_MANY_QUESTIONS % {"limit": MAX_QUESTIONS})
        _parse_question(block, index=index, category=category, filename=filename,
                        skip_unsupported=skip_unsupported, result=result)
    if not index:
        return file_error(ERR_NO_QUESTIONS)
    return result


def _parse_question(block: str, *, index: int, category: str, filename: str,
                    skip_unsupported: bool, result: ParseResult) -> None:
    name = ""
    if block.startswith("::"):
        end = block.find("::", 2)
        if end != -1:
            name = clean_text(_restore(block[2:end]))[:MAX_NAME]
            block = block[end + 2:]
    source = question_source(name=name, index=index, filename=filename)

    def fail(message):
        result.errors.append(FormatError(message=str(message), source=source))

    def unsupported(kind_name):
        if skip_unsupported:
            result.skipped.append(SkippedQuestion(source=source, type=kind_name))
        else:
            fail(ERR_UNSUPPORTED % {"type": kind_name})

    fmt_match = _FORMAT.match(block)
    text_format = fmt_match.group(1).lower() if fmt_match else None
    if fmt_match:
        block = block[fmt_match.end():]
    start = block.find("{")
    if start == -1:
        unsupported("description")
        return
    finish = block.find("}", start)
    if finish == -1:
        fail(ERR_NO_CLOSING_BRACE)
        return
    answers = block[start + 1:finish].strip()
    before, after = block[:start], block[finish + 1:]
    if not any(ch.isalnum() for ch in after):
        after = ""  # a stray "; after the braces, as in Moodle's own fixtures

    to_text = _Text()
    general = ""
    if "####" in answers:
        cut = answers.rfind("####")
        answers, general = answers[:cut].strip(), answers[cut + 4:]
    question = types.QuestionData(kind="", text="", category=category, name=name, source=source)
    question.explanation = to_text(general)

    if answers == "":
        question.kind = types.ESSAY
    elif answers.startswith("#"):
        unsupported("numerical")
        return
    elif "~" in answers:
        if not _choices(question, answers, to_text, fail, result):
            return
    elif "=" in answers and "->" in answers:
        unsupported("matching")
        return
    elif answers.split("#", 1)[0].strip().lower() in TRUE_FALSE_WORDS:
        question.kind = types.TRUE_FALSE
        parts = answers.split("#")
        question.answer_true = TRUE_FALSE_WORDS[parts[0].strip().lower()]
        if not question.explanation and len(parts) > 2:
            question.explanation = to_text(parts[2])  # feedback shown for the right answer
    elif answers.startswith("="):
        if not _short_answer(question, answers, to_text, fail, result):
            return
    else:
        fail(ERR_BAD_ANSWERS % {"value": _restore(answers)[:60]})
        return

    blank = "{{1}}" if question.kind == types.FILL else "_____"
    raw_text = before + (blank + after if after.strip() else "")
    question.text = to_text(raw_text, text_format)
    if question.kind == types.FILL:
        question.text, problems = fill_stem_errors(question.text, question.blanks)
        for problem in problems:
            fail(problem)
    for problem in question_problems(question):
        fail(problem)
    if to_text.media:
        result.warnings.append(str(WARN_IMAGES_DROPPED % {"source": source}))
    result.questions.append(question)


def _split_answers(answers: str) -> list[tuple[str, str]]:
    """"=a ~b =c" -> [("=", "a"), ("~", "b"), ("=", "c")]."""
    parts = re.split(r"([=~])", answers)
    items = []
    if parts[0].strip():
        items.append(("", parts[0]))
    for marker, body in zip(parts[1::2], parts[2::2], strict=True):
        items.append((marker, body))
    return items


def _weight_and_rest(body: str) -> tuple[float | None, str]:
    body = body.strip()
    match = _WEIGHT.match(body)
    if not match:
        return None, body
    return float(match.group(1)), body[match.end():]


def _choices(question, answers, to_text, fail, result) -> bool:
    items = _split_answers(answers)
    single = any(marker == "=" for marker, _body in items)
    question.kind = types.SINGLE if single else types.MULTIPLE
    weights = []
    for marker, body in items:
        weight, rest = _weight_and_rest(body)
        if weight is None:
            weight = 100.0 if marker == "=" else 0.0
        if not -100 <= weight <= 100:
            fail(ERR_FRACTION % {"value": weight})
            return False
        text, _sep, feedback = rest.partition("#")
        weights.append(weight)
        question.choices.append(types.ChoiceData(
            text=to_text(text), correct=weight >= 100 if single else weight > 0,
            feedback=to_text(feedback)))
    if single:
        correct = sum(1 for c in question.choices if c.correct)
        if correct != 1:
            fail(ERR_SINGLE_CORRECT % {"count": correct})
            return False
        partial = [c.text for c, w in zip(question.choices, weights, strict=True) if 0 < w < 100]
        if partial:
            result.warnings.append(str(WARN_PARTIAL_CHOICE % {
                "source": question.source, "answers": "、".join(partial)}))
    else:
        total = sum(w for w in weights if w > 0)
        if abs(total - 100) > 0.01:
            fail(ERR_MULTIPLE_SUM % {"sum": f"{total:g}"})
            return False
    return True


def _short_answer(question, answers, to_text, fail, result) -> bool:
    question.kind = types.FILL
    accepted, partial = [], []
    for marker, body in _split_answers(answers):
        weight, rest = _weight_and_rest(body)
        if weight is None:
            weight = 100.0 if marker == "=" else 0.0
        answer = to_text(rest.partition("#")[0])
        if weight >= 100:
            if "*" in answer:
                fail(ERR_WILDCARD % {"value": answer})
                return False
            if answer and answer not in accepted:
                accepted.append(answer)
        elif weight > 0 and answer:
            partial.append(answer)
    if not accepted:
        fail(ERR_NO_ACCEPTED_ANSWER)
        return False
    if partial:
        result.warnings.append(str(WARN_PARTIAL_DROPPED % {
            "source": question.source, "answers": "、".join(partial)}))
    question.blanks = [accepted]
    return True
