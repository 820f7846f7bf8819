"""Readable ASCII slugs from Chinese titles."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from portal.models import PolicyDocumentPage, StandardPage
from portal.slugs import needs_pinyin_slug, pinyin_slug


@pytest.mark.parametrize(("title", "slug"), [
    ("预算绩效管理办法", "yu-suan-ji-xiao-guan-li-ban-fa"),
    ("财预〔2020〕10号", "cai-yu-2020-10"),
    ("2024年度 ABC 培训", "2024-nian-du-abc-pei-xun"),
    ("《绩效目标》管理：问答！", "ji-xiao-mu-biao-guan-li-wen-da"),
    ("Café 绿色", "cafe-lv-se"),
    ("！？", "page"),
])
def test_pinyin_slug_is_readable_ascii(title, slug):
    assert pinyin_slug(title) == slug


LONG_TITLE = "关于印发项目支出绩效评价管理办法和部门整体支出绩效评价办法的通知"


def test_pinyin_slug_is_truncated_at_a_syllable_boundary():
    slug = pinyin_slug(LONG_TITLE, max_length=30)
    assert len(slug) <= 30 and not slug.endswith("-")
    assert pinyin_slug(LONG_TITLE, max_length=200).startswith(slug + "-")
    assert len(pinyin_slug(LONG_TITLE)) <= 60


def test_needs_pinyin_slug_for_empty_or_non_ascii():
    assert needs_pinyin_slug("") and needs_pinyin_slug("绩效") and needs_pinyin_slug(None)
    assert not needs_pinyin_slug("ji-xiao")


@pytest.mark.django_db
def test_programmatic_pages_get_unique_pinyin_slugs_among_siblings(home):
    pages = []
    for slug in ("", "", "使用帮助"):
        page = StandardPage(title="使用帮助", slug=slug)
        home.add_child(instance=page)
        pages.append(page)
    assert [p.slug for p in pages] == ["shi-yong-bang-zhu", "shi-yong-bang-zhu-2",
                                       "shi-yong-bang-zhu-3"]


@pytest.mark.django_db
def test_ascii_slug_chosen_by_editor_is_kept(home):
    page = StandardPage(title="关于我们", slug="about")
    home.add_child(instance=page)
    assert page.slug == "about"


@pytest.mark.django_db
def test_admin_create_with_chinese_title_and_empty_slug_gets_pinyin_slug(admin_client,
                                                                        policy_index):
    def post(title):
        url = reverse("wagtailadmin_pages:add",
                      args=["portal", "policydocumentpage", policy_index.pk])
        return admin_client.post(url, nested_form_data({
            "title": title, "slug": "", "doc_number": "", "issuer": "财政部",
            "level": "central", "publish_date": "2021-04-01", "status": "current",
            "body": streamfield([]), "attachments": inline_formset([]),
            "related_links": inline_formset([]), "action-publish": "action-publish",
        }))

    assert post("预算绩效管理办法").status_code == 302
    assert post("预算绩效管理办法").status_code == 302
    slugs = sorted(PolicyDocumentPage.objects.child_of(policy_index).values_list("slug",
                                                                                 flat=True))
    assert slugs == ["yu-suan-ji-xiao-guan-li-ban-fa", "yu-suan-ji-xiao-guan-li-ban-fa-2"]
    assert PolicyDocumentPage.objects.get(slug="yu-suan-ji-xiao-guan-li-ban-fa").url == \
        "/policies/yu-suan-ji-xiao-guan-li-ban-fa/"


@pytest.mark.django_db
def test_admin_create_with_chinese_slug_replaces_it_with_pinyin(admin_client, home):
    url = reverse("wagtailadmin_pages:add", args=["portal", "standardpage", home.pk])
    response = admin_client.post(url, nested_form_data({
        "title": "关于平台", "slug": "关于平台", "intro": "", "body": streamfield([]),
        "action-publish": "action-publish",
    }))
    assert response.status_code == 302
    assert StandardPage.objects.get(title="关于平台").slug == "guan-yu-ping-tai"
