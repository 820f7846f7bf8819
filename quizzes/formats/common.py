"""Shared pieces of the question file formats: results and errors, limits, reading input safely,
HTML to plain text, fill-in blank markers and Moodle category paths. No database access."""

from __future__ import annotations

import io
import os
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quizzes import types

MAX_FILE_BYTES = 5 * 1024 * 1024  # every format: larger files are refused before parsing
MAX_QUESTIONS = 5000  # rows of a spreadsheet, questions of a GIFT/XML file
MAX_POINTS = Decimal("100")  # as quizzes.models.MAX_POINTS; points have two decimals
MAX_TEXT = 20000  # as quizzes.services.MAX_TEXT
MAX_BLANK_TEXT = 500
MAX_CATEGORY_PART = 100
MAX_CATEGORY_PATH = 400
MAX_NAME = 255
MAX_TAG = 50

# File-level errors (tests assert these constants).
ERR_FILE_TOO_LARGE = gettext_lazy("The file is larger than %(limit)s MB.")
ERR_EMPTY_FILE = gettext_lazy("The file is empty.")
ERR_TOO_MANY_QUESTIONS = gettext_lazy("The file has more than %(limit)s questions.")
ERR_NO_QUESTIONS = gettext_lazy("The file contains no questions.")
ERR_BINARY = gettext_lazy("The file is not a text file.")
ERR_ENCODING = gettext_lazy("The file is neither UTF-8 nor GBK text; save it as UTF-8 and retry.")
ERR_NO_SUCH_FILE = gettext_lazy("No such file: %(path)s.")
ERR_UNKNOWN_FORMAT = gettext_lazy("Unknown format “%(format)s”: use one of %(allowed)s.")
# Question-level errors, shared by GIFT and Moodle XML.
ERR_UNSUPPORTED = gettext_lazy("question type “%(type)s” is not supported.")
ERR_EMPTY_TEXT = gettext_lazy("the question text is empty.")
ERR_TOO_LONG = gettext_lazy("a text is longer than %(limit)s characters.")
ERR_POINTS = gettext_lazy(
    "points “%(value)s” must be a number greater than 0 and at most %(max)s, with at most "
    "two decimals."
)
ERR_SINGLE_CORRECT = gettext_lazy(
    "a single choice question needs exactly one fully correct answer (found %(count)s)."
)
ERR_MULTIPLE_SUM = gettext_lazy(
    "the grades of the correct answers add up to %(sum)s%%, not 100%%."
)
ERR_FRACTION = gettext_lazy("the grade “%(value)s” is not a percentage between -100 and 100.")
ERR_TOO_FEW_CHOICES = gettext_lazy("a choice question needs at least two answers.")
ERR_EMPTY_CHOICE = gettext_lazy("answer %(number)s is empty.")
ERR_NO_ACCEPTED_ANSWER = gettext_lazy("no answer has the full grade (100 percent).")
ERR_WILDCARD = gettext_lazy("the accepted answer “%(value)s” uses the wildcard *, which is not "
                            "supported.")
ERR_BLANK_COUNT = gettext_lazy(
    "the question text has %(stem)s blanks but answers are given for %(answers)s."
)
ERR_BLANK_ORDER = gettext_lazy("blanks must be numbered {{1}}, {{2}} … in order.")
ERR_CATEGORY = gettext_lazy(
    "the category “%(value)s” is too long (at most %(part)s characters per level and "
    "%(path)s in all)."
)
# Warnings: the file imports, but something is not carried over.
WARN_PARTIAL_DROPPED = gettext_lazy(
    "%(source)s: partial-credit answers are not accepted by our fill-in questions and were "
    "dropped: %(answers)s."
)
WARN_PARTIAL_CHOICE = gettext_lazy(
    "%(source)s: partial-credit answers of a single choice question count as wrong: %(answers)s."
)
WARN_IMAGES_DROPPED = gettext_lazy("%(source)s: images and media in the text were dropped.")
WARN_CASE_SENSITIVE = gettext_lazy(
    "%(source)s: answers will be compared ignoring case."
)

KIND_LABELS = {
    types.SINGLE: "单选",
    types.MULTIPLE: "多选",
    types.TRUE_FALSE: "判断",
    types.FILL: "填空",
    types.ESSAY: "简答",
}


@dataclass(frozen=True)
class FormatError:
    """A problem in an imported file. `row`/`column` are set for spreadsheets (header = row 1);
    `source` names the question for GIFT/XML; both are empty for file-level problems."""

    message: str
    source: str = ""
    row: int | None = None
    column: str = ""

    def __str__(self):
        if self.row is not None:
            return _("Row %(row)s, column %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column or "-",
                "message": self.message,
            }
        if self.source:
            return f"{self.source}: {self.message}"
        return self.message


@dataclass(frozen=True)
class SkippedQuestion:
    """A question of a type we do not support, left out because skip_unsupported was given."""

    source: str
    type: str

    def __str__(self):
        return f"{self.source} ({self.type})"


@dataclass
class ParseResult:
    """What a file holds. Questions are only to be imported when `errors` is empty; they are
    returned anyway so that a preview can show them next to the errors."""

    questions: list[types.QuestionData] = field(default_factory=list)
    errors: list[FormatError] = field(default_factory=list)
    skipped: list[SkippedQuestion] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts_by_kind(self) -> dict[str, int]:
        counts = Counter(q.kind for q in self.questions)
        return {kind: counts[kind] for kind in types.KINDS if counts[kind]}


class InputError(Exception):
    """The input cannot be read at all (too large, missing); carries a user-facing message."""


def file_error(message) -> ParseResult:
    return ParseResult(errors=[FormatError(message=str(message))])


def too_large_message() -> str:
    return str(ERR_FILE_TOO_LARGE % {"limit": MAX_FILE_BYTES // (1024 * 1024)})


def read_input(path_or_bytes) -> tuple[bytes, str]:
    """Bytes and file name of a path, bytes or binary file object; refuses oversized input
    without reading more than the limit."""
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        data = bytes(path_or_bytes)
        if len(data) > MAX_FILE_BYTES:
            raise InputError(too_large_message())
        return data, ""
    if isinstance(path_or_bytes, (str, os.PathLike)):
        path = Path(path_or_bytes)
        if not path.is_file():
            raise InputError(str(ERR_NO_SUCH_FILE % {"path": path}))
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(too_large_message())
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        name = path.name
    elif hasattr(path_or_bytes, "read"):
        data = path_or_bytes.read(MAX_FILE_BYTES + 1)
        name = os.path.basename(getattr(path_or_bytes, "name", "") or "")
    else:
        raise TypeError("expected a path, bytes or a binary file object")
    if len(data) > MAX_FILE_BYTES:
        raise InputError(too_large_message())
    return data, name


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ue000-\ue0ff]")


def clean_text(value: str) -> str:
    """Trimmed text without control characters (they break XML and spreadsheets); CRLF -> LF."""
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    return _CONTROL.sub("", value).strip()


def decode_text(data: bytes) -> str:
    """Text files from Chinese offices: UTF-8 (with or without BOM), UTF-16 with BOM, else GBK
    (read as its superset GB18030). Raises InputError for binary data or other encodings."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(str(ERR_ENCODING)) from exc
    if b"\x00" in data:
        raise InputError(str(ERR_BINARY))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r")
        if controls > max(2, len(text) // 100):
            raise InputError(str(ERR_BINARY))
        return text
    raise InputError(str(ERR_ENCODING))


# ------------------------------------------------------------------ HTML to plain text

_DROP_TAGS = ("script", "style", "iframe", "object", "embed", "noscript", "template", "head",
              "svg", "math", "audio", "video", "form", "button", "select", "textarea")
_MEDIA_TAGS = ("img", "audio", "video", "object", "embed", "iframe", "svg")
_BLOCK_TAGS = ("p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote",
               "table", "ul", "ol", "dd", "dt")


def html_to_text(html: str) -> tuple[str, bool]:
    """Plain text of an HTML fragment and whether media was dropped. Scripts, styles, frames and
    forms are removed with their content; everything else keeps only its text, so nothing from
    the file is ever rendered as markup."""
    from bs4 import BeautifulSoup

    if "<" not in html and "&" not in html:
        return clean_text(html), False
    soup = BeautifulSoup(html, "html.parser")
    had_media = bool(soup.find(_MEDIA_TAGS))
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all("br"):
        tag.replace_with("\n")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    text = soup.get_text()
    lines = [" ".join(line.split()) for line in clean_text(text).split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return text.strip(), had_media


# ------------------------------------------------------------------ fill-in blanks

# A blank in a stem: {{n}}, a pair of parentheses holding only spaces (（  ） or ( )), or three
# or more underscores.
_BLANK = re.compile(r"\{\{\s*(\d+)\s*\}\}|[（(][ \t\u3000]*[）)]|_{3,}")


def normalise_blanks(text: str) -> tuple[str, int, bool]:
    """Rewrite every blank marker as {{1}}, {{2}} … in order of appearance. Returns the text,
    the number of blanks and False when explicit {{n}} numbers are out of order."""
    counter = 0
    in_order = True

    def replace(match):
        nonlocal counter, in_order
        counter += 1
        if match.group(1) is not None and int(match.group(1)) != counter:
            in_order = False
        return f"{{{{{counter}}}}}"

    return _BLANK.sub(replace, text), counter, in_order


def fill_stem_errors(text: str, blanks: list[list[str]]) -> tuple[str, list[str]]:
    """The normalised stem of a fill-in question and the problems with its blanks. A stem
    without any marker has one implicit blank at its end."""
    stem, count, in_order = normalise_blanks(text)
    errors = []
    if not in_order:
        errors.append(str(ERR_BLANK_ORDER))
    elif not (count == 0 and len(blanks) == 1) and count != len(blanks):
        errors.append(str(ERR_BLANK_COUNT % {"stem": count, "answers": len(blanks)}))
    if any(len(answer) > MAX_BLANK_TEXT for blank in blanks for answer in blank):
        errors.append(str(ERR_TOO_LONG % {"limit": MAX_BLANK_TEXT}))
    return stem, errors


# ------------------------------------------------------------------ points, categories, tags


def parse_points(value) -> Decimal | None:
    """Points as a Decimal in (0, 100] with at most two decimals, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = repr(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    try:
        points = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not points.is_finite() or points <= 0 or points > MAX_POINTS:
        return None
    if points != points.quantize(Decimal("0.01")):
        return None
    return points.quantize(Decimal("0.01"))


def points_error(value) -> str:
    return str(ERR_POINTS % {"value": value, "max": MAX_POINTS})


def category_error(path: str) -> str | None:
    if len(path) > MAX_CATEGORY_PATH or any(len(p) > MAX_CATEGORY_PART for p in path.split("/")):
        return str(ERR_CATEGORY % {"value": path[:60], "part": MAX_CATEGORY_PART,
                                   "path": MAX_CATEGORY_PATH})
    return None


def join_category(*parts: str) -> str:
    """Join category paths, dropping empty levels: ("题库", "a/b") -> "题库/a/b"."""
    levels = []
    for part in parts:
        levels.extend(p.strip() for p in (part or "").replace("／", "/").split("/"))
    return "/".join(p for p in levels if p)


_CONTEXT_PREFIX = re.compile(r"^\$[a-z0-9]+\$$")


def moodle_category(path: str) -> str:
    """A Moodle category path as ours: "$course$/top/Iota/Kappa" -> "Iota/Kappa". The
    context prefix ($course$, $system$, $module$, $cat1$ …) and Moodle's "top" level are
    dropped; "//" (a slash inside a name) becomes a full-width "／"."""
    parts = [p.strip() for p in clean_text(path).replace("//", "\ue000").split("/")]
    parts = [p for p in parts if p]
    if parts and _CONTEXT_PREFIX.match(parts[0]):
        parts = parts[1:]
    if parts and parts[0] == "top":
        parts = parts[1:]
    return "/".join(p.replace("\ue000", "／") for p in parts)


def question_problems(question: types.QuestionData) -> list[str]:
    """Checks common to GIFT and Moodle XML questions once they are built."""
    problems = []
    if not question.text:
        problems.append(str(ERR_EMPTY_TEXT))
    texts = [question.text, question.explanation, question.reference_answer,
             *(c.text for c in question.choices), *(c.feedback for c in question.choices)]
    if any(len(t) > MAX_TEXT for t in texts):
        problems.append(str(ERR_TOO_LONG % {"limit": MAX_TEXT}))
    if question.kind in (types.SINGLE, types.MULTIPLE):
        if len(question.choices) < 2:
            problems.append(str(ERR_TOO_FEW_CHOICES))
        for number, choice in enumerate(question.choices, start=1):
            if not choice.text:
                problems.append(str(ERR_EMPTY_CHOICE % {"number": number}))
    if question.category:
        problem = category_error(question.category)
        if problem:
            problems.append(problem)
    return problems


def question_source(*, name: str, index: int, filename: str) -> str:
    """How errors name a question of a GIFT/XML file."""
    if name:
        if filename:
            return _("question “%(name)s” (no. %(index)s in %(file)s)") % {
                "name": name, "index": index, "file": filename}
        return _("question “%(name)s” (no. %(index)s)") % {"name": name, "index": index}
    if filename:
        return _("question no. %(index)s in %(file)s") % {"index": index, "file": filename}
    return _("question no. %(index)s") % {"index": index}


def save_bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
