"""Admin: the 组织与学员 menu group (departments, units, offices, learners, roster import,
initial passwords). Every list and object URL is scoped through departments.selectors."""

import django_filters
from django.contrib.admin.utils import unquote
from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets import Button
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from departments import admin_views, exports, selectors
from departments.forms import DepartmentForm, LearnerForm, OfficeForm, UnitForm
from departments.models import (
    Department,
    Learner,
    LearnerTransfer,
    Office,
    OfficeKind,
    Position,
    Unit,
)
from portal.admin_tables import YesNoColumn, yes_no_export


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
        Column("name", label=pgettext_lazy("person", "Name"), accessor="user.first_name"),
        "office",
        Column("unit", label=_("Budget unit"), accessor="office.unit.name"),
        Column("department", label=_("Department"), accessor="office.unit.department.name"),
        "position",
        YesNoColumn("is_active", label=_("Active"), sort_key="is_active"),
        YesNoColumn("account_activated", label=_("Account activated")),
    ]
    filterset_class = LearnerFilterSet
    search_fields = ["staff_number", "user__first_name"]
    list_export = exports.LEARNER_EXPORT_FIELDS
    export_headings = exports.LEARNER_EXPORT_HEADINGS
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
    custom_field_preprocess = yes_no_export("is_active", "account_activated")

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


class TransferLogPolicy(ModelPermissionPolicy):
    """The transfer log is read by bureau staff only and written by the services only: no one,
    not even a superuser, adds, changes or deletes a record in the admin."""

    def user_has_permission(self, user, action):
        return action == "view" and selectors.user_is_bureau(user)

    def user_has_any_permission(self, user, actions):
        return "view" in actions and selectors.user_is_bureau(user)

    def users_with_any_permission(self, actions):
        from django.contrib.auth import get_user_model
        from django.db.models import Q

        from departments import roles

        users = get_user_model().objects.filter(is_active=True)
        if "view" not in actions:
            return users.none()
        return users.filter(Q(is_superuser=True) | Q(groups__name=roles.BUREAU_STAFF)).distinct()


register_permission_policy(LearnerTransfer, TransferLogPolicy(LearnerTransfer))


@scoped_to(selectors.learner_transfers_visible_to)
class LearnerTransferViewSet(ModelViewSet):
    """Read-only audit log of learners moved between departments (bureau staff only)."""

    name = "org_learner_transfers"
    url_prefix = "organisation/learner-transfers"
    model = LearnerTransfer
    icon = "history"
    menu_label = _("Learner transfers")
    copy_view_enabled = False
    inspect_view_enabled = True
    form_fields = []  # never shown: TransferLogPolicy refuses add and change
    list_display = [
        Column("staff_number", label=_("Staff number"), accessor="learner.staff_number"),
        Column("name", label=pgettext_lazy("person", "Name"), accessor="learner.user.first_name"),
        "from_department",
        "to_department",
        "from_office",
        "to_office",
        "moved_by",
        "moved_at",
        "via",
    ]
    list_filter = ["via", "to_department", "from_department"]
    search_fields = ["learner__staff_number", "learner__user__first_name"]
    inspect_view_fields = [
        "learner", "from_department", "to_department", "from_office", "to_office",
        "moved_by", "moved_at", "via",
    ]


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
        LearnerTransferViewSet,
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
