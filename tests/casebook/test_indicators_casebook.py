"""Indicator library: the gram index, search, the search page, autocomplete, admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.db.models.functions import Length
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casebook import views
from casebook.models import Indicator, IndicatorGram
from casebook.models.indicators import IndicatorGramStat
from casebook.selectors import (
    indicator_query_terms,
    indicators_autocomplete,
    indicators_search,
    query_grams,
)
from casebook.services import (
    functional_class_current,
    indicator_gram_stats_rebuild,
    indicators_generate,
    text_grams,
)
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
    # A NUL is refused before any view (portal.middleware.RequestTextGuardMiddleware), in JSON
    # for the editor's script.
    response = learner_client.get(AUTOCOMPLETE, {"q": "满", "level1": "\x00"},
                                  HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and response.json()["error"]
    response = learner_client.get(AUTOCOMPLETE, {"q": "满", "level2": "长" * 10_000})
    assert response.status_code == 200 and response.json()["results"] == []


@pytest.mark.parametrize("query", ["%", "_", "<script>alert(1)</script>", "'; DROP TABLE x; --",
                                   "\\"])
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


# --- Index-driven search equals a full scan -----------------------------------------------------


def _scan(query, **filters):
    """The reference answer: every row whose search key contains every term, by brute force."""
    terms = indicator_query_terms(query)
    rows = Indicator.objects.select_related("func_class")
    picked = []
    for ind in rows:
        if not all(term in ind.search_key for term in terms):
            continue
        if filters.get("func_class") and ind.func_class.code != filters["func_class"]:
            continue
        if any(filters.get(name) and getattr(ind, name) != filters[name]
               for name in ("level1", "level2", "source")):
            continue
        picked.append(ind)
    return picked


@pytest.fixture
def big_library(make_indicators):
    """A generated library plus rows with latin letters, digits, spaces and odd characters."""
    indicators_generate(count=1500, seed=11)
    make_indicators(
        {"name": "PM2.5年均浓度下降率", "func_class_code": "211", "func_subclass_code": "",
         "sector": "大气污染防治", "level1": "效益指标", "level2": "生态效益指标"},
        {"name": "5G基站建设数量", "func_class_code": "207", "func_subclass_code": "",
         "sector": "Smart City 建设"},
        {"name": "12345热线按时办结率", "func_class_code": "201", "func_subclass_code": "",
         "sector": "政务服务", "level2": "时效指标"},
        {"name": "LED路灯更换盏数", "func_class_code": "212", "func_subclass_code": "",
         "sector": "市政设施", "source": "common"},
        {"name": "Straße维修ǅ长度", "func_class_code": "212", "func_subclass_code": ""},
        {"name": "满意度", "func_class_code": "210", "func_subclass_code": "",
         "level1": "满意度指标", "level2": "服务对象满意度指标"},
    )
    return Indicator.objects.count()


SCAN_QUERIES = [
    "率", "度", "满", "意", "年", "（", "5", "2", "a", "G", "l",  # 1 character
    "满意", "合格", "校舍", "路灯", "20", "12", "pm", "Le", "5g",  # 2 characters
    "满意度", "群众知晓率", "农家书屋", "黑臭水体提升改造", "异地就医结算",  # rarer, longer
    "2025", "2025年", "12345", "第3批", "号片区", "（0", "2.5", "0-6岁",  # digits
    "pm2.5", "PM2.5年均", "led路灯", "LED", "5G基站", "smart", "city 建设", "strasse", "ǆ",
    "不存在的词", "度满", "率率", "zzz", "9999999",  # nothing (or grams that never meet)
    "培训 满意度", "乡镇 合格率", "2023年 老旧小区 率", "满 意", "率 率", "pm 5g",  # terms
    "一二三四五六七八九十甲乙丙丁",  # more grams than QUERY_MAX_GRAMS
]


def test_search_equals_a_full_scan(big_library):
    for query in SCAN_QUERIES:
        expected = {ind.pk for ind in _scan(query)}
        results = indicators_search(q=query)
        assert set(results.values_list("pk", flat=True)) == expected, query
        assert results.count() == len(expected), query
        ranked = sorted(_scan(query), key=lambda ind: (len(ind.name), ind.pk))[:20]
        assert [r["id"] for r in indicators_autocomplete(q=query)] == [
            i.pk for i in ranked], query
    assert indicators_search(q="率").count() > 200  # the library is not trivially small


SCAN_FILTERS = [
    ("率", {"func_class": "205"}),
    ("率", {"level1": "满意度指标"}),
    ("满意", {"level2": "服务对象满意度指标", "func_class": "210"}),
    ("合格率", {"source": "common"}),
    ("2", {"level1": "产出指标", "level2": "时效指标"}),
    ("LED", {"func_class": "212", "source": "common"}),
    ("乡镇 率", {"func_class": "213", "level1": "产出指标"}),
    ("率", {"func_class": "999"}),
]


def test_search_with_filters_equals_a_full_scan(big_library):
    for query, filters in SCAN_FILTERS:
        expected = {ind.pk for ind in _scan(query, **filters)}
        results = indicators_search(q=query, **filters)
        assert set(results.values_list("pk", flat=True)) == expected, (query, filters)
        assert results.count() == len(expected), (query, filters)
        without_source = {k: v for k, v in filters.items() if k != "source"}
        ranked = sorted(_scan(query, **without_source),
                        key=lambda ind: (len(ind.name), ind.pk))[:20]
        assert [r["id"] for r in indicators_autocomplete(q=query, **without_source)] == [
            i.pk for i in ranked], (query, filters)


def test_index_only_count_is_used_only_when_exact(big_library):
    assert indicators_search(q="率").index_count is not None
    assert indicators_search(q="满意 20").index_count is not None
    assert getattr(indicators_search(q="满意度"), "index_count", None) is None  # needs LIKE
    assert getattr(indicators_search(q="率", level1="产出指标"), "index_count", None) is None
    narrowed = indicators_search(q="率").filter(level1="满意度指标")
    assert narrowed.count() == len(_scan("率", level1="满意度指标"))


def test_search_is_exact_whatever_the_gram_counts_say(big_library):
    """The frequencies only choose which grams to read: wrong ones cost time, not results."""
    queries = ["率", "满意度", "2025年", "LED路灯", "乡镇 合格率", "度满"]
    before = {q: set(indicators_search(q=q).values_list("pk", flat=True)) for q in queries}
    IndicatorGramStat.objects.update(indicators=0)
    IndicatorGramStat.objects.filter(gram__in=["率", "满意", "20", "le"]).update(indicators=1)
    assert {q: set(indicators_search(q=q).values_list("pk", flat=True)) for q in queries} \
        == before
    IndicatorGramStat.objects.all().delete()
    assert {q: set(indicators_search(q=q).values_list("pk", flat=True)) for q in queries} \
        == before


def _recount():
    return dict(IndicatorGram.objects.values("gram").annotate(n=Count("pk"))
                .values_list("gram", "n"))


def _stats():
    return dict(IndicatorGramStat.objects.exclude(indicators=0)
                .values_list("gram", "indicators"))


def test_gram_counts_follow_generate_sync_save_and_delete(big_library, make_indicators):
    assert _stats() == _recount()
    make_indicators({"name": "新增学位数", "sector": "学前教育"})
    assert _stats() == _recount()
    indicator = Indicator.objects.get(name="满意度")
    indicator.name = "居民健康素养水平"
    indicator.save()
    assert _stats() == _recount()
    assert set(IndicatorGram.objects.filter(indicator=indicator)
               .values_list("name_length", flat=True)) == {len("居民健康素养水平")}
    indicator.delete()
    Indicator.objects.filter(name__startswith="LED").delete()
    assert _stats() == _recount()
    IndicatorGramStat.objects.all().delete()
    assert indicator_gram_stats_rebuild() == len(_recount())
    assert _stats() == _recount()


def test_gram_rows_carry_the_name_length(big_library):
    lengths = dict(Indicator.objects.annotate(n=Length("name")).values_list("pk", "n"))
    rows = IndicatorGram.objects.values_list("indicator_id", "name_length").distinct()
    assert all(lengths[pk] == n for pk, n in rows)


def test_search_is_one_indexed_query(big_library, django_assert_num_queries):
    for query in ["率", "满意度", "2023年 老旧小区 率", "不存在的词"]:
        with django_assert_num_queries(1):
            list(indicators_search(q=query))
        with django_assert_num_queries(1):
            indicators_autocomplete(q=query)


def test_sqlite_plan_reads_the_gram_index_not_the_table(big_library):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite query plan")
    for query, relevance in [("率", True), ("满意度 乡镇", True), ("2025", False)]:
        queryset = indicators_search(q=query, ordered_by_relevance=relevance)[:20]
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            # The outer statement only (the gram-picking subqueries sort a handful of rows).
            plan = " | ".join(str(row[3]) for row in cursor.fetchall() if row[1] == 0)
        assert plan.startswith("SEARCH casebook_indicatorgram USING COVERING INDEX"), plan
        assert "(gram=?)" in plan, plan
        assert "SCAN casebook_indicator" not in plan, plan
        assert "SEARCH casebook_indicator USING INTEGER PRIMARY KEY" in plan, plan
        if relevance:
            assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan  # read in order, stop at 20


def test_autocomplete_query_count_is_constant(learner_client, big_library):
    counts = []
    for query in ["率", "满意", "农家书屋", "2025", "pm2.5", "不存在的词", "培训 满意度"]:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            response = learner_client.get(AUTOCOMPLETE, {"q": query, "class": "205"})
        assert response.status_code == 200
        counts.append(len(captured.captured_queries))
    assert len(set(counts)) == 1 and counts[0] <= 4, counts


def test_generator_is_deterministic_and_realistic(func_classes):
    indicators_generate(count=3000, seed=5)
    names = list(Indicator.objects.order_by("pk").values_list("name", flat=True))
    assert len(set(names)) > 2900  # distinct names, not a few hundred combinations
    assert sum("率" in n for n in names) < 0.6 * len(names)  # common, not universal
    assert not any("样例" in n for n in names)
    assert sum(any(c.isdigit() for c in n) for n in names) < 0.4 * len(names)
    assert len(set(Indicator.objects.values_list("func_class__code", flat=True))) >= 10
    assert len(set(Indicator.objects.values_list("level2", flat=True))) >= 8
    Indicator.objects.all().delete()
    assert not IndicatorGram.objects.exists()
    assert not IndicatorGramStat.objects.exclude(indicators=0).exists()
    indicators_generate(count=3000, seed=5)
    assert list(Indicator.objects.order_by("pk").values_list("name", flat=True)) == names


def test_import_keeps_gram_counts_and_is_searchable(tmp_path, big_library):
    from casebook.services import indicator_template_write, indicators_import

    path = tmp_path / "template.xlsx"
    indicator_template_write(path=path)
    result = indicators_import(path=path)
    assert result.ok and result.created == 2
    assert _stats() == _recount()
    for query in ["服务对象满意度", "维修改造面积", "面"]:
        assert set(indicators_search(q=query).values_list("pk", flat=True)) == {
            ind.pk for ind in _scan(query)}
