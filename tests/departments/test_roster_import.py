"""Roster import: parsing, validation (every bad-file case writes nothing), updates, bulk size."""

import pytest
from django.contrib.auth import get_user_model

from departments import roster as r
from departments.models import Department, Learner, Office, OfficeKind, Position, Unit
from departments.roster import RosterRow, roster_parse
from departments.services import roster_import, roster_import_file

from .conftest import make_csv, make_xlsx, roster_rows
from .factories import DepartmentFactory, LearnerFactory, UnitFactory

User = get_user_model()
pytestmark = pytest.mark.django_db


def counts():
    return (
        Department.objects.count(),
        Unit.objects.count(),
        Office.objects.count(),
        Learner.objects.count(),
        User.objects.count(),
    )


def import_bytes(data, filename="roster.xlsx", **kwargs):
    return roster_import_file(data=data, filename=filename, **kwargs)


def assert_error(report, message_start, row=None, column=None):
    matches = [e for e in report.errors if e.message.startswith(str(message_start)[:12])]
    assert matches, [str(e) for e in report.errors]
    if row is not None:
        assert any(e.row == row for e in matches), [str(e) for e in matches]
    if column is not None:
        assert any(e.column == column for e in matches)


def test_xlsx_import_creates_departments_units_offices_learners_and_accounts():
    report = import_bytes(make_xlsx(roster_rows(3)))

    assert report.ok and (report.created, report.updated, report.unchanged) == (3, 0, 0)
    learner = Learner.objects.select_related("user", "office__unit__department").get(
        staff_number="A0002"
    )
    assert learner.user.username == "A0002"
    assert learner.user.first_name == "人员2"
    assert learner.user.email == "p2@example.cn"
    assert not learner.user.has_usable_password()
    assert learner.office.kind == OfficeKind.FINANCE
    assert learner.position == Position.FINANCE
    assert learner.department.code == "A01" and learner.unit.code == "UA1"
    assert report.by_office_kind == {"finance": 3}
    assert report.departments_created == report.units_created == report.offices_created == 1


def test_reimport_updates_people_by_staff_number_without_duplicates():
    import_bytes(make_xlsx(roster_rows(3)))
    rows = roster_rows(3)
    rows[0][6] = "新名字"
    rows[1][4], rows[1][5], rows[1][8] = "综合科", "综合", "负责人"
    Learner.objects.filter(staff_number="A0003").update(is_active=False)

    report = import_bytes(make_xlsx(rows))

    assert (report.created, report.updated, report.unchanged) == (0, 3, 0)
    assert Learner.objects.count() == 3 and User.objects.count() == 3
    assert User.objects.get(username="A0001").first_name == "新名字"
    moved = Learner.objects.select_related("office").get(staff_number="A0002")
    assert (moved.office.name, moved.office.kind, moved.position) == ("综合科", "general", "head")
    assert Learner.objects.get(staff_number="A0003").is_active  # reactivated
    assert import_bytes(make_xlsx(rows)).unchanged == 3


def test_people_missing_from_reimport_are_reported_not_deleted():
    import_bytes(make_xlsx(roster_rows(3)))
    other = LearnerFactory(office__unit__department=DepartmentFactory(code="Z99"))

    report = import_bytes(make_xlsx(roster_rows(2)))

    assert report.missing == [{"staff_number": "A0003", "name": "人员3"}]
    assert Learner.objects.get(staff_number="A0003").is_active
    assert other.staff_number not in {m["staff_number"] for m in report.missing}
    assert report.deactivated == 0


def test_deactivate_missing_only_touches_departments_in_the_file():
    import_bytes(make_xlsx(roster_rows(3)))
    other = LearnerFactory(office__unit__department=DepartmentFactory(code="Z99"))

    report = import_bytes(make_xlsx(roster_rows(2)), deactivate_missing=True)

    assert report.deactivated == 1
    assert not Learner.objects.get(staff_number="A0003").is_active
    other.refresh_from_db()
    assert other.is_active


def test_dry_run_reports_but_writes_nothing():
    before = counts()
    report = import_bytes(make_xlsx(roster_rows(4)), dry_run=True)
    assert report.ok and report.created == 4
    assert counts() == before


def test_gbk_csv_imports_correctly():
    report = import_bytes(make_csv(roster_rows(2), encoding="gbk"), filename="名单.csv")
    assert report.ok, [str(e) for e in report.errors]
    assert User.objects.get(username="A0001").first_name == "人员1"
    assert Department.objects.get(code="A01").name == "财政局"


def test_utf8_csv_with_bom_imports_correctly():
    report = import_bytes(make_csv(roster_rows(2), encoding="utf-8-sig"), filename="r.csv")
    assert report.ok and report.created == 2


def test_numbers_typed_as_numbers_in_excel_are_read_as_text():
    rows = roster_rows(1)
    rows[0][7], rows[0][9] = 123456, 13800001111
    report = import_bytes(make_xlsx(rows))
    assert report.ok, [str(e) for e in report.errors]
    assert Learner.objects.get(staff_number="123456").phone == "13800001111"


# --- Bad files: each names the problem and writes nothing ----------------------------------------


@pytest.fixture
def nothing_written():
    before = counts()
    yield
    assert counts() == before


def test_wrong_headers_are_named(nothing_written):
    header = list(r.HEADERS)
    header[7] = "编号"
    report = import_bytes(make_xlsx(roster_rows(2), header=header))
    assert_error(report, r.ERR_MISSING_HEADERS % {"columns": "工号"}, row=1)
    assert "工号" in report.errors[0].message and "编号" in str(report.errors[1])


def test_missing_header_row_is_refused(nothing_written):
    report = import_bytes(make_xlsx(roster_rows(2), header=None))
    assert not report.ok and report.errors[0].row == 1


def test_missing_required_cells_name_row_and_column(nothing_written):
    rows = roster_rows(3)
    rows[1][6] = ""  # 姓名 in spreadsheet row 3
    rows[2][0] = None
    report = import_bytes(make_xlsx(rows))
    assert_error(report, r.ERR_REQUIRED, row=3, column="姓名")
    assert_error(report, r.ERR_REQUIRED, row=4, column="部门编码")
    assert "3" in str(report.errors[0]) and "姓名" in str(report.errors[0])


def test_unknown_office_kind_and_position(nothing_written):
    rows = roster_rows(2)
    rows[0][5] = "后勤"
    rows[1][8] = "司机"
    report = import_bytes(make_xlsx(rows))
    assert_error(
        report, r.ERR_OFFICE_KIND % {"value": "后勤", "allowed": ""}, row=2, column="机构类型"
    )
    assert_error(
        report, r.ERR_POSITION % {"value": "司机", "allowed": ""}, row=3, column="职务类别"
    )


def test_invalid_phone_and_email(nothing_written):
    rows = roster_rows(2)
    rows[0][9] = "12345"
    rows[1][10] = "not-an-email"
    report = import_bytes(make_xlsx(rows))
    assert {(e.row, e.column) for e in report.errors} == {(2, "手机"), (3, "邮箱")}


def test_duplicate_staff_number_inside_file(nothing_written):
    rows = roster_rows(3)
    rows[2][7] = rows[0][7]
    report = import_bytes(make_xlsx(rows))
    assert_error(
        report, r.ERR_DUPLICATE_STAFF_NUMBER % {"value": "A0001", "first": 2}, row=4, column="工号"
    )


def test_unit_code_under_two_departments_in_file(nothing_written):
    rows = roster_rows(2) + roster_rows(1, dept="B01", dept_name="教育局", start=3)
    report = import_bytes(make_xlsx(rows))
    assert_error(
        report,
        r.ERR_UNIT_TWO_DEPARTMENTS
        % {"value": "UA1", "first_department": "A01", "first": 2, "department": "B01"},
        row=4,
    )


def test_unit_code_existing_under_another_department_in_database():
    UnitFactory(code="UA1", department=DepartmentFactory(code="B01"))
    before = counts()
    report = import_bytes(make_xlsx(roster_rows(2)))
    assert_error(
        report,
        r.ERR_UNIT_EXISTS_ELSEWHERE % {"value": "UA1", "existing": "B01", "department": "A01"},
        row=2,
        column="单位编码",
    )
    assert counts() == before


def test_department_code_with_two_names(nothing_written):
    rows = roster_rows(2)
    rows[1][1] = "财政厅"
    report = import_bytes(make_xlsx(rows))
    assert_error(
        report,
        r.ERR_DEPARTMENT_TWO_NAMES
        % {"value": "A01", "first_name": "财政局", "first": 2, "name": "财政厅"},
        row=3,
    )


def test_one_bad_row_among_good_ones_imports_nothing(nothing_written):
    rows = roster_rows(50)
    rows[30][5] = "未知"
    report = import_bytes(make_xlsx(rows))
    assert len(report.errors) == 1 and report.errors[0].row == 32


def test_empty_file(nothing_written):
    assert_error(import_bytes(b"", filename="r.csv"), r.ERR_EMPTY_FILE)
    assert_error(import_bytes(make_xlsx([], header=None)), r.ERR_EMPTY_FILE)


def test_header_without_data_rows(nothing_written):
    assert_error(import_bytes(make_xlsx([])), r.ERR_NO_DATA_ROWS)


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n",
        bytes(range(256)) * 8,
        b"PK\x03\x04 truncated zip",
    ],
)
def test_not_a_spreadsheet_renamed_xlsx(nothing_written, data):
    report = import_bytes(data, filename="roster.xlsx")
    assert [e.message for e in report.errors] == [str(r.ERR_NOT_SPREADSHEET)]


def test_random_bytes_as_csv_are_refused(nothing_written):
    report = import_bytes(bytes(range(256)) * 8, filename="roster.csv")
    assert not report.ok


def test_oversized_file(nothing_written, settings):
    settings.ROSTER_MAX_UPLOAD_BYTES = 1000
    data = make_csv(roster_rows(40))
    assert len(data) > 1000
    assert_error(import_bytes(data, filename="r.csv"), r.ERR_FILE_TOO_LARGE % {"limit": 0})


def test_too_many_rows(settings):
    settings.ROSTER_MAX_ROWS = 10
    assert_error(import_bytes(make_xlsx(roster_rows(11))), r.ERR_TOO_MANY_ROWS % {"limit": 10})
    assert counts() == (0, 0, 0, 0, 0)
    assert import_bytes(make_xlsx(roster_rows(10))).ok


def test_department_codes_limit_rows(nothing_written):
    report = roster_import(
        rows=roster_parse(data=make_xlsx(roster_rows(2)), filename="r.xlsx").rows,
        department_codes={"B01"},
    )
    assert_error(report, r.ERR_DEPARTMENT_NOT_ALLOWED, row=2, column="部门编码")


# --- Rows built in Python ----------------------------------------------------------------------


def test_rows_built_in_python_accept_stored_values():
    rows = [
        RosterRow(
            department_code="D1",
            department_name="部门",
            unit_code="U1",
            unit_name="单位",
            office_name="财务处",
            office_kind="finance",
            name="张三",
            staff_number="9001",
            position="head",
        )
    ]
    report = roster_import(rows=rows)
    assert report.ok and report.created == 1
    assert Learner.objects.get(staff_number="9001").position == Position.HEAD


def test_five_thousand_rows_import_with_a_fixed_query_budget(django_assert_max_num_queries):
    rows = []
    for d in range(5):
        for u in range(10):
            rows += roster_rows(
                100,
                dept=f"D{d}",
                dept_name=f"部门{d}",
                unit=f"U{d}{u}",
                unit_name=f"单位{d}{u}",
                prefix=f"P{d}{u}-",
                office="财务科" if u % 2 else "业务科",
                kind="财务" if u % 2 else "业务",
            )
    parsed = roster_parse(data=make_csv(rows), filename="big.csv")
    assert not parsed.errors and len(parsed.rows) == 5000

    with django_assert_max_num_queries(60):
        report = roster_import(rows=parsed.rows)
    assert report.created == 5000
    assert Learner.objects.count() == 5000 and User.objects.count() == 5000

    with django_assert_max_num_queries(60):
        report = roster_import(rows=parsed.rows, deactivate_missing=True)
    assert report.unchanged == 5000
