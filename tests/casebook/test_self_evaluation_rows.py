"""单位自评 as structured rows: the admin editor and its Chinese validation, the conversion
from and back to the JSON of old, the migration (and Wagtail revisions), and the unchanged
case page and exercise on seeded data."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from casebook.demo_cases import CASES
from casebook.models import CasePage, SelfEvaluationRow
from casebook.rules.selfeval import score_self_evaluation
from casebook.rules.selfeval_rows import (
    ROW_FIELDS,
    join_self_evaluation,
    self_evaluation_errors,
    split_self_evaluation,
)
from casebook.services import case_upsert, functional_class_current

from .factories import CLEAN_ROWS, SELF_EVALUATION, case_data

pytestmark = pytest.mark.django_db

BEFORE = ("casebook", "0003_exercises_submissions")


def _row_form(row: dict) -> dict:
    """A self-evaluation row as the admin's inline form posts it."""
    return {name: "" if row.get(name) is None else str(row.get(name, ""))
            for name in ROW_FIELDS}


def _case_form(*, rows: list[dict], budget="48", executed="45.6", code="CASE-ADM-SE",
               **fields) -> dict:
    data = {
        "title": "2025年预算绩效管理培训项目（后台）", "slug": "", "code": code,
        "department": "某市财政局", "func_class": functional_class_current(code="205").pk,
        "func_subclass": "", "year": "2025", "budget_wan": "860", "funding_source": "本级财政",
        "project_type": "new", "framework": "2021", "difficulty": "medium",
        "stages": ["evaluation"], "background": "背景",
        "overall_goal": case_data()["overall_goal"], "annual_goal": case_data()["annual_goal"],
        "monitoring_month": "", "monitoring_budget_wan": "", "monitoring_executed_wan": "",
        "selfeval_budget_wan": budget, "selfeval_executed_wan": executed,
        "self_evaluation_remarks": "", "findings": "", "rectification": "",
        "teaching_good": "", "teaching_mistakes": "",
        "reference_rows": inline_formset([dict(row) for row in CLEAN_ROWS]),
        "monitoring_rows": inline_formset([]),
        "self_evaluation_rows": inline_formset([_row_form(row) for row in rows]),
    }
    data.update(fields)
    return nested_form_data(data)


def _post_new(admin_client, case_index, form):
    url = reverse("wagtailadmin_pages:add", args=["casebook", "casepage", case_index.pk])
    return admin_client.post(url, {**form, "action-publish": "publish"})


def _form_errors(response) -> str:
    form = response.context["form"]
    texts = [str(e) for e in form.non_field_errors()]
    for formset in form.formsets.values():
        for child in formset.forms:
            texts.extend(f"{name}: {' '.join(errors)}" for name, errors in child.errors.items())
    return " ".join(texts)


# --- Admin ---------------------------------------------------------------------------------


def test_admin_creates_a_case_with_self_evaluation_rows_that_score_as_the_json_did(
        admin_client, case_index, client):
    response = _post_new(admin_client, case_index, _case_form(rows=SELF_EVALUATION["rows"]))
    assert response.status_code == 302, _form_errors(response)
    case = CasePage.objects.get(code="CASE-ADM-SE")
    assert case.live and case.self_evaluation_rows.count() == 10
    assert case.selfeval_budget_wan == Decimal("48.00")
    assert case.self_evaluation == SELF_EVALUATION
    assert score_self_evaluation(case.self_evaluation).total == 91.72
    page = client.get(case.url).content.decode()
    assert "单位自评表" in page and "91.72" in page and "培训人次" in page


def test_admin_edit_changes_a_row_and_the_page_shows_the_new_score(admin_client, make_case,
                                                                    client):
    case = make_case()
    rows = copy.deepcopy(SELF_EVALUATION["rows"])
    rows[1]["actual"] = 1200  # 培训人次 now met: 7.24 -> 8 points, total 92.48
    edit = reverse("wagtailadmin_pages:edit", args=[case.pk])
    ids = [row.pk for row in case.self_evaluation_rows.all()]
    reference = [{**row, "id": saved.pk}
                 for row, saved in zip(CLEAN_ROWS, case.reference_rows.all(), strict=True)]
    form = _case_form(
        rows=rows, code=case.code, title=case.title,
        reference_rows=inline_formset(reference, initial=len(reference)),
        self_evaluation_rows=inline_formset(
            [{**_row_form(row), "id": pk} for row, pk in zip(rows, ids, strict=True)],
            initial=len(ids)))
    response = admin_client.post(edit, {**form, "action-publish": "publish"})
    assert response.status_code == 302, _form_errors(response)
    case.refresh_from_db()
    assert [row.pk for row in case.self_evaluation_rows.all()] == ids
    assert [row.actual for row in case.self_evaluation_rows.all()][1] == "1200"
    assert "92.48" in client.get(case.url).content.decode()


def test_admin_edit_form_shows_the_self_evaluation_rows(admin_client, make_case):
    case = make_case()
    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[case.pk])).content.decode()
    assert 'name="self_evaluation_rows-TOTAL_FORMS" value="10"' in html
    assert "培训人次" in html and "单位自评" in html


@pytest.mark.parametrize(("change", "message"), [
    (lambda rows: rows[0].update(points=20), "分值合计为 102，加上预算执行率的 10 分应为 90"),
    (lambda rows: rows[0].update(points=None), "要么每一行都填写分值，要么都不填"),
])
def test_admin_refuses_points_that_do_not_add_up_in_chinese(admin_client, case_index, change,
                                                             message):
    rows = copy.deepcopy(SELF_EVALUATION["rows"])
    change(rows)
    response = _post_new(admin_client, case_index, _case_form(rows=rows))
    assert response.status_code == 200
    errors = _form_errors(response)
    assert "单位自评无法评分" in errors and message in errors
    assert not CasePage.objects.filter(code="CASE-ADM-SE").exists()
    assert not SelfEvaluationRow.objects.exists()


def test_admin_refuses_a_draft_without_budget_amounts(admin_client, case_index):
    url = reverse("wagtailadmin_pages:add", args=["casebook", "casepage", case_index.pk])
    response = admin_client.post(url, _case_form(rows=SELF_EVALUATION["rows"], budget="",
                                                 executed=""))
    assert response.status_code == 200
    assert "请填写年度预算数和执行数" in _form_errors(response)
    assert not CasePage.objects.filter(code="CASE-ADM-SE").exists()


@pytest.mark.parametrize(("change", "message"), [
    ({"target": "约1200"}, "定量指标的年度指标值请填写数字或日期"),
    ({"actual": ""}, "实际完成值请填写数字或日期"),
    ({"actual": "2025-11-20"}, "年度指标值和实际完成值必须同为日期或同为数字"),
    ({"op": "qualitative", "target": "", "actual": ""}, "请选择定性指标的完成程度"),
    ({"op": "qualitative", "band": "部分达成", "band_percent": 95}, "百分比须在该档区间内：60-80%"),
])
def test_admin_refuses_rows_the_scorer_cannot_read_with_chinese_field_errors(
        admin_client, case_index, change, message):
    rows = copy.deepcopy(SELF_EVALUATION["rows"])
    rows[1].update(change)
    response = _post_new(admin_client, case_index, _case_form(rows=rows))
    assert response.status_code == 200
    assert message in _form_errors(response)
    assert not CasePage.objects.filter(code="CASE-ADM-SE").exists()


def test_admin_accepts_a_qualitative_row_with_its_band(admin_client, case_index):
    rows = copy.deepcopy(SELF_EVALUATION["rows"])
    rows[1].update(op="qualitative", target="", actual="", band="部分达成", band_percent=70,
                   explanation="培训覆盖面不足，下年度增加线上课程")
    response = _post_new(admin_client, case_index, _case_form(rows=rows))
    assert response.status_code == 302, _form_errors(response)
    case = CasePage.objects.get(code="CASE-ADM-SE")
    assert score_self_evaluation(case.self_evaluation).rows[1].score == 5.6  # 8 × 70 %


# --- Services and conversion -----------------------------------------------------------------


def test_case_upsert_refuses_an_unscorable_self_evaluation_and_writes_nothing(case_index):
    data = case_data(self_evaluation={"budget_wan": 48, "executed_wan": 45.6,
                                      "rows": [{"name": "培训人次", "level1": "产出指标",
                                                "op": ">=", "target": "很多", "actual": 1086}]})
    with pytest.raises(ValueError, match="Self-evaluation row 1, target"):
        case_upsert(index=case_index, data=data)
    assert not CasePage.objects.filter(code=data["code"]).exists()


@pytest.mark.parametrize("code", [case["code"] for case in CASES if case["self_evaluation"]])
def test_demo_json_survives_the_round_trip_through_rows(code):
    original = next(case for case in CASES if case["code"] == code)["self_evaluation"]
    parts = split_self_evaluation(original)
    joined = join_self_evaluation(budget_wan=parts["budget_wan"],
                                  executed_wan=parts["executed_wan"], rows=parts["rows"],
                                  remarks=parts["remarks"])
    results = {"total", "grade", "score"}
    assert joined == {key: value if key != "rows" else
                      [{k: v for k, v in row.items() if k not in results} for row in value]
                      for key, value in original.items() if key not in results}
    assert score_self_evaluation(joined).total == original["total"]
    assert self_evaluation_errors(joined) == []


def test_keys_outside_the_format_become_remarks_instead_of_being_lost():
    parts = split_self_evaluation({"budget_total": 10, "budget_executed": 9, "备注": "抽查",
                                   "rows": [{"name": "a", "level1": "产出指标", "op": ">=",
                                             "target": 1, "actual": 1, "weight": 90,
                                             "来源": "年报"}]})
    assert parts["budget_wan"] == Decimal("10") and parts["rows"][0]["points"] == Decimal("90")
    assert parts["remarks"].splitlines()[0] == "抽查" and "来源：年报" in parts["remarks"]


# --- Migration and revisions -------------------------------------------------------------------


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target)


@pytest.mark.django_db(transaction=True)
def test_migration_moves_json_to_rows_and_back_and_a_revision_publish_keeps_the_rows(
        case_index):
    case = case_upsert(index=case_index, data=case_data())
    # Every app's leaf: going back to BEFORE also unapplies the migrations of apps that depend
    # on casebook (courses), and they must be re-applied for the tests that follow.
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old_apps = _migrate([BEFORE]).apps
        page = old_apps.get_model("casebook", "CasePage").objects.get(pk=case.pk)
        assert page.self_evaluation == SELF_EVALUATION
        revision = old_apps.get_model("wagtailcore", "Revision").objects.filter(
            object_id=str(case.pk)).latest("pk")
        assert revision.content["self_evaluation"] == SELF_EVALUATION
        assert "self_evaluation_rows" not in revision.content
    finally:
        _migrate(latest)
    case = CasePage.objects.get(pk=case.pk)
    assert case.self_evaluation == SELF_EVALUATION
    row_ids = [row.pk for row in case.self_evaluation_rows.all()]
    assert len(row_ids) == 10
    revision = case.latest_revision
    assert [row["pk"] for row in revision.content["self_evaluation_rows"]] == row_ids
    # Wagtail publishes from the revision's content: the rows and amounts must survive it.
    revision.publish()
    case = CasePage.objects.get(pk=case.pk)
    assert [row.pk for row in case.self_evaluation_rows.all()] == row_ids
    assert case.self_evaluation == SELF_EVALUATION
