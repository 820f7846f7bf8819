"""Low items of the account probe: the forced change refuses the issued password, and the
lock-out page says how long the lock lasts."""

import pytest
from django.test import Client
from django.urls import reverse

from departments.models import Learner
from departments.services import initial_passwords_issue

from .factories import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = reverse("accounts:login")
CHANGE = reverse("accounts:password_change")


def test_forced_change_refuses_the_issued_password_and_keeps_forcing(learner_a, bureau_user):
    [issued] = initial_passwords_issue(learners=[learner_a], user=bureau_user)
    client = Client()
    assert client.post(LOGIN, {"username": "A0001", "password": issued.password}).status_code == 302
    response = client.post(CHANGE, {"old_password": issued.password,
                                     "new_password1": issued.password,
                                     "new_password2": issued.password})
    assert response.status_code == 200
    assert "新密码不能与当前密码相同" in response.content.decode()
    assert Learner.objects.get(pk=learner_a.pk).must_change_password
    assert client.get("/accounts/profile/")["Location"] == CHANGE


def test_voluntary_change_to_the_same_password_is_refused_too(client, learner_a):
    client.force_login(learner_a.user)
    response = client.post(CHANGE, {"old_password": PASSWORD, "new_password1": PASSWORD,
                                    "new_password2": PASSWORD})
    assert response.status_code == 200 and response.context["form"].errors["new_password1"]


def test_lockout_page_says_how_long_the_lock_lasts(client, learner_a, settings):
    settings.AXES_COOLOFF_TIME = 0.25  # hours, as in base settings
    for _attempt in range(5):
        response = client.post(LOGIN, {"username": "A0001", "password": "wrong"})
    assert response.status_code == 429
    assert "此账户已被锁定 15 分钟" in response.content.decode()
