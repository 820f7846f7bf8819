"""The case editor offers the functional classes valid in the case's year and refuses, in
Chinese, a class whose name was not in use that year (issue 9 §4: 207, 210, 220 were renamed
in 2019)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from casebook.models import CasePage, FunctionalClass, FunctionalClassLevel

from .factories import CLEAN_ROWS, case_data

pytestmark = pytest.mark.django_db

CURRENT_210 = "210 卫生健康支出"
FORMER_210 = "210 医疗卫生与计划生育支出（旧称，2014—2018年）"


def _class_row(*, current: bool) -> FunctionalClass:
    rows = FunctionalClass.objects.filter(code="210", level=FunctionalClassLevel.CLASS)
    return rows.get(valid_to__isnull=current)


def _new_case_form(*, year: int, func_class: FunctionalClass) -> dict:
    data = {
        "title": f"{year}年基本公共卫生服务项目", "slug": "", "code": f"CASE-HLT-{year}",
        "department": "某市卫生健康委", "func_class": func_class.pk, "func_subclass": "",
        "year": str(year), "budget_wan": "860", "funding_source": "本级财政",
        "project_type": "new", "framework": "2021", "difficulty": "medium",
        "stages": ["goals"], "background": "背景",
        "overall_goal": case_data()["overall_goal"], "annual_goal": case_data()["annual_goal"],
        "monitoring_month": "", "monitoring_budget_wan": "", "monitoring_executed_wan": "",
        "selfeval_budget_wan": "", "selfeval_executed_wan": "", "self_evaluation_remarks": "",
        "findings": "", "rectification": "", "teaching_good": "", "teaching_mistakes": "",
        "reference_rows": inline_formset([dict(row) for row in CLEAN_ROWS]),
        "monitoring_rows": inline_formset([]),
        "self_evaluation_rows": inline_formset([]),
    }
    return nested_form_data(data)


def _add_url(case_index) -> str:
    return reverse("wagtailadmin_pages:add", args=["casebook", "casepage", case_index.pk])


def _class_options(response) -> list[str]:
    return [label for _value, label in response.context["form"].fields["func_class"].choices]


def test_editor_of_a_2017_case_offers_the_former_name_of_210_only(admin_client, make_case):
    case = make_case(func_class_code="210", func_subclass=None, year=2017)
    assert case.func_class == _class_row(current=False)

    response = admin_client.get(reverse("wagtailadmin_pages:edit", args=[case.pk]))

    options = _class_options(response)
    assert FORMER_210 in options and CURRENT_210 not in options
    assert sum(label.startswith("210 ") for label in options) == 1
    assert FORMER_210 in response.content.decode()


def test_editor_of_a_2025_case_offers_each_class_once_under_its_current_name(
        admin_client, make_case):
    case = make_case(func_class_code="210", func_subclass=None, year=2025)

    options = _class_options(admin_client.get(reverse("wagtailadmin_pages:edit",
                                                      args=[case.pk])))

    assert CURRENT_210 in options and FORMER_210 not in options
    codes = [label.split()[0] for label in options if label[:1].isdigit()]
    assert len(codes) == len(set(codes))  # 207, 210, 220 once each


def test_new_case_starts_in_this_year_with_the_classes_of_this_year(admin_client, case_index):
    response = admin_client.get(_add_url(case_index))

    form = response.context["form"]
    assert form.initial["year"] >= 2025
    assert CURRENT_210 in _class_options(response)
    assert FORMER_210 not in _class_options(response)


def test_saving_a_2017_case_with_the_current_name_is_refused_in_chinese(admin_client,
                                                                         case_index):
    response = admin_client.post(_add_url(case_index), _new_case_form(
        year=2017, func_class=_class_row(current=True)))

    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get("func_class", []))
    assert errors == ("“210 卫生健康支出”不是2017年的支出功能分类，"
                      "请选择“210 医疗卫生与计划生育支出（旧称，2014—2018年）”。")
    assert "不是2017年的支出功能分类" in response.content.decode()
    # Re-shown with the classes of 2017 (and the refused choice, still selected).
    assert FORMER_210 in _class_options(response)
    assert not CasePage.objects.filter(code="CASE-HLT-2017").exists()


def test_saving_a_2025_case_with_the_former_name_is_refused(admin_client, case_index):
    response = admin_client.post(_add_url(case_index), _new_case_form(
        year=2025, func_class=_class_row(current=False)))

    assert response.status_code == 200
    assert "请选择“210 卫生健康支出”" in " ".join(
        response.context["form"].errors["func_class"])
    assert not CasePage.objects.filter(code="CASE-HLT-2025").exists()


def test_saving_a_2017_case_with_the_name_of_2017_is_accepted(admin_client, case_index):
    response = admin_client.post(_add_url(case_index), _new_case_form(
        year=2017, func_class=_class_row(current=False)))

    assert response.status_code == 302, response.context["form"].errors
    case = CasePage.objects.get(code="CASE-HLT-2017")
    assert case.func_class == _class_row(current=False)


def test_case_import_picks_the_row_of_the_year_and_passes_the_same_check(make_case):
    old = make_case(func_class_code="210", func_subclass=None, year=2018, code="CASE-A")
    new = make_case(func_class_code="210", func_subclass=None, year=2019, code="CASE-B")

    assert old.func_class == _class_row(current=False)
    assert new.func_class == _class_row(current=True)
