"""The bureau overview (table, chart, trend) and a department page on a laptop (1366 px) and a
phone (390 px): nothing scrolls sideways but the tables inside their wrappers, and the chart
stays inside the page."""

from __future__ import annotations

import os

import pytest

from tests.assessments.dashboard_helpers import department_with_offices, record_completions
from tests.courses.conftest import course_index, home, make_course  # noqa: F401 - fixtures
from tests.courses.membership_helpers import bureau_staff, open_plan
from tests.departments.factories import PASSWORD
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
    inner_width = page.viewport_size["width"]
    chart_right = page.evaluate(
        "(() => { const s = document.querySelector('svg.chart');"
        " return s ? s.getBoundingClientRect().right : 0; })()")
    assert chart_right <= inner_width, f"{name}: the chart overflows ({chart_right})"


@pytest.mark.parametrize("size", SIZES)
def test_overview_and_department_page_fit_the_screen(live_server, page, output_path, size,
                                                     make_course):  # noqa: F811
    page.set_viewport_size(SIZES[size])
    course = make_course(title="预算绩效管理全流程")
    worlds = [
        department_with_offices("101", "市教育局", course=course, business_done=0,
                                business_offices=3),
        department_with_offices("102", "市住房和城乡建设局（市人民防空办公室）", course=course,
                                business_done=2, head_done=True, business_offices=3),
        department_with_offices("201", "东城区", course=course, kind="district",
                                business_done=1, business_offices=4),
    ]
    plan = open_plan(("business", course), ("finance", course), ("head", course),
                     title="2026年度预算绩效管理培训计划")
    for world in worlds:
        record_completions(world, course)
    bureau = bureau_staff()

    page.goto(f"{live_server.url}/admin/login/?next=/admin/assessment/")
    page.fill("input[name=username]", bureau.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#assessment-departments")
    assert page.locator("#assessment-departments tbody tr").count() == 3
    assert page.locator("svg.chart").is_visible()
    shot(page, output_path, f"assessment-overview-{size}")
    chart = page.locator("#participation-chart-figure")
    chart.scroll_into_view_if_needed()
    chart.screenshot(path=os.path.join(output_path, f"assessment-chart-{size}.png"))
    page.click("#participation-chart-figure summary")  # the numbers as a table
    assert page.locator("#participation-chart-table").is_visible()

    page.click("#assessment-departments a:has-text('市教育局')")
    page.wait_for_selector("#missing-business-offices")
    assert page.locator("#missing-business-offices li").count() == 3
    assert plan.title in page.content()
    shot(page, output_path, f"assessment-department-{size}")
