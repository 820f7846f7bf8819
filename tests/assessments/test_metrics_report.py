"""The JSON participation report (a public interface) and `manage.py participation_report`."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from assessments.metrics import DEFINITIONS
from assessments.report import ReportError, participation_report
from tests.assessments.conftest import AFTER_MAKEUP
from tests.assessments.test_metrics_queries import grow

DEPARTMENT_KEYS = {"code", "name", "kind", "roster", "completed", "heads", "offices",
                   "completion_rate", "business_completion_rate", "weighted_completion_rate",
                   "exam", "goal_setting", "flags", "training_points", "training_items"}
# Added to the minimum (the JSON only ever gains keys).
EXTRA_KEYS = {"finance_completion_rate", "practice", "requirements"}


def report(**kwargs):
    return participation_report(year=2026, today=AFTER_MAKEUP, **kwargs)


def test_schema_keys_exactly(world):
    data = report()
    assert set(data) == {"year", "plan", "generated_at", "definitions", "departments"}
    assert data["year"] == 2026 and data["plan"] == world.plan.title
    assert data["generated_at"][:2] == "20" and "T" in data["generated_at"]
    assert set(data["definitions"]) == set(DEFINITIONS)
    assert {"participating_office", "weighted_completion_rate"} <= set(data["definitions"])
    a = data["departments"][0]
    assert set(a) == DEPARTMENT_KEYS | EXTRA_KEYS
    assert set(a["roster"]) == {"total", "by_position", "by_office_kind", "exempt"}
    assert set(a["roster"]["by_position"]) == {"head", "finance", "business", "other"}
    assert set(a["completed"]) == {"total", "by_position", "by_office_kind"}
    assert set(a["roster"]["by_office_kind"]) == {"business", "finance", "general"}
    assert set(a["heads"]) == {"required", "completed", "missing"}
    assert set(a["heads"]["missing"][0]) == {"staff_number", "name"}
    assert set(a["offices"]) == {"business", "finance", "general"}
    for stats in a["offices"].values():
        assert set(stats) == {"total", "participating", "active", "coverage", "missing"}
    assert {"unit", "office"} <= set(a["offices"]["business"]["missing"][0])
    assert set(a["exam"]) == {"participants", "average_best", "pass_rate"}
    assert set(a["goal_setting"]) == {"business_passed", "business_pass_rate", "average_best"}
    json.dumps(data, ensure_ascii=False)  # JSON-safe throughout


def test_values_are_rounded_and_null_where_the_denominator_is_zero(world):
    a, b, c, d = report()["departments"]
    assert a["completion_rate"] == 0.4286 and a["weighted_completion_rate"] == 0.4167
    assert a["goal_setting"]["business_pass_rate"] == 0.3333
    assert a["exam"] == {"participants": 2, "average_best": 65.0, "pass_rate": 0.5}
    assert c["offices"]["business"]["coverage"] is None
    assert d["completion_rate"] is None and d["weighted_completion_rate"] is None
    assert b["flags"] == ["finance_only", "low_business_coverage"]


def test_without_a_scheme_there_are_no_training_points(world):
    for department in report()["departments"]:
        assert department["training_points"] == 0.0 and department["training_items"] == []


def test_training_points_come_from_the_scheme(world):
    from assessments.services import scheme_default_create

    scheme_default_create(year=2026, plan=world.plan)
    b = report()["departments"][1]
    assert b["training_items"], "the default scheme scores training items"
    for item in b["training_items"]:
        assert {"item", "metric", "points", "max"} <= set(item)
    assert b["training_points"] == round(sum(i["points"] for i in b["training_items"]), 2)
    heads = next(i for i in b["training_items"] if i["metric"] == 1.0)
    assert heads["points"] == heads["max"]  # B's only head completed


def test_one_department_by_code(world):
    data = report(department_code="301")
    assert [d["code"] for d in data["departments"]] == ["301"]


def test_unknown_year_or_department_is_refused_in_chinese(world):
    with translation.override("zh-hans"):
        with pytest.raises(ReportError) as error:
            participation_report(year=1999)
        assert "1999" in str(error.value) and "培训计划" in str(error.value)
        with pytest.raises(ReportError) as error:
            participation_report(year=2026, department_code="NOPE")
        assert "NOPE" in str(error.value) and "部门" in str(error.value)


def test_a_department_the_plan_does_not_target_is_unknown_to_its_report(world):
    world.plan.all_departments = False
    world.plan.departments.set([world.departments["A"]])
    world.plan.save()
    with pytest.raises(ReportError):
        participation_report(year=2026, department_code="201")


def test_report_queries_do_not_grow(world):
    from assessments.services import scheme_default_create

    scheme_default_create(year=2026, plan=world.plan)
    with CaptureQueriesContext(connection) as small:
        report()
    grow(world, departments=3)
    with CaptureQueriesContext(connection) as large:
        assert len(report()["departments"]) == 7
    assert len(large.captured_queries) == len(small.captured_queries)


# --- The command ---------------------------------------------------------------------------


def run(*args) -> str:
    out = io.StringIO()
    call_command("participation_report", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_command_json_to_stdout(world):
    data = json.loads(run("--year", "2026", "--format", "json"))
    assert [d["code"] for d in data["departments"]] == ["101", "201", "301", "401"]
    assert "市教育局" in run("--year", "2026", "--format", "json")  # not \\u-escaped


def test_command_json_to_a_file(world, tmp_path):
    path = tmp_path / "report.json"
    assert run("--year", "2026", "--department", "201", "-o", str(path)) == ""
    data = json.loads(path.read_text(encoding="utf-8"))
    assert [d["code"] for d in data["departments"]] == ["201"]


def test_command_table_has_chinese_headers_and_aligned_rows(world):
    with translation.override("zh-hans"):
        text = run("--year", "2026", "--format", "table")
    lines = text.splitlines()
    assert "部门" in lines[1] and "加权完成率" in lines[1]
    assert any(line.startswith("201") and "仅财务处室参与" in line for line in lines)
    assert "42.9%" in text


def test_command_xlsx(world, tmp_path):
    path = tmp_path / "overview.xlsx"
    run("--year", "2026", "--format", "xlsx", "-o", str(path))
    workbook = openpyxl.load_workbook(path)
    assert len(workbook.sheetnames) >= 2
    cells = [str(cell) for row in workbook.worksheets[0].iter_rows(values_only=True)
             for cell in row if cell is not None]
    assert "市教育局" in cells


@pytest.mark.parametrize("args", [("--year", "1999"), ("--year", "2026", "--department", "X"),
                                  ("--year", "2026", "--format", "xlsx")])
def test_command_fails_with_a_clear_message(world, args):
    with translation.override("zh-hans"), pytest.raises(CommandError) as error:
        run(*args)
    assert str(error.value)


def test_command_exit_code_is_non_zero_for_an_unknown_year(world, capsys):
    from django.core.management import ManagementUtility

    utility = ManagementUtility(["manage.py", "participation_report", "--year", "1999"])
    with pytest.raises(SystemExit) as exit_:
        utility.execute()
    assert exit_.value.code != 0
    assert "1999" in capsys.readouterr().err
