"""Chinese first: the site and the Wagtail admin speak Chinese unless the user picks English."""

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_admin_login_page_is_chinese_even_for_an_english_browser(client):
    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_admin_dashboard_is_chinese_for_a_superuser(client, django_user_model):
    admin = django_user_model.objects.create_superuser("boss", "boss@example.invalid", "pw-123456")
    client.force_login(admin)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "控制面板" in response.content.decode()


def test_language_switcher_sets_english_and_back(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    english = client.get("/accounts/login/")
    assert english["Content-Language"] == "en"
    assert '<html lang="en">' in english.content.decode()

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    chinese = client.get("/accounts/login/")
    assert chinese["Content-Language"] == "zh-hans"


def test_unknown_language_cookie_falls_back_to_chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx-evil"
    response = client.get("/accounts/login/")
    assert response["Content-Language"] == "zh-hans"


def test_switcher_refuses_an_offsite_redirect(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_admin_dashboard_links_nowhere_outside_the_intranet(client, django_user_model):
    admin = django_user_model.objects.create_superuser("boss2", "b@example.invalid", "pw-123456")
    client.force_login(admin)
    html = client.get("/admin/").content.decode()
    assert "guide.wagtail.org" not in html
    assert "releases.wagtail.io" not in html
    assert "wagtail.org/" not in html
