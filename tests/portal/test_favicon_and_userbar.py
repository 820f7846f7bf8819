"""Every page names a favicon that exists, /favicon.ico answers, and staff get the userbar on
public pages without the accessibility checker (it ran axe and logged to the console)."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_pages_link_a_favicon_that_ships_with_the_site(client, home):
    page = client.get(home.url).content.decode()
    link = re.search(r'<link rel="icon" href="/static/([^"]+)"', page)
    assert link, "the page names no favicon"
    assert finders.find(link.group(1).split("?")[0]) is not None


def test_favicon_ico_redirects_to_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].startswith("/static/img/favicon")
    assert finders.find("img/favicon.ico") is not None


def test_staff_get_the_userbar_without_the_content_checker(admin_client, home, make_policy):
    policy = make_policy()
    for url in (home.url, policy.url):
        page = admin_client.get(url).content.decode()
        assert "wagtail-userbar-template" in page  # editors keep their shortcuts
        assert "checker-axe-configuration" not in page
        assert "checker-trigger" not in page
