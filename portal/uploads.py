"""Reading uploaded files safely, shared by every import (rosters, goal tables, questions,
indicators): workbook (zip) size checks before parsing, streamed rows with hard limits, text
decoding that refuses NUL bytes, and a JSON loader with a nesting limit.

Limits come from settings (defaults in config/settings/base.py). Every refusal is an
`UploadError` whose `message` is shown to the user as it is.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy

from portal.cleaning import json_depth_exceeds

# Messages (English msgids, translated in the catalogue). Tests assert these constants.
ERR_NOT_XLSX = gettext_lazy("The file is not a readable .xlsx workbook.")
ERR_XLSX_TOO_MANY_PARTS = gettext_lazy(
    "The workbook has more than %(limit)s internal parts; it is refused unread."
)
ERR_XLSX_PART_TOO_LARGE = gettext_lazy(
    "The workbook is too large when unpacked: one of its parts holds more than %(limit)s MB."
)
ERR_XLSX_TOTAL_TOO_LARGE = gettext_lazy(
    "The workbook is too large when unpacked: more than %(limit)s MB in total."
)
ERR_XLSX_RATIO = gettext_lazy(
    "The workbook is compressed more than %(limit)s times, as no real spreadsheet is; it is "
    "refused unread."
)
ERR_XLSX_SHARED_STRINGS = gettext_lazy(
    "The workbook's text cells take more than %(limit)s MB; it is refused unread. Delete "
    "unused sheets and cells, or split the file, and upload it again."
)
ERR_TOO_MANY_ROWS = gettext_lazy("The sheet has more than %(limit)s filled rows.")
ERR_TOO_MANY_BLANK_ROWS = gettext_lazy(
    "The sheet has more than %(limit)s rows including blank ones; delete the empty rows at the "
    "end and upload it again."
)
ERR_CELL_TOO_LONG = gettext_lazy(
    "Row %(row)s: a cell holds more than %(limit)s characters."
)
ERR_NUL_BYTE = gettext_lazy(
    "The file contains NUL bytes (\\x00), so it is not a text file; save it again as "
    "UTF-8 or GBK text and upload it."
)
ERR_TEXT_ENCODING = gettext_lazy("The file is neither UTF-8 nor GBK text; save it as UTF-8.")
ERR_JSON_TOO_DEEP = gettext_lazy("The JSON file is nested more than %(limit)s levels deep.")

# Defaults of the UPLOAD_* settings (config/settings/base.py), used when Django is not configured
# (casebook.rules reads goal tables in plain Python too).
DEFAULT_LIMITS = {
    "UPLOAD_XLSX_MAX_UNCOMPRESSED_BYTES": 100 * 1024 * 1024,
    "UPLOAD_XLSX_MAX_PART_BYTES": 50 * 1024 * 1024,
    "UPLOAD_XLSX_MAX_COMPRESSION_RATIO": 100,
    "UPLOAD_XLSX_MAX_PARTS": 1000,
    "UPLOAD_XLSX_MAX_SHARED_STRINGS_BYTES": 16 * 1024 * 1024,
    "UPLOAD_MAX_BLANK_ROWS": 100_000,
    "UPLOAD_MAX_CELL_CHARS": 32_767,
    "UPLOAD_JSON_MAX_DEPTH": 32,
}
# Parts below this size are never refused for their compression ratio: small XML parts with
# repeated markup (styles, a sheet of identical rows) legitimately compress very well.
RATIO_CHECK_FROM_BYTES = 1024 * 1024
# The usual name of the shared-strings part, checked by its declared size in xlsx_check; a part
# with another name is still bounded while it is parsed (_read_string_table_bounded).
SHARED_STRINGS_PART = "xl/sharedstrings.xml"
# At most this many shared strings are kept. A 50,000-row roster with every one of its 11
# columns a distinct text holds 550,000; the byte limit usually binds first.
MAX_SHARED_STRINGS = 1_000_000


class UploadError(Exception):
    """A file refused before or while reading it; `message` is for the user."""

    def __init__(self, message):
        self.message = str(message)
        super().__init__(self.message)


class XlsxUnreadable(UploadError):
    """openpyxl could not read the workbook; callers may show their own wording."""

    def __init__(self, message=ERR_NOT_XLSX):
        super().__init__(message)


def _limit(name: str) -> int:
    if not settings.configured:
        return DEFAULT_LIMITS[name]
    return getattr(settings, name, DEFAULT_LIMITS[name])


def _megabytes(limit: int) -> str:
    return f"{limit / 1024 / 1024:g}"


def xlsx_check(data: bytes) -> None:
    """Refuse a workbook whose parts would unpack too large, before anything is decompressed.

    The sizes checked are the ones the zip declares. They cannot be used to cheat: Python's
    zipfile (which openpyxl reads through) never returns more bytes than a part declares and
    raises BadZipFile on the CRC check when the data do not match.
    """
    if data[:4] != b"PK\x03\x04":
        raise XlsxUnreadable
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise XlsxUnreadable from exc
    if len(parts) > _limit("UPLOAD_XLSX_MAX_PARTS"):
        raise UploadError(ERR_XLSX_TOO_MANY_PARTS % {"limit": _limit("UPLOAD_XLSX_MAX_PARTS")})
    part_limit = _limit("UPLOAD_XLSX_MAX_PART_BYTES")
    ratio_limit = _limit("UPLOAD_XLSX_MAX_COMPRESSION_RATIO")
    total = 0
    for part in parts:
        if part.file_size > part_limit:
            raise UploadError(ERR_XLSX_PART_TOO_LARGE % {"limit": _megabytes(part_limit)})
        if (
            part.file_size >= RATIO_CHECK_FROM_BYTES
            and part.file_size > ratio_limit * max(part.compress_size, 1)
        ):
            raise UploadError(ERR_XLSX_RATIO % {"limit": ratio_limit})
        if (
            part.filename.lower() == SHARED_STRINGS_PART
            and part.file_size > _limit("UPLOAD_XLSX_MAX_SHARED_STRINGS_BYTES")
        ):
            raise _shared_strings_error()
        total += part.file_size
    total_limit = _limit("UPLOAD_XLSX_MAX_UNCOMPRESSED_BYTES")
    if total > total_limit:
        raise UploadError(ERR_XLSX_TOTAL_TOO_LARGE % {"limit": _megabytes(total_limit)})


def _openpyxl_stop_dimension_scan_at_sheet_data() -> None:
    """Make openpyxl stop looking for a sheet's <dimension> where <sheetData> starts.

    openpyxl 3.1 (WorkSheetParser.parse_dimensions) waits for the *end* of <sheetData>, so
    opening a read-only workbook whose sheet has no <dimension> parses that whole sheet into
    memory before a single row is read and before any row limit can act (5 million blank
    rows: 26 s and 430 MB). The schema places <dimension> before <sheetData>, so stopping at
    the start of <sheetData> gives the same answer for every valid file.
    """
    from openpyxl.worksheet import _reader

    def parse_dimensions(self):
        for _event, element in _reader.iterparse(self.source, events=("start",)):
            if element.tag == _reader.DIMENSION_TAG:
                return _reader.SheetDimension.from_tree(element).boundaries
            if element.tag == _reader.DATA_TAG:
                return None
        return None

    _reader.WorkSheetParser.parse_dimensions = parse_dimensions


_openpyxl_stop_dimension_scan_at_sheet_data()


@dataclass(frozen=True)
class _StringTableLimits:
    max_bytes: int
    max_strings: int
    max_chars: int


# Set only while xlsx_rows opens a workbook, so openpyxl used elsewhere (exports, tests) reads
# shared strings its own way; a ContextVar keeps concurrent requests apart.
_string_table_limits: ContextVar[_StringTableLimits | None] = ContextVar(
    "string_table_limits", default=None
)


def _shared_strings_error() -> UploadError:
    limit = _limit("UPLOAD_XLSX_MAX_SHARED_STRINGS_BYTES")
    return UploadError(ERR_XLSX_SHARED_STRINGS % {"limit": _megabytes(limit)})


class _CappedReader:
    """A file-like wrapper that refuses (UploadError) to hand out more than `max_bytes`."""

    def __init__(self, source, max_bytes: int):
        self.source, self.left = source, max_bytes

    def read(self, size: int = -1) -> bytes:
        chunk = self.source.read(size)
        self.left -= len(chunk)
        if self.left < 0:
            raise _shared_strings_error()
        return chunk


def _read_string_table_bounded(xml_source, limits: _StringTableLimits) -> list[str]:
    """openpyxl's read_string_table with hard limits on bytes read, strings and characters.

    openpyxl loads every shared string when a workbook is opened, before any row or cell limit
    can act (a 52 MB part of 2.4 million strings: 19 s and +385 MB). The characters are bounded
    separately from the bytes because entity references can expand; without them a string
    never has more characters than its XML has bytes, so max_chars = max_bytes refuses no
    real file. Each <si> is removed from the tree once read, so no empty elements pile up.
    """
    from openpyxl.cell.text import Text
    from openpyxl.reader.strings import SHEET_MAIN_NS, iterparse

    string_tag, text_tag = f"{{{SHEET_MAIN_NS}}}si", f"{{{SHEET_MAIN_NS}}}t"
    strings: list[str] = []
    chars = 0
    root = None
    for event, node in iterparse(_CappedReader(xml_source, limits.max_bytes),
                                 events=("start", "end")):
        if root is None:
            root = node
        if event != "end" or node.tag != string_tag:
            continue
        if len(node) == 1 and node[0].tag == text_tag and not len(node[0]):
            # A plain <si><t>…</t></si>, as nearly every string is: Text.from_tree gives the
            # same text several times slower.
            text = node[0].text or ""
        else:
            text = Text.from_tree(node).content
        text = text.replace("x005F_", "")
        root.clear()
        chars += len(text)
        if len(strings) >= limits.max_strings or chars > limits.max_chars:
            raise _shared_strings_error()
        strings.append(text)
    return strings


def _openpyxl_bound_the_string_table() -> None:
    """Route openpyxl's shared-strings reader through _read_string_table_bounded while
    `_string_table_limits` is set (inside xlsx_rows), and to openpyxl's own otherwise."""
    from openpyxl.reader import excel

    original = excel.read_string_table

    def read_string_table(xml_source):
        limits = _string_table_limits.get()
        if limits is None:
            return original(xml_source)
        return _read_string_table_bounded(xml_source, limits)

    excel.read_string_table = read_string_table


_openpyxl_bound_the_string_table()


@contextmanager
def _bounded_string_table():
    """Bound openpyxl's shared-strings reader for the workbooks opened inside this block."""
    limit = _limit("UPLOAD_XLSX_MAX_SHARED_STRINGS_BYTES")
    token = _string_table_limits.set(
        _StringTableLimits(max_bytes=limit, max_strings=MAX_SHARED_STRINGS, max_chars=limit)
    )
    try:
        yield
    finally:
        _string_table_limits.reset(token)


def _is_blank(values) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def xlsx_rows(
    data: bytes,
    *,
    max_rows: int,
    too_many_rows: str | None = None,
    max_columns: int | None = None,
    pick_sheet: Callable | None = None,
) -> Iterator[tuple[int, tuple]]:
    """Filled rows of a workbook's sheet as (sheet row number, raw cell values), streamed.

    The workbook is checked with `xlsx_check` first, then read with the limits of
    `limited_rows`. `pick_sheet(workbook)` chooses the sheet (default: the first); openpyxl
    failures raise XlsxUnreadable.
    """
    import openpyxl

    xlsx_check(data)
    try:
        with _bounded_string_table():
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except UploadError:
        raise
    except Exception as exc:  # openpyxl raises many exception types for corrupt workbooks
        raise XlsxUnreadable from exc
    try:
        try:
            sheet = pick_sheet(workbook) if pick_sheet else workbook.worksheets[0]
        except (IndexError, KeyError) as exc:
            raise XlsxUnreadable from exc

        def sheet_rows():
            rows = sheet.iter_rows(values_only=True, max_col=max_columns)
            while True:
                try:
                    values = next(rows)
                except StopIteration:
                    return
                except Exception as exc:  # a corrupt sheet part
                    raise XlsxUnreadable from exc
                yield values

        yield from limited_rows(sheet_rows(), max_rows=max_rows, too_many_rows=too_many_rows)
    finally:
        workbook.close()


def csv_rows(
    data: bytes, *, max_rows: int, too_many_rows: str | None = None,
    max_columns: int | None = None,
) -> Iterator[tuple[int, list[str]]]:
    """Filled rows of a CSV file (UTF-8 or GBK, see `text_decode`) as (line number, cells),
    with the limits of `limited_rows`; csv.Error for malformed CSV."""
    lines = csv.reader(io.StringIO(text_decode(data), newline=""))
    cells = (values[:max_columns] if max_columns else values for values in lines)
    yield from limited_rows(cells, max_rows=max_rows, too_many_rows=too_many_rows)


def limited_rows(rows, *, max_rows: int, too_many_rows: str | None = None):
    """(row number, values) of the filled rows of `rows`, blank rows skipped wherever they are.

    Reading stops with an UploadError after more than `max_rows` filled rows (`too_many_rows`,
    or ERR_TOO_MANY_ROWS), at a cell longer than UPLOAD_MAX_CELL_CHARS, and after more than
    `max_rows` + UPLOAD_MAX_BLANK_ROWS rows scanned, blank ones included: a file padded with
    millions of empty rows is refused quickly instead of being read to its end. It never stops
    silently, since data dropped after a gap would be missing from the import unnoticed (and a
    roster import may deactivate the learners it did not see).
    """
    max_cell = _limit("UPLOAD_MAX_CELL_CHARS")
    max_scanned = max_rows + _limit("UPLOAD_MAX_BLANK_ROWS")
    filled = 0
    for number, values in enumerate(rows, start=1):
        if number > max_scanned:
            raise UploadError(ERR_TOO_MANY_BLANK_ROWS % {"limit": max_scanned})
        if _is_blank(values):
            continue
        filled += 1
        if filled > max_rows:
            raise UploadError(too_many_rows or ERR_TOO_MANY_ROWS % {"limit": max_rows})
        if any(isinstance(v, str) and len(v) > max_cell for v in values):
            raise UploadError(ERR_CELL_TOO_LONG % {"row": number, "limit": max_cell})
        yield number, values


def text_decode(data: bytes) -> str:
    """Text of an uploaded file: UTF-8 (with or without BOM), else GBK (read as its superset
    GB18030). A NUL byte anywhere refuses the file: databases cannot store it and it marks a
    binary file saved under a text name."""
    if b"\x00" in data:
        raise UploadError(ERR_NUL_BYTE)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UploadError(ERR_TEXT_ENCODING)


# A JSON string (escapes included) and the brackets that open and close a level.
_JSON_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def json_load(data: bytes | str, *, max_depth: int | None = None, **kwargs):
    """json.loads that refuses (UploadError) NUL bytes or \\u0000 escapes and nesting deeper
    than `max_depth` (default UPLOAD_JSON_MAX_DEPTH) before parsing, so a deeply nested file
    is a clear error rather than a RecursionError. Undecodable or invalid JSON raises
    ValueError as json.loads does."""
    text = text_decode(data) if isinstance(data, bytes) else data
    if "\x00" in text or _JSON_NUL_ESCAPE.search(text):
        raise UploadError(ERR_NUL_BYTE)
    limit = max_depth if max_depth is not None else _limit("UPLOAD_JSON_MAX_DEPTH")
    if json_depth_exceeds(text, limit=limit):
        raise UploadError(ERR_JSON_TOO_DEEP % {"limit": limit})
    return json.loads(text, **kwargs)
