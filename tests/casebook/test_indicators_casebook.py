"""Indicator library: the gram index, search, the search page, autocomplete, admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.urls import reverse

from casebook import views
from casebook.models import Indicator, IndicatorGram
from casebook.selectors import indicators_search, query_grams
from casebook.services import functional_class_current, indicators_generate, text_grams
from departments import roles
from departments.services import roles_ensure

pytestmark = pytest.mark.django_db

AUTOCOMPLETE = "/casebook/indicators/autocomplete"


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()


@pytest.fixture
def library(make_indicators):
    make_indicators(
        {"name": "学生家长满意度", "level1": "满意度指标", "level2": "服务对象满意度指标",
         "unit": "%"},
        {"name": "校舍维修改造面积", "func_class_code": "205"},
        {"name": "高血压患者规范管理人数", "func_class_code": "210", "func_subclass_code": "",
         "sector": "公共卫生", "unit": "万人"},
        {"name": "居民对基本公共卫生服务满意度", "func_class_code": "210", "func_subclass_code": "",
         "level1": "满意度指标", "level2": "服务对象满意度指标", "unit": "%"},
        {"name": "GDP增长率", "func_class_code": "201", "func_subclass_code": "",
         "level1": "效益指标", "level2": "经济效益指标"},
    )
    return Indicator.objects.all()


def names(queryset):
    return {name.rstrip("0123456789") for name in queryset.values_list("name", flat=True)}


def test_text_grams_are_chars_and_pairs_not_across_spaces():
    assert text_grams("满意度 ab") == {"满", "意", "度", "满意", "意度", "a", "b", "ab"}
    assert query_grams(["满"]) == ["满"]
    assert query_grams(["满意度"]) == ["满意", "意度"]
    assert len(query_grams(["一二三四五六七八九十甲乙丙"])) == 8


def test_grams_written_for_bulk_and_single_saves(library):
    indicator = Indicator.objects.get(name__startswith="学生家长满意度")
    assert IndicatorGram.objects.filter(indicator=indicator, gram="家长").exists()
    indicator.name = "教职工认可度"
    indicator.save()
    assert not IndicatorGram.objects.filter(indicator=indicator, gram="家长").exists()
    assert IndicatorGram.objects.filter(indicator=indicator, gram="认可").exists()
    assert names(indicators_search(q="认可度")) == {"教职工认可度"}
    indicator.delete()
    assert not IndicatorGram.objects.filter(indicator_id=indicator.pk).exists()


@pytest.mark.parametrize(("query", "expected"), [
    ("满意度", {"学生家长满意度", "居民对基本公共卫生服务满意度"}),
    ("满", {"学生家长满意度", "居民对基本公共卫生服务满意度"}),  # one character
    ("血压", {"高血压患者规范管理人数"}),  # two characters
    ("公共卫生", {"居民对基本公共卫生服务满意度", "高血压患者规范管理人数"}),  # sector too
    ("gdp", {"GDP增长率"}),  # case-insensitive
    ("满意度 居民", {"居民对基本公共卫生服务满意度"}),  # every term
    ("度满", set()),  # grams present but not adjacent: the final LIKE removes it
    ("不存在的指标", set()),
])
def test_search_finds_chinese_substrings(library, query, expected):
    assert names(indicators_search(q=query)) == expected


def test_search_filters(library):
    assert names(indicators_search(q="满意度", func_class="210")) == {
        "居民对基本公共卫生服务满意度"}
    assert names(indicators_search(level1="效益指标")) == {"GDP增长率"}
    assert names(indicators_search(level2="数量指标", func_class="205")) == {"校舍维修改造面积"}


@pytest.mark.parametrize("query", ["%", "_", "%%", "\\", "'", "' OR 1=1 --", "满%度",
                                   "<script>", "😀"])
def test_hostile_queries_match_literally(library, query):
    assert list(indicators_search(q=query)) == []


def test_search_agrees_with_a_full_scan_on_generated_data(func_classes):
    indicators_generate(count=400, seed=7)
    for query in ["校舍", "率", "满意度", "维修改造面积", "样例000123", "（样例", "路灯 新建"]:
        terms = query.split()
        expected = {i.pk for i in Indicator.objects.all()
                    if all(t.casefold() in i.search_key for t in terms)}
        assert set(indicators_search(q=query).values_list("pk", flat=True)) == expected, query


# --- Search page --------------------------------------------------------------------------------


def test_library_page_requires_login(client, library):
    response = client.get("/casebook/indicators/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_library_page_searches_and_escapes(learner_client, library, make_indicators,
                                           django_assert_max_num_queries):
    make_indicators({"name": "<script>alert(1)</script>满意度"})
    with django_assert_max_num_queries(12):
        response = learner_client.get("/casebook/indicators/?q=满意度&level1=&func_class=bad")
    html = response.content.decode()
    assert response.status_code == 200
    assert "学生家长满意度" in html and "校舍维修改造面积" not in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


# --- Autocomplete -------------------------------------------------------------------------------


def test_autocomplete_requires_login(client, library):
    response = client.get(AUTOCOMPLETE, {"q": "满意度"})
    assert response.status_code == 401
    assert "results" not in response.json()


def test_autocomplete_returns_matches_with_filters(learner_client, library,
                                                   django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = learner_client.get(AUTOCOMPLETE, {"q": "满意度", "class": "210",
                                                     "level1": "满意度指标"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["name"].rstrip("0123456789") for r in results] == ["居民对基本公共卫生服务满意度"]
    assert set(results[0]) >= {"id", "name", "level1", "level2", "unit", "direction",
                                "func_class"}


def test_autocomplete_caps_results_and_query_count(learner_client, func_classes,
                                                   django_assert_max_num_queries):
    indicators_generate(count=300, seed=3)
    with django_assert_max_num_queries(4):
        response = learner_client.get(AUTOCOMPLETE, {"q": "率"})
    assert len(response.json()["results"]) == 20


def test_autocomplete_ignores_bad_filters_and_empty_queries(learner_client, library):
    assert learner_client.get(AUTOCOMPLETE, {"q": ""}).json() == {"results": []}
    assert learner_client.get(AUTOCOMPLETE, {"q": "   "}).json() == {"results": []}
    response = learner_client.get(AUTOCOMPLETE, {"q": "满意度", "class": "2' OR 1=1"})
    assert len(response.json()["results"]) == 2  # bad class ignored


def test_autocomplete_rejects_oversized_queries(learner_client, library):
    response = learner_client.get(AUTOCOMPLETE, {"q": "满" * 51})
    assert response.status_code == 400
    assert response.json()["error"]
    response = learner_client.get(AUTOCOMPLETE, {"q": "满", "level1": "\x00"})
    assert response.status_code == 200
    response = learner_client.get(AUTOCOMPLETE, {"q": "满", "level2": "长" * 10_000})
    assert response.status_code == 200 and response.json()["results"] == []


@pytest.mark.parametrize("query", ["%", "_", "<script>alert(1)</script>", "'; DROP TABLE x; --",
                                   "\\", "满\x00度"])
def test_autocomplete_hostile_queries(learner_client, library, query):
    response = learner_client.get(AUTOCOMPLETE, {"q": query})
    assert response.status_code == 200
    assert response.json()["results"] == []
    assert response["Content-Type"] == "application/json"


def test_autocomplete_is_rate_limited(learner_client, library, monkeypatch):
    monkeypatch.setattr(views, "AUTOCOMPLETE_RATE_LIMIT", 3)
    codes = [learner_client.get(AUTOCOMPLETE, {"q": "满"}).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]


def test_autocomplete_only_answers_get(learner_client, library):
    assert learner_client.post(AUTOCOMPLETE, {"q": "满"}).status_code == 405


# --- Admin --------------------------------------------------------------------------------------


def _staff(django_user_model, group_name, username):
    roles_ensure()
    user = django_user_model.objects.create_user(username=username, password="x")
    user.groups.add(Group.objects.get(name=group_name))
    return user


def test_admin_indicator_list_searches_with_the_index(admin_client, library):
    response = admin_client.get(reverse("casebook_indicators:index"), {"q": "血压"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "高血压患者规范管理人数" in html and "学生家长满意度" not in html


def test_admin_indicator_create_builds_grams(admin_client, func_classes):
    edu = functional_class_current(code="205")
    response = admin_client.post(reverse("casebook_indicators:add"), {
        "func_class": edu.pk, "func_subclass": "", "sector": "教育", "level1": "产出指标",
        "level2": "数量指标", "name": "新增学位数", "explanation": "", "unit": "个",
        "direction": "positive", "typical_value": "", "basis": "plan", "source": "specific",
        "examples": "",
    })
    assert response.status_code == 302
    assert names(indicators_search(q="学位")) == {"新增学位数"}


def test_goal_rule_settings_admin_is_for_bureau_staff_only(client, django_user_model,
                                                           func_classes):
    editor = _staff(django_user_model, roles.EDITOR, "editor1")
    client.force_login(editor)
    assert client.get(reverse("casebook_goal_rules:index")).status_code in (302, 403)
    bureau = _staff(django_user_model, roles.BUREAU_STAFF, "bureau1")
    client.force_login(bureau)
    assert client.get(reverse("casebook_goal_rules:index")).status_code == 200
    response = client.post(reverse("casebook_goal_rules:add"), {
        "year": "2026", "framework": "2021", "overrides": '{"vague_words": ["明显"]}',
        "note": "2026年口径"})
    assert response.status_code == 302
    from casebook.models import GoalRuleSettings

    row = GoalRuleSettings.objects.get()
    assert row.updated_by == bureau and row.overrides == {"vague_words": ["明显"]}
    response = client.post(reverse("casebook_goal_rules:add"), {
        "year": "2027", "framework": "2021", "overrides": '{"bogus": 1}', "note": ""})
    assert response.status_code == 200
    assert GoalRuleSettings.objects.count() == 1


def test_control_characters_are_dropped_from_queries(library):
    assert names(indicators_search(q="血\x00压")) == {"高血压患者规范管理人数"}
