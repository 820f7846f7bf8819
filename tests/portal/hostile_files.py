"""Hostile upload files built at test time, small on disk and in memory (streamed into the zip):
a workbook with one 500 MB cell, a workbook padded with 5 million blank rows and no
<dimension>, a workbook whose shared-strings part holds millions of strings, a CSV with a NUL
byte past byte 4096, and JSON nested 100,000 levels deep."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

OOXML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{OOXML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{OOXML}.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    f'<Relationships xmlns="{PKG_RELS}"><Relationship Id="rId1" '
    f'Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    f'xmlns:r="{DOC_RELS}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>'
    "</workbook>"
)
WORKBOOK_RELS = (
    f'<Relationships xmlns="{PKG_RELS}"><Relationship Id="rId1" '
    f'Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_END = b"</sheetData></worksheet>"
CHUNK = 1024 * 1024


def _inline_row(number: int, values) -> bytes:
    cells = "".join(
        f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{escape(str(v))}</t></is></c>'
        for i, v in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'.encode()


def _workbook(write_sheet, *, write_strings=None, strings_part="") -> bytes:
    """A minimal .xlsx (no <dimension>) whose sheet XML `write_sheet(stream)` writes piece by
    piece, so nothing large is ever held in memory; with `write_strings`, a shared-strings part
    named `strings_part` written the same way."""
    content_types = CONTENT_TYPES
    if write_strings:
        content_types = content_types.replace("</Types>", (
            f'<Override PartName="/{strings_part}" ContentType="{OOXML}.sharedStrings+xml"/>'
            "</Types>"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", content_types)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as stream:
            stream.write(SHEET_START)
            write_sheet(stream)
            stream.write(SHEET_END)
        if write_strings:
            with zf.open(strings_part, "w", force_zip64=True) as stream:
                stream.write(b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="'
                             b'http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
                write_strings(stream)
                stream.write(b"</sst>")
    return buffer.getvalue()


def xlsx_with_huge_cell(*, header=(), megabytes: int = 500) -> bytes:
    """Header row, then one cell of `megabytes` MB of "A" (about 0.1 % of that on disk)."""

    def write(stream):
        if header:
            stream.write(_inline_row(1, header))
        stream.write(b'<row r="2"><c r="A2" t="inlineStr"><is><t>')
        block = b"A" * CHUNK
        for _ in range(megabytes):
            stream.write(block)
        stream.write(b"</t></is></c></row>")

    return _workbook(write)


def xlsx_with_blank_rows(*, header=(), blank_rows: int = 5_000_000, last_row=()) -> bytes:
    """Header row, `blank_rows` empty <row/> elements (no <dimension> says how many), then
    `last_row` if given: a reader that stops early never sees it."""

    def write(stream):
        if header:
            stream.write(_inline_row(1, header))
        per_block = 100_000
        block = b"<row/>" * per_block
        for _ in range(blank_rows // per_block):
            stream.write(block)
        stream.write(b"<row/>" * (blank_rows % per_block))
        if last_row:
            stream.write(_inline_row(blank_rows + 2, last_row))

    return _workbook(write)


def xlsx_with_shared_strings(*, header=(), strings: int = 2_400_000, empty: bool = False,
                             part: str = "xl/sharedStrings.xml") -> bytes:
    """Header row, then one row whose cell points at the first of `strings` distinct shared
    strings ("<si><t>0000001</t></si>", 23 bytes each; `empty`: "<si/>", 5 bytes each) in the
    part named `part`: the probe's bomb held 2.4 million strings, 52 MB unpacked."""

    def write_sheet(stream):
        if header:
            stream.write(_inline_row(1, header))
        stream.write(b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>')

    def write_strings(stream):
        per_block = 100_000
        for start in range(0, strings, per_block):
            stop = min(start + per_block, strings)
            if empty:
                stream.write(b"<si/>" * (stop - start))
            else:
                stream.write("".join(f"<si><t>{i:07d}</t></si>"
                                     for i in range(start, stop)).encode())

    return _workbook(write_sheet, write_strings=write_strings, strings_part=part)


def csv_with_nul_past_4096(text_before: str) -> bytes:
    """A UTF-8 CSV that is clean for its first 4096 bytes and has a NUL byte later."""
    data = text_before.encode("utf-8")
    padding = b"\n" * max(0, 5000 - len(data))
    return data + padding + b"x\x00y\n"


def deeply_nested_json(depth: int = 100_000) -> bytes:
    """{"indicators": [[[[ … ]]]]} nested `depth` levels."""
    return b'{"indicators": ' + b"[" * depth + b"]" * depth + b"}"
