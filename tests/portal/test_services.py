"""Services behind seed_demo: idempotent site tree and policy upserts."""

from __future__ import annotations

import datetime as dt

import pytest
from wagtail.models import Page, Revision, Site

from portal import services
from portal.models import HomePage, PolicyDocumentPage, PolicyIndexPage
from portal.services import (
    policy_document_upsert,
    policy_documents_sync,
    policy_index_ensure,
    site_home_ensure,
)

from .conftest import policy_data

pytestmark = pytest.mark.django_db


def revision_count() -> int:
    return Revision.objects.count()


def test_site_home_ensure_replaces_wagtails_welcome_page_and_is_idempotent():
    welcome = Page.objects.get(depth=2)
    assert welcome.specific_class is Page
    home = site_home_ensure()
    assert not Page.objects.filter(pk=welcome.pk).exists()
    site = Site.objects.get(is_default_site=True)
    assert site.root_page_id == home.pk and home.live and home.slug == "home"
    before = revision_count()
    assert site_home_ensure().pk == home.pk
    assert HomePage.objects.count() == 1 and revision_count() == before
    assert Site.objects.count() == 1


def test_policy_index_ensure_is_at_policies_and_idempotent(home):
    index = policy_index_ensure(home=home)
    assert index.url == "/policies/" and index.live
    assert policy_index_ensure(home=home).pk == index.pk
    assert PolicyIndexPage.objects.count() == 1


def test_upsert_twice_changes_nothing_the_second_time(policy_index):
    data = policy_data(title="绩效运行监控管理暂行办法", doc_number="财预〔2019〕136号",
                       stages=["运行监控"], status="现行有效", level="中央")
    first = policy_document_upsert(index=policy_index, data=data)
    before = revision_count()
    second = policy_document_upsert(index=policy_index, data=dict(data))
    assert second.pk == first.pk and revision_count() == before
    assert first.stages == ["monitoring"] and first.level == "central" and first.live


def test_upsert_publishes_a_new_revision_when_content_changes(policy_index):
    data = policy_data(doc_number="财预〔2019〕1号")
    page = policy_document_upsert(index=policy_index, data=data)
    before = revision_count()
    changed = policy_document_upsert(index=policy_index, data={
        **data, "status": "repealed",
        "clauses": [*data["clauses"], {"number": "第三条", "heading": "", "text": "新增"}],
    })
    assert changed.pk == page.pk and revision_count() == before + 1
    assert changed.status == "repealed" and len(changed.body) == 3 and changed.live
    assert not changed.has_unpublished_changes


def test_upsert_without_number_is_keyed_on_title(policy_index):
    data = policy_data(doc_number="", title="绩效评价常见问题解答")
    first = policy_document_upsert(index=policy_index, data=data)
    again = policy_document_upsert(index=policy_index, data={**data, "issuer": "区财政局"})
    assert again.pk == first.pk and again.issuer == "区财政局"


@pytest.mark.parametrize(("override", "error"), [
    ({"title": ""}, services.ERROR_TITLE_REQUIRED),
    ({"issuer": ""}, services.ERROR_ISSUER_REQUIRED),
    ({"publish_date": None}, services.ERROR_PUBLISH_DATE_REQUIRED),
    ({"level": "planet"}, services.ERROR_BAD_LEVEL.format(value="planet")),
    ({"status": "maybe"}, services.ERROR_BAD_STATUS.format(value="maybe")),
    ({"stages": ["nope"]}, services.ERROR_BAD_STAGE.format(value="nope")),
    ({"publish_date": "2020-13-01"}, services.ERROR_BAD_DATE.format(value="2020-13-01")),
    ({"clauses": [{"number": "第一条", "text": ""}]},
     services.ERROR_BAD_CLAUSE.format(position=1)),
])
def test_invalid_data_raises_and_writes_nothing(policy_index, override, error):
    pages, revisions = Page.objects.count(), revision_count()
    with pytest.raises(ValueError) as excinfo:
        policy_document_upsert(index=policy_index, data=policy_data(**override))
    assert str(excinfo.value) == error
    assert Page.objects.count() == pages and revision_count() == revisions


def test_plain_text_clauses_become_escaped_paragraphs(policy_index):
    page = policy_document_upsert(index=policy_index, data=policy_data(clauses=[
        {"number": "第一条", "heading": "", "text": "第一段 <b>不是标签</b>\n第二段"},
    ]))
    html = page.body[0].value["text"].source
    assert html == "<p>第一段 &lt;b&gt;不是标签&lt;/b&gt;</p><p>第二段</p>"


def test_sync_links_related_documents_in_any_order_and_is_idempotent(policy_index):
    items = [
        policy_data(title="新办法", doc_number="新〔2024〕1号", related=["旧〔2019〕1号"]),
        policy_data(title="旧办法", doc_number="旧〔2019〕1号", related=[]),
    ]
    pages = policy_documents_sync(index=policy_index, items=items)
    newer = PolicyDocumentPage.objects.get(pk=pages[0].pk)
    assert [link.target.title for link in newer.related_links.all()] == ["旧办法"]
    before = revision_count()
    policy_documents_sync(index=policy_index, items=items)
    assert revision_count() == before


def test_dates_may_be_date_objects_or_iso_strings(policy_index):
    page = policy_document_upsert(index=policy_index, data=policy_data(
        publish_date="2018-09-01", effective_date=dt.date(2019, 1, 1)))
    assert page.publish_date == dt.date(2018, 9, 1)
    assert page.effective_date == dt.date(2019, 1, 1)


def test_all_demo_policies_upsert_and_publish(policy_index):
    demo = pytest.importorskip("portal.demo_policies")
    pages = policy_documents_sync(index=policy_index, items=demo.POLICIES)
    assert len(pages) == len(demo.POLICIES) > 0
    assert all(page.live and not page.has_unpublished_changes for page in pages)
    before = revision_count()
    policy_documents_sync(index=policy_index, items=demo.POLICIES)
    assert revision_count() == before


def test_site_home_ensure_rebuilds_the_tree_root_in_an_empty_database():
    Site.objects.all().delete()
    Page.objects.all().delete()
    home = site_home_ensure()
    assert home.get_parent().depth == 1
    assert Site.objects.get(is_default_site=True).root_page_id == home.pk
