"""One rule for 工号 everywhere (roster import, learner form, learner_create): NFKC, letters,
digits, "-" and "_" only, at most 32 characters, unique regardless of letter case, and never the
look of an administrator account."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse

from departments import roles
from departments.demo_organisation import DEMO_ACCOUNTS, learners
from departments.models import Learner
from departments.roster import RosterRow
from departments.services import learner_create, roster_import
from departments.validators import staff_number_clean, staff_number_format_error

from .factories import PASSWORD, LearnerFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()

HOSTILE = ["=1+2", "a b<i>c</i>", "😀01", "ADMIN", "admin\u200b", "W" * 33, "jyj-adm1n"]


@pytest.fixture
def privileged_accounts(role_groups):
    User.objects.create_superuser("admin", "a@example.invalid", PASSWORD)
    UserFactory(username="jyj_admin").groups.add(Group.objects.get(name=roles.DEPARTMENT_ADMIN))


def _row(staff_number, row_number=2):
    return RosterRow(department_code="A01", department_name="财政局", unit_code="UA1",
                     unit_name="财政局本级", office_name="财务科", office_kind="财务", name="某人",
                     staff_number=staff_number, position="财务人员", row_number=row_number)


@pytest.mark.parametrize("staff_number", HOSTILE)
@pytest.mark.parametrize("scope", [None, {"A01"}], ids=["bureau", "department"])
def test_import_refuses_hostile_staff_numbers_with_a_row_error(
        privileged_accounts, dept_a, staff_number, scope):
    users_before = User.objects.count()
    report = roster_import(rows=[_row("W10001"), _row(staff_number, row_number=3)],
                           department_codes=scope)
    assert not report.ok
    assert {(e.row, e.column) for e in report.errors} == {(3, "工号")}
    assert "工号" in str(report.errors[0])  # Chinese: "第 3 行“工号”列：工号…"
    assert not Learner.objects.exists() and User.objects.count() == users_before


@pytest.mark.parametrize("staff_number", HOSTILE)
def test_learner_form_refuses_hostile_staff_numbers(
        privileged_accounts, bureau_client, office_a, staff_number):
    response = bureau_client.post(reverse("org_learners:add"), {
        "staff_number": staff_number, "name": "某人", "email": "", "office": office_a.pk,
        "position": "finance", "phone": "", "is_active": "on"})
    assert response.status_code == 200
    assert response.context["form"].errors["staff_number"]
    assert not Learner.objects.exists()


@pytest.mark.parametrize("staff_number", HOSTILE)
def test_learner_create_refuses_hostile_staff_numbers(privileged_accounts, office_a, staff_number):
    with pytest.raises(ValidationError):
        learner_create(staff_number=staff_number, name="某人", office=office_a, position="finance")
    assert not Learner.objects.exists()


def test_messages_are_in_chinese(privileged_accounts):
    messages = {}
    for value in ("=1+2", "ADMIN", "jyj-adm1n", "W" * 33):
        with pytest.raises(ValidationError) as caught:
            staff_number_clean(value)
        messages[value] = caught.value.messages[0]
    assert messages["=1+2"] == "工号只能包含字母、数字、“-”和“_”（不能有空格或其他符号）。"
    assert messages["ADMIN"] == "工号“ADMIN”已被其他账户使用（不区分大小写）。"
    assert "与管理员账户名称相同或相似" in messages["jyj-adm1n"]
    assert messages["W" * 33] == "工号最多 32 个字符。"


def test_reserved_administrator_names_are_refused_before_such_an_account_exists(db):
    for value in ("admin", "Administrator", "r00t", "super_user"):
        with pytest.raises(ValidationError):
            staff_number_clean(value)


def test_staff_number_differing_only_in_letter_case_is_refused_on_import(learner_a):
    report = roster_import(rows=[_row("a0001")])
    assert [(e.row, e.column) for e in report.errors] == [(2, "工号")]
    assert "不区分大小写" in report.errors[0].message
    assert Learner.objects.count() == 1


def test_duplicate_in_a_file_is_found_regardless_of_letter_case(dept_a):
    report = roster_import(rows=[_row("W10001"), _row("w10001", row_number=3)])
    assert [(e.row, e.column) for e in report.errors] == [(3, "工号")]
    assert not Learner.objects.exists()


def test_full_width_staff_number_is_normalised(dept_a, office_a):
    report = roster_import(rows=[_row("Ｗ７５３２９")])
    assert report.ok, report.errors
    assert Learner.objects.get().staff_number == "W75329"
    assert User.objects.filter(username="W75329").exists()
    learner = learner_create(staff_number="Ｗ１２３", name="某人", office=office_a,
                             position="finance")
    assert learner.staff_number == learner.user.username == "W123"


def test_existing_learner_keeps_their_staff_number_on_reimport_and_edit(bureau_client, office_a):
    learner = LearnerFactory(office=office_a, staff_number="W10672")
    assert roster_import(rows=[_row("W10672")]).ok
    response = bureau_client.post(reverse("org_learners:edit", args=[learner.pk]), {
        "staff_number": "W10672", "name": "改名", "email": "", "office": office_a.pk,
        "position": "finance", "phone": "", "is_active": "on"})
    assert response.status_code == 302


def test_seeded_demo_staff_numbers_and_learner_accounts_pass_the_rule(db):
    numbers = [row["staff_number"] for row in learners()]
    assert numbers and all(staff_number_format_error(n) is None for n in numbers)
    learner_accounts = [a["username"] for a in DEMO_ACCOUNTS if a["role"] == "learner"]
    assert learner_accounts == ["W75329", "W35504"]
    for username in learner_accounts:
        assert staff_number_clean(username) == username
