"""Slugs of titles that start with digits (issue 9 §4): "2026年…" gets the whole title in
pinyin, not "2026", and a second page of the same title gets "-2" instead of an error."""

import pytest
from django.apps import apps
from django.urls import reverse
from wagtail.models import Page
from wagtail.test.utils.form_data import nested_form_data, streamfield

from portal.models import StandardPage
from portal.slugs import PinyinSlugMixin, slug_is_automatic

TITLE = "2026年预算绩效管理培训通知"
SLUG = "2026-nian-yu-suan-ji-xiao-guan-li-pei-xun-tong-zhi"
PROJECT_APPS = ("portal", "departments", "quizzes", "casebook", "courses", "assessments")


def admin_create(client, parent, *, title, slug):
    url = reverse("wagtailadmin_pages:add", args=["portal", "standardpage", parent.pk])
    return client.post(url, nested_form_data({
        "title": title, "slug": slug, "intro": "", "body": streamfield([]),
        "action-publish": "action-publish",
    }))


@pytest.mark.django_db
def test_admin_create_twice_with_the_slug_wagtail_javascript_fills_in_gets_pinyin_and_suffix(
    admin_client, home
):
    # Wagtail's admin JavaScript drops the Chinese and posts "2026" for this title.
    first = admin_create(admin_client, home, title=TITLE, slug="2026")
    second = admin_create(admin_client, home, title=TITLE, slug="2026")

    assert first.status_code == 302 and second.status_code == 302
    assert "already in use" not in second.content.decode()
    assert sorted(StandardPage.objects.child_of(home).values_list("slug", flat=True)) == [
        SLUG, f"{SLUG}-2"]


@pytest.mark.django_db
def test_code_creates_two_pages_of_the_same_title_with_distinct_pinyin_slugs(home):
    pages = [StandardPage(title=TITLE, slug=slug) for slug in ("", "2026")]
    for page in pages:
        home.add_child(instance=page)
    assert [page.slug for page in pages] == [SLUG, f"{SLUG}-2"]


@pytest.mark.django_db
def test_editing_a_page_keeps_its_stored_slug(admin_client, home):
    page = StandardPage(title=TITLE, slug="notice")
    home.add_child(instance=page)
    url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    response = admin_client.post(url, nested_form_data({
        "title": TITLE, "slug": "notice", "intro": "", "body": streamfield([]),
        "action-publish": "action-publish",
    }))
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.slug == "notice"


def test_a_slug_chosen_by_a_person_is_not_automatic():
    assert slug_is_automatic("2026", title=TITLE)
    assert slug_is_automatic("", title=TITLE)
    assert not slug_is_automatic("training-2026", title=TITLE)
    assert not slug_is_automatic("2026", title=TITLE, previous="2026")


def test_every_project_page_type_makes_its_own_slugs():
    page_types = [model for model in apps.get_models()
                  if issubclass(model, Page) and model._meta.app_label in PROJECT_APPS]
    assert page_types
    assert [m.__name__ for m in page_types if not issubclass(m, PinyinSlugMixin)] == []
