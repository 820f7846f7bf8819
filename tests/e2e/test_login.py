"""A person logs in with their staff number in a real browser (Debian's Chromium)."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_login_with_staff_number_and_logout(live_server, page, django_user_model, output_path):
    django_user_model.objects.create_user("W10001", password="Xuexi#2026pass",
                                          first_name="张", last_name="")
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.fill("input[name=username]", "W10001")
    page.fill("input[name=password]", "wrong-password")
    page.click("main button[type=submit]")
    assert page.locator(".errorlist, .errornote, ul.errorlist").count() >= 1
    page.fill("input[name=username]", "W10001")
    page.fill("input[name=password]", "Xuexi#2026pass")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    page.screenshot(path=f"{output_path}/logged-in.png", full_page=True)
    assert page.get_by_text("张").first.is_visible()
    page.locator("header form[action$='/accounts/logout/'] button").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/accounts/profile/")
    assert "/accounts/login/" in page.url  # logged out: the profile asks for a login again
