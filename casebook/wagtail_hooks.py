"""Admin: the 案例与指标 menu group (indicator library, functional classes, checker settings)
and the case editor's checker warnings."""

from __future__ import annotations

import django_filters
from django.contrib import messages
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from casebook.forms import GoalRuleSettingsForm
from casebook.models import (
    CasePage,
    Exercise,
    FunctionalClass,
    FunctionalClassLevel,
    GoalRuleSettings,
    Indicator,
    IndicatorBasis,
    IndicatorDirection,
    IndicatorSource,
)
from casebook.models.indicators import LEVEL1_CHOICES
from departments.admin_choosers import AuthorOnlySnippetChooserViewSet
from portal.admin_tables import YesNoColumn


class IndicatorFilterSet(WagtailFilterSet):
    func_class = django_filters.ModelChoiceFilter(
        label=_("Functional class"),
        queryset=FunctionalClass.objects.filter(level=FunctionalClassLevel.CLASS,
                                                valid_to__isnull=True),
    )
    level1 = django_filters.ChoiceFilter(label=_("Level 1"), choices=LEVEL1_CHOICES)
    level2 = django_filters.CharFilter(label=_("Level 2"))
    direction = django_filters.ChoiceFilter(label=_("Direction"),
                                            choices=IndicatorDirection.choices)
    basis = django_filters.ChoiceFilter(label=_("Basis"), choices=IndicatorBasis.choices)
    source = django_filters.ChoiceFilter(label=_("Source"), choices=IndicatorSource.choices)

    class Meta:
        model = Indicator
        fields = ["func_class", "level1", "level2", "direction", "basis", "source"]


class IndicatorIndexView(generic.IndexView):
    """Admin list searched through the gram index (a plain icontains scans 100,000 rows)."""

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        from casebook.selectors import indicators_search

        return queryset.filter(pk__in=indicators_search(q=self.search_query).values("pk"))


class IndicatorViewSet(ModelViewSet):
    name = "casebook_indicators"
    url_prefix = "casebook/indicators"
    model = Indicator
    icon = "list-ul"
    menu_label = _("Indicator library")
    index_view_class = IndicatorIndexView
    list_display = ["name", "func_class", "level1", "level2", "unit", "direction", "source"]
    filterset_class = IndicatorFilterSet
    search_fields = ["name"]
    list_per_page = 50
    copy_view_enabled = False
    inspect_view_enabled = True
    panels = [
        FieldRowPanel([FieldPanel("func_class"), FieldPanel("func_subclass")]),
        FieldPanel("sector"),
        FieldRowPanel([FieldPanel("level1"), FieldPanel("level2")]),
        FieldPanel("name"),
        FieldPanel("explanation"),
        FieldRowPanel([FieldPanel("unit"), FieldPanel("direction"),
                       FieldPanel("typical_value")]),
        FieldRowPanel([FieldPanel("basis"), FieldPanel("source")]),
        FieldPanel("examples"),
    ]

    def get_index_view_kwargs(self, **kwargs):
        # ModelViewSet never calls a viewset's get_queryset(request): the join goes to the
        # index view, or every row costs a query for its functional class.
        return super().get_index_view_kwargs(
            queryset=Indicator.objects.select_related("func_class"), **kwargs
        )


class FunctionalClassViewSet(ModelViewSet):
    name = "casebook_func_classes"
    url_prefix = "casebook/functional-classes"
    model = FunctionalClass
    icon = "tag"
    menu_label = _("Functional classes")
    list_display = ["code", "name", "level", "parent", "valid_from", "valid_to"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    list_per_page = 100
    copy_view_enabled = False
    panels = [
        FieldRowPanel([FieldPanel("level"), FieldPanel("code"), FieldPanel("parent")]),
        FieldRowPanel([FieldPanel("name"), FieldPanel("name_en")]),
        FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_to")]),
    ]


class GoalRuleSettingsViewSet(ModelViewSet):
    """Bureau staff only: the checker's per-year overrides (vague words, units, thresholds)."""

    name = "casebook_goal_rules"
    url_prefix = "casebook/goal-rules"
    model = GoalRuleSettings
    icon = "cog"
    menu_label = _("Goal-table checker settings")
    list_display = ["year", "framework", "note",
                    Column("updated_by", label=_("Updated by")), "updated_at"]
    list_filter = ["framework"]
    copy_view_enabled = False
    edit_handler = ObjectList([
        FieldRowPanel([FieldPanel("year"), FieldPanel("framework")]),
        FieldPanel("overrides"),
        FieldPanel("note"),
    ], base_form_class=GoalRuleSettingsForm)


class CasebookGroup(ModelViewSetGroup):
    menu_label = _("Cases and indicators")
    menu_icon = "doc-full-inverse"
    menu_order = 320
    items = (IndicatorViewSet, FunctionalClassViewSet, GoalRuleSettingsViewSet)


@hooks.register("register_admin_viewset")
def register_casebook_viewsets():
    return CasebookGroup()


def _findings_warning(request, page) -> None:
    form_findings = getattr(request, "_casebook_findings", None)
    if not isinstance(page.specific, CasePage) or not form_findings:
        return
    items = format_html_join(
        "", "<li>{}{}: {}</li>",
        ((f"#{f['row']} " if f.get("row") else "", f["rule"], f["message"])
         for f in form_findings),
    )
    messages.warning(request, format_html_join(
        "", "{}<ul>{}</ul>", [(_("The goal-table checker reports:"), items)]))


@hooks.register("after_create_page")
@hooks.register("after_edit_page")
def casebook_checker_warning(request, page):
    """After saving a case, list the checker's findings (errors block only publishing)."""
    specific = page.specific
    if not isinstance(specific, CasePage):
        return None
    from casebook.services import goal_table_findings

    request._casebook_findings = goal_table_findings(
        table=specific.get_latest_revision_as_object().reference_table(),
        year=specific.year) or []
    _findings_warning(request, page)
    return None


# ---- exercises (snippet for ExerciseBlock choosers) and the reviewer list -----------------


class ExerciseViewSet(SnippetViewSet):
    """Exercises on cases (goal setting, find the errors, scoring, monitoring, ex-ante)."""

    model = Exercise
    chooser_viewset_class = AuthorOnlySnippetChooserViewSet
    icon = "form"
    menu_label = _("Exercises")
    menu_order = 321
    add_to_admin_menu = True
    list_display = ["title", "case", "kind", "pass_mark", "max_attempts",
                    YesNoColumn.for_field(Exercise, "published")]
    list_filter = ["kind", "published"]
    search_fields = ["title"]
    copy_view_enabled = False

    def get_queryset(self, request):
        return Exercise.objects.select_related("case")


register_snippet(ExerciseViewSet)


class _ReviewMenuItem(MenuItem):
    def is_shown(self, request):
        from casebook.exercises.selectors import user_can_see_submissions

        return user_can_see_submissions(request.user)


@hooks.register("register_admin_menu_item")
def register_exercise_review_menu_item():
    return _ReviewMenuItem(_("Exercise submissions"), reverse("exercise_review:index"),
                           icon_name="tasks", order=322)


class ExerciseReviewViewSet(ViewSet):
    """The exercise review queue inside the admin, with its learner picker."""

    name = "exercise_review"
    url_prefix = "casebook/review"
    icon = "tasks"
    menu_label = _("Exercise submissions")
    add_to_admin_menu = False

    def get_urlpatterns(self):
        from casebook.exercises import views as exercise_views

        return [
            path("", exercise_views.review_list, name="index"),
            path("learners/", exercise_views.review_learners, name="learners"),
            path("<int:pk>/", exercise_views.review_detail, name="detail"),
        ]


@hooks.register("register_admin_viewset")
def register_exercise_review_viewset():
    return ExerciseReviewViewSet()
