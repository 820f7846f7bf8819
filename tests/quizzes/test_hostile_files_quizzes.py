"""Hostile question files: a 500 MB cell, 5 million blank rows, NUL bytes past byte 4096 in GIFT
and Moodle XML — one clear Chinese error each, nothing parsed, memory bounded."""

from __future__ import annotations

import tracemalloc

import pytest
from django.utils import translation

from quizzes import formats
from quizzes.formats import common
from quizzes.formats.xlsx import HEADERS
from tests.portal.hostile_files import xlsx_with_blank_rows, xlsx_with_huge_cell

MEMORY_BOUND = 50 * 1024 * 1024
GIFT = "::q{n}:: 1+1=? {{=2 ~3}}\n\n"
MOODLE = ('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n'
          + '<question type="truefalse"><name><text>q</text></name>'
            '<questiontext><text>对吗</text></questiontext>'
            '<answer fraction="100"><text>true</text></answer>'
            '<answer fraction="0"><text>false</text></answer></question>\n' * 30)


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def parse_measured(data: bytes, format: str):
    tracemalloc.start()
    try:
        result = formats.parse(data, format=format)
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_question_workbook_with_a_500_mb_cell_is_refused_unread():
    result, peak = parse_measured(xlsx_with_huge_cell(header=HEADERS), "xlsx")

    assert [e.message for e in result.errors] == [
        "工作簿解压后过大：其中一个组成部分超过 50 MB，未读取即已拒绝。"]
    assert result.questions == [] and peak < MEMORY_BOUND


def test_a_question_workbook_with_five_million_blank_rows_is_refused_unread():
    result, peak = parse_measured(xlsx_with_blank_rows(header=HEADERS), "xlsx")

    assert len(result.errors) == 1 and "压缩比超过 100 倍" in result.errors[0].message
    assert result.questions == [] and peak < MEMORY_BOUND


def test_blank_padding_within_the_zip_limits_is_refused_at_the_row_cap(settings):
    settings.UPLOAD_XLSX_MAX_COMPRESSION_RATIO = 10**6
    data = xlsx_with_blank_rows(header=HEADERS, last_row=["判断", "对吗", "", "", "", "", "",
                                                          "", "", "", "对"])
    result, peak = parse_measured(data, "xlsx")

    # Refused after 105,001 rows (5,001 + 100,000 blank) instead of reading five million, and
    # never silently: the question after the padding is not dropped from an import.
    assert [e.message for e in result.errors] == [
        "工作表连同空行超过 105001 行，未导入任何数据；请删除末尾的空行后重新上传。"]
    assert result.questions == []
    assert peak < MEMORY_BOUND


@pytest.mark.parametrize(("format", "text"), [
    ("gift", "".join(GIFT.format(n=n) for n in range(200))),
    ("moodle-xml", MOODLE),
])
def test_text_question_files_with_a_nul_byte_past_4096_are_refused(format, text):
    data = text.encode("utf-8")
    assert len(data) > 4096
    data = data[:4200] + b"\x00" + data[4200:]

    result = formats.parse(data, format=format)

    assert result.errors and result.questions == []
    assert all(e.message for e in result.errors)
    if format == "gift":
        assert [e.message for e in result.errors] == [str(common.ERR_BINARY)]
