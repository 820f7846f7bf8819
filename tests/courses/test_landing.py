"""Where people land after logging in: a learner on 我的培训, staff and admins where they always
did, an explicit (safe) `next` wins; django-axes still throttles the same form."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from departments import roles
from departments.services import roles_ensure
from tests.departments.factories import PASSWORD, LearnerFactory, UserFactory
from tests.portal.test_chinese_first import english_runs

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
MY_TRAINING = reverse("my_training")
DEFAULT = reverse(settings.LOGIN_REDIRECT_URL)


def log_in(client, username: str, **extra):
    return client.post(LOGIN + extra.pop("query", ""),
                       {"username": username, "password": PASSWORD, **extra})


def in_group(user, name: str):
    roles_ensure()
    user.groups.add(Group.objects.get(name=name))
    return user


def test_a_learner_lands_on_my_training(client):
    learner = LearnerFactory(staff_number="L1001")
    response = log_in(client, learner.staff_number)
    assert response.status_code == 302 and response["Location"] == MY_TRAINING
    page = client.get(MY_TRAINING).content.decode()
    header = page.split("<header", 1)[1].split("</header>", 1)[0]
    assert f'href="{MY_TRAINING}">我的培训</a>' in header  # and the header links back to it
    assert english_runs(f"<header{header}</header>") == []


def test_staff_keep_their_landing(client):
    UserFactory(username="staff1", is_staff=True)
    assert log_in(client, "staff1")["Location"] == DEFAULT


@pytest.mark.parametrize("group", [roles.DEPARTMENT_ADMIN, roles.BUREAU_STAFF, roles.REVIEWER,
                                   roles.EDITOR])
def test_people_with_admin_access_keep_their_landing_even_on_the_roster(client, group):
    learner = LearnerFactory(staff_number="A2001")
    in_group(learner.user, group)
    assert log_in(client, learner.staff_number)["Location"] == DEFAULT


def test_an_account_without_a_roster_record_keeps_the_default(client):
    UserFactory(username="guest1")
    assert log_in(client, "guest1")["Location"] == DEFAULT


def test_an_explicit_next_wins_for_a_learner(client):
    learner = LearnerFactory(staff_number="L1002")
    response = log_in(client, learner.staff_number, next="/quizzes/")
    assert response["Location"] == "/quizzes/"


def test_an_explicit_next_wins_for_staff(client):
    UserFactory(username="staff2", is_staff=True)
    assert log_in(client, "staff2", query="?next=/admin/")["Location"] == "/admin/"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_an_outside_next_is_ignored_and_the_learner_lands_on_my_training(client, target):
    learner = LearnerFactory(staff_number="L1003")
    assert log_in(client, learner.staff_number, next=target)["Location"] == MY_TRAINING


def test_a_signed_in_learner_opening_the_login_page_goes_to_my_training(client):
    learner = LearnerFactory(staff_number="L1004")
    client.force_login(learner.user)
    assert client.get(LOGIN)["Location"] == MY_TRAINING


def test_a_learner_who_must_change_the_password_still_changes_it_first(client):
    learner = LearnerFactory(staff_number="L1005", must_change_password=True)
    response = log_in(client, learner.staff_number)
    assert response["Location"] == MY_TRAINING
    assert client.get(MY_TRAINING)["Location"] == reverse("accounts:password_change")


def test_axes_still_locks_the_login_form(settings):
    learner = LearnerFactory(staff_number="L1006")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": learner.staff_number, "password": "wrong"})
    locked = log_in(client, learner.staff_number)
    assert locked.status_code in (403, 429) and "Location" not in locked
    assert "_auth_user_id" not in client.session
