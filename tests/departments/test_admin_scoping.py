"""Wagtail admin viewsets: a department admin reaches only their own department's rows."""

import pytest
from django.urls import reverse

from departments.models import Department, Learner, Office, Unit

pytestmark = pytest.mark.django_db

OBJECT_VIEWS = ["edit", "delete", "inspect", "history", "usage"]


@pytest.fixture
def world(learner_a, learner_b):
    return {
        "org_departments": (learner_a.department, learner_b.department),
        "org_units": (learner_a.unit, learner_b.unit),
        "org_offices": (learner_a.office, learner_b.office),
        "org_learners": (learner_a, learner_b),
    }


def assert_denied(response):
    """404 for objects outside the scope; Wagtail turns PermissionDenied into a redirect to the
    dashboard with an error message."""
    assert response.status_code in (403, 404) or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    ), response.status_code


VIEWSETS = ["org_departments", "org_units", "org_offices", "org_learners"]


@pytest.mark.parametrize("viewset", VIEWSETS)
def test_department_admin_index_lists_only_own_department(dept_admin_client, world, viewset):
    own, other = world[viewset]
    for name in ("index", "index_results"):
        response = dept_admin_client.get(reverse(f"{viewset}:{name}"))
        assert response.status_code == 200
        assert reverse(f"{viewset}:inspect", args=[other.pk]) not in response.content.decode()
        edit_or_inspect = {
            reverse(f"{viewset}:edit", args=[own.pk]),
            reverse(f"{viewset}:inspect", args=[own.pk]),
        }
        assert any(url in response.content.decode() for url in edit_or_inspect)


@pytest.mark.parametrize("viewset", VIEWSETS)
@pytest.mark.parametrize("view", OBJECT_VIEWS)
def test_department_admin_gets_404_for_other_departments_objects(
    dept_admin_client, world, viewset, view
):
    _own, other = world[viewset]
    url = reverse(f"{viewset}:{view}", args=[other.pk])
    response = dept_admin_client.get(url)
    assert_denied(response)
    if viewset != "org_departments":  # they hold the model permission: the scope answers 404
        assert response.status_code == 404
    assert_denied(dept_admin_client.post(url, {"name": "hijack"}))
    assert type(other).objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize("viewset", ["org_units", "org_offices", "org_learners"])
def test_department_admin_can_open_own_objects(dept_admin_client, world, viewset):
    own, _other = world[viewset]
    for view in ("edit", "inspect", "history", "delete"):
        assert dept_admin_client.get(reverse(f"{viewset}:{view}", args=[own.pk])).status_code == 200


def test_department_admin_cannot_edit_departments(dept_admin_client, world):
    own, _other = world["org_departments"]
    assert_denied(dept_admin_client.get(reverse("org_departments:edit", args=[own.pk])))
    assert_denied(dept_admin_client.get(reverse("org_departments:add")))
    assert_denied(
        dept_admin_client.post(
            reverse("org_departments:edit", args=[own.pk]),
            {"code": own.code, "name": "改", "kind": "city"},
        )
    )
    own.refresh_from_db()
    assert own.name == "财政局"


@pytest.mark.parametrize("viewset", VIEWSETS)
def test_bureau_staff_see_every_department(bureau_client, world, viewset):
    own, other = world[viewset]
    content = bureau_client.get(reverse(f"{viewset}:index")).content.decode()
    for obj in (own, other):
        assert reverse(f"{viewset}:edit", args=[obj.pk]) in content
        assert bureau_client.get(reverse(f"{viewset}:edit", args=[obj.pk])).status_code == 200


def learner_post(office, **overrides):
    return {
        "staff_number": "N0001",
        "name": "新人",
        "email": "",
        "office": office.pk,
        "position": "finance",
        "phone": "13900000000",
        "is_active": "on",
        **overrides,
    }


def test_department_admin_creates_learner_with_account(dept_admin_client, office_a):
    response = dept_admin_client.post(reverse("org_learners:add"), learner_post(office_a))
    assert response.status_code == 302, response.context["form"].errors
    learner = Learner.objects.select_related("user").get(staff_number="N0001")
    assert learner.user.username == "N0001" and learner.user.first_name == "新人"
    assert learner.office == office_a and not learner.user.has_usable_password()


def test_department_admin_cannot_create_learner_in_other_departments_office(
    dept_admin_client, office_a, office_b
):
    response = dept_admin_client.post(reverse("org_learners:add"), learner_post(office_b))
    assert response.status_code == 200
    assert "office" in response.context["form"].errors
    assert not Learner.objects.filter(staff_number="N0001").exists()
    form_offices = list(response.context["form"].fields["office"].queryset)
    assert form_offices == [office_a]


def test_department_admin_cannot_move_learner_to_other_department(
    dept_admin_client, learner_a, office_b
):
    url = reverse("org_learners:edit", args=[learner_a.pk])
    data = learner_post(office_b, staff_number=learner_a.staff_number)
    assert dept_admin_client.post(url, data).status_code == 200
    learner_a.refresh_from_db()
    assert learner_a.office.unit.department.code == "A01"


def test_department_admin_cannot_create_unit_or_office_elsewhere(
    dept_admin_client, dept_b, office_b
):
    dept_admin_client.post(
        reverse("org_units:add"), {"code": "NEW", "name": "x", "department": dept_b.pk}
    )
    dept_admin_client.post(
        reverse("org_offices:add"), {"name": "新科", "unit": office_b.unit_id, "kind": "finance"}
    )
    assert not Unit.objects.filter(code="NEW").exists()
    assert not Office.objects.filter(name="新科").exists()


def test_editing_learner_updates_the_account(dept_admin_client, learner_a):
    url = reverse("org_learners:edit", args=[learner_a.pk])
    data = learner_post(
        learner_a.office, staff_number=learner_a.staff_number, name="改名", email="x@example.cn"
    )
    assert dept_admin_client.post(url, data).status_code == 302
    learner_a.user.refresh_from_db()
    assert (learner_a.user.first_name, learner_a.user.email) == ("改名", "x@example.cn")


def test_learner_search_and_filters(bureau_client, learner_a, learner_b):
    url = reverse("org_learners:index")
    content = bureau_client.get(url, {"q": learner_a.staff_number}).content.decode()
    assert learner_a.staff_number in content and learner_b.staff_number not in content
    name = learner_b.user.first_name
    content = bureau_client.get(url, {"q": name}).content.decode()
    assert learner_b.staff_number in content and learner_a.staff_number not in content
    dept = Department.objects.get(code="B01")
    content = bureau_client.get(url, {"department": dept.pk}).content.decode()
    assert learner_b.staff_number in content and learner_a.staff_number not in content


def test_learner_index_query_count_does_not_grow(
    bureau_client, office_a, django_assert_max_num_queries
):
    from .factories import LearnerFactory

    LearnerFactory.create_batch(30, office=office_a)
    with django_assert_max_num_queries(40):
        assert bureau_client.get(reverse("org_learners:index")).status_code == 200


def test_names_with_html_are_escaped_in_admin(bureau_client, learner_a):
    learner_a.user.first_name = "<script>alert(1)</script>"
    learner_a.user.save()
    content = bureau_client.get(reverse("org_learners:index")).content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_organisation_menu_and_pages_render_for_scoped_admins(dept_admin_client, learner_a):
    content = dept_admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("org_learners:index") in content
    assert reverse("departments_roster:upload") in content
    assert reverse("departments_roster:initial_passwords") in content
    assert dept_admin_client.get(reverse("departments_roster:initial_passwords")).status_code == 200
    edit = dept_admin_client.get(reverse("org_learners:edit", args=[learner_a.pk]))
    reset_url = reverse("departments_roster:password_reset", args=[learner_a.pk])
    assert reset_url in edit.content.decode()
    assert reset_url in dept_admin_client.get(reverse("org_learners:index")).content.decode()


def test_editors_do_not_see_the_organisation_menu(client, role_groups):
    from django.contrib.auth.models import Group

    from departments import roles

    from .factories import UserFactory

    editor = UserFactory()
    editor.groups.add(Group.objects.get(name=roles.EDITOR))
    client.force_login(editor)
    content = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("departments_roster:upload") not in content
    assert reverse("org_learners:index") not in content
    assert client.get(reverse("org_learners:index")).status_code == 302
