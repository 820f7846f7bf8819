"""Case pages: tree rules, admin creation with inline rows, the checker gate, rendering,
listing filters and query budgets, idempotent upserts."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import Page
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from casebook.forms import PUBLISH_BLOCKED
from casebook.models import CaseIndexPage, CasePage
from casebook.services import (
    ERROR_BAD_BUDGET,
    ERROR_UNKNOWN_CLASS,
    case_index_ensure,
    case_upsert,
    functional_class_current,
)
from portal.models import HomePage, SearchEntry

from .factories import CLEAN_ROWS, case_data

pytestmark = pytest.mark.django_db


# --- Tree rules -------------------------------------------------------------------------------


def test_case_index_lives_under_home_once_and_holds_only_cases(case_index, home):
    assert CaseIndexPage.allowed_parent_page_models() == [HomePage]
    assert not CaseIndexPage.can_create_at(home)  # max_count = 1 and one exists
    assert not CaseIndexPage.can_create_at(Page.get_first_root_node())
    assert CaseIndexPage.allowed_subpage_models() == [CasePage]
    assert case_index.url == "/cases/"


def test_case_page_only_under_case_index_and_has_no_children(case_index, home):
    assert CasePage.can_create_at(case_index)
    assert not CasePage.can_create_at(home)
    assert CasePage.allowed_subpage_models() == []


def test_case_index_ensure_is_idempotent(case_index, home):
    assert case_index_ensure(home=home).pk == case_index.pk
    assert CaseIndexPage.objects.count() == 1


# --- Admin --------------------------------------------------------------------------------------


def _admin_form(rows, **fields):
    edu = functional_class_current(code="205")
    data = {
        "title": "2025年校舍维修项目（后台）", "slug": "", "code": "CASE-ADM-01",
        "department": "某市教育局", "func_class": edu.pk, "func_subclass": "",
        "year": "2025", "budget_wan": "860", "funding_source": "本级财政",
        "project_type": "new", "framework": "2021", "difficulty": "medium",
        "stages": ["goals"], "background": "背景",
        "overall_goal": case_data()["overall_goal"], "annual_goal": case_data()["annual_goal"],
        "monitoring_month": "", "monitoring_budget_wan": "", "monitoring_executed_wan": "",
        "selfeval_budget_wan": "", "selfeval_executed_wan": "", "self_evaluation_remarks": "",
        "self_evaluation_rows": inline_formset([]), "findings": "", "rectification": "",
        "teaching_good": "", "teaching_mistakes": "",
        "reference_rows": inline_formset(rows),
        "monitoring_rows": inline_formset([]),
    }
    data.update(fields)
    return nested_form_data(data)


def _add_url(parent):
    return reverse("wagtailadmin_pages:add", args=["casebook", "casepage", parent.pk])


def test_case_creatable_in_admin_with_inline_rows(admin_client, case_index):
    response = admin_client.post(_add_url(case_index),
                                 {**_admin_form(CLEAN_ROWS), "action-publish": "publish"})
    assert response.status_code == 302, response.context["form"].errors
    case = CasePage.objects.get(code="CASE-ADM-01")
    assert case.live and case.slug.isascii()
    assert [row.name for row in case.reference_rows.all()] == [r["name"] for r in CLEAN_ROWS]
    assert case.reference_table()["indicators"][1]["value"] == "5000"
    assert SearchEntry.objects.filter(page=case).exists()


def test_publish_blocked_when_checker_reports_errors(admin_client, case_index):
    rows = [dict(row) for row in CLEAN_ROWS]
    rows[1]["unit"] = ""  # R05: a quantitative indicator without a unit
    response = admin_client.post(_add_url(case_index),
                                 {**_admin_form(rows), "action-publish": "publish"})
    assert response.status_code == 200
    errors = " ".join(str(e) for e in response.context["form"].non_field_errors())
    # The message constant, in whatever language the admin renders (Chinese by default).
    assert str(PUBLISH_BLOCKED).split("：")[0].split(":")[0] in errors and "R05" in errors
    assert not CasePage.objects.filter(code="CASE-ADM-01").exists()


def test_draft_with_checker_errors_is_saved_with_a_warning(admin_client, case_index):
    rows = [dict(row) for row in CLEAN_ROWS]
    rows[1]["unit"] = ""
    response = admin_client.post(_add_url(case_index), _admin_form(rows), follow=True)
    assert response.status_code == 200
    case = CasePage.objects.get(code="CASE-ADM-01")
    assert not case.live
    shown = " ".join(str(m) for m in response.context["messages"])
    assert "R05" in shown


def test_admin_edit_form_renders_for_a_seeded_case(admin_client, make_case):
    case = make_case()
    response = admin_client.get(reverse("wagtailadmin_pages:edit", args=[case.pk]))
    assert response.status_code == 200
    assert "reference_rows-TOTAL_FORMS" in response.content.decode()


# --- Services -----------------------------------------------------------------------------------


def test_case_upsert_is_idempotent_and_publishes_only_changes(case_index):
    data = case_data()
    case = case_upsert(index=case_index, data=data)
    revisions = case.revisions.count()
    again = case_upsert(index=case_index, data=data)
    assert again.pk == case.pk and again.revisions.count() == revisions
    changed = case_upsert(index=case_index, data={**data, "findings": "新的问题"})
    assert changed.revisions.count() == revisions + 1 and changed.findings == "新的问题"


def test_case_upsert_rejects_a_table_with_checker_errors(case_index):
    data = case_data()
    data["indicators"][1]["unit"] = ""
    with pytest.raises(ValueError, match="R05"):
        case_upsert(index=case_index, data=data)
    assert not CasePage.objects.exists()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("budget_wan", 0, ERROR_BAD_BUDGET.format(value=0)),
    ("budget_wan", "abc", ERROR_BAD_BUDGET.format(value="abc")),
    ("budget_wan", "NaN", ERROR_BAD_BUDGET.format(value="NaN")),
    ("func_class_code", "999", ERROR_UNKNOWN_CLASS.format(code="999")),
])
def test_case_upsert_rejects_bad_input_before_writing(case_index, field, value, message):
    with pytest.raises(ValueError) as exc:
        case_upsert(index=case_index, data=case_data(**{field: value}))
    assert str(exc.value) == message
    assert not CasePage.objects.exists()


def test_reference_table_is_in_the_interchange_format(make_case):
    case = make_case()
    table = case.reference_table()
    assert set(table) >= {"framework", "project", "budget_wan", "year", "multi_year",
                          "overall_goal", "indicators"}
    assert table["budget_wan"] == 860 and table["framework"] == "2021"
    assert set(table["indicators"][0]) == {"level1", "level2", "name", "op", "value", "unit",
                                           "basis", "explanation", "history"}
    assert table["indicators"][-1]["history"] == "88"


# --- Rendering ----------------------------------------------------------------------------------


def test_case_page_renders_the_goal_form(client, make_case, django_assert_max_num_queries):
    case = make_case()
    # 16: the self-evaluation rows and the bureau's scoring settings (issue 8).
    with django_assert_max_num_queries(16):
        response = client.get(case.url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "校舍维修改造单位造价" in html and "≤" in html and "元/平方米" in html
    assert 'rowspan="4"' in html  # 产出指标 spans its four rows
    assert "91.72" in html and "培训人次" in html  # self-evaluation as a table
    assert "2600" in html  # monitoring progress


def test_case_page_query_count_does_not_grow_with_rows(client, make_case,
                                                       django_assert_max_num_queries):
    rows = [dict(r) for r in CLEAN_ROWS] + [
        {**CLEAN_ROWS[2], "name": f"实施改造学校数（第{i}批）"} for i in range(10)]
    case = make_case(indicators=rows)
    with django_assert_max_num_queries(16):
        assert client.get(case.url).status_code == 200


def test_html_in_case_text_is_escaped(client, make_case):
    case = make_case(background="<script>alert(1)</script>",
                     findings="<img src=x onerror=alert(1)>",
                     self_evaluation={**case_data()["self_evaluation"],
                                      "remarks": "<b>k</b><i>v</i>"})
    html = client.get(case.url).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "<b>k</b>" not in html


def test_listing_filters_and_search(client, make_case, case_index):
    edu = make_case(difficulty="easy", stages=["goals"])
    health = make_case(func_class_code="210", func_subclass=None, department="某市卫生健康委",
                       title="2025年基本公共卫生服务项目", difficulty="hard",
                       stages=["evaluation"],
                       indicators=[{**CLEAN_ROWS[0], "name": "人均补助标准", "unit": "元/人"},
                                   *CLEAN_ROWS[1:]])

    def titles(query):
        return client.get(f"/cases/?{query}").content.decode()
    assert edu.title in titles("func_class=205") and health.title not in titles("func_class=205")
    assert health.title in titles("stage=evaluation") and edu.title not in titles(
        "stage=evaluation")
    assert health.title in titles("difficulty=hard") and edu.title not in titles(
        "difficulty=hard")
    dept = titles("department=某市卫生健康委")
    assert health.title in dept and edu.title not in dept
    found = titles("q=公共卫生")
    assert health.title in found and edu.title not in found
    # The reference table is an exercise's answer key: its indicator names find nothing.
    assert edu.title not in titles("q=校舍维修改造单位造价")


def test_listing_ignores_bad_filter_values(client, make_case):
    case = make_case()
    for query in ("func_class=abc", "stage=nope", "difficulty=<script>", "department=不存在",
                  "page=999", "page=-1", "q=" + "长" * 500):
        response = client.get(f"/cases/?{query}")
        assert response.status_code == 200
        assert "<script>" not in response.content.decode()
    assert case.title in client.get("/cases/?stage=nope").content.decode()
    # A NUL is refused before any view (portal.middleware.RequestTextGuardMiddleware).
    assert client.get("/cases/?q=%00校舍").status_code == 400


def test_listing_query_budget_is_constant(client, make_case, case_index,
                                          django_assert_max_num_queries):
    for _ in range(3):
        make_case()
    with django_assert_max_num_queries(14) as few:
        client.get("/cases/")
    for _ in range(6):
        make_case(func_class_code="210", func_subclass=None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/cases/?page=1")
    assert response.status_code == 200
