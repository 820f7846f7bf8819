"""Learner tools never reach administrator accounts: no linking by roster, no password reset."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from departments import roles
from departments.models import Learner
from departments.roster import ERR_ACCOUNT_TAKEN, RosterRow
from departments.services import initial_passwords_issue, roster_import

from .factories import PASSWORD, LearnerFactory, OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def _row(staff_number, department="A01"):
    return RosterRow(department_code=department, department_name="财政局", unit_code="UA1",
                     unit_name="财政局本级", office_name="财务科", office_kind="财务", name="冒名",
                     staff_number=staff_number, position="财务人员", row_number=2)


def test_department_admin_cannot_import_a_row_whose_staff_number_is_the_superuser(
        dept_admin, dept_a):
    boss = User.objects.create_superuser("admin", "a@example.invalid", PASSWORD)
    report = roster_import(rows=[_row("admin")], department_codes={dept_a.code})
    assert not report.ok
    assert report.errors[0].column == "工号"
    assert str(ERR_ACCOUNT_TAKEN % {"value": "admin"}) in report.errors[0].message
    assert not Learner.objects.filter(user=boss).exists()


@pytest.mark.parametrize("group", [roles.BUREAU_STAFF, roles.REVIEWER, roles.EDITOR,
                                   roles.DEPARTMENT_ADMIN])
def test_even_a_bureau_import_never_links_an_account_with_a_role(role_groups, group):
    from django.contrib.auth.models import Group

    staff = UserFactory(username="privileged")
    staff.groups.add(Group.objects.get(name=group))
    report = roster_import(rows=[_row("privileged")])  # bureau-wide import: no scope
    assert not report.ok
    assert not Learner.objects.filter(user=staff).exists()


def test_bureau_import_may_link_a_plain_account_without_a_learner_record(db):
    plain = UserFactory(username="W99999")
    report = roster_import(rows=[_row("W99999")])
    assert report.ok and report.created == 1
    assert Learner.objects.get(staff_number="W99999").user == plain


def test_scoped_import_never_links_an_existing_account(dept_admin, dept_a):
    plain = UserFactory(username="W99998")
    report = roster_import(rows=[_row("W99998")], department_codes={dept_a.code})
    assert not report.ok
    assert not Learner.objects.filter(user=plain).exists()


def test_password_tools_skip_administrators_who_are_also_learners(
        role_groups, dept_admin_client, dept_admin, dept_a):
    office = OfficeFactory(unit__department=dept_a)
    learner_admin = LearnerFactory(office=office, user=dept_admin, staff_number="admin_a")
    before = User.objects.get(pk=dept_admin.pk).password
    assert initial_passwords_issue(learners=[learner_admin], user=dept_admin) == []
    url = reverse("departments_roster:password_reset", args=[learner_admin.pk])
    assert dept_admin_client.post(url).status_code == 404
    assert User.objects.get(pk=dept_admin.pk).password == before
