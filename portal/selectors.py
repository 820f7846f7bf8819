"""Reads for the portal: policy lists, related documents and site search."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.core.paginator import Page as PaginatorPage
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import ExtractYear
from wagtail.models import Page, PageViewRestriction, get_page_models

from portal.models import PolicyAttachment, PolicyDocumentPage, PolicyIndexPage, SearchEntry
from portal.search import SearchablePageMixin, highlight, query_terms


def policy_documents_latest(*, limit: int = 5) -> list[PolicyDocumentPage]:
    """The most recently published live policy documents, newest first."""
    return list(
        PolicyDocumentPage.objects.live().public()
        .order_by("-publish_date", "-pk")
        .defer("body")[:limit]
    )


def policy_documents_for_index(
    *,
    index: PolicyIndexPage,
    level: str | None = None,
    stage: str | None = None,
    status: str | None = None,
    year: int | None = None,
) -> QuerySet[PolicyDocumentPage]:
    """Live documents under ``index`` matching the filters, newest first (no per-row queries)."""
    documents = PolicyDocumentPage.objects.child_of(index).live().defer("body")
    if level:
        documents = documents.filter(level=level)
    if stage:
        documents = documents.filter(stages__contains=f",{stage},")
    if status:
        documents = documents.filter(status=status)
    if year:
        documents = documents.filter(publish_date__year=year)
    return documents.order_by("-publish_date", "title", "pk")


def policy_years(*, index: PolicyIndexPage) -> list[int]:
    """Publication years of the live documents under ``index``, newest first."""
    years = (
        PolicyDocumentPage.objects.child_of(index).live()
        .annotate(year=ExtractYear("publish_date"))
        .order_by("-year").values_list("year", flat=True).distinct()
    )
    return [year for year in years if year]


def policy_attachments(*, document: PolicyDocumentPage) -> list[PolicyAttachment]:
    """Attachments of ``document`` in editor order, with their files."""
    return list(document.attachments.select_related("document").order_by("sort_order"))


def policy_related_documents(*, document: PolicyDocumentPage) -> list[PolicyDocumentPage]:
    """Live documents linked from ``document`` or linking to it, linked-from first."""
    outgoing = (
        PolicyDocumentPage.objects.live()
        .filter(incoming_links__page=document)
        .order_by("incoming_links__sort_order")
    )
    incoming = (
        PolicyDocumentPage.objects.live()
        .filter(related_links__target=document)
        .order_by("-publish_date")
    )
    seen: set[int] = {document.pk}
    related: list[PolicyDocumentPage] = []
    for page in [*outgoing.defer("body"), *incoming.defer("body")]:
        if page.pk not in seen:
            seen.add(page.pk)
            related.append(page)
    return related


# --- Site search ------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    title: str
    url: str
    kind: str
    kind_label: str
    snippet: str
    date: date | None


@lru_cache(maxsize=1)
def search_kind_labels() -> dict[str, str]:
    """{kind code: label} for every searchable page type installed."""
    labels: dict[str, str] = {}
    for model in get_page_models():
        if issubclass(model, SearchablePageMixin):
            labels.setdefault(model.search_kind, model.search_kind_label)
    return labels


def _restricted_paths(user) -> list[str]:
    """Tree paths of private sections this user may not see (one query)."""
    restrictions = PageViewRestriction.objects.values_list("restriction_type", "page__path")
    if user is not None and getattr(user, "is_superuser", False):
        return []
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return [
        path for restriction_type, path in restrictions
        # Login-only sections are open to any signed-in user; password and group restrictions
        # are not evaluated here, so those sections stay out of search results.
        if not (authenticated and restriction_type == PageViewRestriction.LOGIN)
    ]


def site_search(
    *,
    query: str,
    user=None,
    kind: str | None = None,
    page: int | str | None = 1,
    per_page: int = 10,
    request=None,
) -> PaginatorPage | None:
    """Live pages whose title or text contains every term of ``query``, title matches first.

    Returns a paginator page of ``SearchHit`` (snippet highlighted and escaped), or None when the
    query has no terms. The number of queries does not depend on the number of results.
    """
    terms = query_terms(query)
    if not terms:
        return None
    entries = SearchEntry.objects.filter(page__live=True)
    for term in terms:
        entries = entries.filter(Q(title__icontains=term) | Q(text__icontains=term))
    if kind:
        entries = entries.filter(kind=kind)
    restricted = _restricted_paths(user)
    if restricted:
        private = Q()
        for path in restricted:
            private |= Q(page__path__startswith=path)
        entries = entries.exclude(private)
    title_hits = sum(
        (Case(When(title__icontains=term, then=Value(1)), default=Value(0),
              output_field=IntegerField()) for term in terms),
        Value(0),
    )
    entries = (
        entries.annotate(title_hits=title_hits)
        .select_related("page")
        .order_by("-title_hits", "-sort_date", "title", "pk")
    )
    result_page = Paginator(entries, per_page).get_page(page)
    labels = search_kind_labels()
    result_page.object_list = [
        SearchHit(
            title=entry.title,
            url=entry.page.get_url(request=request) or "",
            kind=entry.kind,
            kind_label=labels.get(entry.kind, entry.kind),
            snippet=highlight(entry.text, terms),
            date=entry.sort_date,
        )
        for entry in result_page.object_list
    ]
    result_page.terms = terms
    return result_page


def searchable_pages() -> QuerySet[Page]:
    """Live pages of searchable types (for rebuilding the search table)."""
    models = [model for model in get_page_models() if issubclass(model, SearchablePageMixin)]
    if not models:
        return Page.objects.none()
    return Page.objects.live().type(*models).specific()
