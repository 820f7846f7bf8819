"""Site search finds cases; the demo seeding is idempotent and every seeded table is clean."""

from __future__ import annotations

import pytest
from django.db.models import Count

from casebook import demo
from casebook.models import CasePage, Indicator, IndicatorGram
from casebook.models.indicators import IndicatorGramStat
from casebook.selectors import indicator_query_terms, indicators_autocomplete, indicators_search
from casebook.services import goal_table_errors
from portal.models import SearchEntry
from portal.selectors import site_search

pytestmark = pytest.mark.django_db


def test_site_search_finds_a_case_by_chinese_substring(make_case):
    case = make_case(background="项目区内校舍存在裂缝")
    assert SearchEntry.objects.get(page=case).kind == "case"
    hits = site_search(query="裂缝")
    assert [hit.title for hit in hits] == [case.title]
    hits = site_search(query="CASE-TST", kind="case")
    assert case.title in [hit.title for hit in hits]


def test_demo_seed_is_idempotent_and_its_cases_pass_the_checker(home):
    logs = []
    counts = demo.seed(log=logs.append)
    assert counts["functional classes"] >= 30
    revisions = {case.pk: case.revisions.count() for case in CasePage.objects.all()}
    indicators = Indicator.objects.count()
    again = demo.seed(log=logs.append)
    assert again == counts
    assert {c.pk: c.revisions.count() for c in CasePage.objects.all()} == revisions
    assert Indicator.objects.count() == indicators
    for case in CasePage.objects.all():
        assert goal_table_errors(table=case.reference_table(), year=case.year) == [], case.code


def test_seeded_indicator_library_is_indexed_and_searches_like_a_scan(home):
    demo.seed(log=lambda *_: None)
    assert Indicator.objects.count() >= 300
    recount = dict(IndicatorGram.objects.values("gram").annotate(n=Count("pk"))
                   .values_list("gram", "n"))
    assert dict(IndicatorGramStat.objects.exclude(indicators=0)
                .values_list("gram", "indicators")) == recount
    rows = list(Indicator.objects.all())
    for query in ["满意度", "率", "数", "覆盖", "合格率", "校舍", "培训 人次", "%", "不存在"]:
        terms = indicator_query_terms(query)
        expected = sorted((i for i in rows if all(t in i.search_key for t in terms)),
                          key=lambda i: (len(i.name), i.pk))
        assert set(indicators_search(q=query).values_list("pk", flat=True)) == {
            i.pk for i in expected}, query
        assert [r["id"] for r in indicators_autocomplete(q=query)] == [
            i.pk for i in expected[:20]], query
