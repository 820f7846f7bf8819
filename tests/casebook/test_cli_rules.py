"""check_goal_table and score_self_evaluation: output schema, exit codes, hostile files."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from casebook.rules.excel import goal_table_workbook
from casebook.rules.table import GoalTable
from tests.casebook.tables import HERE, clean_table

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def write(tmp_path, name, content) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else
                        json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_json_output_schema_for_a_table_with_findings(tmp_path):
    data = clean_table()
    data["indicators"][2]["unit"] = ""
    payload = json.loads(run("check_goal_table", write(tmp_path, "t.json", data)))
    assert set(payload) == {"score", "passed", "findings"}
    assert payload["passed"] is False and 0 <= payload["score"] <= 100
    assert [(f["rule"], f["severity"], f["row"]) for f in payload["findings"]] == [
        ("R05", "error", 3)]
    assert payload["findings"][0]["message"]


def test_clean_table_and_null_row_for_table_level_findings(tmp_path):
    payload = json.loads(run("check_goal_table", write(tmp_path, "t.json", clean_table())))
    assert payload == {"score": 100.0, "passed": True, "findings": []}
    data = clean_table()
    data["indicators"] = [r for r in data["indicators"] if r["level1"] != "满意度指标"]
    payload = json.loads(run("check_goal_table", write(tmp_path, "u.json", data)))
    assert payload["findings"][0]["row"] is None and payload["findings"][0]["rule"] == "R03"


def test_framework_option_overrides_the_file(tmp_path):
    path = write(tmp_path, "t.json", clean_table("2021"))
    payload = json.loads(run("check_goal_table", path, "--framework", "2020"))
    assert [(f["rule"], f["row"]) for f in payload["findings"]] == [("R02", 1)]


def test_excel_input_and_text_format(tmp_path):
    data = clean_table()
    data["indicators"][4]["value"] = "按时完成"
    content = goal_table_workbook(GoalTable.from_dict(data))
    out = run("check_goal_table", write(tmp_path, "t.xlsx", content), "--format", "text")
    assert "[R15]" in out and "第5行" in out


def test_html_is_printed_literally(tmp_path):
    data = clean_table()
    data["indicators"][2]["name"] = "<img src=x onerror=alert(1)>"
    data["indicators"][2]["unit"] = ""
    payload = json.loads(run("check_goal_table", write(tmp_path, "t.json", data)))
    assert "<img src=x onerror=alert(1)>" in payload["findings"][0]["message"]


@pytest.mark.parametrize("name,content", [
    ("broken.json", "{\"indicators\": ["),
    ("nan.json", "{\"indicators\": [{\"value\": NaN}]}"),
    ("list.json", "[1, 2]"),
    ("binary.json", b"\xff\xfe\x00garbage"),
    ("broken.xlsx", b"PK\x03\x04 not really a workbook"),
    ("deep.json", "[" * 100000 + "]" * 100000),
])
def test_unreadable_input_raises_command_error(tmp_path, name, content):
    with pytest.raises(CommandError):
        run("check_goal_table", write(tmp_path, name, content))


def test_missing_file_and_too_many_rows(tmp_path):
    with pytest.raises(CommandError):
        run("check_goal_table", str(tmp_path / "nope.json"))
    data = clean_table()
    data["indicators"] = data["indicators"] * 251
    with pytest.raises(CommandError):
        run("check_goal_table", write(tmp_path, "big.json", data))


def test_score_self_evaluation_json_and_text():
    path = str(HERE / "selfeval_example.json")
    payload = json.loads(run("score_self_evaluation", path, "--format", "json"))
    assert (payload["total"], payload["grade"], payload["budget_score"]) == (91.72, "优", 9.5)
    assert payload["missing_explanations"] == [2, 5, 6, 8, 9]
    assert "91.72" in run("score_self_evaluation", path, "--format", "text")


@pytest.mark.parametrize("content", ["not json", "{\"rows\": 5}", "[]"])
def test_score_self_evaluation_refuses_bad_input(tmp_path, content):
    with pytest.raises(CommandError):
        run("score_self_evaluation", write(tmp_path, "s.json", content))


def test_real_process_exit_codes(tmp_path):
    good = write(tmp_path, "good.json", clean_table())
    bad = write(tmp_path, "bad.json", "{oops")
    command = [sys.executable, "manage.py", "check_goal_table"]
    ok = subprocess.run([*command, good], cwd=ROOT, capture_output=True, text=True,
                        timeout=120, check=False)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["passed"] is True
    failed = subprocess.run([*command, bad], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, check=False)
    assert failed.returncode != 0 and "JSON" in failed.stderr and failed.stdout == ""
