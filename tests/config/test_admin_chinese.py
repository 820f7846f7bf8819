"""The Wagtail admin in Wagtail's own Chinese: our catalogue never relabels a Wagtail or Django
string ("Pages" stays 页面, not 分页), translations Wagtail lacks come from the separate
site/locale_overrides catalogue, and lists and exports show 是/否, never True/False.

Expected labels are read at test time from the installed Wagtail's zh_Hans catalogues (polib),
merged as Django merges them, so the tests follow Wagtail upgrades instead of copying its text."""

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from portal.services import policy_index_ensure, site_home_ensure
from quizzes import services as quiz_services
from tests.check_catalogue import (
    Upstream,
    override_problems,
    problems,
    shadowed_entries,
    upstream_catalogues,
)
from tests.departments.factories import LearnerFactory
from tests.quizzes.conftest import single

pytestmark = pytest.mark.django_db

PROJECT_PO, OVERRIDES_PO = (
    str(Path(locale_dir) / "zh_Hans" / "LC_MESSAGES" / "django.po")
    for locale_dir in settings.LOCALE_PATHS
)


@pytest.fixture(scope="module")
def upstream() -> Upstream:
    return upstream_catalogues()


def wagtail_says(upstream: Upstream, msgid: str, context: str | None = None) -> str:
    """Wagtail's (or Django's) own zh_Hans translation of a msgid, as Django would pick it."""
    assert (context, msgid) in upstream.translated, f"Wagtail no longer translates {msgid!r}"
    return upstream.translated[(context, msgid)][0]


def override_says(msgid: str) -> str:
    """Our translation of a msgid Wagtail leaves untranslated (site/locale_overrides)."""
    entry = polib.pofile(OVERRIDES_PO).find(msgid)
    assert entry is not None, f"{msgid!r} is not in the overrides catalogue"
    return entry.msgstr or entry.msgstr_plural[0]


class _VisibleText(HTMLParser):
    """Text nodes and the attributes people read (title, aria-label, placeholder)."""

    HIDDEN = {"script", "style", "template"}

    def __init__(self):
        super().__init__()
        self.hidden = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in self.HIDDEN
        self.texts += [" ".join(value.split()) for name, value in attrs
                       if name in ("title", "aria-label", "placeholder") and value]

    def handle_endtag(self, tag):
        self.hidden -= tag in self.HIDDEN

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.texts.append(" ".join(data.split()))


def visible(response) -> list[str]:
    assert response.status_code == 200
    parser = _VisibleText()
    parser.feed(response.content.decode())
    return parser.texts


def sidebar_labels(response) -> dict[str, str]:
    """The main menu's labels by item name (the sidebar is drawn from JSON props)."""
    html = response.content.decode()
    start = html.index('<script id="wagtail-sidebar-props" type="application/json">')
    props = html[html.index(">", start) + 1:html.index("</script>", start)]
    labels = {}

    def walk(node):
        if isinstance(node, dict):
            if "name" in node and "label" in node:
                labels[node["name"]] = node["label"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(props))
    return labels


@pytest.fixture
def site(db):
    home = site_home_ensure()
    policies = policy_index_ensure(home=home)
    bank = quiz_services.question_bank_get_or_create(name="测试题库")
    question = quiz_services.question_create(bank=bank, data=single())
    quiz_services.quiz_create(title="年度考试", questions=[question], is_draft=False, mode="exam")
    LearnerFactory(staff_number="Z0001")
    LearnerFactory(staff_number="Z0002", is_active=False)
    return {"home": home, "policies": policies}


# ---- the catalogues ---------------------------------------------------------------------------


def test_project_catalogue_relabels_no_wagtail_or_django_string(upstream):
    assert shadowed_entries(PROJECT_PO, upstream) == []


def test_overrides_catalogue_holds_only_translations_wagtail_lacks(upstream):
    assert problems(OVERRIDES_PO) == []
    assert override_problems(OVERRIDES_PO, upstream, project=PROJECT_PO) == []


def test_catalogue_check_reports_a_context_free_project_entry_that_relabels_wagtail(
    upstream, tmp_path
):
    catalogue = polib.POFile()
    catalogue.append(polib.POEntry(msgid="Pages", msgstr="分页"))
    catalogue.append(polib.POEntry(msgid="Pages", msgctxt="pagination", msgstr="分页"))
    path = tmp_path / "django.po"
    catalogue.save(str(path))

    (found,) = shadowed_entries(str(path), upstream)
    assert "'Pages'" in found and "分页" in found


# ---- the admin, as a superuser, in zh-hans ------------------------------------------------------


def test_admin_home_sidebar_and_summary_use_wagtails_chinese(admin_client, site, upstream):
    response = admin_client.get("/admin/")
    labels = sidebar_labels(response)
    for name, msgid in [("explorer", "Pages"), ("images", "Images"), ("documents", "Documents"),
                        ("reports", "Reports"), ("settings", "Settings"), ("help", "Help"),
                        ("users", "Users"), ("account", "Account"), ("logout", "Log out")]:
        assert labels[name] == wagtail_says(upstream, msgid), name
    assert labels["explorer"] != "分页"

    texts = visible(response)
    assert override_says("Search all pages…") in texts
    assert "Search all pages…" not in texts
    pages = site["home"].get_descendants(inclusive=True).count()
    assert f"{pages} 个页面" in texts
    assert not any(text.endswith(" Pages") for text in texts)


def test_page_explorer_columns_are_wagtails_own(admin_client, site, upstream):
    texts = visible(admin_client.get(f"/admin/pages/{site['home'].pk}/"))
    for msgid in ["Title", "Updated", "Type", "Status", "Search…"]:
        assert wagtail_says(upstream, msgid) in texts, msgid
    assert "题型" not in texts
    for msgid in ["Page type", "Has child pages", "Edited by", "Date updated"]:
        assert override_says(msgid) in texts, msgid
        assert msgid not in texts


def test_quiz_snippet_list_is_chinese_and_shows_draft_as_yes_no(admin_client, site, upstream):
    texts = visible(admin_client.get("/admin/snippets/quizzes/quiz/"))
    add_quiz = wagtail_says(upstream, "Add %(model_name)s") % {"model_name": "测验"}
    assert add_quiz in texts
    assert wagtail_says(upstream, "Title") in texts
    assert "草稿" in texts
    assert wagtail_says(upstream, "No") in texts  # the exam is not a draft
    assert "False" not in texts and "True" not in texts
    assert override_says("Sort by '%(label)s' in ascending order.") % {"label": "草稿"} in texts


def test_learner_list_shows_active_as_yes_no(admin_client, site, upstream):
    texts = visible(admin_client.get("/admin/organisation/learners/"))
    assert wagtail_says(upstream, "Active") in texts
    assert "姓名" in texts  # a person's name: our "Name" in context "person"
    assert wagtail_says(upstream, "Yes") in texts and wagtail_says(upstream, "No") in texts
    assert "True" not in texts and "False" not in texts


def test_learner_csv_export_writes_yes_no_for_flags(admin_client, site, upstream):
    response = admin_client.get("/admin/organisation/learners/", {"export": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    active = rows[0].index(wagtail_says(upstream, "Active"))
    by_number = {row[0]: row for row in rows[1:]}
    assert by_number["Z0001"][active] == wagtail_says(upstream, "Yes")
    assert by_number["Z0002"][active] == wagtail_says(upstream, "No")
    assert not {"True", "False"} & {cell for row in rows for cell in row}


def test_page_create_with_a_validation_error_is_chinese(admin_client, site, upstream):
    url = f"/admin/pages/add/portal/policydocumentpage/{site['policies'].pk}/"
    data = nested_form_data({"title": "", "body": streamfield([]),
                             "attachments": inline_formset([]),
                             "related_links": inline_formset([])})
    response = admin_client.post(url, data)
    texts = visible(response)

    error = "The page could not be created due to validation errors."
    assert override_says(error) in texts
    assert error not in texts
    # The header is Wagtail's "New" (新建), not our casebook's project type "New" (新增项目).
    assert any(text.startswith(f"{wagtail_says(upstream, 'New')}: 政策文件") for text in texts)
    assert "新增项目" not in response.content.decode()
    for msgid in ["Save draft", "Publish", "Preview"]:
        assert wagtail_says(upstream, msgid) in response.content.decode(), msgid
