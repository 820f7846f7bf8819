"""部门考核 admin pages: the bureau overview (table, sorting and filters, chart, trend,
definitions), a department's page, the JSON report and the home panel — who may open which URL
(a foreign department answers 404), hostile query strings, escaped names, Chinese labels, and
query counts that do not grow with departments or learners."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.utils import timezone, translation

from assessments import metrics
from courses.models import TrainingPlan
from departments import roles
from tests.assessments.dashboard_helpers import (
    assign,
    complete,
    department_with_offices,
    record_completions,
)
from tests.courses.conftest import course_index, home, make_course  # noqa: F401 - fixtures
from tests.courses.membership_helpers import (
    bureau_staff,
    department_admin,
    make_learner,
    open_plan,
    user_in_role,
)
from tests.query_budget import assert_listing_budget

pytestmark = pytest.mark.django_db

OVERVIEW = "/admin/assessment/"
EVIL = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def course(make_course):  # noqa: F811 - the imported fixture
    return make_course(title="绩效管理全流程")


@pytest.fixture
def world(course):
    """A: finance only (its two business offices missing); B: a district with a hostile name,
    one of two business offices participating and its head done."""
    a = department_with_offices("101", "市教育局", course=course, business_done=0,
                                sort_order=1)
    b = department_with_offices("201", f"{EVIL}区", course=course, kind="district",
                                business_done=1, head_done=True, office_name=f"{EVIL}科",
                                sort_order=2)
    plan = open_plan(("business", course), ("finance", course), ("head", course))
    record_completions(a, course)
    record_completions(b, course)
    return {"a": a, "b": b, "plan": plan, "year": plan.year}


@pytest.fixture
def admin_a(world):
    return department_admin(world["a"]["department"], "admin_a")


def department_url(world, key: str) -> str:
    return f"/admin/assessment/{world['year']}/departments/{world[key]['department'].pk}/"


def report_url(world) -> str:
    return f"/admin/assessment/{world['year']}/report.json"


def row_codes(html: str) -> list[str]:
    return re.findall(r'<tr data-department="([^"]+)"', html)


def flag_label(key: str) -> str:
    return str(metrics.FLAG_LABELS[key])


# --- The overview ---------------------------------------------------------------------------------


def test_the_bureau_sees_every_department_with_its_numbers_flags_and_links(client, world):
    client.force_login(bureau_staff())
    response = client.get(OVERVIEW)
    assert response.status_code == 200
    html = response.content.decode()
    assert row_codes(html) == ["101", "201"]
    assert "部门考核" in html and world["plan"].title in html
    assert "市直" in html and ">区<" in html
    # A: 1 of 4 learners on the roster done (the finance learner); business offices 0/2.
    a_row = html.split('data-department="101"')[1].split("</tr>")[0]
    assert "25%" in a_row and "1/4" in a_row and "0/2" in a_row and "0/1" in a_row
    assert f'data-flag="finance_only">{flag_label("finance_only")}<' in a_row
    assert department_url(world, "a") in a_row
    b_row = html.split('data-department="201"')[1].split("</tr>")[0]
    assert "1/2" in b_row and "1/1" in b_row and "finance_only" not in b_row
    assert "如何计算" in html
    definition = str(metrics.DEFINITIONS["business_office_coverage"])
    assert definition.split("：", 1)[-1].split(":", 1)[-1].strip()[:12] in html
    assert "上一年度没有已发布的培训计划" in html


def test_the_chart_draws_business_and_finance_participation_with_the_numbers(client, world):
    client.force_login(bureau_staff())
    html = client.get(OVERVIEW).content.decode()
    start = html.index('<svg xmlns="http://www.w3.org/2000/svg" class="chart')
    svg = html[start:html.index("</svg>", start)]
    assert 'role="img"' in svg and "<title" in svg
    assert "0/2 · 0%" in svg and "1/1 · 100%" in svg and "1/2 · 50%" in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    table = html[html.index('id="participation-chart-table"'):]
    assert "0/2 · 0%" in table and "1/2 · 50%" in table


def test_sorting_and_filters_and_hostile_parameters(client, world):
    client.force_login(bureau_staff())

    def codes(query: str) -> list[str]:
        response = client.get(f"{OVERVIEW}?{query}")
        assert response.status_code == 200, query
        return row_codes(response.content.decode())

    assert codes("sort=coverage") == ["101", "201"]
    assert codes("sort=-coverage") == ["201", "101"]
    assert codes("sort=-department") == ["201", "101"]
    assert codes("sort=-flags") == ["101", "201"]
    assert codes("sort=heads") == ["101", "201"]
    assert codes("kind=district") == ["201"]
    assert codes("kind=city") == ["101"]
    assert codes("flag=finance_only") == ["101"]
    assert codes("q=教育") == ["101"] and codes("q=201") == ["201"]
    assert codes("q=" + "x" * 5000) == []
    # Unknown keys and values are ignored, not errors.
    for query in ("sort=__class__", "sort=-", "sort=<script>", "kind=county", "flag=bogus",
                  "sort=name;drop table", "sort=" + "-" * 500):
        assert codes(query) == ["101", "201"], query
    for query in ("year=abc", "year=-1", f"year={world['year'] + 5}", "year=99999999999999",
                  "year=２０２６", "year=0"):
        assert client.get(f"{OVERVIEW}?{query}").status_code == 404, query


def test_names_are_escaped_everywhere(client, world):
    client.force_login(bureau_staff())
    for url in (OVERVIEW, department_url(world, "b")):
        html = client.get(url).content.decode()
        assert EVIL not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
    assert client.get(department_url(world, "b")).content.decode().count(
        "&lt;script&gt;alert(1)&lt;/script&gt;科") >= 1


def test_the_trend_against_the_previous_year(client, world, course):
    client.force_login(bureau_staff())
    html = client.get(OVERVIEW).content.decode()
    trend = html.split('id="assessment-trend"')[1].split("</section>")[0]
    assert "上一年度没有已发布的培训计划" in trend and "百分点" not in trend
    today = timezone.localdate()
    previous = open_plan(("business", course), today=today - dt.timedelta(days=366),
                         title="上一年度计划")
    assert previous.year == world["year"] - 1
    html = client.get(OVERVIEW).content.decode()
    trend = html.split('id="assessment-trend"')[1].split("</section>")[0]
    assert "上一年度计划" in trend
    # Before: nobody completed in last year's window (0 %); now 4 of 8 on the roster, and
    # 1 of 4 business offices took part.
    assert "0% → 50%" in trend and "+50.0 个百分点" in trend
    assert "0% → 25%" in trend and "+25.0 个百分点" in trend
    a_row = html.split('data-department="101"')[1].split("</tr>")[0]
    assert 'data-col="trend_completion">+25.0' in a_row
    b_row = html.split('data-department="201"')[1].split("</tr>")[0]
    assert 'data-col="trend_coverage">+50.0' in b_row


def test_export_and_score_sheet_links_only_when_their_pages_exist(client, world):
    from django.urls import NoReverseMatch, reverse

    client.force_login(bureau_staff())
    html = client.get(OVERVIEW).content.decode()
    try:
        export = reverse("assessment_exports:export", args=[world["year"], "overview"])
    except NoReverseMatch:
        export = None
    if export:
        assert export in html
    try:
        sheet = reverse("assessment_scoring:sheet",
                        args=[world["year"], world["a"]["department"].pk])
    except NoReverseMatch:
        sheet = None
    if sheet:
        assert sheet in html
    assert f"/admin/assessment/{world['year']}/report.json" in html


def test_no_published_plan_says_so(client, db):
    client.force_login(bureau_staff())
    response = client.get(OVERVIEW)
    assert response.status_code == 200
    assert "尚未发布培训计划" in response.content.decode()


# --- Who may open what ----------------------------------------------------------------------------


def test_permissions_url_by_url(client, world, admin_a):
    year = world["year"]
    own, foreign = department_url(world, "a"), department_url(world, "b")
    learner = world["a"]["business"][0][1].user
    editor = user_in_role(roles.EDITOR, "editor")

    client.force_login(bureau_staff())
    for url in (OVERVIEW, own, foreign, report_url(world),
                f"{report_url(world)}?department=201"):
        assert client.get(url).status_code == 200, url

    client.force_login(admin_a)
    response = client.get(OVERVIEW)
    assert response.status_code == 302 and response["Location"] == own
    assert client.get(f"{OVERVIEW}?year={year}")["Location"] == own
    assert client.get(own).status_code == 200
    assert client.get(f"{report_url(world)}?department=101").status_code == 200
    for url in (foreign, f"{report_url(world)}?department=201",
                f"{report_url(world)}?department=nope", f"{report_url(world)}?department=",
                f"/admin/assessment/{year}/departments/999999999/",
                f"/admin/assessment/{year}/departments/99999999999999999999999/",
                f"/admin/assessment/{year + 3}/departments/{world['a']['department'].pk}/",
                f"/admin/assessment/{year + 3}/report.json"):
        assert client.get(url).status_code == 404, url
    assert client.get("/admin/assessment/abc/departments/1/").status_code == 404
    assert client.post(own).status_code == 405

    for user in (editor, learner):
        client.force_login(user)
        for url in (OVERVIEW, own, foreign, report_url(world)):
            assert client.get(url).status_code in (302, 403), (user, url)
            assert str(world["a"]["department"].name) not in client.get(url).content.decode()

    client.logout()
    for url in (OVERVIEW, own, report_url(world)):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_a_department_admin_without_a_department_is_refused(client, world):
    client.force_login(user_in_role(roles.DEPARTMENT_ADMIN, "nobody"))
    for url in (OVERVIEW, department_url(world, "a"), report_url(world)):
        response = client.get(url)
        assert response.status_code in (302, 403), url  # Wagtail's "permission denied"
        assert response.get("Location", "") != department_url(world, "a")


def test_the_menu_item_is_shown_to_bureau_and_department_admins_only(client, world, admin_a):
    client.force_login(admin_a)
    assert OVERVIEW in client.get("/admin/").content.decode()
    client.force_login(bureau_staff())
    assert OVERVIEW in client.get("/admin/").content.decode()
    client.force_login(user_in_role(roles.EDITOR, "editor"))
    assert OVERVIEW not in client.get("/admin/").content.decode()


# --- A department's page --------------------------------------------------------------------------


def test_the_department_page_lists_the_missing_business_offices_first(client, world, admin_a):
    client.force_login(admin_a)
    html = client.get(department_url(world, "a")).content.decode()
    missing = html.index('id="missing-business-offices"')
    assert missing < html.index('id="department-summary"') < html.index('id="department-offices"')
    block = html[missing:html.index("</section>", missing)]
    assert "业务科1" in block and "业务科2" in block and "2 个业务机构尚未参与" in block
    assert f'data-flag="finance_only">{flag_label("finance_only")}<' in html
    # Heads, requirements and learners with their names (the department's own page).
    assert "101H" in html and world["a"]["head"].user.first_name in html
    assert re.search(r'data-staff-number="101B0"', html)
    assert 'data-requirement="' in html and "绩效管理全流程" in html
    assert "市教育局" in html and EVIL not in html and "201B0" not in html


def test_the_bureau_sees_any_department_page_and_the_overview_link(client, world):
    client.force_login(bureau_staff())
    html = client.get(department_url(world, "b")).content.decode()
    assert "201B0" in html and "201B1" in html
    assert f"{OVERVIEW}?year={world['year']}" in html
    assert "每个业务机构都已参与" not in html  # one of two is missing
    assert html.count('data-office="') >= 3


def test_learners_are_paginated_and_a_hostile_page_is_harmless(client, world, admin_a,
                                                              monkeypatch):
    from assessments.admin import dashboards

    monkeypatch.setattr(dashboards, "LEARNERS_PER_PAGE", 2)
    client.force_login(admin_a)
    url = department_url(world, "a")
    first = client.get(url).content.decode()
    assert len(re.findall(r'<tr data-staff-number=', first)) == 2
    assert 'aria-label="' in first and "?page=2" in first
    for page in ("2", "999", "abc", "-1", "9" * 40):
        assert client.get(f"{url}?page={page}").status_code == 200, page


# --- JSON -----------------------------------------------------------------------------------------


def test_the_json_report_is_scoped(client, world, admin_a, monkeypatch):
    calls = []

    def fake_report(*, year, department_code=None):
        calls.append((year, department_code))
        codes = [department_code] if department_code else ["101", "201"]
        return {"year": year, "departments": [{"code": code, "name": "名"} for code in codes]}

    from assessments.admin import dashboards

    monkeypatch.setattr(dashboards, "participation_report", fake_report)
    client.force_login(admin_a)
    data = json.loads(client.get(report_url(world)).content)
    assert [d["code"] for d in data["departments"]] == ["101"]
    assert calls == [(world["year"], "101")]
    client.force_login(bureau_staff())
    data = json.loads(client.get(report_url(world)).content)
    assert [d["code"] for d in data["departments"]] == ["101", "201"]
    data = json.loads(client.get(f"{report_url(world)}?department=201").content)
    assert [d["code"] for d in data["departments"]] == ["201"]
    assert client.get(f"{report_url(world)}?department=999").status_code == 404


# --- Home panel -----------------------------------------------------------------------------------


def test_the_home_panel_of_a_department_admin_and_of_the_bureau(client, world, admin_a):
    client.force_login(admin_a)
    html = client.get("/admin/").content.decode()
    panel = html[html.index('id="assessment-panel"'):]
    panel = panel[:panel.index("</section>")]
    assert "市教育局" in panel and 'data-missing-business="2"' in panel
    assert department_url(world, "a") in panel and "0/2" in panel
    assert EVIL not in html and "&lt;script&gt;" not in panel
    client.force_login(bureau_staff())
    html = client.get("/admin/").content.decode()
    panel = html[html.index('id="assessment-panel"'):]
    panel = panel[:panel.index("</section>")]
    assert re.search(r'data-flag-count="finance_only">\D*1\D', panel)
    assert OVERVIEW in panel


def test_no_home_panel_for_editors_or_without_a_plan(client, db):
    client.force_login(bureau_staff())
    assert 'id="assessment-panel"' not in client.get("/admin/").content.decode()


# --- Query budgets --------------------------------------------------------------------------------


def _more_departments(course, plan, count: int, start: int) -> None:
    for number in range(start, start + count):
        world = department_with_offices(f"9{number:02d}", f"区{number}", course=course,
                                        kind="district", business_done=1)
        record_completions(world, course)
    assign(plan)


def test_overview_queries_do_not_grow_with_departments(client, world, course,
                                                       django_assert_max_num_queries):
    client.force_login(bureau_staff())
    open_plan(("business", course), today=timezone.localdate() - dt.timedelta(days=366),
              title="上一年度计划")
    assert_listing_budget(
        client, OVERVIEW, budget=45,
        grow=lambda: _more_departments(course, world["plan"], 6, 10),
        assert_max_num_queries=django_assert_max_num_queries)
    assert len(row_codes(client.get(OVERVIEW).content.decode())) == 8


def test_department_page_queries_do_not_grow_with_learners(client, world, course, admin_a,
                                                           django_assert_max_num_queries):
    client.force_login(admin_a)
    a = world["a"]

    def grow():
        for number in range(12):
            learner = make_learner(a["department"], "business", f"101X{number}",
                                   office=a["business"][number % 2][0])
            if number % 3 == 0:
                complete(learner, course)
        _more_departments(course, world["plan"], 3, 30)

    assert_listing_budget(client, department_url(world, "a"), budget=45, grow=grow,
                          assert_max_num_queries=django_assert_max_num_queries)


def test_home_panel_and_json_queries_do_not_grow(client, world, course, admin_a,
                                                 django_assert_max_num_queries):
    client.force_login(bureau_staff())
    assert_listing_budget(
        client, "/admin/", budget=60,
        grow=lambda: _more_departments(course, world["plan"], 4, 50),
        assert_max_num_queries=django_assert_max_num_queries)


def test_plans_of_other_years_can_be_chosen(client, world, course):
    TrainingPlan.objects.filter(pk=world["plan"].pk).update(year=world["year"])
    client.force_login(bureau_staff())
    html = client.get(f"{OVERVIEW}?year={world['year']}").content.decode()
    assert f'<option value="{world["year"]}" selected>' in html


def test_the_real_json_report_of_a_department_admin_is_their_department(client, world,
                                                                      admin_a):
    client.force_login(admin_a)
    response = client.get(report_url(world))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["year"] == world["year"] and [d["code"] for d in data["departments"]] == ["101"]
    department = data["departments"][0]
    assert department["offices"]["business"]["total"] == 2
    assert department["offices"]["business"]["participating"] == 0
    assert {"finance_only", "head_incomplete", "low_business_coverage"} <= set(
        department["flags"])
    assert "市教育局" in response.content.decode()  # not \u-escaped
    assert "business_office_coverage" in data["definitions"]


def test_json_report_queries_do_not_grow_with_departments(client, world, course,
                                                          django_assert_max_num_queries):
    client.force_login(bureau_staff())
    assert_listing_budget(
        client, report_url(world), budget=25,
        grow=lambda: _more_departments(course, world["plan"], 6, 70),
        assert_max_num_queries=django_assert_max_num_queries)
    assert len(json.loads(client.get(report_url(world)).content)["departments"]) == 8


def test_a_department_the_plan_does_not_target(client, course):
    world = department_with_offices("101", "市教育局", course=course)
    other = department_with_offices("301", "市审计局", course=course)
    plan = open_plan(("business", course), departments=[world["department"]])
    admin = department_admin(other["department"], "admin_other")
    url = f"/admin/assessment/{plan.year}/departments/{other['department'].pk}/"
    client.force_login(bureau_staff())
    html = client.get(OVERVIEW).content.decode()
    assert row_codes(html) == ["101"]
    response = client.get(url)
    assert response.status_code == 200 and 'id="not-targeted"' in response.content.decode()
    client.force_login(admin)
    assert client.get(url).status_code == 200
    assert client.get(f"/admin/assessment/{plan.year}/report.json").status_code == 404
    assert 'id="assessment-panel"' not in client.get("/admin/").content.decode()
