"""The score sheet in Chromium on a laptop and a phone: bureau staff override an item with a
reason, a department admin files an appeal; nothing but the tables scrolls sideways."""

from __future__ import annotations

import os

import pytest

from assessments import services
from assessments.models import Appeal, ItemScore, ScoreSource
from tests.assessments.scoring_helpers import participation_of, small_scheme
from tests.courses.membership_helpers import bureau_staff, department_admin
from tests.departments.factories import PASSWORD, DepartmentFactory
from tests.e2e.admin_layout import admin_shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIZES = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def shot(page, output_path: str, name: str) -> None:
    """Screenshot the whole admin page; nothing may stick out of it but the tables inside
    their scroll wrappers (the admin clips its content instead of scrolling the document,
    so the document's width alone proves nothing)."""
    os.makedirs(output_path, exist_ok=True)
    problems = admin_shot(page, os.path.join(output_path, f"{name}.png"),
                          size=page.viewport_size)
    assert not problems, f"{name}: {problems}"


def login(page, live_server, user, next_url: str) -> None:
    page.goto(f"{live_server.url}/admin/login/?next={next_url}")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{next_url}")


@pytest.mark.parametrize("size", SIZES)
def test_override_and_appeal_on_the_score_sheet(live_server, page, output_path, size):
    page.set_viewport_size(SIZES[size])
    department = DepartmentFactory(code="101", name="市教育局")
    other = DepartmentFactory(code="201", name="甲区")
    scheme = small_scheme(2026)
    services.scores_compute(scheme=scheme, participation=[
        participation_of(department, completed=(7, 10)), participation_of(other)])
    bureau = bureau_staff("bureau")
    admin = department_admin(department, "admin_a")
    sheet = f"/admin/assessment-scores/2026/departments/{department.pk}/"
    completion = scheme.items.get(code="training-completion")

    login(page, live_server, bureau, sheet)
    row = page.locator(f"#item-{completion.pk} + tr")
    row.locator("summary").first.click()
    row.locator("input[name=points]").fill("1.2")
    row.locator("textarea[name=reason]").first.fill("抽查发现两人代学，酌情扣分")
    row.locator("button[type=submit]").first.click()
    page.wait_for_selector("text=已调整")
    shot(page, output_path, f"scoring-sheet-bureau-{size}")
    saved = ItemScore.objects.get(department=department, item=completion)
    assert saved.source == ScoreSource.OVERRIDE and str(saved.points) == "1.20"

    page.context.clear_cookies()
    login(page, live_server, admin, sheet)
    assert page.locator("text=抽查发现两人代学，酌情扣分").count() >= 1
    row = page.locator(f"#item-{completion.pk} + tr")
    row.locator("summary").first.click()
    row.locator("textarea[name=reason]").fill("两人系集中培训，有签到表为证")
    row.locator("button[type=submit]").first.click()
    page.wait_for_selector("text=已提交")
    shot(page, output_path, f"scoring-sheet-department-{size}")
    assert Appeal.objects.filter(department=department, item=completion).exists()
