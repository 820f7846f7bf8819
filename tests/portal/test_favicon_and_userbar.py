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


def title_of(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def test_the_site_name_appears_once_in_the_home_page_title(client, home, make_policy):
    """The home page is titled with the site's name: the tab reads 绩效学堂, not
    绩效学堂 · 绩效学堂; other pages and a renamed home page keep the site's name after theirs."""
    assert title_of(client.get(home.url).content.decode()) == "绩效学堂"
    policy = make_policy()
    assert title_of(client.get(policy.url).content.decode()) == f"{policy.title} · 绩效学堂"
    home.title = "首页"
    home.save_revision().publish()
    assert title_of(client.get(home.url).content.decode()) == "首页 · 绩效学堂"
