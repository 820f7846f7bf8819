"""Hostile goal-table uploads and indicator imports (zip bombs, blank-row padding, deep JSON):
a clear Chinese error, nothing stored, memory bounded; goal-table file messages in Chinese."""

from __future__ import annotations

import copy
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from casebook.models import ExerciseSubmission, Indicator
from casebook.rules.excel import COLUMNS, goal_table_from_xlsx, goal_table_workbook
from casebook.rules.table import GoalTable, TableError
from casebook.services import IMPORT_HEADERS, indicators_import
from tests.departments.factories import LearnerFactory
from tests.portal.hostile_files import (
    deeply_nested_json,
    xlsx_with_blank_rows,
    xlsx_with_huge_cell,
    xlsx_with_shared_strings,
)

from .exercise_helpers import make_exercise
from .factories import CLEAN_ROWS

pytestmark = pytest.mark.django_db
MEMORY_BOUND = 50 * 1024 * 1024
PART_TOO_LARGE = "工作簿解压后过大：其中一个组成部分超过 50 MB，未读取即已拒绝。"


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture(scope="module")
def huge_cell_goal_table():
    """The probe's 490 KB goal table: the header row, then one 500 MB cell."""
    return xlsx_with_huge_cell(header=COLUMNS)


@pytest.fixture
def learner_client(client):
    client.force_login(LearnerFactory().user)
    return client


@pytest.fixture
def goal_exercise(make_case):
    return make_exercise(make_case(), "goal_setting", pass_mark=70)


def post_upload(client, exercise, data, name):
    return client.post(f"/casebook/exercises/{exercise.pk}/upload/",
                       {"file": SimpleUploadedFile(name, data)})


def test_a_goal_table_with_a_500_mb_cell_is_refused_in_chinese(learner_client, goal_exercise,
                                                               huge_cell_goal_table):
    assert len(huge_cell_goal_table) < 1024 * 1024

    response = post_upload(learner_client, goal_exercise, huge_cell_goal_table, "目标表.xlsx")

    assert response.status_code == 400
    assert PART_TOO_LARGE in response.content.decode()
    assert not ExerciseSubmission.objects.exists()


def test_reading_the_500_mb_cell_stays_within_bounded_memory(huge_cell_goal_table):
    tracemalloc.start()
    try:
        with pytest.raises(TableError) as raised:
            goal_table_from_xlsx(huge_cell_goal_table)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert raised.value.messages == [PART_TOO_LARGE]
    assert peak < MEMORY_BOUND


def test_a_goal_table_json_nested_100000_deep_is_a_clear_error(learner_client, goal_exercise):
    response = post_upload(learner_client, goal_exercise, deeply_nested_json(100_000), "t.json")

    assert response.status_code == 400
    assert "JSON 文件嵌套超过 32 层，无法读取。" in response.content.decode()
    assert not ExerciseSubmission.objects.exists()


def test_goal_table_file_errors_and_the_read_message_are_in_chinese(learner_client,
                                                                    goal_exercise):
    bad = post_upload(learner_client, goal_exercise, b"PK\x03\x04 not a zip", "t.xlsx")
    assert "文件不是可读取的 Excel 工作簿（.xlsx）。" in bad.content.decode()

    wrong = post_upload(learner_client, goal_exercise,
                        b'{"indicators": [{"name": "x", "op": ">=", "value": NaN}]}', "t.json")
    assert "第 1 行：字段 &quot;value&quot; 不是可用的数字" in wrong.content.decode()

    table = GoalTable.from_dict({"indicators": copy.deepcopy(CLEAN_ROWS)})
    good = post_upload(learner_client, goal_exercise, goal_table_workbook(table), "t.xlsx")
    assert f"已读取文件：共 {len(CLEAN_ROWS)} 行。请检查后再提交。" in good.content.decode()


def test_a_goal_table_padded_with_blank_rows_is_refused_without_reading_them():
    data = xlsx_with_blank_rows(header=COLUMNS)
    with pytest.raises(TableError) as raised:
        goal_table_from_xlsx(data)
    assert "压缩比超过 100 倍" in raised.value.messages[0]


def test_import_indicators_refuses_a_500_mb_cell_in_chinese_and_writes_nothing(
        tmp_path, capsys, func_classes):
    path = tmp_path / "指标.xlsx"
    path.write_bytes(xlsx_with_huge_cell(header=IMPORT_HEADERS))

    with pytest.raises(CommandError, match="未导入任何指标"):
        call_command("import_indicators", str(path), "--dry-run")

    assert PART_TOO_LARGE in capsys.readouterr().err
    assert not Indicator.objects.exists()


def test_a_goal_table_with_a_shared_strings_bomb_is_refused_unread():
    # The probe's goal table: a 50 MB shared-strings part took 20 s and +295 MB to refuse.
    # Refused by the part's declared size, here just past the 16 MB limit (18.4 MB).
    data = xlsx_with_shared_strings(header=COLUMNS, strings=800_000)
    tracemalloc.start()
    try:
        with pytest.raises(TableError) as raised:
            goal_table_from_xlsx(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert raised.value.messages == [
        "工作簿中的文字内容超过 16 MB，未读取即已拒绝。请删除不用的工作表和单元格，"
        "或拆分文件后重新上传。"]
    assert peak < MEMORY_BOUND


def test_import_indicators_refuses_blank_padding_at_the_row_cap(tmp_path, func_classes, settings):
    settings.UPLOAD_XLSX_MAX_COMPRESSION_RATIO = 10**6
    path = tmp_path / "指标.xlsx"
    path.write_bytes(xlsx_with_blank_rows(header=IMPORT_HEADERS, last_row=["205"]))
    tracemalloc.start()
    try:
        result = indicators_import(path=path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Refused after 300,001 rows (200,001 + 100,000 blank) instead of reading five million,
    # and never silently: the row after the padding is not dropped from an import that goes on.
    assert result.errors == [
        "工作表连同空行超过 300001 行，未导入任何数据；请删除末尾的空行后重新上传。"]
    assert peak < MEMORY_BOUND and not Indicator.objects.exists()


def test_import_indicators_row_errors_are_in_chinese(tmp_path, capsys, func_classes):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(IMPORT_HEADERS)
    book.active.append(["999", "", "产出指标", "数量指标", "x", "", "个", "向上", "", "", ""])
    path = tmp_path / "指标.xlsx"
    book.save(path)

    with pytest.raises(CommandError):
        call_command("import_indicators", str(path))

    err = capsys.readouterr().err
    assert "第 2 行“功能分类”列：未知的功能分类 '999'。" in err
    assert "第 2 行“指标方向”列：'向上' 不是 正向/反向/定性 之一。" in err
