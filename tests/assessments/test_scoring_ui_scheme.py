"""考核方案 in the admin: bureau staff only; items checked by the scoring rules (thresholds in
order, an automatic item needs a metric and a rule, unique codes); a locked scheme cannot be
edited; every saved edit goes to the audit trail; the default scheme for a year."""

from __future__ import annotations

from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import AssessmentScheme, AuditAction, AuditEntry, SchemeItem
from tests.assessments.scoring_helpers import small_scheme
from tests.assessments.scoring_ui_helpers import *  # noqa: F403 - the fixtures
from tests.assessments.scoring_ui_helpers import YEAR

pytestmark = pytest.mark.django_db


def edit_url(scheme) -> str:
    return reverse("assessment_schemes:edit", args=[scheme.pk])


def form_data(client, url: str) -> dict:
    """The edit form as the browser would send it (every field and inline row as shown)."""
    soup = BeautifulSoup(client.get(url).content.decode(), "html.parser")
    form = next(form for form in soup.find_all("form")
                if form.find("input", attrs={"name": "items-TOTAL_FORMS"}))
    data: dict[str, str] = {}
    for field in form.find_all(["input", "textarea", "select"]):
        name = field.attrs.get("name")
        if not name or "__prefix__" in name or name == "csrfmiddlewaretoken":
            continue
        if field.name == "textarea":
            data[name] = field.get_text()
        elif field.name == "select":
            option = field.find("option", selected=True)
            data[name] = option.attrs.get("value", "") if option else ""
        elif field.attrs.get("type") in ("checkbox", "radio"):
            if "checked" in field.attrs:
                data[name] = field.attrs.get("value", "on")
        else:
            data[name] = field.attrs.get("value", "")
    return data


def row_of(data: dict, code: str) -> str:
    """The formset prefix of the item with this code, e.g. "items-1"."""
    for key, value in data.items():
        if key.startswith("items-") and key.endswith("-code") and value == code:
            return key[:-len("-code")]
    raise KeyError(code)


def test_only_bureau_staff_reach_the_scheme_editor(client, bureau, admin_a, learner):
    scheme = small_scheme(YEAR)
    client.force_login(bureau)
    assert client.get(reverse("assessment_schemes:index")).status_code == 200
    assert client.get(edit_url(scheme)).status_code == 200
    assert client.get(reverse("assessment_schemes:default")).status_code == 200
    for user in (admin_a, learner):
        client.force_login(user)
        for url in (reverse("assessment_schemes:index"), edit_url(scheme),
                    reverse("assessment_schemes:default")):
            assert client.get(url).status_code == 302, url
        assert client.post(reverse("assessment_schemes:default"),
                           {"year": "2030"}).status_code == 302
    assert not AssessmentScheme.objects.filter(year=2030).exists()


def test_an_edit_is_saved_and_written_to_the_audit_trail(client, bureau):
    scheme = small_scheme(YEAR)
    client.force_login(bureau)
    data = form_data(client, edit_url(scheme))
    data["title"] = "2026年度部门预算绩效管理工作考核"
    row = row_of(data, "training-completion")
    data[f"{row}-upper"] = "0.8500"
    response = client.post(edit_url(scheme), data)
    assert response.status_code == 302, response.context["form"].errors if response.context \
        else response
    scheme.refresh_from_db()
    assert scheme.title == "2026年度部门预算绩效管理工作考核"
    assert scheme.items.get(code="training-completion").upper == Decimal("0.85")
    entry = AuditEntry.objects.get(scheme=scheme, action=AuditAction.SCHEME_CHANGED)
    assert entry.user == bureau and "参训完成率" in entry.reason and "标题" in entry.reason


@pytest.mark.parametrize("lower,upper", [("0.9", "0.6"), ("0.6", "0.6")])
def test_thresholds_with_lower_not_below_upper_are_refused(client, bureau, lower, upper):
    scheme = small_scheme(YEAR)
    client.force_login(bureau)
    data = form_data(client, edit_url(scheme))
    row = row_of(data, "training-completion")
    data[f"{row}-lower"], data[f"{row}-upper"] = lower, upper
    response = client.post(edit_url(scheme), data)
    assert response.status_code == 200
    assert "下限必须低于上限" in response.content.decode()
    item = scheme.items.get(code="training-completion")
    assert (item.lower, item.upper) == (Decimal("0.6"), Decimal("0.9"))
    assert not AuditEntry.objects.filter(scheme=scheme).exists()


def test_an_automatic_item_without_a_metric_or_rule_is_refused(client, bureau):
    scheme = small_scheme(YEAR)
    client.force_login(bureau)
    data = form_data(client, edit_url(scheme))
    row = row_of(data, "training-heads")
    data[f"{row}-metric"] = ""
    data[f"{row}-rule"] = ""
    response = client.post(edit_url(scheme), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "自动计分指标须选择统计指标" in html
    assert scheme.items.get(code="training-heads").metric == "heads_completion_rate"


def test_two_items_with_the_same_code_are_refused_in_chinese(client, bureau):
    scheme = small_scheme(YEAR)
    client.force_login(bureau)
    data = form_data(client, edit_url(scheme))
    data[f"{row_of(data, 'org-rules')}-code"] = "training-heads"
    response = client.post(edit_url(scheme), data)
    assert response.status_code == 200
    assert "编码相同" in response.content.decode()
    assert scheme.items.filter(code="org-rules").exists()


def test_a_locked_scheme_cannot_be_edited(client, bureau):
    scheme = small_scheme(YEAR)
    client.force_login(bureau)
    data = form_data(client, edit_url(scheme))
    services.scheme_lock(scheme=scheme, user=bureau)
    html = client.get(edit_url(scheme)).content.decode()
    assert "已锁定" in html
    data["title"] = "改过的标题"
    response = client.post(edit_url(scheme), data)
    assert response.status_code == 200 and "已锁定" in response.content.decode()
    scheme.refresh_from_db()
    assert scheme.title != "改过的标题"
    assert not AuditEntry.objects.filter(action=AuditAction.SCHEME_CHANGED).exists()


def test_a_scheme_with_history_cannot_be_deleted(client, bureau):
    scheme = small_scheme(YEAR)
    services.scheme_lock(scheme=scheme, user=bureau)
    client.force_login(bureau)
    response = client.post(reverse("assessment_schemes:delete", args=[scheme.pk]), follow=True)
    assert AssessmentScheme.objects.filter(pk=scheme.pk).exists()
    assert "不能删除" in response.content.decode()
    fresh = small_scheme(YEAR + 1)  # no history yet: it may go
    client.post(reverse("assessment_schemes:delete", args=[fresh.pk]))
    assert not AssessmentScheme.objects.filter(pk=fresh.pk).exists()


def test_the_default_scheme_for_a_year_is_created_once(client, bureau):
    client.force_login(bureau)
    response = client.post(reverse("assessment_schemes:default"), {"year": "2027"}, follow=True)
    scheme = AssessmentScheme.objects.get(year=2027)
    assert response.redirect_chain[-1][0] == edit_url(scheme)
    assert SchemeItem.objects.filter(scheme=scheme, code="training-heads").exists()
    count = scheme.items.count()
    response = client.post(reverse("assessment_schemes:default"), {"year": "2027"}, follow=True)
    assert "已存在" in response.content.decode()
    assert AssessmentScheme.objects.filter(year=2027).count() == 1
    assert scheme.items.count() == count
    for bad in ("abc", "99999999999999999999", "1999"):
        response = client.post(reverse("assessment_schemes:default"), {"year": bad})
        assert response.status_code == 200, bad
    assert AssessmentScheme.objects.count() == 1


def test_the_edit_page_links_to_the_score_sheets(client, bureau):
    scheme = small_scheme(YEAR)
    AssessmentScheme.objects.filter(pk=scheme.pk).update(computed_at=timezone.now())
    client.force_login(bureau)
    html = client.get(edit_url(scheme)).content.decode()
    assert reverse("assessment_scoring:results", args=[YEAR]) in html


def test_changed_grade_bands_show_in_the_results_at_once(client, bureau, scheme, dept_a):
    from assessments.models import DepartmentResult

    result = DepartmentResult.objects.get(scheme=scheme, department=dept_a)
    assert result.grade == "不合格"  # 3.25 points, 优秀 from 90
    client.force_login(bureau)
    data = form_data(client, edit_url(scheme))
    band = next(key[:-len("-name")] for key, value in data.items()
                if key.startswith("grade_bands-") and key.endswith("-name") and value == "优秀")
    data[f"{band}-min_points"] = "3.00"
    assert client.post(edit_url(scheme), data).status_code == 302
    result.refresh_from_db()
    assert result.grade == "优秀"
