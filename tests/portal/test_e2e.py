"""Browser tests: the home page in Chinese and the header search box (Debian's Chromium)."""

from __future__ import annotations

import os

import pytest

from portal.services import policy_document_upsert, policy_index_ensure, site_home_ensure

# No serialized_rollback: restoring the migration data after another transactional test
# re-created the role groups clashes with them; site_home_ensure() rebuilds what this needs.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site_with_policy(live_server):
    home = site_home_ensure()
    index = policy_index_ensure(home=home)
    document = policy_document_upsert(index=index, data={
        "title": "中央部门项目支出核心绩效目标和指标设置及取值指引",
        "doc_number": "财预〔2021〕101号", "issuer": "财政部", "level": "central",
        "publish_date": "2021-08-18", "status": "current", "stages": ["goals"],
        "is_summary": True,
        "clauses": [{"number": "第三条", "heading": "绩效目标",
                     "text": "绩效目标应当指向明确、细化量化，服务对象满意度指标不低于90%。"}],
        "related": [],
    })
    return home, document


def screenshot(page, output_path, name: str) -> str:
    os.makedirs(output_path, exist_ok=True)
    path = os.path.join(output_path, name)
    page.screenshot(path=path, full_page=True)
    return path


def test_home_page_is_chinese_and_header_search_finds_the_policy(
    page, live_server, site_with_policy, output_path
):
    _home, document = site_with_policy
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "绩效学堂" in page.title()
    assert page.locator("h1").inner_text() == "绩效学堂"
    assert page.get_by_role("link", name=document.title).count() == 1
    screenshot(page, output_path, "home.png")

    page.fill("#site-search-q", "绩效目标")
    page.press("#site-search-q", "Enter")
    page.wait_for_url("**/search/?q=*")
    result = page.locator(".search-result__title a")
    assert result.count() == 1
    assert result.inner_text() == document.title
    assert page.locator(".search-result mark").first.inner_text() == "绩效目标"
    screenshot(page, output_path, "search.png")

    result.click()
    page.wait_for_url(f"**{document.url}")
    assert page.locator("#clause-3").is_visible()
    assert page.locator(".notice--summary").is_visible()
    screenshot(page, output_path, "policy.png")


def test_policy_page_on_a_phone_keeps_the_text_readable(
    browser, live_server, site_with_policy, output_path
):
    _home, document = site_with_policy
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN")
    phone = context.new_page()
    phone.goto(live_server.url + document.url)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375 + 1  # no horizontal scrolling
    assert phone.locator("h1").inner_text() == document.title
    screenshot(phone, output_path, "policy-phone.png")
    context.close()
