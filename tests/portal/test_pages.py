"""Page types: where they may live, that editors can create them, and that they render."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from wagtail.documents.models import Document
from wagtail.models import Page
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from portal.models import (
    HomePage,
    PolicyAttachment,
    PolicyDocumentPage,
    PolicyIndexPage,
    StandardPage,
)
from portal.services import policy_document_upsert

from .conftest import policy_data

pytestmark = pytest.mark.django_db


def admin_create(client, parent: Page, model, data: dict):
    """POST the Wagtail admin add form (publish); return the new page or fail with the errors."""
    url = reverse("wagtailadmin_pages:add",
                  args=[model._meta.app_label, model._meta.model_name, parent.pk])
    response = client.post(url, {**data, "action-publish": "action-publish"})
    if response.status_code != 302:
        form = response.context["form"]
        errors = {**form.errors, **{name: fs.errors for name, fs in form.formsets.items()}}
        pytest.fail(f"admin create failed ({response.status_code}): {errors}")
    return model.objects.child_of(parent).order_by("-pk").first()


# --- Tree rules -------------------------------------------------------------


def test_home_page_lives_at_the_tree_root_only_once(home):
    root = Page.get_first_root_node()
    assert HomePage.can_exist_under(root)
    assert not HomePage.can_exist_under(home)
    assert not HomePage.can_create_at(root)  # max_count = 1 and one exists


def test_policy_index_lives_under_home_and_holds_only_documents(home, policy_index):
    assert PolicyIndexPage.can_create_at(home)
    assert not PolicyIndexPage.can_create_at(Page.get_first_root_node())
    assert PolicyIndexPage.allowed_subpage_models() == [PolicyDocumentPage]


def test_policy_document_only_under_policy_index_and_has_no_children(home, policy_index):
    assert PolicyDocumentPage.can_create_at(policy_index)
    assert not PolicyDocumentPage.can_create_at(home)
    assert PolicyDocumentPage.allowed_subpage_models() == []


def test_standard_page_under_home_or_standard_page(home, policy_index):
    assert StandardPage.can_create_at(home)
    assert StandardPage.allowed_subpage_models() == [StandardPage]
    assert not StandardPage.can_create_at(policy_index)


# --- Creatable in the admin -------------------------------------------------


def test_home_page_creatable_in_admin(admin_client):
    root = Page.get_first_root_node()
    page = admin_create(admin_client, root, HomePage, nested_form_data({
        "title": "绩效学堂", "slug": "home-new",
        "intro": rich_text("<p>平台介绍</p>"),
        "training_window_start": "2025-03-01", "training_window_end": "2025-11-30",
        "training_window_note": "年度培训",
        "entry_points": streamfield([("role", {
            "role": "learner", "title": "学员", "description": "学习",
            "link_url": "/accounts/login/", "link_text": "登录"})]),
    }))
    assert page.live and page.entry_points[0].value["link_url"] == "/accounts/login/"


def test_policy_index_creatable_in_admin(admin_client, home):
    page = admin_create(admin_client, home, PolicyIndexPage, nested_form_data({
        "title": "政策库", "slug": "", "intro": rich_text("<p>政策</p>"),
    }))
    assert page.slug == "zheng-ce-ku" and page.live


def test_policy_document_creatable_in_admin(admin_client, policy_index):
    page = admin_create(admin_client, policy_index, PolicyDocumentPage, nested_form_data({
        "title": "项目支出绩效评价管理办法", "slug": "",
        "doc_number": "财预〔2020〕10号", "issuer": "财政部", "level": "central",
        "publish_date": "2020-02-25", "effective_date": "", "status": "current",
        "stages": ["evaluation", "results"], "is_summary": "on",
        "intro": "", "official_url": "",
        "body": streamfield([
            ("clause", {"number": "第一条", "heading": "目的",
                        "text": rich_text("<p>为全面实施预算绩效管理……</p>")}),
            ("paragraph", rich_text("<p>说明</p>")),
            ("quote", {"text": "花钱必问效", "source": ""}),
        ]),
        "attachments": inline_formset([]),
        "related_links": inline_formset([]),
    }) | {"stages": ["evaluation", "results"]})  # a list: kept out of nesting
    assert page.slug == "xiang-mu-zhi-chu-ji-xiao-ping-jia-guan-li-ban-fa"
    assert page.stages == ["evaluation", "results"]
    assert page.is_summary and page.doc_number == "财预〔2020〕10号"
    assert [block.block_type for block in page.body] == ["clause", "paragraph", "quote"]


def test_standard_page_creatable_in_admin(admin_client, home):
    page = admin_create(admin_client, home, StandardPage, nested_form_data({
        "title": "使用帮助", "slug": "", "intro": "怎么用",
        "body": streamfield([("heading", "登录"), ("paragraph", rich_text("<p>用工号登录。</p>"))]),
    }))
    assert page.slug == "shi-yong-bang-zhu" and page.live


def test_clause_without_number_or_heading_is_rejected_in_admin(admin_client, policy_index):
    url = reverse("wagtailadmin_pages:add", args=["portal", "policydocumentpage", policy_index.pk])
    response = admin_client.post(url, nested_form_data({
        "title": "无标题条款", "slug": "", "doc_number": "", "issuer": "财政部",
        "level": "central", "publish_date": "2020-02-25", "status": "current",
        "body": streamfield([("clause", {"number": "", "heading": "",
                                         "text": rich_text("<p>正文</p>")})]),
        "attachments": inline_formset([]), "related_links": inline_formset([]),
        "action-publish": "action-publish",
    }))
    assert response.status_code == 200
    assert not PolicyDocumentPage.objects.filter(title="无标题条款").exists()


# --- Rendering --------------------------------------------------------------


def test_home_page_renders_intro_window_roles_and_latest_five_policies(client, make_policy):
    docs = [make_policy() for _ in range(7)]
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert "绩效学堂" in html and "/accounts/login/" in html and "/admin/" in html
    newest = sorted(docs, key=lambda d: d.publish_date, reverse=True)
    assert [d.title in html for d in newest] == [True] * 5 + [False] * 2


def test_home_page_query_budget_does_not_grow_with_policies(
    client, make_policy, django_assert_max_num_queries
):
    for _ in range(8):
        make_policy()
    with django_assert_max_num_queries(12):
        assert client.get("/").status_code == 200


def test_standard_page_renders(client, home):
    page = StandardPage(title="关于我们", intro="简介",
                        body=[("heading", "平台"), ("paragraph", "<p>正文内容</p>")])
    home.add_child(instance=page)
    response = client.get(page.url)
    assert response.status_code == 200
    assert "正文内容" in response.content.decode()


def test_policy_document_renders_metadata_clause_anchors_and_summary_banner(client, make_policy):
    doc = make_policy(title="绩效目标管理办法", is_summary=True, effective_date="2024-03-01",
                      clauses=[{"number": "第三条", "heading": "目标", "text": "内容"},
                               {"number": "第十二条", "heading": "", "text": "内容"},
                               {"heading": "附则", "text": "内容"}])
    html = client.get(doc.url).content.decode()
    assert 'id="clause-3"' in html and 'href="#clause-3"' in html
    assert 'id="clause-12"' in html
    assert 'id="clause-fu-ze"' in html
    assert "notice--summary" in html
    assert doc.doc_number in html and "2024-03-01" in html


def test_policy_without_summary_flag_has_no_banner(client, make_policy):
    html = client.get(make_policy().url).content.decode()
    assert "notice--summary" not in html


def test_related_documents_show_on_both_pages(client, policy_index, make_policy):
    older = make_policy(title="旧办法", doc_number="旧〔2019〕1号")
    newer = make_policy(title="新办法", doc_number="新〔2024〕1号", related=["旧〔2019〕1号"])
    assert "新办法" in client.get(older.url).content.decode()
    assert "旧办法" in client.get(newer.url).content.decode()


def test_attachments_are_listed(client, make_policy):
    doc = make_policy()
    file = Document(title="附件1 绩效目标表")
    file.file.save("goal-table.xlsx", ContentFile(b"x"), save=True)
    PolicyAttachment.objects.create(page=doc, document=file)
    html = client.get(doc.url).content.decode()
    assert "附件1 绩效目标表" in html and file.url in html


# --- Policy library listing -------------------------------------------------


def test_policy_index_filters_by_level_stage_status_and_year(client, policy_index, make_policy):
    make_policy(title="中央文件甲", level="central", stages=["evaluation"],
                status="current", publish_date="2020-05-01")
    make_policy(title="区级文件乙", level="district", stages=["monitoring"],
                status="repealed", publish_date="2023-05-01")

    def titles(query):
        response = client.get(f"/policies/?{query}")
        assert response.status_code == 200
        return {t for t in ("中央文件甲", "区级文件乙") if t in response.content.decode()}

    assert titles("") == {"中央文件甲", "区级文件乙"}
    assert titles("level=central") == {"中央文件甲"}
    assert titles("stage=monitoring") == {"区级文件乙"}
    assert titles("status=repealed") == {"区级文件乙"}
    assert titles("year=2020") == {"中央文件甲"}
    assert titles("level=central&year=2023") == set()


@pytest.mark.parametrize("query", [
    # A NUL (stage=%00) is refused before any view: tests/portal/test_hostile_input.py.
    "level=nonsense", "year=abc", "year=1999", "status=<script>", "page=999",
    "page=-1", "year=99999999999999999999", "level=central&level=city",
])
def test_policy_index_ignores_bad_filter_values(client, make_policy, query):
    make_policy(title="仍然可见的文件")
    response = client.get(f"/policies/?{query}")
    assert response.status_code == 200
    assert "仍然可见的文件" in response.content.decode()


def test_policy_index_paginates(client, policy_index, make_policy):
    for _ in range(PolicyIndexPage.per_page + 3):
        make_policy()
    first = client.get("/policies/").content.decode()
    second = client.get("/policies/?page=2").content.decode()
    assert first.count('class="policy-item"') == PolicyIndexPage.per_page
    assert second.count('class="policy-item"') == 3


def test_policy_index_hides_unpublished_documents(client, make_policy):
    doc = make_policy(title="已撤回的文件")
    doc.unpublish()
    assert "已撤回的文件" not in client.get("/policies/").content.decode()


@pytest.mark.parametrize("count", [5, 30])
def test_policy_index_query_budget_is_constant(
    client, policy_index, count, django_assert_max_num_queries
):
    for _ in range(count):
        policy_document_upsert(index=policy_index, data=policy_data(
            stages=["goals", "evaluation"], related=[]))
    with django_assert_max_num_queries(12):
        response = client.get("/policies/?stage=goals")
    assert response.status_code == 200


def test_unknown_url_renders_404_template(client, home):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "/policies/" in response.content.decode()


def test_500_template_renders_without_request_context():
    from django.template.loader import render_to_string

    assert "绩效学堂" in render_to_string("500.html")
