"""StreamField blocks shared by the portal pages (and usable by later apps)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.rich_text import RichText

from portal.slugs import pinyin_slug

RICH_TEXT_FEATURES = ["bold", "italic", "ol", "ul", "link", "document-link"]

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_ARTICLE_NUMBER = re.compile(r"^第([0-9]+|[零〇一二两三四五六七八九十百千]+)条$")


def chinese_numeral_to_int(text: str) -> int | None:
    """'三' -> 3, '十五' -> 15, '一百零二' -> 102, '12' -> 12; None when it is not a numeral."""
    if text.isdigit():
        return int(text)
    total, digit = 0, None
    for char in text:
        if char in _CN_DIGITS:
            digit = _CN_DIGITS[char]
        elif char in _CN_UNITS:
            total += (1 if digit is None else digit) * _CN_UNITS[char]
            digit = None
        else:
            return None
    return total + (digit or 0)


def clause_anchor(*, number: str = "", heading: str = "") -> str:
    """Stable fragment id for a clause: '第三条' -> 'clause-3', else the pinyin of number/heading.

    Derived from content rather than block ids so links survive re-imports and edits elsewhere.
    """
    number = (number or "").strip()
    match = _ARTICLE_NUMBER.match(number)
    if match:
        value = chinese_numeral_to_int(match.group(1))
        if value is not None:
            return f"clause-{value}"
    source = number or (heading or "").strip()
    return f"clause-{pinyin_slug(source, max_length=40)}" if source else "clause"


class ParagraphBlock(blocks.RichTextBlock):
    """Plain rich text paragraphs."""

    def __init__(self, **kwargs):
        kwargs.setdefault("features", RICH_TEXT_FEATURES)
        super().__init__(**kwargs)

    class Meta:
        icon = "pilcrow"
        label = _("Paragraphs")
        template = "blocks/paragraph.html"
        preview_value = RichText("<p>预算绩效管理是以绩效为导向的预算管理方式。</p>")
        description = _("Ordinary text")


class ClauseValue(blocks.StructValue):
    @cached_property
    def anchor(self) -> str:
        return clause_anchor(number=self.get("number"), heading=self.get("heading"))

    @property
    def label(self) -> str:
        return " ".join(part for part in (self.get("number"), self.get("heading")) if part)


class ClauseBlock(blocks.StructBlock):
    """One article of a policy (第三条 …) that readers can link to directly."""

    number = blocks.CharBlock(
        required=False, max_length=30, label=pgettext_lazy("clause", "Number"),
        help_text=_("As in the official text, e.g. 第三条. Used for the clause's link."),
    )
    heading = blocks.CharBlock(
        required=False, max_length=200, label=_("Heading"),
        help_text=_("Short heading, e.g. 绩效目标的内容. Give a number, a heading or both."),
    )
    text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, label=_("Text"))

    def clean(self, value):
        value = super().clean(value)
        if not (value.get("number") or "").strip() and not (value.get("heading") or "").strip():
            raise StructBlockValidationError(block_errors={
                "heading": ValidationError(_("Give the clause a number or a heading."))
            })
        return value

    class Meta:
        icon = "doc-full"
        label = _("Clause")
        template = "blocks/clause.html"
        value_class = ClauseValue
        preview_value = {
            "number": "第三条",
            "heading": "绩效目标",
            "text": RichText("<p>绩效目标应当指向明确、细化量化、合理可行、相应匹配。</p>"),
        }
        description = _("An article of a policy, with a link anchor")
        form_classname = "struct-block clause-block"


class QuoteBlock(blocks.StructBlock):
    """A quoted passage with its source."""

    text = blocks.TextBlock(label=_("Quotation"))
    source = blocks.CharBlock(required=False, max_length=200, label=_("Source"),
                              help_text=_("Who said or wrote it, e.g. a document number."))

    class Meta:
        icon = "openquote"
        label = _("Quote")
        template = "blocks/quote.html"
        preview_value = {"text": "花钱必问效、无效必问责。", "source": "中共中央 国务院"}


class RoleEntryBlock(blocks.StructBlock):
    """A home page entry point for one group of users."""

    role = blocks.ChoiceBlock(
        choices=[("learner", _("Learner")), ("department_admin", _("Department administrator")),
                 ("bureau", _("Finance bureau"))],
        label=_("Role"),
    )
    title = blocks.CharBlock(max_length=80, label=_("Title"))
    description = blocks.TextBlock(required=False, label=_("Description"))
    link_url = blocks.CharBlock(
        max_length=200, label=_("Link"),
        help_text=_("A site path such as /accounts/login/ or /admin/, or a full https:// address."),
    )
    link_text = blocks.CharBlock(max_length=40, label=_("Link text"))

    def clean(self, value):
        value = super().clean(value)
        url = value.get("link_url") or ""
        if not (url.startswith("/") or url.startswith(("https://", "http://"))):
            raise StructBlockValidationError(block_errors={
                "link_url": ValidationError(_("Start with / or http(s)://."))
            })
        return value

    class Meta:
        icon = "user"
        label = _("Role entry point")
        template = "blocks/role_entry.html"
        preview_value = {
            "role": "learner", "title": "学员", "description": "参加年度培训和案例练习。",
            "link_url": "/accounts/login/", "link_text": "登录学习",
        }
        form_classname = "struct-block"


class PolicyBodyBlock(blocks.StreamBlock):
    """The text of a policy document."""

    clause = ClauseBlock()
    paragraph = ParagraphBlock()
    quote = QuoteBlock()

    class Meta:
        icon = "doc-full-inverse"


class StandardBodyBlock(blocks.StreamBlock):
    """Body of simple pages (about, help)."""

    heading = blocks.CharBlock(
        max_length=120, label=_("Section heading"), icon="title",
        template="blocks/heading.html", form_classname="title",
        preview_value="使用帮助",
    )
    paragraph = ParagraphBlock()
    quote = QuoteBlock()

