"""portal.uploads: zip bombs refused before parsing, rows streamed with hard limits, NUL bytes
and deep JSON refused with a clear Chinese message. Memory is asserted with tracemalloc; the
time these files take is measured in bench/, not asserted here."""

from __future__ import annotations

import io
import json
import tracemalloc

import openpyxl
import pytest
from django.utils import translation

from portal import uploads

from .hostile_files import (
    csv_with_nul_past_4096,
    deeply_nested_json,
    xlsx_with_blank_rows,
    xlsx_with_huge_cell,
    xlsx_with_shared_strings,
)

MEMORY_BOUND = 50 * 1024 * 1024
SHARED_STRINGS_MESSAGE = (
    "工作簿中的文字内容超过 {} MB，未读取即已拒绝。"
    "请删除不用的工作表和单元格，或拆分文件后重新上传。")


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture(scope="module")
def huge_cell_xlsx():
    return xlsx_with_huge_cell(header=("标题",))


@pytest.fixture(scope="module")
def blank_rows_xlsx():
    return xlsx_with_blank_rows(header=("标题",), last_row=("五百万行之后",))


def peak_of(function):
    """(result or raised UploadError, tracemalloc peak in bytes) of calling `function`."""
    tracemalloc.start()
    try:
        try:
            outcome = function()
        except uploads.UploadError as exc:
            outcome = exc
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def workbook(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class CountingSheet:
    """Counts the rows openpyxl hands out, to show where reading stopped."""

    def __init__(self, sheet):
        self.sheet, self.rows_read = sheet, 0

    def iter_rows(self, **kwargs):
        for row in self.sheet.iter_rows(**kwargs):
            self.rows_read += 1
            yield row


def test_a_500_mb_cell_is_refused_before_it_is_unpacked(huge_cell_xlsx):
    assert len(huge_cell_xlsx) < 1024 * 1024  # about 500 KB on disk

    error, peak = peak_of(lambda: list(uploads.xlsx_rows(huge_cell_xlsx, max_rows=10)))

    assert isinstance(error, uploads.UploadError)
    assert error.message == "工作簿解压后过大：其中一个组成部分超过 50 MB，未读取即已拒绝。"
    assert peak < MEMORY_BOUND


def test_five_million_blank_rows_are_refused_as_a_zip_bomb(blank_rows_xlsx):
    error, peak = peak_of(lambda: list(uploads.xlsx_rows(blank_rows_xlsx, max_rows=10)))

    assert isinstance(error, uploads.UploadError)
    assert "压缩比超过 100 倍" in error.message
    assert peak < MEMORY_BOUND


def test_blank_padding_that_passes_the_zip_checks_is_refused_at_the_row_cap(
        blank_rows_xlsx, settings):
    # Defence in depth: even with the zip checks out of the way, the reader refuses the file
    # after max_rows + UPLOAD_MAX_BLANK_ROWS rows instead of walking five million of them, and
    # says so rather than dropping the row after the padding.
    settings.UPLOAD_XLSX_MAX_COMPRESSION_RATIO = 10**6
    settings.UPLOAD_MAX_BLANK_ROWS = 1000
    sheets = []

    def pick(book):
        sheets.append(CountingSheet(book.worksheets[0]))
        return sheets[0]

    error, peak = peak_of(lambda: list(uploads.xlsx_rows(blank_rows_xlsx, max_rows=10,
                                                         pick_sheet=pick)))

    assert isinstance(error, uploads.UploadError)
    assert error.message == (
        "工作表连同空行超过 1010 行，未导入任何数据；请删除末尾的空行后重新上传。")
    assert sheets[0].rows_read == 10 + 1000 + 1
    assert peak < MEMORY_BOUND


def test_rows_after_a_gap_longer_than_the_old_blank_run_are_read():
    data = workbook([["标题"]] + [[None]] * 1500 + [["空行之后"]])

    assert list(uploads.xlsx_rows(data, max_rows=10)) == [(1, ("标题",)), (1502, ("空行之后",))]


def test_a_shared_strings_part_past_the_limit_is_refused_before_it_is_parsed():
    # Just past the 16 MB default: 800,000 strings, 18.4 MB unpacked, 2 MB on disk. openpyxl
    # alone reads it in 29 s at a 111 MB tracemalloc peak.
    data = xlsx_with_shared_strings(header=("标题",), strings=800_000)

    error, peak = peak_of(lambda: list(uploads.xlsx_rows(data, max_rows=10)))

    assert isinstance(error, uploads.UploadError)
    assert error.message == SHARED_STRINGS_MESSAGE.format(16)
    assert peak < 5 * 1024 * 1024


def test_a_renamed_shared_strings_part_is_bounded_while_it_is_parsed(settings):
    # A part under another name escapes the check by name; the parse itself stops at the byte
    # limit (2 MB here to keep the test short: at the 16 MB default, 3.6 s and a 45 MB peak).
    settings.UPLOAD_XLSX_MAX_SHARED_STRINGS_BYTES = 2 * 1024 * 1024
    data = xlsx_with_shared_strings(header=("标题",), strings=400_000, part="xl/strings.xml")

    error, peak = peak_of(lambda: list(uploads.xlsx_rows(data, max_rows=10)))

    assert isinstance(error, uploads.UploadError)
    assert error.message == SHARED_STRINGS_MESSAGE.format(2)
    assert peak < 10 * 1024 * 1024


def test_shared_strings_past_the_count_limit_are_refused(settings, monkeypatch):
    settings.UPLOAD_XLSX_MAX_COMPRESSION_RATIO = 10**6
    monkeypatch.setattr(uploads, "MAX_SHARED_STRINGS", 10_000)
    data = xlsx_with_shared_strings(header=("标题",), strings=10_001, empty=True)

    with pytest.raises(uploads.UploadError) as raised:
        list(uploads.xlsx_rows(data, max_rows=10))

    assert raised.value.message == SHARED_STRINGS_MESSAGE.format(16)


def test_shared_strings_with_rich_text_runs_are_read_as_plain_text():
    xml = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           b"<si><t>\xe7\x94\xb2</t></si><si><r><t>a</t></r><r><rPr><b/></rPr><t>b</t></r></si>"
           b"<si><t/></si><si><t>x_x005F_y</t></si></sst>")
    limits = uploads._StringTableLimits(max_bytes=10_000, max_strings=10, max_chars=10_000)

    assert uploads._read_string_table_bounded(io.BytesIO(xml), limits) == ["甲", "ab", "", "x_y"]


def test_a_workbook_with_shared_strings_is_read():
    data = xlsx_with_shared_strings(header=("标题",), strings=3)

    assert list(uploads.xlsx_rows(data, max_rows=10)) == [(1, ("标题",)), (2, ("0000000",))]


def test_openpyxl_outside_an_upload_reads_shared_strings_unbounded(settings):
    settings.UPLOAD_XLSX_MAX_SHARED_STRINGS_BYTES = 10
    data = xlsx_with_shared_strings(header=("标题",), strings=3, part="xl/strings.xml")

    assert openpyxl.load_workbook(io.BytesIO(data)).active["A2"].value == "0000000"
    with pytest.raises(uploads.UploadError):
        list(uploads.xlsx_rows(data, max_rows=10))


def test_too_many_filled_rows_stop_reading_at_the_limit():
    data = workbook([[f"行{i}"] for i in range(1, 51)])
    sheets = []

    def pick(book):
        sheets.append(CountingSheet(book.worksheets[0]))
        return sheets[0]

    with pytest.raises(uploads.UploadError) as raised:
        list(uploads.xlsx_rows(data, max_rows=10, pick_sheet=pick))

    assert raised.value.message == "工作表中有内容的行超过 10 行。"
    assert sheets[0].rows_read == 11


def test_a_cell_longer_than_the_limit_is_refused(settings):
    settings.UPLOAD_MAX_CELL_CHARS = 100
    data = workbook([["标题"], ["x" * 101]])

    with pytest.raises(uploads.UploadError) as raised:
        list(uploads.xlsx_rows(data, max_rows=10))

    assert raised.value.message == "第 2 行：有单元格超过 100 个字符。"


def test_an_ordinary_workbook_is_read_with_row_numbers_and_blank_rows_skipped():
    data = workbook([["标题", "值"], [None, None], ["甲", 1]])

    assert list(uploads.xlsx_rows(data, max_rows=10)) == [(1, ("标题", "值")), (3, ("甲", 1))]


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04 not a zip", b"plain text"])
def test_files_that_are_not_workbooks_are_unreadable(data):
    with pytest.raises(uploads.XlsxUnreadable) as raised:
        uploads.xlsx_check(data)
    assert raised.value.message == "无法读取该文件，它不是有效的 .xlsx 工作簿。"


def test_a_nul_byte_past_4096_refuses_a_text_file():
    data = csv_with_nul_past_4096("部门编码,姓名\n")
    assert b"\x00" not in data[:4096]

    with pytest.raises(uploads.UploadError) as raised:
        uploads.text_decode(data)

    assert "文件含有空字符" in raised.value.message


def test_text_is_read_as_utf8_or_gbk():
    assert uploads.text_decode("\ufeff姓名".encode()) == "姓名"
    assert uploads.text_decode("姓名".encode("gbk")) == "姓名"


def test_json_nested_100000_deep_is_a_clear_error_not_a_recursion_error():
    error, peak = peak_of(lambda: uploads.json_load(deeply_nested_json(100_000)))

    assert isinstance(error, uploads.UploadError)
    assert error.message == "JSON 文件嵌套超过 32 层，无法读取。"
    assert peak < MEMORY_BOUND


@pytest.mark.parametrize("text", ['{"a": "x\\u0000y"}', '{"a": "\x00"}'])
def test_json_with_a_nul_character_is_refused(text):
    with pytest.raises(uploads.UploadError) as raised:
        uploads.json_load(text.encode())
    assert "文件含有空字符" in raised.value.message


def test_brackets_inside_json_strings_do_not_count_as_nesting():
    text = json.dumps({"a": "[" * 100, "b": [[1]], "c": "\\\\u0000 is text"})
    assert uploads.json_load(text.encode())["b"] == [[1]]


def test_csv_rows_skip_blank_lines_and_read_the_rows_after_a_gap(settings):
    settings.UPLOAD_MAX_BLANK_ROWS = 3
    data = b"a,b\n\n , \nc,d\n\n\n\ne,f\n"

    assert list(uploads.csv_rows(data, max_rows=10)) == [
        (1, ["a", "b"]), (4, ["c", "d"]), (8, ["e", "f"])]


def test_csv_rows_past_the_row_cap_blank_ones_included_are_refused(settings):
    settings.UPLOAD_MAX_BLANK_ROWS = 3
    data = b"a,b\n\n , \nc,d\n\n\n\ne,f\n"  # 8 lines; the cap is 4 + 3

    with pytest.raises(uploads.UploadError) as raised:
        list(uploads.csv_rows(data, max_rows=4))

    assert raised.value.message == (
        "工作表连同空行超过 7 行，未导入任何数据；请删除末尾的空行后重新上传。")


def test_csv_rows_stop_at_the_row_limit():
    data = "".join(f"{i}\n" for i in range(100)).encode("gbk")

    with pytest.raises(uploads.UploadError) as raised:
        list(uploads.csv_rows(data, max_rows=5, too_many_rows="太多"))

    assert raised.value.message == "太多"
