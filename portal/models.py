"""Portal pages (home, policy library, standard pages) and the site search table."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page

from portal.blocks import (
    RICH_TEXT_FEATURES,
    ClauseBlock,
    PolicyBodyBlock,
    RoleEntryBlock,
    StandardBodyBlock,
)
from portal.search import SearchablePageMixin, join_text, stream_text
from portal.slugs import PinyinSlugMixin


class PolicyLevel(models.TextChoices):
    CENTRAL = "central", _("Central")
    REGION = "region", _("Autonomous region")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")


class PolicyStatus(models.TextChoices):
    CURRENT = "current", _("Current")
    REVISED = "revised", _("Revised")
    REPEALED = "repealed", _("Repealed")


class Stage(models.TextChoices):
    """Stages of the budget performance management cycle a policy speaks to."""

    PRE_ASSESSMENT = "ex_ante", _("Ex-ante assessment")
    GOAL_MANAGEMENT = "goals", _("Goal management")
    MONITORING = "monitoring", _("Operational monitoring")
    EVALUATION = "evaluation", _("Performance evaluation")
    RESULT_APPLICATION = "results", _("Application of results")
    GENERAL = "general", _("General")


class StageListField(models.CharField):
    """A set of ``Stage`` codes stored as ",code,code," text.

    Plain text rather than JSON, an array or an M2M: filtering is a LIKE on ",code," that
    behaves the same on SQLite and PostgreSQL, it round-trips through page revisions, and there
    is no lookup table for TransactionTestCase flushes to empty.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", list)
        super().__init__(*args, **kwargs)

    @staticmethod
    def decode(value) -> list[str]:
        if value is None or value == "":
            return []
        items = value.split(",") if isinstance(value, str) else list(value)
        order = list(Stage.values)
        codes = {str(item).strip() for item in items if str(item).strip()}
        return sorted(codes, key=lambda code: order.index(code) if code in order else len(order))

    @classmethod
    def encode(cls, value) -> str:
        codes = cls.decode(value)
        return f",{','.join(codes)}," if codes else ""

    def from_db_value(self, value, expression, connection):
        return self.decode(value)

    def to_python(self, value):
        return self.decode(value)

    def get_prep_value(self, value):
        return self.encode(value)

    def value_to_string(self, obj):
        return self.encode(self.value_from_object(obj))

    def validate(self, value, model_instance):
        codes = self.decode(value)
        unknown = [code for code in codes if code not in Stage.values]
        if unknown:
            raise forms.ValidationError(
                _("Unknown stage: %(codes)s"), code="invalid_choice",
                params={"codes": ", ".join(unknown)},
            )
        if not codes and not self.blank:
            raise forms.ValidationError(self.error_messages["blank"], code="blank")

    def run_validators(self, value):
        # CharField's max-length validator would count list items; the encoded text is short.
        return None

    def formfield(self, **kwargs):
        return forms.MultipleChoiceField(
            choices=Stage.choices, required=not self.blank, label=self.verbose_name,
            help_text=self.help_text, widget=forms.CheckboxSelectMultiple,
        )


# --- Pages ------------------------------------------------------------------


# Who sees the "department admin" entry point: department admins and bureau staff hold it (a
# permission name, so the portal needs no import from departments).
ROSTER_PERMISSION = "departments.view_learner"


class HomePage(PinyinSlugMixin, Page):
    """The site's front page: what the platform is for, this year's window and where to start."""

    intro = RichTextField(
        features=RICH_TEXT_FEATURES, blank=True, verbose_name=_("introduction"),
        help_text=_("What the platform is for: annual training for department heads, practice "
                    "on goal-setting cases for business staff, participation tracking and "
                    "assessment by the finance bureau."),
    )
    training_window_start = models.DateField(
        null=True, blank=True, verbose_name=_("training window opens"),
        help_text=_("First day of this year's training (learners can start courses)."),
    )
    training_window_end = models.DateField(
        null=True, blank=True, verbose_name=_("training window closes"),
        help_text=_("Last day on which completion counts for this year's assessment."),
    )
    training_window_note = models.CharField(
        max_length=255, blank=True, verbose_name=_("training window note"),
        help_text=_("One sentence shown with the dates, e.g. who must take part."),
    )
    entry_points = StreamField(
        [("role", RoleEntryBlock())], blank=True, verbose_name=_("entry points"),
        help_text=_("One box per group of users: learners, department administrators, bureau."),
    )

    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("training_window_start"),
                               FieldPanel("training_window_end")]),
                FieldPanel("training_window_note"),
            ],
            heading=_("Training window"),
        ),
        FieldPanel("entry_points"),
    ]

    class Meta:
        verbose_name = _("home page")
        verbose_name_plural = _("home pages")

    @property
    def training_window_state(self) -> str:
        """'open', 'upcoming', 'closed' or '' (no dates) for today's date."""
        start, end = self.training_window_start, self.training_window_end
        if not start and not end:
            return ""
        today = timezone.localdate()
        if start and today < start:
            return "upcoming"
        if end and today > end:
            return "closed"
        return "open"

    def get_context(self, request, *args, **kwargs):
        from portal.selectors import policy_documents_latest

        context = super().get_context(request, *args, **kwargs)
        context["latest_policies"] = policy_documents_latest(limit=5)
        context["entry_points"] = self.entry_points_for(request.user)
        return context

    def entry_points_for(self, user) -> list:
        """The role entry points this user is shown: the roster one only to the people who
        manage learners (department admins and the bureau), for whom its link works."""
        may_manage_learners = user.has_perm(ROSTER_PERMISSION)
        return [block for block in self.entry_points
                if block.value.get("role") != "department_admin" or may_manage_learners]


class PolicyIndexPage(PinyinSlugMixin, Page):
    """The policy library: every live document, filterable by level, stage, status and year."""

    intro = RichTextField(
        features=RICH_TEXT_FEATURES, blank=True, verbose_name=_("introduction"),
        help_text=_("Shown above the list: what the library holds and how to use it."),
    )

    parent_page_types = ["portal.HomePage"]
    subpage_types = ["portal.PolicyDocumentPage"]
    per_page = 20

    content_panels = [*Page.content_panels, FieldPanel("intro")]

    class Meta:
        verbose_name = _("policy library")
        verbose_name_plural = _("policy libraries")

    def get_context(self, request, *args, **kwargs):
        from portal.forms import PolicyFilterForm
        from portal.selectors import policy_documents_for_index, policy_years

        context = super().get_context(request, *args, **kwargs)
        years = policy_years(index=self)
        form = PolicyFilterForm(request.GET or None, years=years)
        filters = form.valid_filters()
        documents = policy_documents_for_index(index=self, **filters)
        context["filter_form"] = form
        context["filters_active"] = bool(filters)
        context["documents"] = Paginator(documents, self.per_page).get_page(
            request.GET.get("page")
        )
        context["filter_querystring"] = form.querystring(filters)
        return context


class PolicyDocumentPage(PinyinSlugMixin, SearchablePageMixin, Page):
    """One policy document (or a study summary of one), readable clause by clause."""

    doc_number = models.CharField(
        max_length=100, blank=True, db_index=True, verbose_name=_("document number"),
        help_text=_("文号 exactly as printed, e.g. 财预〔2020〕10号. Leave empty if none."),
    )
    issuer = models.CharField(
        max_length=200, verbose_name=_("issuer"),
        help_text=_("发文机关, e.g. 财政部. Separate joint issuers with 、."),
    )
    level = models.CharField(
        max_length=20, choices=PolicyLevel.choices, verbose_name=_("level"),
        help_text=_("Administrative level of the issuer."),
    )
    publish_date = models.DateField(
        verbose_name=_("publication date"), help_text=_("发布日期 as printed on the document."),
    )
    effective_date = models.DateField(
        null=True, blank=True, verbose_name=_("effective date"),
        help_text=_("施行日期, if different from the publication date."),
    )
    status = models.CharField(
        max_length=20, choices=PolicyStatus.choices, default=PolicyStatus.CURRENT,
        verbose_name=_("status"),
        help_text=_("Current, revised (superseded by a newer version) or repealed."),
    )
    stages = StageListField(
        verbose_name=_("stages"),
        help_text=_("Stages of performance management the document deals with."),
    )
    is_summary = models.BooleanField(
        default=False, verbose_name=_("study summary"),
        help_text=_("Tick when the body is a summary of key points for learning rather than the "
                    "official text; a notice says so on the page."),
    )
    intro = models.TextField(
        blank=True, verbose_name=_("abstract"),
        help_text=_("Two or three sentences shown in lists and search results."),
    )
    official_url = models.URLField(
        blank=True, verbose_name=_("official text"),
        help_text=_("Address of the official text on the issuer's website, if public."),
    )
    body = StreamField(
        PolicyBodyBlock(), blank=True, verbose_name=_("text"),
        help_text=_("Add one Clause per article so each can be linked to."),
    )

    parent_page_types = ["portal.PolicyIndexPage"]
    subpage_types: list[str] = []
    search_kind = "policy"
    search_kind_label = _("Policy")

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("doc_number"), FieldPanel("issuer")]),
                FieldRowPanel([FieldPanel("level"), FieldPanel("status")]),
                FieldRowPanel([FieldPanel("publish_date"), FieldPanel("effective_date")]),
                FieldPanel("stages"),
                FieldPanel("official_url"),
            ],
            heading=_("Document details"),
        ),
        FieldPanel("is_summary"),
        FieldPanel("intro"),
        FieldPanel("body"),
        InlinePanel("attachments", label=_("Attachments")),
        InlinePanel("related_links", label=_("Related documents")),
    ]

    class Meta:
        verbose_name = _("policy document")
        verbose_name_plural = _("policy documents")

    @property
    def stage_labels(self) -> list[str]:
        labels = dict(Stage.choices)
        return [labels[code] for code in self.stages if code in labels]

    @cached_property
    def clauses(self) -> list:
        """Clause values in order (for the table of contents)."""
        return [block.value for block in self.body if isinstance(block.block, ClauseBlock)]

    def search_text(self) -> str:
        return join_text(self.doc_number, self.issuer, self.intro, stream_text(self.body))

    def search_date(self):
        return self.publish_date

    def get_context(self, request, *args, **kwargs):
        from portal.selectors import policy_attachments, policy_related_documents

        context = super().get_context(request, *args, **kwargs)
        context["attachments"] = policy_attachments(document=self)
        context["related_documents"] = policy_related_documents(document=self)
        return context


class PolicyAttachment(Orderable):
    """A file (the official PDF, an annex table) attached to a policy document."""

    page = ParentalKey(PolicyDocumentPage, on_delete=models.CASCADE, related_name="attachments")
    document = models.ForeignKey(
        "wagtaildocs.Document", on_delete=models.CASCADE, related_name="+",
        verbose_name=_("document"),
    )
    title = models.CharField(
        max_length=255, blank=True, verbose_name=_("link text"),
        help_text=_("Leave empty to use the document's title."),
    )

    panels = [FieldPanel("document"), FieldPanel("title")]

    class Meta(Orderable.Meta):
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    @property
    def display_title(self) -> str:
        return self.title or self.document.title


class PolicyRelatedLink(Orderable):
    """A link from one policy document to another (shown on both pages)."""

    page = ParentalKey(PolicyDocumentPage, on_delete=models.CASCADE, related_name="related_links")
    target = models.ForeignKey(
        PolicyDocumentPage, on_delete=models.CASCADE, related_name="incoming_links",
        verbose_name=_("related document"),
    )

    panels = [FieldPanel("target")]

    class Meta(Orderable.Meta):
        verbose_name = _("related document")
        verbose_name_plural = _("related documents")


class StandardPage(PinyinSlugMixin, SearchablePageMixin, Page):
    """A simple content page such as About or Help."""

    intro = models.TextField(
        blank=True, verbose_name=_("introduction"),
        help_text=_("One or two sentences under the title."),
    )
    body = StreamField(StandardBodyBlock(), blank=True, verbose_name=_("body"))

    parent_page_types = ["portal.HomePage", "portal.StandardPage"]
    subpage_types = ["portal.StandardPage"]

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]

    class Meta:
        verbose_name = _("standard page")
        verbose_name_plural = _("standard pages")

    def search_text(self) -> str:
        return join_text(self.intro, stream_text(self.body))


# --- Search -----------------------------------------------------------------


class SearchEntry(models.Model):
    """One live page as plain text, matched by substring (see portal.search)."""

    page = models.OneToOneField(
        Page, on_delete=models.CASCADE, primary_key=True, related_name="search_entry",
        verbose_name=_("page"),
    )
    kind = models.CharField(max_length=32, db_index=True, verbose_name=_("kind"))
    title = models.CharField(max_length=255, verbose_name=_("title"))
    text = models.TextField(blank=True, verbose_name=_("text"))
    sort_date = models.DateField(null=True, blank=True, verbose_name=_("date"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        indexes = [models.Index(fields=["-sort_date", "title"], name="portal_search_sort_idx")]

    def __str__(self) -> str:
        return self.title
