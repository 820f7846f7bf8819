"""The home page's 管理名单 button (issue 9 §4): it leads to the admin learner list and only
department admins and the bureau see it."""

import pytest
from django.contrib.auth.models import Group

from departments import roles
from departments.services import roles_ensure
from portal.services import DEFAULT_ENTRY_POINTS
from tests.departments.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

LEARNER_LIST = "/admin/organisation/learners/"


def user_in(group: str, username: str):
    roles_ensure()
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def department_admin():
    user = user_in(roles.DEPARTMENT_ADMIN, "dept_admin")
    DepartmentFactory().admins.add(user)
    return user


def test_department_admin_sees_manage_roster_linking_to_the_learner_list(
    client, home, department_admin
):
    client.force_login(department_admin)
    html = client.get("/").content.decode()
    assert "管理名单" in html
    assert f'href="{LEARNER_LIST}"' in html
    assert 'href="/roster/"' not in html
    assert client.get(LEARNER_LIST).status_code == 200


def test_bureau_staff_see_manage_roster(client, home):
    client.force_login(user_in(roles.BUREAU_STAFF, "bureau"))
    assert "管理名单" in client.get("/").content.decode()


@pytest.mark.parametrize("who", ["anonymous", "learner", "editor"])
def test_others_do_not_see_manage_roster(client, home, who):
    if who == "learner":
        client.force_login(user_in(roles.LEARNER, "learner"))
    elif who == "editor":
        client.force_login(user_in(roles.EDITOR, "editor"))
    html = client.get("/").content.decode()
    assert "管理名单" not in html
    assert "登录学习" in html  # the other entry points stay


def test_old_roster_address_leads_to_the_learner_list(client, department_admin):
    client.force_login(department_admin)
    response = client.get("/roster/")
    assert response.status_code == 302 and response["Location"] == LEARNER_LIST


def test_new_home_pages_link_the_roster_entry_to_the_learner_list():
    entry = next(e for e in DEFAULT_ENTRY_POINTS if e["value"]["role"] == "department_admin")
    assert entry["value"]["link_url"] == LEARNER_LIST
