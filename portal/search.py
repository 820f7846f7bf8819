"""Site search for Chinese text: a denormalised table matched by substring.

Why not Wagtail's search backend: the database backend tokenises on spaces, and Chinese has no
spaces, so "满意度" would never find "服务对象满意度". Instead every live searchable page has one
``portal.SearchEntry`` row (title + plain text) kept in step by signal handlers
(``portal.signals``) and matched with case-insensitive ``LIKE``/``ILIKE`` substrings, which works
the same on SQLite and PostgreSQL. ``portal.selectors.site_search`` reads it.

Making a page type searchable (courses, casebook, ... do the same)::

    from portal.search import SearchablePageMixin

    class CasePage(PinyinSlugMixin, SearchablePageMixin, Page):
        search_kind = "case"                 # short code, used by the ?kind= filter
        search_kind_label = _("Case")        # shown next to each result

        def search_text(self) -> str:        # everything except the title, as plain text
            return join_text(self.summary, stream_text(self.body))

        def search_date(self):               # optional: newer results first among equals
            return self.first_published_at

Nothing else is needed: publishing indexes the page, unpublishing or deleting removes it, and
``manage.py rebuild_search_entries`` rebuilds the whole table (after a bulk import or a change
to ``search_text``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import date, datetime

from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from wagtail.blocks import StreamValue, StructValue
from wagtail.blocks.list_block import ListValue
from wagtail.rich_text import RichText

QUERY_MAX_LENGTH = 100
_WHITESPACE = re.compile(r"\s+")


class SearchablePageMixin:
    """Page mixin: the page appears in site search while it is live."""

    search_kind = "page"
    search_kind_label = _("Page")

    def search_text(self) -> str:
        """Plain text (besides the title) that a search should find."""
        return getattr(self, "search_description", "") or ""

    def search_date(self) -> date | datetime | None:
        """Date used to order results with equal relevance (newest first)."""
        return self.first_published_at


def html_to_text(value: str) -> str:
    """Rich text or HTML to plain text, keeping paragraph breaks as spaces."""
    text = re.sub(r"<(br|/p|/li|/h[1-6]|/div|/blockquote)\b[^>]*>", " ", value or "")
    return _WHITESPACE.sub(" ", html.unescape(strip_tags(text))).strip()


def stream_text(value) -> str:
    """All text inside a StreamField / block value, as one plain string."""
    parts: list[str] = []

    def walk(item):
        if item is None:
            return
        if isinstance(item, RichText):
            parts.append(html_to_text(item.source))
        elif isinstance(item, StreamValue):
            for child in item:
                walk(child.value)
        elif isinstance(item, StructValue | dict):
            for child in item.values():
                walk(child)
        elif isinstance(item, ListValue | list | tuple):
            for child in item:
                walk(child)
        elif isinstance(item, str):
            parts.append(item)

    walk(value)
    return join_text(*parts)


def join_text(*parts: str | None) -> str:
    """Join non-empty strings with single spaces."""
    return " ".join(_WHITESPACE.sub(" ", str(part)).strip() for part in parts if part).strip()


def query_terms(query: str) -> list[str]:
    """Split a user query on whitespace (ASCII and full-width), capped and de-duplicated."""
    query = (query or "")[:QUERY_MAX_LENGTH]
    terms: list[str] = []
    for term in query.replace("\u3000", " ").split():
        if term.casefold() not in {t.casefold() for t in terms}:
            terms.append(term)
    return terms


def highlight(text: str, terms: Iterable[str], *, width: int = 120) -> SafeString:
    """A window of ``text`` around the first match with every match wrapped in <mark>.

    Each piece of text is escaped before the <mark> tags are added around it, so neither page
    content nor the user's query can inject markup.
    """
    text = text or ""
    terms = [t for t in terms if t]
    if not terms:
        return mark_safe(escape(text[:width]))  # noqa: S308 - escaped just above
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)),
                         re.IGNORECASE)
    first = pattern.search(text)
    start = 0 if first is None else max(0, first.start() - width // 3)
    end = min(len(text), start + width)
    window = text[start:end]
    out: list[str] = ["…" if start > 0 else ""]
    cursor = 0
    for match in pattern.finditer(window):
        out.append(escape(window[cursor:match.start()]))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        cursor = match.end()
    out.append(escape(window[cursor:]))
    if end < len(text):
        out.append("…")
    return mark_safe("".join(out))  # noqa: S308 - every piece escaped above
