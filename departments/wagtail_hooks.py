"""Admin: the 组织与学员 menu group (departments, units, offices, learners, roster import,
initial passwords). Every list and object URL is scoped through departments.selectors."""

import django_filters
from django.contrib.admin.utils import unquote
from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.views import generic
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets import Button

from departments import admin_views, selectors
from departments.forms import DepartmentForm, LearnerForm, OfficeForm, UnitForm
from departments.models import Department, Learner, Office, OfficeKind, Position, Unit


def scoped_to(selector):
    """Give a viewset view classes whose queryset is `selector(request.user)`: rows outside
    the user's scope are not listed, and their edit/delete/inspect/history/usage URLs 404."""

    class ScopedIndexView(generic.IndexView):
        def get_base_queryset(self):
            return selector(self.request.user)

    class ScopedEditView(generic.EditView):
        def get_queryset(self):
            return selector(self.request.user)

    class ScopedDeleteView(generic.DeleteView):
        def get_queryset(self):
            return selector(self.request.user)

    class ScopedInspectView(generic.InspectView):
        def get_object(self, queryset=None):
            return get_object_or_404(selector(self.request.user), pk=unquote(str(self.pk)))

    class ScopedHistoryView(HistoryView):
        def get_base_object_queryset(self):
            return selector(self.request.user)

    class ScopedUsageView(UsageView):
        def get_base_object_queryset(self):
            return selector(self.request.user)

    views = {
        "index_view_class": ScopedIndexView,
        "edit_view_class": ScopedEditView,
        "delete_view_class": ScopedDeleteView,
        "inspect_view_class": ScopedInspectView,
        "history_view_class": ScopedHistoryView,
        "usage_view_class": ScopedUsageView,
    }

    def decorate(viewset_class):
        for attribute, view_class in views.items():
            setattr(viewset_class, attribute, view_class)
        return viewset_class

    return decorate


class ScopedModelViewSet(ModelViewSet):
    copy_view_enabled = False
    inspect_view_enabled = True
    form_class = None

    def get_form_class(self, for_update=False):
        return self.form_class


def _visible_departments(request):
    if request is None:
        return Department.objects.none()
    return selectors.departments_visible_to(request.user)


class UnitFilterSet(WagtailFilterSet):
    department = django_filters.ModelChoiceFilter(
        label=_("Department"), queryset=_visible_departments, field_name="department"
    )

    class Meta:
        model = Unit
        fields = ["department"]


class OfficeFilterSet(WagtailFilterSet):
    department = django_filters.ModelChoiceFilter(
        label=_("Department"), queryset=_visible_departments, field_name="unit__department"
    )
    kind = django_filters.ChoiceFilter(label=_("Office kind"), choices=OfficeKind.choices)

    class Meta:
        model = Office
        fields = ["department", "kind"]


class LearnerFilterSet(WagtailFilterSet):
    department = django_filters.ModelChoiceFilter(
        label=_("Department"),
        queryset=_visible_departments,
        field_name="office__unit__department",
    )
    office_kind = django_filters.ChoiceFilter(
        label=_("Office kind"), choices=OfficeKind.choices, field_name="office__kind"
    )
    position = django_filters.ChoiceFilter(label=_("Position"), choices=Position.choices)
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Learner
        fields = ["department", "office_kind", "position", "is_active"]


def departments_with_unit_count(user):
    return selectors.departments_visible_to(user).annotate(unit_count=Count("units"))


@scoped_to(departments_with_unit_count)
class DepartmentViewSet(ScopedModelViewSet):
    name = "org_departments"
    url_prefix = "organisation/departments"
    model = Department
    icon = "group"
    menu_label = _("Departments")
    form_class = DepartmentForm
    list_display = ["code", "name", "kind", Column("unit_count", label=_("Units"))]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    inspect_view_fields = ["code", "name", "kind", "sort_order"]


@scoped_to(selectors.units_visible_to)
class UnitViewSet(ScopedModelViewSet):
    name = "org_units"
    url_prefix = "organisation/units"
    model = Unit
    icon = "home"
    menu_label = _("Budget units")
    form_class = UnitForm
    list_display = ["code", "name", "department"]
    filterset_class = UnitFilterSet
    search_fields = ["code", "name"]
    inspect_view_fields = ["code", "name", "department"]


@scoped_to(selectors.offices_visible_to)
class OfficeViewSet(ScopedModelViewSet):
    name = "org_offices"
    url_prefix = "organisation/offices"
    model = Office
    icon = "folder-open-inverse"
    menu_label = _("Offices")
    form_class = OfficeForm
    list_display = ["name", "unit", "kind"]
    filterset_class = OfficeFilterSet
    search_fields = ["name", "unit__name", "unit__code"]
    inspect_view_fields = ["name", "unit", "kind"]


@scoped_to(selectors.learners_visible_to)
class LearnerViewSet(ScopedModelViewSet):
    name = "org_learners"
    url_prefix = "organisation/learners"
    model = Learner
    icon = "user"
    menu_label = _("Learners")
    form_class = LearnerForm
    list_display = [
        "staff_number",
        Column("name", label=_("Name"), accessor="user.first_name"),
        "office",
        Column("unit", label=_("Budget unit"), accessor="office.unit.name"),
        Column("department", label=_("Department"), accessor="office.unit.department.name"),
        "position",
        BooleanColumn("is_active", label=_("Active")),
        BooleanColumn("account_activated", label=_("Account activated"),
                      accessor="account_activated"),
    ]
    filterset_class = LearnerFilterSet
    search_fields = ["staff_number", "user__first_name"]
    inspect_view_fields = [
        "staff_number",
        "name",
        "email",
        "office",
        "unit",
        "department",
        "position",
        "phone",
        "is_active",
        "must_change_password",
    ]


def _password_reset_button(user, learner):
    if not admin_views.user_may_issue_passwords(user):
        return None
    return Button(_("Reset password"), icon_name="key", priority=30,
                  url=reverse("departments_roster:password_reset", args=[learner.pk]))


class LearnerIndexView(LearnerViewSet.index_view_class):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if button := _password_reset_button(self.request.user, instance):
            buttons.append(button)
        return buttons


class LearnerEditView(LearnerViewSet.edit_view_class):
    @cached_property
    def header_more_buttons(self):
        buttons = super().header_more_buttons
        if button := _password_reset_button(self.request.user, self.object):
            buttons.append(button)
        return buttons


LearnerViewSet.index_view_class = LearnerIndexView
LearnerViewSet.edit_view_class = LearnerEditView


class PermissionMenuItem(MenuItem):
    check = None

    def is_shown(self, request):
        return type(self).check(request.user)


class RosterViewSet(ViewSet):
    """Roster import (upload, preview, confirm, progress), template and initial passwords."""

    name = "departments_roster"
    url_prefix = "organisation"
    icon = "upload"
    menu_label = _("Import roster")
    add_to_admin_menu = False

    @property
    def menu_item_class(self):
        class RosterMenuItem(PermissionMenuItem):
            check = staticmethod(admin_views.user_may_import_roster)

        return RosterMenuItem

    def get_urlpatterns(self):
        return [
            path("roster/", admin_views.roster_upload, name="upload"),
            path("roster/template.xlsx", admin_views.roster_template, name="template"),
            path("roster/<int:job_id>/preview/", admin_views.roster_preview, name="preview"),
            path("roster/<int:job_id>/", admin_views.roster_job, name="job"),
            path("roster/<int:job_id>/status.json", admin_views.roster_job_status, name="status"),
            path("passwords/", admin_views.initial_passwords, name="initial_passwords"),
            path(
                "passwords/reset/<int:pk>/",
                admin_views.learner_password_reset,
                name="password_reset",
            ),
        ]


class InitialPasswordsViewSet(ViewSet):
    """Menu entry for issuing initial passwords (the URLs live on RosterViewSet)."""

    name = "departments_passwords"
    icon = "key"
    menu_label = _("Initial passwords")

    @property
    def menu_url(self):
        return reverse("departments_roster:initial_passwords")

    @property
    def menu_item_class(self):
        class PasswordsMenuItem(PermissionMenuItem):
            check = staticmethod(admin_views.user_may_issue_passwords)

        return PasswordsMenuItem

    def get_urlpatterns(self):
        return []


class OrganisationViewSetGroup(ModelViewSetGroup):
    menu_label = _("Organisation and learners")
    menu_icon = "group"
    menu_order = 250
    items = (
        DepartmentViewSet,
        UnitViewSet,
        OfficeViewSet,
        LearnerViewSet,
        RosterViewSet,
        InitialPasswordsViewSet,
    )


@hooks.register("register_admin_viewset")
def register_organisation_viewsets():
    return OrganisationViewSetGroup()


class RosterSummaryPanel(Component):
    """Dashboard panel: each visible department's roster and activated accounts, with the
    business offices shown separately (the participation gap the bureau follows)."""

    name = "roster_summary"
    order = 50
    template_name = "departments/admin/roster_summary_panel.html"

    def __init__(self, rows):
        self.rows = rows

    def get_context_data(self, parent_context=None):
        return {"rows": self.rows}


@hooks.register("construct_homepage_panels")
def add_roster_summary_panel(request, panels):
    if not (selectors.user_is_bureau(request.user)
            or selectors.user_is_department_admin(request.user)):
        return
    rows = list(selectors.roster_summary_visible_to(request.user))
    if rows:
        panels.append(RosterSummaryPanel(rows))
