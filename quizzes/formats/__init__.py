"""Question files in and out: the Excel wide layout, GIFT and Moodle XML.

Public interface (pure: no database access):

- ``parse(path_or_bytes, *, format, skip_unsupported=False, filename="") -> ParseResult`` —
  ``path_or_bytes`` is a path (str or Path), bytes or a binary file object; ``format`` is one of
  ``IMPORT_FORMATS`` ("xlsx", "gift", "moodle-xml"). Files over 5 MB are refused unread.
  ``ParseResult(questions, errors, skipped, warnings)``: import only when ``errors`` is empty.
- ``export(questions, *, format) -> bytes`` for ``EXPORT_FORMATS`` ("xlsx", "moodle-xml").
- ``xlsx_template() -> bytes``: the empty Excel template with its 填写说明 sheet.
- ``with_category_prefix(questions, prefix)``: put every question under a category prefix.
"""

from __future__ import annotations

from dataclasses import replace

from quizzes import types
from quizzes.formats import gift, moodle_xml, xlsx
from quizzes.formats.common import (
    ERR_UNKNOWN_FORMAT,
    FormatError,
    InputError,
    ParseResult,
    SkippedQuestion,
    category_error,
    file_error,
    join_category,
    read_input,
)

__all__ = [
    "EXPORT_FORMATS", "IMPORT_FORMATS", "FormatError", "ParseResult", "SkippedQuestion",
    "export", "parse", "with_category_prefix", "xlsx_template",
]

_PARSERS = {"xlsx": xlsx.parse, "gift": gift.parse, "moodle-xml": moodle_xml.parse}
_WRITERS = {"xlsx": xlsx.export, "moodle-xml": moodle_xml.export}
IMPORT_FORMATS = tuple(_PARSERS)
EXPORT_FORMATS = tuple(_WRITERS)


def _format_name(format: str, allowed) -> str:
    name = (format or "").strip().lower().replace("_", "-")
    name = {"moodle": "moodle-xml", "xml": "moodle-xml", "excel": "xlsx"}.get(name, name)
    if name not in allowed:
        raise ValueError(
            str(ERR_UNKNOWN_FORMAT % {"format": format, "allowed": ", ".join(allowed)}))
    return name


def parse(path_or_bytes, *, format: str, skip_unsupported: bool = False,
          filename: str = "") -> ParseResult:
    """Read a question file into QuestionData, with file-, row- or question-level errors."""
    name = _format_name(format, IMPORT_FORMATS)
    try:
        data, found_name = read_input(path_or_bytes)
    except InputError as exc:
        return file_error(exc)
    filename = filename or found_name
    if name == "xlsx":
        return xlsx.parse(data, filename=filename)
    return _PARSERS[name](data, filename=filename, skip_unsupported=skip_unsupported)


def export(questions: list[types.QuestionData], *, format: str) -> bytes:
    """Write questions as an .xlsx workbook or a Moodle XML file."""
    return _WRITERS[_format_name(format, EXPORT_FORMATS)](questions)


def xlsx_template() -> bytes:
    """The Excel import template."""
    return xlsx.template()


def with_category_prefix(result: ParseResult, prefix: str) -> ParseResult:
    """Every question of the result under `prefix` ("题库/2025" + "a/b" -> "题库/2025/a/b")."""
    prefix = join_category(prefix)
    if not prefix:
        return result
    questions = [replace(q, category=join_category(prefix, q.category)) for q in result.questions]
    errors = list(result.errors)
    for question in questions:
        problem = category_error(question.category)
        if problem:
            errors.append(FormatError(message=problem, source=question.source))
    return ParseResult(questions=questions, errors=errors, skipped=result.skipped,
                       warnings=result.warnings)
