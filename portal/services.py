"""Writes for the portal: the site's page tree, policy documents and the search table."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Locale, Page, Site

from portal.models import (
    HomePage,
    PolicyDocumentPage,
    PolicyIndexPage,
    PolicyLevel,
    PolicyRelatedLink,
    PolicyStatus,
    SearchEntry,
    Stage,
)
from portal.search import SearchablePageMixin

logger = logging.getLogger(__name__)

SITE_NAME = "绩效学堂"
POLICY_INDEX_SLUG = "policies"

ERROR_TITLE_REQUIRED = "A policy needs a title."
ERROR_ISSUER_REQUIRED = "A policy needs an issuer."
ERROR_PUBLISH_DATE_REQUIRED = "A policy needs a publish_date (YYYY-MM-DD)."
ERROR_BAD_DATE = "Not a date (YYYY-MM-DD): {value!r}."
ERROR_BAD_LEVEL = "Unknown level {value!r}; use one of central, region, city, district."
ERROR_BAD_STATUS = "Unknown status {value!r}; use one of current, revised, repealed."
ERROR_BAD_STAGE = "Unknown stage {value!r}; use one of " + ", ".join(Stage.values) + "."
ERROR_BAD_CLAUSE = "Clause {position} needs text and a number or a heading."

# Codes are canonical; the Chinese terms (and a few spellings) are accepted for hand-written data.
LEVEL_ALIASES = {
    "central": PolicyLevel.CENTRAL, "中央": PolicyLevel.CENTRAL, "国家": PolicyLevel.CENTRAL,
    "region": PolicyLevel.REGION, "autonomous_region": PolicyLevel.REGION,
    "autonomous region": PolicyLevel.REGION, "province": PolicyLevel.REGION,
    "自治区": PolicyLevel.REGION, "省": PolicyLevel.REGION, "省级": PolicyLevel.REGION,
    "city": PolicyLevel.CITY, "市": PolicyLevel.CITY, "市级": PolicyLevel.CITY,
    "district": PolicyLevel.DISTRICT, "区": PolicyLevel.DISTRICT, "区级": PolicyLevel.DISTRICT,
    "county": PolicyLevel.DISTRICT, "县": PolicyLevel.DISTRICT, "区县": PolicyLevel.DISTRICT,
}
STATUS_ALIASES = {
    "current": PolicyStatus.CURRENT, "现行有效": PolicyStatus.CURRENT,
    "有效": PolicyStatus.CURRENT, "现行": PolicyStatus.CURRENT,
    "revised": PolicyStatus.REVISED, "已修订": PolicyStatus.REVISED,
    "修订": PolicyStatus.REVISED, "已修改": PolicyStatus.REVISED,
    "repealed": PolicyStatus.REPEALED, "已废止": PolicyStatus.REPEALED,
    "废止": PolicyStatus.REPEALED, "失效": PolicyStatus.REPEALED,
}
STAGE_ALIASES = {
    **{code: code for code in Stage.values},
    "事前评估": Stage.PRE_ASSESSMENT, "事前绩效评估": Stage.PRE_ASSESSMENT,
    "目标管理": Stage.GOAL_MANAGEMENT, "绩效目标管理": Stage.GOAL_MANAGEMENT,
    "goal": Stage.GOAL_MANAGEMENT,
    "运行监控": Stage.MONITORING, "绩效运行监控": Stage.MONITORING,
    "绩效评价": Stage.EVALUATION, "评价": Stage.EVALUATION,
    "结果应用": Stage.RESULT_APPLICATION, "评价结果应用": Stage.RESULT_APPLICATION,
    "综合": Stage.GENERAL, "pre_assessment": Stage.PRE_ASSESSMENT,
    "goal_management": Stage.GOAL_MANAGEMENT, "result_application": Stage.RESULT_APPLICATION,
}

DEFAULT_HOME_INTRO = (
    "<p>绩效学堂是预算绩效管理的学习与考核平台：各部门负责人完成年度培训，业务科室人员在"
    "绩效目标编制案例上练习，财政局掌握各部门、各类科室的参训情况并据此考核。</p>"
)
DEFAULT_ENTRY_POINTS = [
    {"type": "role", "value": {
        "role": "learner", "title": "学员",
        "description": "部门负责人、财务和业务人员：参加年度培训课程，完成案例练习和测验。",
        "link_url": "/accounts/login/", "link_text": "登录学习"}},
    {"type": "role", "value": {
        "role": "department_admin", "title": "部门管理员",
        "description": "维护本部门人员名单，查看本部门各科室的参训进度。",
        "link_url": "/admin/organisation/learners/", "link_text": "管理名单"}},
    {"type": "role", "value": {
        "role": "bureau", "title": "财政局",
        "description": "发布课程和政策，查看全区参训统计，开展年度考核。",
        "link_url": "/admin/", "link_text": "进入管理后台"}},
]


# --- Search table -----------------------------------------------------------


def _as_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value if isinstance(value, dt.date) else None


def search_entry_update(*, page: Page) -> SearchEntry | None:
    """Index a live searchable page (or drop its entry when it is not live / not searchable)."""
    page = page.specific
    if not isinstance(page, SearchablePageMixin) or not page.live:
        search_entry_delete(page_id=page.pk)
        return None
    entry, _created = SearchEntry.objects.update_or_create(
        page_id=page.pk,
        defaults={
            "kind": page.search_kind,
            "title": page.title[:255],
            "text": page.search_text() or "",
            "sort_date": _as_date(page.search_date()),
        },
    )
    return entry


def search_entry_delete(*, page_id: int) -> None:
    """Remove a page from site search."""
    SearchEntry.objects.filter(page_id=page_id).delete()


@transaction.atomic
def search_entries_rebuild() -> tuple[int, int]:
    """Re-index every live searchable page and drop stale entries; returns (indexed, removed)."""
    from portal.selectors import searchable_pages

    indexed_ids = []
    for page in searchable_pages().iterator(chunk_size=200):
        search_entry_update(page=page)
        indexed_ids.append(page.pk)
    removed, _ = SearchEntry.objects.exclude(page_id__in=indexed_ids).delete()
    return len(indexed_ids), removed


# --- Site tree --------------------------------------------------------------

# Rows Wagtail's migrations create with English names, shown as such in the Chinese admin
# (the root in breadcrumbs, "提交给Moderators approval" on the publish menu). Only these exact
# default names are replaced: a name the bureau chose is theirs.
WAGTAIL_ROOT_TITLE = "Root"
WAGTAIL_DEFAULT_WORKFLOW_NAME = "Moderators approval"
ROOT_TITLE = "根目录"
DEFAULT_WORKFLOW_NAME = "审核员审批"


def wagtail_default_names_translate(*, registry=None, using: str = "default") -> int:
    """Give Wagtail's tree root and default moderation workflow and task Chinese names.

    Idempotent; returns the number of rows renamed. ``registry`` is the app registry to use
    (the migration state's in a ``post_migrate`` receiver), the installed apps by default.
    """
    from django.apps import apps as installed

    registry = registry or installed
    try:
        page_model = registry.get_model("wagtailcore", "Page")
        workflow_model = registry.get_model("wagtailcore", "Workflow")
        task_model = registry.get_model("wagtailcore", "Task")
    except LookupError:  # wagtailcore migrated only part way: nothing to rename yet
        return 0
    # Queryset updates: the root is no specific page type and has no revisions to keep.
    renamed = page_model.objects.using(using).filter(
        depth=1, title=WAGTAIL_ROOT_TITLE).update(title=ROOT_TITLE, draft_title=ROOT_TITLE)
    for model in (workflow_model, task_model):
        renamed += model.objects.using(using).filter(
            name=WAGTAIL_DEFAULT_WORKFLOW_NAME).update(name=DEFAULT_WORKFLOW_NAME)
    return renamed


def page_publish(page: Page) -> Page:
    """Publish a new revision of ``page`` and return the page as now stored (live=True)."""
    page.save_revision().publish()
    return type(page).objects.get(pk=page.pk)


def _tree_root() -> Page:
    """Wagtail's tree root, recreated (with the default locale) if the tree was emptied.

    Migrations create it, but a flushed database (TransactionTestCase, live_server) has none.
    """
    root = Page.get_first_root_node()
    if root is None:
        Locale.objects.get_or_create(
            language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
        )
        root = Page.add_root(instance=Page(title=ROOT_TITLE, slug="root", live=True))
    return root


@transaction.atomic
def site_home_ensure() -> HomePage:
    """The HomePage as the default site's root, replacing Wagtail's welcome page (idempotent)."""
    root = _tree_root()
    home = HomePage.objects.first()
    site = Site.objects.filter(is_default_site=True).first()
    if home is None:
        plain_page = ContentType.objects.get_for_model(Page)
        welcome_pages = [p for p in root.get_children().filter(content_type=plain_page)
                         if p.is_leaf()]
        if site is not None and site.root_page_id in {p.pk for p in welcome_pages}:
            # Site.root_page cascades: park the site on the tree root while the page goes.
            site.root_page = root
            site.save(update_fields=["root_page"])
        for page in welcome_pages:
            page.delete()
        year = timezone.localdate().year
        home = HomePage(
            title=SITE_NAME, slug="home", live=False, intro=DEFAULT_HOME_INTRO,
            # The calendar year, so that a demo seeded on any day has an open annual exam;
            # the bureau sets its real dates on the home page.
            training_window_start=dt.date(year, 1, 1),
            training_window_end=dt.date(year, 12, 31),
            training_window_note="各部门负责人须在培训期内完成年度必修课程，结果纳入年度考核。",
            entry_points=DEFAULT_ENTRY_POINTS,
        )
        root.add_child(instance=home)
        home = page_publish(home)
    if site is None:
        Site.objects.create(hostname="localhost", port=80, root_page=home,
                            is_default_site=True, site_name=SITE_NAME)
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.save(update_fields=["root_page"])
    return home


@transaction.atomic
def policy_index_ensure(*, home: HomePage) -> PolicyIndexPage:
    """The policy library under ``home`` at /policies/ (idempotent)."""
    index = PolicyIndexPage.objects.child_of(home).filter(slug=POLICY_INDEX_SLUG).first()
    if index is None:
        index = PolicyIndexPage(
            title="政策文件库", slug=POLICY_INDEX_SLUG, live=False,
            intro="<p>预算绩效管理相关的法律法规、制度办法和工作通知，可按层级、环节、"
                  "状态和年度筛选。</p>",
        )
        home.add_child(instance=index)
        index = page_publish(index)
    return index


# --- Policy documents -------------------------------------------------------


def _parse_date(value, *, required: bool, missing_error: str = "") -> dt.date | None:
    if value in (None, ""):
        if required:
            raise ValueError(missing_error)
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(ERROR_BAD_DATE.format(value=value)) from None


def _lookup(aliases: dict, value, error: str, default=None):
    if value in (None, "") and default is not None:
        return default
    key = str(value).strip()
    found = aliases.get(key) or aliases.get(key.lower())
    if found is None:
        raise ValueError(error.format(value=value))
    return str(found)


def _text_to_html(text: str) -> str:
    """Plain text (paragraphs on separate lines) or simple HTML to rich text HTML."""
    text = (text or "").strip()
    if text.startswith("<"):
        return text
    paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
    return "".join(f"<p>{escape(line)}</p>" for line in paragraphs)


def _policy_body(clauses: Iterable[dict]) -> list[dict]:
    body = []
    for position, clause in enumerate(clauses or [], start=1):
        if isinstance(clause, str):
            clause = {"text": clause}
        number = (clause.get("number") or "").strip()
        heading = (clause.get("heading") or clause.get("title") or "").strip()
        html = _text_to_html(clause.get("text") or clause.get("body") or "")
        if not html:
            raise ValueError(ERROR_BAD_CLAUSE.format(position=position))
        if number or heading:
            body.append({"type": "clause",
                         "value": {"number": number, "heading": heading, "text": html}})
        else:
            body.append({"type": "paragraph", "value": html})
    return body


def _policy_fields(data: dict) -> dict:
    title = (data.get("title") or "").strip()
    if not title:
        raise ValueError(ERROR_TITLE_REQUIRED)
    issuer = (data.get("issuer") or "").strip()
    if not issuer:
        raise ValueError(ERROR_ISSUER_REQUIRED)
    stages = []
    for stage in data.get("stages") or []:
        code = _lookup(STAGE_ALIASES, stage, ERROR_BAD_STAGE)
        if code not in stages:
            stages.append(code)
    return {
        "title": title,
        "doc_number": (data.get("doc_number") or "").strip(),
        "issuer": issuer,
        "level": _lookup(LEVEL_ALIASES, data.get("level"), ERROR_BAD_LEVEL),
        "publish_date": _parse_date(data.get("publish_date"), required=True,
                                    missing_error=ERROR_PUBLISH_DATE_REQUIRED),
        "effective_date": _parse_date(data.get("effective_date"), required=False),
        "status": _lookup(STATUS_ALIASES, data.get("status"), ERROR_BAD_STATUS,
                          default=PolicyStatus.CURRENT),
        "stages": sorted(stages, key=Stage.values.index),
        "is_summary": bool(data.get("is_summary", False)),
        "intro": (data.get("intro") or data.get("summary") or "").strip(),
        "official_url": (data.get("official_url") or "").strip(),
    }


def _body_signature(body) -> list:
    return [(block["type"], block["value"]) for block in body.raw_data] if body else []


def _find_policy(*, index: PolicyIndexPage, doc_number: str, title: str):
    documents = PolicyDocumentPage.objects.child_of(index)
    if doc_number:
        return documents.filter(doc_number=doc_number).first()
    return documents.filter(doc_number="", title=title).first()


def _related_targets(numbers: Iterable[str], *, exclude_pk: int | None) -> list[int]:
    keys = [str(n).strip() for n in numbers or [] if str(n).strip()]
    if not keys:
        return []
    found = {}
    for pk, number, title in PolicyDocumentPage.objects.filter(
        Q(doc_number__in=keys) | Q(doc_number="", title__in=keys)
    ).order_by("pk").values_list("pk", "doc_number", "title"):
        found.setdefault(number or title, pk)
    return [found[key] for key in keys if key in found and found[key] != exclude_pk]


@transaction.atomic
def policy_document_upsert(*, index: PolicyIndexPage, data: dict) -> PolicyDocumentPage:
    """Create or update one policy document from plain data; publish only when it changed.

    Keyed on ``doc_number`` within ``index`` (on ``title`` when there is no number). Schema of
    ``data`` (the format of ``portal/demo_policies.py``)::

        {
            "title": "项目支出绩效评价管理办法",          # required
            "doc_number": "财预〔2020〕10号",             # 文号; "" or missing if none
            "issuer": "财政部",                          # required, 发文机关
            "level": "central",        # central | region | city | district (中央/自治区/市/区 ok)
            "publish_date": "2020-02-25",                # required, date or "YYYY-MM-DD"
            "effective_date": "2020-02-25",              # optional (None / "")
            "status": "current",       # current | revised | repealed (现行有效/已修订/已废止 ok)
            "stages": ["evaluation", "results"],
                # codes: ex_ante 事前评估, goals 目标管理, monitoring 运行监控,
                # evaluation 绩效评价, results 结果应用, general 综合
                # (the Chinese names are accepted too)
            "is_summary": True,        # body is a study summary, not the official text
            "summary": "一两句话的简介。",                # optional abstract ("intro" also ok)
            "official_url": "https://…",                # optional
            "clauses": [               # in order; becomes the body StreamField
                {"number": "第一条", "heading": "目的依据",
                 "text": "第一段。\\n第二段。"},          # plain lines -> <p>, or simple HTML
                {"text": "<p>No number and no heading -> a plain paragraph.</p>"},
            ],
            "related": ["财预〔2018〕167号"],             # doc numbers (or titles) of other
                                                         # documents; unknown ones are skipped
        }

    Related documents that do not exist yet are skipped; ``policy_documents_sync`` runs two
    passes so a whole list links up in one call. Raises ValueError (messages ``ERROR_*``)
    before writing anything when the data is invalid.
    """
    fields = _policy_fields(data)
    body = _policy_body(data.get("clauses"))
    page = _find_policy(index=index, doc_number=fields["doc_number"], title=fields["title"])
    targets = _related_targets(data.get("related"), exclude_pk=page.pk if page else None)

    if page is None:
        page = PolicyDocumentPage(live=False, slug=(data.get("slug") or ""), body=body, **fields)
        page.related_links = [PolicyRelatedLink(target_id=pk) for pk in targets]
        index.add_child(instance=page)
        return page_publish(page)

    draft = page.get_latest_revision_as_object()
    new_body = PolicyDocumentPage(body=body).body
    changed = (
        any(getattr(draft, name) != value for name, value in fields.items())
        or _body_signature(draft.body) != _body_signature(new_body)
        or [link.target_id for link in draft.related_links.all()] != targets
    )
    if not changed:
        return page
    for name, value in fields.items():
        setattr(draft, name, value)
    draft.body = body
    draft.related_links = [PolicyRelatedLink(target_id=pk) for pk in targets]
    return page_publish(draft)


def policy_documents_sync(*, index: PolicyIndexPage, items: Iterable[dict]
                          ) -> list[PolicyDocumentPage]:
    """Upsert a list of policies (e.g. demo_policies.POLICIES), linking related ones both ways.

    The second pass only publishes documents whose related documents appeared in the first.
    """
    items = list(items)
    for data in items:
        policy_document_upsert(index=index, data=data)
    return [policy_document_upsert(index=index, data=data) for data in items]
