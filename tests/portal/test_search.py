"""Site search: Chinese substrings on SQLite and PostgreSQL, safe snippets, live pages only."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from portal.models import SearchEntry, StandardPage
from portal.search import highlight, query_terms
from portal.selectors import site_search

pytestmark = pytest.mark.django_db


@pytest.fixture
def goal_doc(make_policy):
    return make_policy(
        title="中央部门项目支出核心绩效目标和指标设置及取值指引",
        doc_number="财预〔2021〕101号", issuer="财政部",
        clauses=[{"number": "第五条", "heading": "满意度指标",
                  "text": "服务对象满意度指标反映服务对象对项目实施效果的满意程度。"}],
    )


@pytest.fixture
def eval_doc(make_policy):
    return make_policy(
        title="项目支出绩效评价管理办法", doc_number="财预〔2020〕10号", issuer="财政部",
        clauses=[{"number": "第三条", "heading": "评价内容",
                  "text": "绩效评价应当以绩效目标为依据，开展成本效益分析。"}],
    )


def titles(results) -> list[str]:
    return [hit.title for hit in results] if results is not None else []


def test_chinese_substring_in_title_and_body_is_found(goal_doc, eval_doc):
    assert titles(site_search(query="绩效目标")) == [goal_doc.title, eval_doc.title]


def test_title_matches_rank_before_body_matches(goal_doc, eval_doc):
    # "绩效目标" is in goal_doc's title and only in eval_doc's body.
    results = site_search(query="绩效目标")
    assert titles(results)[0] == goal_doc.title


def test_substring_inside_a_longer_word_is_found(goal_doc, eval_doc):
    results = site_search(query="满意度")
    assert titles(results) == [goal_doc.title]
    assert "服务对象<mark>满意度</mark>" in next(iter(results)).snippet


@pytest.mark.parametrize("query", ["财预〔2020〕10号", "2020", "财政部 成本效益", "评价管理"])
def test_number_issuer_and_multi_term_queries(eval_doc, goal_doc, query):
    assert eval_doc.title in titles(site_search(query=query))


def test_every_term_must_match(goal_doc, eval_doc):
    assert titles(site_search(query="成本效益 满意度")) == []
    assert titles(site_search(query="成本效益　绩效目标")) == [eval_doc.title]  # full-width space


def test_no_match_and_empty_query(goal_doc):
    assert titles(site_search(query="不存在的词语")) == []
    assert site_search(query="   ") is None


def test_ascii_terms_match_case_insensitively(make_policy):
    make_policy(title="PPP项目绩效管理操作指引")
    assert len(titles(site_search(query="ppp"))) == 1


def test_unpublished_pages_are_not_found(goal_doc):
    goal_doc.unpublish()
    assert titles(site_search(query="满意度")) == []
    assert not SearchEntry.objects.filter(page=goal_doc).exists()


def test_republished_page_is_reindexed_with_new_text(goal_doc):
    draft = goal_doc.get_latest_revision_as_object()
    draft.title = "绩效指标取值指引（修订）"
    draft.save_revision().publish()
    assert titles(site_search(query="修订")) == ["绩效指标取值指引（修订）"]


def test_draft_changes_are_not_searchable(goal_doc):
    draft = goal_doc.get_latest_revision_as_object()
    draft.title = "草稿中的新标题"
    draft.save_revision()
    assert titles(site_search(query="草稿中")) == []


def test_deleted_pages_are_not_found(goal_doc):
    goal_doc.delete()
    assert titles(site_search(query="满意度")) == []
    assert SearchEntry.objects.count() == SearchEntry.objects.filter(page__live=True).count()


def test_kind_filter_and_standard_pages(home, goal_doc):
    page = StandardPage(title="使用帮助", body=[("paragraph", "<p>如何设置绩效目标</p>")])
    home.add_child(instance=page)
    page.save_revision().publish()
    assert set(titles(site_search(query="绩效目标"))) == {goal_doc.title, "使用帮助"}
    assert titles(site_search(query="绩效目标", kind="policy")) == [goal_doc.title]
    assert titles(site_search(query="绩效目标", kind="page")) == ["使用帮助"]


def test_private_pages_are_hidden_from_anonymous_users(home, goal_doc, django_user_model):
    from wagtail.models import PageViewRestriction

    PageViewRestriction.objects.create(page=goal_doc, restriction_type="login")
    assert titles(site_search(query="满意度")) == []
    user = django_user_model.objects.create_user("learner", password="pw-123456")
    assert titles(site_search(query="满意度", user=user)) == [goal_doc.title]


def test_highlight_escapes_content_and_query():
    text = "<b>绩效</b> & 目标 <script>alert(1)</script>"
    snippet = highlight(text, ["<script>", "绩效"])
    assert "<script>" not in snippet and "<b>" not in snippet
    assert "<mark>&lt;script&gt;</mark>" in snippet
    assert "<mark>绩效</mark>" in snippet


def test_query_terms_are_capped_and_deduplicated():
    assert query_terms("绩效 绩效 目标") == ["绩效", "目标"]
    assert sum(len(t) for t in query_terms("绩" * 500)) == 100


def test_search_view_escapes_html_in_the_query(client, goal_doc):
    response = client.get("/search/", {"q": '<script>alert("x")</script> 满意度'})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;" in html


def test_search_view_finds_chinese_substring_and_highlights(client, goal_doc):
    response = client.get("/search/", {"q": "满意度"})
    html = response.content.decode()
    assert goal_doc.title in html and "<mark>满意度</mark>" in html and goal_doc.url in html


def test_search_view_empty_query_shows_guidance(client, home):
    response = client.get("/search/")
    assert response.status_code == 200
    assert 'id="search-help-title"' in response.content.decode()


def test_search_view_caps_the_query_at_100_characters(client, goal_doc):
    response = client.get("/search/", {"q": "满意度" + "x" * 500})
    assert response.status_code == 200
    assert response.context["search_query"] == ("满意度" + "x" * 500)[:100]


def test_search_view_paginates_and_ignores_bad_page_numbers(client, make_policy):
    for n in range(13):
        make_policy(title=f"绩效运行监控办法{n}")
    first = client.get("/search/", {"q": "运行监控"}).content.decode()
    second = client.get("/search/", {"q": "运行监控", "page": "2"}).content.decode()
    assert first.count('class="search-result"') == 10
    assert second.count('class="search-result"') == 3
    assert client.get("/search/", {"q": "运行监控", "page": "x"}).status_code == 200


@pytest.mark.parametrize("count", [5, 30])
def test_search_query_budget_is_constant(client, make_policy, count,
                                         django_assert_max_num_queries):
    for _ in range(count):
        make_policy(clauses=[{"number": "第一条", "heading": "", "text": "设定绩效目标"}])
    with django_assert_max_num_queries(8):
        response = client.get("/search/", {"q": "绩效目标"})
    assert response.status_code == 200


def test_rebuild_command_restores_entries(goal_doc, eval_doc, capsys):
    SearchEntry.objects.all().delete()
    call_command("rebuild_search_entries")
    assert "indexed" in capsys.readouterr().out
    assert set(SearchEntry.objects.values_list("page_id", flat=True)) >= {goal_doc.pk,
                                                                          eval_doc.pk}
    assert titles(site_search(query="满意度")) == [goal_doc.title]
