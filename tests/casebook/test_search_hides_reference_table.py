"""Neither the case list's search nor the site search reads a case's reference goal table: it
is the answer key of goal-setting and find-the-errors exercises, and a hit on a guessed
indicator name would confirm it (issue 8)."""

from __future__ import annotations

import pytest

from portal.models import SearchEntry
from portal.selectors import site_search

from .factories import CLEAN_ROWS

pytestmark = pytest.mark.django_db

HIDDEN_INDICATOR = "校舍抗震加固达标率"


@pytest.fixture
def case(make_case):
    return make_case(background="全市中小学校舍存在安全隐患，需分批维修改造。",
                     indicators=[*CLEAN_ROWS[:2], {**CLEAN_ROWS[2], "name": HIDDEN_INDICATOR},
                                 *CLEAN_ROWS[3:]])


def test_case_list_search_for_an_indicator_of_the_reference_table_finds_nothing(client, case):
    assert case.reference_rows.filter(name=HIDDEN_INDICATOR).exists()

    html = client.get("/cases/", {"q": HIDDEN_INDICATOR}).content.decode()

    assert case.title not in html
    assert HIDDEN_INDICATOR not in html.replace(f'value="{HIDDEN_INDICATOR}"', "")


def test_case_list_search_still_finds_title_background_and_goals(client, case):
    for query in (case.title[5:12], "安全隐患", case.overall_goal[:6], case.code):
        assert case.title in client.get("/cases/", {"q": query}).content.decode(), query


def test_site_search_does_not_index_the_reference_table(case):
    entry = SearchEntry.objects.get(page=case)

    assert HIDDEN_INDICATOR not in entry.text
    assert not any(row["name"] in entry.text for row in CLEAN_ROWS)
    assert case.title not in [hit.title for hit in site_search(query=HIDDEN_INDICATOR)]
    assert [hit.title for hit in site_search(query="安全隐患")] == [case.title]
