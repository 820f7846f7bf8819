"""A learner logs in, lands on 我的培训, sees the unread count in the header, opens a notification
and marks the rest read — on a laptop (1366 px) and a phone (390 px), with the header usable on
both (nothing scrolls sideways, the count and the user's links stay on screen)."""

from __future__ import annotations

import datetime
import os

import pytest
from django.utils import timezone

from courses.models import Notification, NotificationKind
from tests.departments.factories import PASSWORD, LearnerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIZES = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def shot(page, output_path: str, name: str) -> None:
    os.makedirs(output_path, exist_ok=True)
    page.screenshot(path=os.path.join(output_path, f"{name}.png"), full_page=True)
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"{name} scrolls sideways: {scroll_width}>{inner_width}"


@pytest.mark.parametrize("size", SIZES)
def test_learner_reads_notifications_from_the_header(live_server, page, output_path, size):
    page.set_viewport_size(SIZES[size])
    learner = LearnerFactory(staff_number="N0001", position="business",
                             user__first_name="王小明", user__last_name="")
    now = timezone.now()
    rows = [("练习已复核：绩效目标编制", "/my/training/", NotificationKind.EXERCISE_REVIEWED),
            ("主观题已评阅：绩效监控考试", "/my/training/", NotificationKind.ESSAY_MARKED),
            ("2026年度培训提醒：距截止还有7天", "", NotificationKind.REMINDER)]
    for minutes, (title, url, kind) in enumerate(rows):
        Notification.objects.create(user=learner.user, kind=kind, title=title, url=url,
                                    body="请在截止日期前完成。",
                                    created_at=now - datetime.timedelta(minutes=minutes))

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "N0001")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert page.url == f"{live_server.url}/my/training/"

    badge_link = page.locator("header a.nav-notifications")
    assert badge_link.get_attribute("aria-label") == "3 条未读通知"
    assert badge_link.is_visible() and badge_link.locator(".count-badge").inner_text() == "3"
    assert page.locator("header a", has_text="我的培训").is_visible()
    assert page.locator("header a", has_text="王小明").is_visible()
    box = badge_link.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= SIZES[size]["width"]
    shot(page, output_path, f"notifications-header-{size}")

    badge_link.click()
    page.wait_for_selector("#notification-list")
    assert page.locator(".notification--unread").count() == 3
    shot(page, output_path, f"notifications-list-{size}")

    page.locator(".notification__open button", has_text="练习已复核").click()
    page.wait_for_load_state()
    assert page.url == f"{live_server.url}/my/training/"
    assert page.locator("header a.nav-notifications").get_attribute("aria-label") == "2 条未读通知"

    page.goto(f"{live_server.url}/my/notifications/")
    page.click("#notifications-read-all button")
    page.wait_for_load_state()
    assert page.locator(".notification--unread").count() == 0
    assert page.locator("header .count-badge").count() == 0
    assert page.get_by_text("已将 2 条通知标为已读").is_visible()
    shot(page, output_path, f"notifications-read-{size}")
