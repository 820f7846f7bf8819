"""Wagtail's migrations create the tree root ("Root") and the default moderation workflow and
task ("Moderators approval") in English; a migrate and the demo seeding give them Chinese
names, leaving any name the bureau chose alone (issue 9 §1)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from wagtail.models import Page, Task, Workflow

from portal import demo
from portal.services import (
    DEFAULT_WORKFLOW_NAME,
    ROOT_TITLE,
    WAGTAIL_DEFAULT_WORKFLOW_NAME,
    WAGTAIL_ROOT_TITLE,
    site_home_ensure,
    wagtail_default_names_translate,
)

pytestmark = pytest.mark.django_db


def _english_defaults() -> None:
    Page.objects.filter(depth=1).update(title=WAGTAIL_ROOT_TITLE, draft_title=WAGTAIL_ROOT_TITLE)
    Workflow.objects.update(name=WAGTAIL_DEFAULT_WORKFLOW_NAME)
    Task.objects.update(name=WAGTAIL_DEFAULT_WORKFLOW_NAME)


def test_migrated_database_has_chinese_root_workflow_and_task():
    # The test database was built by `migrate`, whose post_migrate step renamed the rows.
    assert Page.get_first_root_node().title == ROOT_TITLE == "根目录"
    assert list(Workflow.objects.values_list("name", flat=True)) == ["审核员审批"]
    assert list(Task.objects.values_list("name", flat=True)) == ["审核员审批"]
    assert not Workflow.objects.filter(name__contains="Moderators").exists()


def test_migrate_renames_the_english_defaults_again_and_only_once():
    _english_defaults()

    call_command("migrate", verbosity=0)

    root = Page.get_first_root_node()
    assert (root.title, root.draft_title) == (ROOT_TITLE, ROOT_TITLE)
    assert Workflow.objects.get().name == DEFAULT_WORKFLOW_NAME
    assert Task.objects.get().name == DEFAULT_WORKFLOW_NAME
    assert wagtail_default_names_translate() == 0


def test_names_the_bureau_chose_are_kept():
    Page.objects.filter(depth=1).update(title="全部内容", draft_title="全部内容")
    Workflow.objects.update(name="局内两级审核")
    Task.objects.update(name="Moderators approval (bureau)")

    assert wagtail_default_names_translate() == 0

    assert Page.get_first_root_node().title == "全部内容"
    assert Workflow.objects.get().name == "局内两级审核"
    assert Task.objects.get().name == "Moderators approval (bureau)"


def test_demo_seeding_renames_the_defaults(db):
    _english_defaults()

    demo.seed(log=lambda *_: None)

    assert Page.get_first_root_node().title == ROOT_TITLE
    assert Workflow.objects.get().name == DEFAULT_WORKFLOW_NAME


def test_publish_menu_offers_the_workflow_under_its_chinese_name(admin_client):
    home = site_home_ensure()

    html = admin_client.get(f"/admin/pages/{home.pk}/edit/").content.decode()

    assert "审核员审批" in html
    assert "Moderators approval" not in html
    assert "Root" not in admin_client.get(f"/admin/pages/{home.pk}/").content.decode()
