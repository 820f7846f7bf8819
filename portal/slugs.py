"""ASCII page slugs from Chinese titles (pinyin), unique among siblings.

Every project page type uses :class:`PinyinSlugMixin` (list it before ``Page``)::

    from portal.slugs import PinyinSlugMixin

    class CoursePage(PinyinSlugMixin, Page):
        ...

When the slug is empty, contains non-ASCII characters, or is what Wagtail's own slugify makes of
the title (its admin JavaScript turns "2026年度…" into "2026"), it is replaced by the pinyin of
the whole title ("预算绩效管理办法" -> "yu-suan-ji-xiao-guan-li-ban-fa"), with "-2", "-3" ...
appended when a sibling already uses it. This happens both in the Wagtail admin form (the slug
field is optional there; Wagtail's own JavaScript cannot transliterate Chinese) and when a new
page is saved in code.
"""

from __future__ import annotations

import re

from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from pypinyin import Style, lazy_pinyin
from wagtail.admin.forms import WagtailAdminPageForm

DEFAULT_MAX_LENGTH = 60
FALLBACK_SLUG = "page"

# "〔2020〕10号": the character 号 after a number is part of the document number's punctuation.
_NUMBER_SUFFIX = re.compile(r"(?<=[0-9〕\]）)])号")


def pinyin_slug(text: str, *, max_length: int = DEFAULT_MAX_LENGTH) -> str:
    """Return a lowercase ASCII slug for ``text``; Chinese becomes toneless pinyin syllables."""
    text = _NUMBER_SUFFIX.sub(" ", text or "")
    # Punctuation (including 〔〕《》：) separates words: "〔2020〕10" -> "2020 10".
    text = re.sub(r"[^\w]+", " ", text)
    # Each Chinese character becomes one syllable; runs of other characters are kept as they are
    # and reduced to [a-z0-9] by slugify (which also folds accents: "é" -> "e").
    syllables = lazy_pinyin(text, style=Style.NORMAL, errors="default")
    slug = slugify(" ".join(syllables), allow_unicode=False)
    slug = re.sub(r"[-_]+", "-", slug).strip("-")
    if len(slug) > max_length:
        cut = slug[: max_length + 1]
        # Cut at a syllable boundary when there is one.
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut[:max_length]
        slug = slug.strip("-")
    return slug or FALLBACK_SLUG


def needs_pinyin_slug(slug: str | None) -> bool:
    """True when the slug is empty or not plain ASCII."""
    return not slug or not slug.isascii()


def slug_is_automatic(slug: str | None, *, title: str | None, previous: str | None = None
                      ) -> bool:
    """True when ``slug`` was not chosen by a person, so it may become the title's pinyin with a
    suffix: empty, non-ASCII, or what a plain ASCII slugify of the title gives — Wagtail's admin
    JavaScript fills the field that way and keeps only "2026" of "2026年度…". A page's stored
    slug (``previous``) is never treated as automatic, so saving never moves a page's URL."""
    if needs_pinyin_slug(slug):
        return True
    if previous and slug == previous:
        return False
    return bool(title) and slug in {slugify(title, allow_unicode=False), pinyin_slug(title)}


def unique_sibling_slug(base: str, *, parent, page=None) -> str:
    """Return ``base`` or ``base-N`` (N = 2, 3 ...) so that no other child of ``parent`` uses it."""
    if parent is None:
        return base
    siblings = parent.get_children().filter(slug__startswith=base)
    if page is not None and page.pk:
        siblings = siblings.exclude(pk=page.pk)
    taken = set(siblings.values_list("slug", flat=True))
    candidate, suffix = base, 1
    while candidate in taken:
        suffix += 1
        candidate = f"{base}-{suffix}"
    return candidate


class PinyinSlugPageForm(WagtailAdminPageForm):
    """Admin page form whose slug is optional: left empty, it becomes the title's pinyin."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = _(
                "Part of the web address. Leave empty to use the title in pinyin "
                "(预算绩效管理办法 → yu-suan-ji-xiao-guan-li-ban-fa)."
            )

    def clean(self):
        title = self.cleaned_data.get("title")
        # self.instance still has the stored slug here (the form copies fields after clean()).
        if "slug" in self.fields and title and slug_is_automatic(
            self.cleaned_data.get("slug"), title=title, previous=self.instance.slug
        ):
            self.cleaned_data["slug"] = unique_sibling_slug(
                pinyin_slug(title), parent=self.parent_page, page=self.instance
            )
        return super().clean()


class PinyinSlugMixin:
    """Page mixin: fill empty or non-ASCII slugs with the title's pinyin, unique among siblings."""

    base_form_class = PinyinSlugPageForm

    def _set_core_field_defaults(self):
        # Wagtail's hook that fills the slug before validation and on every save(); it runs with
        # a known parent on save() after add_child(). Wagtail itself would only fill an *empty*
        # slug, and with WAGTAIL_ALLOW_UNICODE_SLUGS=False it yields "" for a Chinese title.
        parent_is_known = bool(self.path or getattr(self, "_cached_parent_obj", None))
        # A saved page keeps an ASCII slug it has; a new one treats Wagtail-style slugs as unset.
        automatic = (needs_pinyin_slug(self.slug) if self.pk
                     else slug_is_automatic(self.slug, title=self.title))
        if parent_is_known and automatic and self.title:
            self.slug = unique_sibling_slug(
                pinyin_slug(self.title), parent=self.get_parent(), page=self
            )
        super()._set_core_field_defaults()
