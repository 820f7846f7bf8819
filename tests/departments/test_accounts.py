"""Initial passwords (bulk download, single reset), forced change at first login, throttling."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from departments.exports import cell_safe, initial_passwords_workbook
from departments.models import Learner
from departments.services import IssuedPassword, initial_passwords_issue

from .factories import PASSWORD, LearnerFactory

User = get_user_model()
pytestmark = pytest.mark.django_db
PASSWORDS = reverse("departments_roster:initial_passwords")
LOGIN = reverse("accounts:login")


def read_sheet(content):
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [[c.value for c in row] for row in sheet.iter_rows()]


def test_department_passwords_download_once_and_force_change(
    dept_admin_client, learner_a, learner_b
):
    response = dept_admin_client.post(PASSWORDS, {"department": learner_a.department.pk})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "no-store" in response["Cache-Control"]
    rows = read_sheet(response.content)
    assert [r[0] for r in rows[1:]] == ["A0001"]
    password = rows[1][5]
    learner_a.refresh_from_db()
    learner_b.refresh_from_db()
    assert learner_a.must_change_password and not learner_b.must_change_password
    assert learner_a.user.check_password(password)

    # First login with the one-time password: every page leads to the change form.
    client = Client()
    response = client.post(LOGIN, {"username": "A0001", "password": password})
    assert response.status_code == 302
    assert client.get("/accounts/profile/")["Location"] == reverse("accounts:password_change")
    new = "Zq8-perf-2024!x"
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": password, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    learner_a.refresh_from_db()
    assert not learner_a.must_change_password
    assert client.get("/accounts/profile/").status_code == 200


def test_department_admin_cannot_issue_passwords_for_other_departments(
    dept_admin_client, learner_a, learner_b
):
    response = dept_admin_client.post(PASSWORDS, {"department": learner_b.department.pk})
    assert response.status_code == 200 and "department" in response.context["form"].errors
    response = dept_admin_client.post(PASSWORDS, {"staff_numbers": "A0001\nB0001"})
    assert response.status_code == 200 and response.context["form"].errors
    learner_b.refresh_from_db()
    assert not learner_b.must_change_password
    assert learner_b.user.check_password(PASSWORD)


def test_selected_learners_by_staff_number(bureau_client, learner_a, learner_b):
    response = bureau_client.post(PASSWORDS, {"staff_numbers": "B0001"})
    assert [r[0] for r in read_sheet(response.content)[1:]] == ["B0001"]


def test_reset_one_learner_password_is_scoped(dept_admin_client, learner_a, learner_b):
    url = reverse("departments_roster:password_reset", args=[learner_b.pk])
    assert dept_admin_client.post(url).status_code == 404
    learner_b.refresh_from_db()
    assert learner_b.user.check_password(PASSWORD)

    url = reverse("departments_roster:password_reset", args=[learner_a.pk])
    response = dept_admin_client.post(url)
    password = response.context_data["password"]
    assert password in response.rendered_content
    learner_a.refresh_from_db()
    assert learner_a.must_change_password and learner_a.user.check_password(password)


def test_initial_password_hasher_is_used_when_configured(settings, learner_a, bureau_user):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "departments.hashers.InitialPasswordHasher",
    ]
    [issued] = initial_passwords_issue(
        learners=[Learner.objects.get(pk=learner_a.pk)], user=bureau_user
    )
    user = User.objects.get(pk=learner_a.user_id)
    assert user.password.startswith("pbkdf2_sha256_initial$")
    assert user.check_password(issued.password)
    assert User.objects.get(pk=user.pk).password.startswith("md5$")  # upgraded at login


def test_exported_cells_that_look_like_formulas_are_neutralised():
    hostile = IssuedPassword(
        staff_number="=1+1",
        name="+cmd|' /C calc'!A0",
        department="-2",
        unit="@SUM(A1)",
        office="普通",
        password="abc",
    )
    rows = read_sheet(initial_passwords_workbook([hostile]))
    assert rows[1][:5] == ["'=1+1", "'+cmd|' /C calc'!A0", "'-2", "'@SUM(A1)", "普通"]
    assert cell_safe(5) == 5


def test_sixth_wrong_password_locks_out_even_the_right_one(client, learner_a):
    statuses = [
        client.post(LOGIN, {"username": "A0001", "password": "wrong"}).status_code for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]  # the 5th failure locks (AXES_FAILURE_LIMIT)
    response = client.post(LOGIN, {"username": "A0001", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_right_password_logs_in(client, learner_a):
    response = client.post(LOGIN, {"username": "A0001", "password": PASSWORD})
    assert response.status_code == 302 and client.session["_auth_user_id"]


def test_hostile_names_are_escaped_on_site_and_admin_pages(client, bureau_client):
    learner = LearnerFactory(user__first_name='<img src=x onerror="alert(1)">')
    client.force_login(learner.user)
    content = client.get("/accounts/profile/").content.decode()
    assert "<img src=x" not in content and "&lt;img src=x" in content
    url = reverse("departments_roster:password_reset", args=[learner.pk])
    content = bureau_client.get(url).content.decode()
    assert "<img src=x" not in content


def test_the_forced_change_is_read_once_per_session_and_password(dept_admin_client, learner_a):
    """The flag is kept in the session under the password it was read with: later pages do
    not read the learner row, a new one-time password (a reset) forces the change again at the
    next login, and choosing a password lifts it at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from departments.middleware import FLAG_SESSION_KEY

    learner_table = Learner._meta.db_table

    def learner_reads() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/accounts/profile/").status_code == 200
        return sum(1 for q in queries if f'FROM "{learner_table}"' in q["sql"])

    client = Client()
    client.force_login(learner_a.user)  # the login keeps the flag in the session
    first, second = learner_reads(), learner_reads()
    assert first == second
    # A session from before the flag was kept reads it once, then keeps it.
    session = client.session
    del session[FLAG_SESSION_KEY]
    session.save()
    assert learner_reads() == first + 1
    assert learner_reads() == first

    # A reset by the department admin: the old session ends (new password), the next login
    # must change it, although that browser had kept "no change needed".
    response = dept_admin_client.post(
        reverse("departments_roster:password_reset", args=[learner_a.pk]))
    assert response.status_code in (200, 302)
    learner_a.refresh_from_db()
    assert learner_a.must_change_password
    assert client.get("/accounts/profile/")["Location"].startswith(LOGIN)
    password = "Reset-" + "x" * 10
    learner_a.user.set_password(password)
    learner_a.user.save()
    assert client.post(LOGIN, {"username": "A0001", "password": password}).status_code == 302
    assert client.get("/accounts/profile/")["Location"] == reverse("accounts:password_change")
    new = "Zq8-perf-2024!y"
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": password, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert client.get("/accounts/profile/").status_code == 200
    assert client.get("/quizzes/").status_code == 200
