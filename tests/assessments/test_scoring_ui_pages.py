"""考核评分 in the admin: results, score sheets, the appeals inbox and the audit trail, URL by URL
for bureau staff, department admins (own and foreign department), learners and anonymous
visitors; ids out of range; the sheet's content and the locked banner; query counts."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from assessments import services
from assessments.models import Appeal, SchemeItem
from tests.assessments.scoring_helpers import participation_of
from tests.assessments.scoring_ui_helpers import *  # noqa: F403 - the fixtures
from tests.assessments.scoring_ui_helpers import YEAR, item, score, sheet_url
from tests.courses.membership_helpers import department_admin
from tests.departments.factories import DepartmentFactory
from tests.query_budget import assert_listing_budget

pytestmark = pytest.mark.django_db

def get_urls(dept) -> list[str]:
    return [reverse("assessment_scoring:results", args=[YEAR]), sheet_url(dept),
            reverse("assessment_scoring:appeals", args=[YEAR]),
            reverse("assessment_scoring:audit", args=[YEAR])]


# --- Who reaches which page ---------------------------------------------------------------------


def test_bureau_staff_reach_every_page_of_every_department(client, scheme, bureau, dept_a,
                                                           dept_b):
    client.force_login(bureau)
    for url in [*get_urls(dept_a), sheet_url(dept_b)]:
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("assessment_scoring:index")).url == reverse(
        "assessment_scoring:results", args=[YEAR])


def test_a_department_admin_reads_their_own_sheet_and_gets_404_for_another(client, scheme,
                                                                           admin_a, dept_a,
                                                                           dept_b):
    client.force_login(admin_a)
    for url in get_urls(dept_a):
        assert client.get(url).status_code == 200, url
    assert client.get(sheet_url(dept_b)).status_code == 404
    assert client.get(reverse("assessment_scoring:audit", args=[YEAR]),
                      {"department": dept_b.pk}).status_code == 404
    # One department: the menu's entry point opens their sheet.
    assert client.get(reverse("assessment_scoring:index")).url == sheet_url(dept_a)


def test_the_results_and_audit_of_a_department_admin_show_only_their_department(
        client, scheme, admin_a, dept_a, dept_b):
    client.force_login(admin_a)
    html = client.get(reverse("assessment_scoring:results", args=[YEAR])).content.decode()
    assert 'data-department="101"' in html and 'data-department="201"' not in html
    html = client.get(reverse("assessment_scoring:audit", args=[YEAR])).content.decode()
    assert "市教育局" in html and "甲区" not in html


def test_learners_and_anonymous_visitors_reach_nothing(client, scheme, learner, dept_a):
    urls = [*get_urls(dept_a), reverse("assessment_scoring:index"),
            reverse("assessment_schemes:index")]
    client.force_login(learner)  # no admin access at all: sent to the login page
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response.url, url
    for url in (reverse("assessment_scoring:compute", args=[YEAR]),
                reverse("assessment_scoring:appeal_file",
                        args=[YEAR, dept_a.pk, scheme.items.first().pk])):
        assert client.post(url, {"reason": "x"}).status_code == 302, url
    assert not Appeal.objects.exists()
    client.logout()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response.url, url


def test_unknown_years_and_ids_out_of_range_are_404(client, scheme, bureau, dept_a):
    client.force_login(bureau)
    huge = 10**20
    for url in (f"/admin/assessment-scores/{YEAR}/departments/{huge}/",
                f"/admin/assessment-scores/{huge}/",
                f"/admin/assessment-scores/{huge}/departments/{dept_a.pk}/",
                f"/admin/assessment-scores/{YEAR}/departments/abc/",
                f"/admin/assessment-scores/{YEAR}/departments/0/",
                f"/admin/assessment-scores/{YEAR + 1}/",
                f"/admin/assessment-scores/{YEAR}/departments/{dept_a.pk + 1000}/"):
        assert client.get(url).status_code == 404, url
    for url in (f"/admin/assessment-scores/{YEAR}/scores/{huge}/override/",
                f"/admin/assessment-scores/{YEAR}/appeals/{huge}/answer/",
                f"/admin/assessment-scores/{YEAR}/departments/{dept_a.pk}/items/{huge}/manual/",
                f"/admin/assessment-scores/{huge}/lock/"):
        assert client.post(url, {"reason": "x"}).status_code == 404, url
    assert client.get(reverse("assessment_scoring:audit", args=[YEAR]),
                      {"department": "1 OR 1=1"}).status_code == 404
    assert client.get(reverse("assessment_scoring:appeals", args=[YEAR]),
                      {"page": "9" * 30, "status": "<x>"}).status_code == 200


def test_the_menu_item_is_for_the_bureau_and_department_admins(client, scheme, bureau,
                                                              admin_a, learner):
    url = reverse("assessment_scoring:index")
    client.force_login(bureau)
    assert url in client.get("/admin/").content.decode()
    client.force_login(admin_a)
    html = client.get("/admin/").content.decode()
    assert url in html and reverse("assessment_schemes:index") not in html


# --- What the pages show ------------------------------------------------------------------------


def test_the_sheet_explains_each_item(client, scheme, bureau, dept_a):
    client.force_login(bureau)
    html = client.get(sheet_url(dept_a)).content.decode()
    row = html[html.index('data-item="training-completion"'):]
    row = row[:row.index("</tr>")]
    # 90 % weighted completion, linear 60 % → 90 %: the full 1.5 points.
    assert "90%" in row and "1.50" in row and 'data-source="computed"' in row
    assert "60%" in row and "90%" in row  # the rule in words
    assert 'id="override-' in html and 'id="manual-' in html  # the bureau's forms
    assert 'id="scheme-compute-form"' in html and 'id="scheme-lock-form"' in html


def test_a_department_admin_sees_no_bureau_form_but_can_appeal(client, scheme, admin_a, dept_a):
    client.force_login(admin_a)
    html = client.get(sheet_url(dept_a)).content.decode()
    assert 'id="override-' not in html and 'id="manual-' not in html
    assert 'id="scheme-compute-form"' not in html and "scheme-lock-form" not in html
    assert f'id="appeal-{item(scheme, "training-heads").pk}"' in html


def test_results_rank_ties_and_link_each_sheet(client, scheme, bureau, dept_a, dept_b):
    services.score_manual_set(scheme=scheme, department=dept_b, item=item(scheme, "org-rules"),
                              points="2.5", evidence="制度文件齐全", user=bureau)
    # A: 1 + 1.5 + 0.75 = 3.25; B: 0 + 0 + 0 + 2.5 = 2.5 → set B's heads to 0.75 to tie.
    services.score_override(score=score(scheme, dept_b, "training-heads"), points="0.75",
                            reason="负责人培训补充材料", user=bureau)
    client.force_login(bureau)
    html = client.get(reverse("assessment_scoring:results", args=[YEAR])).content.decode()
    assert html.count('data-rank="1"') == 2 and html.count("并列") == 2
    assert sheet_url(dept_a) in html and sheet_url(dept_b) in html


def test_the_locked_banner_names_who_locked_and_hides_the_forms(client, scheme, bureau,
                                                                admin_a, dept_a):
    bureau.first_name = "王科长"
    bureau.save()
    services.scheme_lock(scheme=scheme, user=bureau)
    client.force_login(bureau)
    html = client.get(sheet_url(dept_a)).content.decode()
    assert 'id="scheme-locked"' in html and "王科长" in html
    assert 'id="override-' not in html and 'id="manual-' not in html
    assert 'id="scheme-unlock-form"' in html and 'id="scheme-compute-form"' not in html
    client.force_login(admin_a)
    html = client.get(sheet_url(dept_a)).content.decode()
    assert 'id="scheme-locked"' in html and 'id="appeal-' not in html
    assert "scheme-unlock-form" not in html


def test_without_a_scheme_the_entry_point_says_so(client, bureau, dept_a):
    client.force_login(bureau)
    html = client.get(reverse("assessment_scoring:index")).content.decode()
    assert reverse("assessment_schemes:index") in html
    assert client.get(reverse("assessment_scoring:results", args=[YEAR])).status_code == 404


def test_the_sheet_costs_the_same_queries_with_more_items_and_history(
        client, scheme, bureau, dept_a, django_assert_max_num_queries):
    client.force_login(bureau)

    def grow():
        SchemeItem.objects.bulk_create([
            SchemeItem(scheme=scheme, sort_order=10 + n, group=f"组{n % 3}", code=f"extra-{n}",
                       name=f"附加{n}", max_points=Decimal("2")) for n in range(12)])
        for n in range(6):
            services.score_manual_set(scheme=scheme, department=dept_a,
                                      item=item(scheme, f"extra-{n}"), points="1",
                                      evidence=f"材料{n}", user=bureau)
        services.appeal_file(scheme=scheme, department=dept_a, item=item(scheme, "extra-1"),
                             reason="应为满分", user=department_admin(dept_a, "admin_x"))

    assert_listing_budget(client, sheet_url(dept_a), budget=30, grow=grow,
                          assert_max_num_queries=django_assert_max_num_queries)


def test_the_results_cost_the_same_queries_with_more_departments(
        client, scheme, bureau, dept_a, django_assert_max_num_queries):
    client.force_login(bureau)

    def grow():
        more = [DepartmentFactory(code=f"9{n:02d}") for n in range(8)]
        services.scores_compute(scheme=scheme, participation=[
            participation_of(department) for department in [dept_a, *more]])

    assert_listing_budget(client, reverse("assessment_scoring:results", args=[YEAR]),
                          budget=25, grow=grow,
                          assert_max_num_queries=django_assert_max_num_queries)


def test_the_appeals_inbox_lists_pending_first_for_the_bureau(client, scheme, bureau, admin_a,
                                                            dept_a):
    services.appeal_file(scheme=scheme, department=dept_a, item=item(scheme, "training-heads"),
                         reason="负责人已完成", user=admin_a)
    client.force_login(bureau)
    html = client.get(reverse("assessment_scoring:appeals", args=[YEAR]),
                      {"status": "pending"}).content.decode()
    assert "负责人已完成" in html and 'id="appeal-answer-' in html
    html = client.get(reverse("assessment_scoring:appeals", args=[YEAR]),
                      {"status": "answered"}).content.decode()
    assert "负责人已完成" not in html
    assert re.search(r"appeal-answer-\d+", client.get(
        reverse("assessment_scoring:appeals", args=[YEAR])).content.decode())
    assert Appeal.objects.count() == 1
