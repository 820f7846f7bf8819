"""Hostile roster files (zip bombs, blank-row padding, NUL bytes): a clear Chinese error, nothing
written, memory bounded; and an uploaded roster is parsed once, never again for the preview or
the import."""

from __future__ import annotations

import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from departments import roster
from departments.models import Department, Learner, RosterImportJob
from departments.roster import HEADERS, roster_parse
from departments.services import roster_import_file
from tests.portal.hostile_files import (
    csv_with_nul_past_4096,
    xlsx_with_blank_rows,
    xlsx_with_huge_cell,
    xlsx_with_shared_strings,
)

from .conftest import make_csv, make_xlsx, roster_rows

pytestmark = pytest.mark.django_db
UPLOAD = reverse("departments_roster:upload")
MEMORY_BOUND = 50 * 1024 * 1024
NUL_MESSAGE = "文件含有空字符"
# ROSTER_MAX_ROWS + 1 (the header) + UPLOAD_MAX_BLANK_ROWS rows, blank ones included.
ROW_CAP_MESSAGE = "工作表连同空行超过 150001 行，未导入任何数据；请删除末尾的空行后重新上传。"
SHARED_STRINGS_MESSAGE = (
    "工作簿中的文字内容超过 16 MB，未读取即已拒绝。"
    "请删除不用的工作表和单元格，或拆分文件后重新上传。")


@pytest.fixture(scope="module")
def blank_rows_roster():
    """The probe's file: a header, 5 million blank rows without <dimension>, then one person."""
    return xlsx_with_blank_rows(header=HEADERS, last_row=roster_rows(1)[0])


def upload(client, data, name):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, data)})


def preview_page(client, job):
    return client.get(reverse("departments_roster:preview", args=[job.pk])).content.decode()


def assert_nothing_written():
    assert not Learner.objects.exists() and not Department.objects.exists()


def test_five_million_blank_rows_are_refused_at_upload_with_a_chinese_message(
        bureau_client, blank_rows_roster):
    assert len(blank_rows_roster) < 1024 * 1024

    response = upload(bureau_client, blank_rows_roster, "名册.xlsx")

    job = RosterImportJob.objects.get()
    assert response.status_code == 302
    assert job.status == RosterImportJob.Status.FAILED and not job.file
    assert "压缩比超过 100 倍" in preview_page(bureau_client, job)
    assert_nothing_written()


def test_blank_padding_within_the_zip_limits_is_refused_at_the_row_cap(blank_rows_roster, settings):
    settings.UPLOAD_XLSX_MAX_COMPRESSION_RATIO = 10**6
    tracemalloc.start()
    try:
        parsed = roster_parse(data=blank_rows_roster, filename="名册.xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    # Refused after 150,001 rows rather than read through five million, and never silently:
    # the person after the padding is not dropped from an import that goes ahead.
    assert [e.message for e in parsed.errors] == [ROW_CAP_MESSAGE]
    assert parsed.rows == []
    assert peak < MEMORY_BOUND


def test_people_after_a_gap_of_1500_blank_rows_are_imported():
    first, second = roster_rows(2)
    data = make_xlsx([first] + [[]] * 1500 + [second])

    report = roster_import_file(data=data, filename="名册.xlsx", deactivate_missing=True)

    assert not report.errors
    assert sorted(Learner.objects.filter(is_active=True).values_list(
        "staff_number", flat=True)) == ["A0001", "A0002"]
    assert report.deactivated == 0


def test_a_roster_padded_past_the_row_cap_is_refused_at_upload_and_writes_nothing(bureau_client):
    # 160,000 blank rows stay under every zip check (under 1 MB unpacked), so the row cap is
    # what refuses the file, person after the padding included.
    data = xlsx_with_blank_rows(header=HEADERS, blank_rows=160_000, last_row=roster_rows(1)[0])

    response = upload(bureau_client, data, "名册.xlsx")

    job = RosterImportJob.objects.get()
    assert response.status_code == 302 and job.status == RosterImportJob.Status.FAILED
    assert ROW_CAP_MESSAGE in preview_page(bureau_client, job)
    assert_nothing_written()


def test_a_shared_strings_bomb_is_refused_at_upload_unread(bureau_client):
    # The probe's file: 2.4 million shared strings (52 MB unpacked) took 19 s and +385 MB
    # before it was refused. Here just past the limit: 800,000 strings, 18.4 MB.
    data = xlsx_with_shared_strings(header=HEADERS, strings=800_000)
    tracemalloc.start()
    try:
        response = upload(bureau_client, data, "名册.xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    job = RosterImportJob.objects.get()
    assert response.status_code == 302 and job.status == RosterImportJob.Status.FAILED
    assert SHARED_STRINGS_MESSAGE in preview_page(bureau_client, job)
    assert peak < MEMORY_BOUND
    assert_nothing_written()


def test_a_500_mb_cell_is_refused_before_it_is_unpacked(bureau_client):
    data = xlsx_with_huge_cell(header=HEADERS)
    tracemalloc.start()
    try:
        parsed = roster_parse(data=data, filename="名册.xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert [e.message for e in parsed.errors] == [
        "工作簿解压后过大：其中一个组成部分超过 50 MB，未读取即已拒绝。"]
    assert peak < MEMORY_BOUND


def test_csv_with_a_nul_byte_past_4096_is_refused_on_upload(bureau_client):
    data = csv_with_nul_past_4096(make_csv(roster_rows(60)).decode())
    assert b"\x00" not in data[:4096]

    response = upload(bureau_client, data, "名册.csv")

    job = RosterImportJob.objects.get()
    assert response.status_code == 302 and job.status == RosterImportJob.Status.FAILED
    assert NUL_MESSAGE in preview_page(bureau_client, job)
    assert_nothing_written()


def test_import_roster_dry_run_with_a_nul_byte_fails_cleanly(tmp_path, capsys):
    path = tmp_path / "名册.csv"
    path.write_bytes(csv_with_nul_past_4096(make_csv(roster_rows(60)).decode()))

    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("import_roster", str(path), "--dry-run")

    assert NUL_MESSAGE in capsys.readouterr().err
    assert_nothing_written()


def test_gbk_csv_is_still_read():
    parsed = roster_parse(data=make_csv(roster_rows(2), encoding="gbk"), filename="名册.csv")
    assert not parsed.errors and [r.name for r in parsed.rows] == ["人员1", "人员2"]


def test_an_uploaded_roster_is_parsed_once_not_for_the_preview_or_the_import(
        bureau_client, monkeypatch):
    upload(bureau_client, make_xlsx(roster_rows(3)), "名册.xlsx")
    job = RosterImportJob.objects.get()

    def parse_again(**kwargs):
        raise AssertionError("the roster file was parsed again")

    monkeypatch.setattr(roster, "roster_parse", parse_again)
    monkeypatch.setattr("departments.services.roster_parse", parse_again)
    for _ in range(2):
        page = preview_page(bureau_client, job)
        assert "A0001" in page and "人员3" in page
    bureau_client.post(reverse("departments_roster:preview", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == RosterImportJob.Status.SUCCEEDED
    assert sorted(Learner.objects.values_list("staff_number", flat=True)) == [
        "A0001", "A0002", "A0003"]


def test_a_job_whose_stored_rows_are_gone_fails_with_a_clear_message(bureau_client):
    upload(bureau_client, make_xlsx(roster_rows(2)), "名册.xlsx")
    job = RosterImportJob.objects.get()
    job.file.delete()

    bureau_client.post(reverse("departments_roster:preview", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == RosterImportJob.Status.FAILED
    assert job.report["errors"][0]["message"] == "上传的名册已不可用，请重新上传文件。"
    assert not Learner.objects.exists()


def test_a_csv_padded_with_blank_lines_is_refused_at_the_row_cap():
    person = make_csv(roster_rows(1), header=None)
    data = make_csv([]) + b"\n" * 2_000_000 + b",,,,,,,,,,\n" * 1000 + person

    parsed = roster_parse(data=data, filename="名册.csv")

    assert [e.message for e in parsed.errors] == [ROW_CAP_MESSAGE]
    assert parsed.rows == []
