"""Model constraints, role groups and the scoping selectors."""

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from wagtail.models import GroupCollectionPermission, GroupPagePermission, Page

from departments import roles, selectors
from departments.models import Learner, Office, Unit
from departments.services import roles_ensure

from .factories import DepartmentFactory, LearnerFactory, OfficeFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_department_and_unit_codes_are_unique():
    DepartmentFactory(code="X")
    with pytest.raises(IntegrityError), transaction.atomic():
        DepartmentFactory(code="X")
    UnitFactory(code="U")
    with pytest.raises(IntegrityError), transaction.atomic():
        UnitFactory(code="U")


def test_office_name_is_unique_within_its_unit_only():
    office = OfficeFactory(name="财务科")
    with pytest.raises(IntegrityError), transaction.atomic():
        Office.objects.create(unit=office.unit, name="财务科", kind="finance")
    assert OfficeFactory(name="财务科").unit != office.unit


def test_learner_constraints_reject_bad_position_phone_and_duplicate_staff_number():
    learner = LearnerFactory(staff_number="S1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Learner.objects.filter(pk=learner.pk).update(position="boss")
    with pytest.raises(IntegrityError), transaction.atomic():
        Learner.objects.filter(pk=learner.pk).update(phone="123")
    with pytest.raises(IntegrityError), transaction.atomic():
        LearnerFactory(staff_number="S1", user=UserFactory())
    with pytest.raises(IntegrityError), transaction.atomic():
        Office.objects.filter(pk=learner.office_id).update(kind="canteen")


def test_learner_unit_and_department_are_derived_through_the_office():
    learner = LearnerFactory()
    assert learner.unit == learner.office.unit
    assert learner.department == learner.office.unit.department
    assert learner.name == learner.user.first_name


def test_roles_ensure_is_idempotent_and_grants_admin_access():
    roles_ensure()
    roles_ensure()
    for name in roles.GROUP_PERMISSIONS:
        assert Group.objects.filter(name=name).count() == 1
    for name in (roles.DEPARTMENT_ADMIN, roles.BUREAU_STAFF, roles.EDITOR):
        user = UserFactory()
        user.groups.add(Group.objects.get(name=name))
        assert user.has_perm("wagtailadmin.access_admin")
    bureau = UserFactory()
    bureau.groups.add(Group.objects.get(name=roles.BUREAU_STAFF))
    assert bureau.has_perm("departments.add_department")
    admin = UserFactory()
    admin.groups.add(Group.objects.get(name=roles.DEPARTMENT_ADMIN))
    assert admin.has_perm("departments.change_learner")
    assert not admin.has_perm("departments.change_department")


def test_editors_can_edit_pages_and_use_the_root_collection():
    roles_ensure()
    editor = Group.objects.get(name=roles.EDITOR)
    root = Page.get_first_root_node()
    codenames = set(
        GroupPagePermission.objects.filter(group=editor, page=root).values_list(
            "permission__codename", flat=True
        )
    )
    assert {"add_page", "change_page", "publish_page"} <= codenames
    assert GroupCollectionPermission.objects.filter(
        group=editor, permission__codename="add_document"
    ).exists()
    user = UserFactory()
    user.groups.add(editor)
    from wagtail.permission_policies.pages import PagePermissionPolicy

    assert PagePermissionPolicy().user_has_permission(user, "change")


@pytest.fixture
def two_departments():
    a, b = LearnerFactory(), LearnerFactory()
    return a, b


def test_bureau_staff_and_superusers_see_everything(two_departments, role_groups):
    bureau = UserFactory()
    bureau.groups.add(Group.objects.get(name=roles.BUREAU_STAFF))
    superuser = UserFactory(is_superuser=True)
    for user in (bureau, superuser):
        assert selectors.learners_visible_to(user).count() == 2
        assert selectors.units_visible_to(user).count() == 2
        assert selectors.offices_visible_to(user).count() == 2
        assert selectors.departments_visible_to(user).count() == 2


def test_department_admin_sees_only_their_departments(two_departments, role_groups):
    a, _b = two_departments
    admin = UserFactory()
    admin.groups.add(Group.objects.get(name=roles.DEPARTMENT_ADMIN))
    a.department.admins.add(admin)
    assert list(selectors.learners_visible_to(admin)) == [a]
    assert list(selectors.units_visible_to(admin)) == [a.unit]
    assert list(selectors.offices_visible_to(admin)) == [a.office]
    assert list(selectors.departments_visible_to(admin)) == [a.department]


def test_others_see_nothing(two_departments, role_groups):
    a, _b = two_departments
    listed_but_not_in_group = UserFactory()
    a.department.admins.add(listed_but_not_in_group)
    for user in (a.user, listed_but_not_in_group):
        assert not selectors.learners_visible_to(user).exists()
        assert not selectors.departments_visible_to(user).exists()


def test_learner_selector_joins_everything_in_one_query(two_departments, django_assert_num_queries):
    superuser = UserFactory(is_superuser=True)
    with django_assert_num_queries(1):
        rows = [
            (x.user.first_name, x.office.unit.department.name)
            for x in selectors.learners_visible_to(superuser)
        ]
    assert len(rows) == 2
    assert Unit.objects.count() == 2


def test_migrate_creates_the_role_groups():
    # post_migrate ran roles_ensure when the test database was created.
    names = set(Group.objects.values_list("name", flat=True))
    assert set(roles.GROUP_PERMISSIONS) <= names


def test_learner_create_service_makes_account_with_staff_number_as_username(office_a):
    from departments.services import learner_create

    learner = learner_create(staff_number="C1", name="李四", office=office_a, position="head",
                             phone="13912345678", email="li@example.cn")
    assert learner.user.username == "C1" and learner.user.first_name == "李四"
    assert not learner.user.has_usable_password()
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        learner_create(staff_number="C2", name="王五", office=office_a, position="boss")
    assert not Learner.objects.filter(staff_number="C2").exists()
