"""Admin: annual training plans (年度培训计划), edited and published by bureau staff only."""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import Button
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from courses.membership import user_may_view_plan_roster
from courses.models import TrainingPlan
from courses.services import plan_assign_later, plan_publish
from departments.selectors import user_is_bureau


class BureauOnlyPolicy(ModelPermissionPolicy):
    """Plans are the bureau's: bureau staff and superusers may do everything, nobody else
    anything (department admins and editors included, whatever their model permissions)."""

    def user_has_permission(self, user, action):
        return user_is_bureau(user)

    def user_has_any_permission(self, user, actions):
        return user_is_bureau(user)

    def users_with_any_permission(self, actions):
        from django.contrib.auth import get_user_model
        from django.db.models import Q

        from departments import roles

        return get_user_model().objects.filter(is_active=True).filter(
            Q(is_superuser=True) | Q(groups__name=roles.BUREAU_STAFF)).distinct()


register_permission_policy(TrainingPlan, BureauOnlyPolicy(TrainingPlan))


def _publish_url(plan) -> str:
    return reverse("training_plans:publish", args=[plan.pk])


class TrainingPlanViewSet(ModelViewSet):
    name = "training_plans"
    url_prefix = "training-plans"
    model = TrainingPlan
    icon = "date"
    menu_label = _("Training plans")
    menu_order = 260
    add_to_admin_menu = True
    copy_view_enabled = False
    list_display = ["title", "year", "due_on", "makeup_until",
                    Column("published_at", label=_("published at"))]
    list_filter = ["year"]

    def publish_view(self, request, pk):
        """Confirm (GET) and publish (POST) a plan; publishing twice is harmless."""
        if not user_is_bureau(request.user):
            raise PermissionDenied
        plan = get_object_or_404(TrainingPlan, pk=unquote(str(pk)))
        edit_url = reverse(self.get_url_name("edit"), args=[plan.pk])
        if request.method == "POST":
            try:
                published = plan_publish(plan=plan, user=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                if published:
                    messages.success(request, _("Plan published: its requirements are being "
                                                "assigned to the learners who match."))
                else:
                    messages.info(request, _("This plan was already published."))
            return redirect(edit_url)
        return TemplateResponse(request, "courses/admin/plan_publish_confirm.html",
                                {"plan": plan, "edit_url": edit_url})

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(),
                path("publish/<str:pk>/", self.publish_view, name="publish")]


class PlanEditView(TrainingPlanViewSet.edit_view_class):
    def save_instance(self):
        instance = super().save_instance()
        # Requirements or departments added to a published plan reach their learners too.
        plan_assign_later(plan=instance)
        return instance

    @property
    def header_more_buttons(self):
        buttons = super().header_more_buttons
        if not self.object.is_published:
            buttons.append(Button(_("Publish"), icon_name="upload", priority=10,
                                  url=_publish_url(self.object)))
        return buttons


TrainingPlanViewSet.edit_view_class = PlanEditView


@hooks.register("register_admin_viewset")
def register_training_plans():
    return TrainingPlanViewSet()


# --- 培训完成情况: the roster against a plan, exemptions and their history ----------------------


class PlanRosterViewSet(ViewSet):
    """Department admins (their departments) and bureau staff (all): courses.views_admin_plans."""

    name = "plan_roster"
    url_prefix = "training-roster"
    icon = "table"
    menu_label = _("Training completion")
    add_to_admin_menu = False

    def get_urlpatterns(self):
        from courses import views_admin_plans as views

        return [
            path("", views.plan_roster, name="index"),
            path("assignments/<int:assignment_id>/exempt/", views.exemption_grant,
                 name="exempt"),
            path("exemptions/", views.exemption_history, name="history"),
            path("exemptions/<int:exemption_id>/revoke/", views.exemption_revoke,
                 name="revoke"),
        ]


class PlanRosterMenuItem(MenuItem):
    def is_shown(self, request):
        return user_may_view_plan_roster(request.user)


@hooks.register("register_admin_viewset")
def register_plan_roster():
    return PlanRosterViewSet()


@hooks.register("register_admin_menu_item")
def register_plan_roster_menu_item():
    return PlanRosterMenuItem(_("Training completion"), reverse("plan_roster:index"),
                              icon_name="table", order=261)


@hooks.register("register_admin_viewset")
def register_certificates():
    from courses.certificates.admin import CertificateViewSet

    return CertificateViewSet()
