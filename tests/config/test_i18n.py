"""Chinese first: the site and the Wagtail admin speak Chinese unless the user picks English."""

import re

import pytest
from django.conf import settings
from django.test import Client

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


def test_language_switcher_form_per_language_with_this_requests_token_and_page(client):
    from portal.services import site_home_ensure

    site_home_ensure()
    client.get("/")  # the CSRF cookie
    # Quotes and angle brackets arrive percent-encoded; an apostrophe and & do not.
    html = client.get("/", QUERY_STRING="q='onmouseover='alert(1)&x=<b>").content.decode()
    form = re.search(r'<form class="language-switcher".*?</form>', html, re.S).group(0)
    assert 'action="/i18n/setlang/"' in form and 'method="post"' in form
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    assert len(token) == 64
    assert ('name="next" type="hidden" value="/?q=&#x27;onmouseover=&#x27;alert(1)&amp;x=%3Cb%3E"'
            in form)
    assert '<option value="zh-hans" lang="zh-hans" selected>简体中文</option>' in form
    assert '<option value="en" lang="en">English</option>' in form
    assert ">切换<" in form or ">Switch<" in form
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/").content.decode()
    form = re.search(r'<form class="language-switcher".*?</form>', english, re.S).group(0)
    assert '<option value="en" lang="en" selected>English</option>' in form
    assert ">Switch</button>" in form and "visually-hidden\" for=\"language-select\">Language<" \
        in form
    # Switching with this form's token works (the token is the request's own).
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.cookies = client.cookies
    response = csrf_client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/",
                                                   "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == "/"
