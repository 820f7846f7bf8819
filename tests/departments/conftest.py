"""Fixtures for the departments tests: two departments, their people, and each role."""

import csv
import io

import pytest
from django.contrib.auth.models import Group

from departments import roles
from departments.roster import HEADERS
from departments.services import roles_ensure

from .factories import DepartmentFactory, LearnerFactory, OfficeFactory, UnitFactory, UserFactory


@pytest.fixture
def role_groups(db):
    return roles_ensure()


@pytest.fixture
def dept_a(db):
    return DepartmentFactory(code="A01", name="财政局")


@pytest.fixture
def dept_b(db):
    return DepartmentFactory(code="B01", name="教育局")


@pytest.fixture
def office_a(dept_a):
    return OfficeFactory(unit=UnitFactory(department=dept_a, code="UA1"), name="财务科")


@pytest.fixture
def office_b(dept_b):
    return OfficeFactory(unit=UnitFactory(department=dept_b, code="UB1"), name="业务科")


@pytest.fixture
def learner_a(office_a):
    return LearnerFactory(office=office_a, staff_number="A0001")


@pytest.fixture
def learner_b(office_b):
    return LearnerFactory(office=office_b, staff_number="B0001")


def _user_in(group_name, **kwargs):
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def bureau_user(role_groups):
    return _user_in(roles.BUREAU_STAFF, username="bureau")


@pytest.fixture
def dept_admin(role_groups, dept_a):
    user = _user_in(roles.DEPARTMENT_ADMIN, username="admin_a")
    dept_a.admins.add(user)
    return user


@pytest.fixture
def dept_admin_client(client, dept_admin):
    client.force_login(dept_admin)
    return client


@pytest.fixture
def bureau_client(client, bureau_user):
    client.force_login(bureau_user)
    return client


def roster_rows(
    n=3,
    *,
    dept="A01",
    dept_name="财政局",
    unit="UA1",
    unit_name="财政局本级",
    start=1,
    office="财务科",
    kind="财务",
    position="财务人员",
    prefix="A",
):
    """Spreadsheet rows (lists of cells) for `n` people."""
    return [
        [
            dept,
            dept_name,
            unit,
            unit_name,
            office,
            kind,
            f"人员{i}",
            f"{prefix}{i:04d}",
            position,
            f"1380000{i:04d}",
            f"p{i}@example.cn",
        ]
        for i in range(start, start + n)
    ]


def make_xlsx(rows, header=HEADERS) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    if header is not None:
        sheet.append(list(header))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def make_csv(rows, header=HEADERS, encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)
