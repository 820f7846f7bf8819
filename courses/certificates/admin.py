"""Admin: the 证书 list. Bureau staff see every certificate and may revoke one (with a reason);
department admins see their own department's learners' certificates (through
`learners_visible_to`), read only. Nobody adds, edits or deletes one here: the service issues."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import Button
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from courses.certificates.selectors import certificates_visible_to
from courses.certificates.services import REASON_MAX_LENGTH, certificate_revoke
from courses.models import Certificate, TrainingPlan
from departments.selectors import user_has_department_scope, user_is_bureau


class CertificatePolicy(ModelPermissionPolicy):
    """View: bureau staff and department admins with a department. Revoke: bureau staff.
    Add, change, delete: nobody, superusers included (certificates come from the service)."""

    def user_has_permission(self, user, action):
        if action == "view":
            return user_has_department_scope(user)
        if action == "revoke":
            return user_is_bureau(user)
        return False

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        from django.contrib.auth import get_user_model
        from django.db.models import Q

        from departments import roles

        users = get_user_model().objects.filter(is_active=True)
        if "view" in actions:
            return users.filter(Q(is_superuser=True) | Q(groups__name=roles.BUREAU_STAFF)
                                | Q(groups__name=roles.DEPARTMENT_ADMIN)).distinct()
        if "revoke" in actions:
            return users.filter(Q(is_superuser=True)
                                | Q(groups__name=roles.BUREAU_STAFF)).distinct()
        return users.none()


register_permission_policy(Certificate, CertificatePolicy(Certificate))


def _published_plans(request):
    return TrainingPlan.objects.filter(published_at__isnull=False).order_by("-year", "pk")


class CertificateFilterSet(WagtailFilterSet):
    plan = django_filters.ModelChoiceFilter(label=pgettext_lazy("certificate", "Training plan"),
                                            queryset=_published_plans)
    kind = django_filters.ChoiceFilter(
        label=pgettext_lazy("certificate", "Kind"), method="filter_kind",
        choices=[("plan", _("Plan certificates")), ("course", _("Course certificates"))])
    revoked = django_filters.BooleanFilter(label=pgettext_lazy("certificate", "Revoked"),
                                           method="filter_revoked")

    class Meta:
        model = Certificate
        fields = ["plan", "kind", "revoked"]

    def filter_kind(self, queryset, name, value):
        if value == "plan":
            return queryset.filter(plan__isnull=False)
        if value == "course":
            return queryset.filter(course__isnull=False)
        return queryset

    def filter_revoked(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(revoked_at__isnull=not value)


def _validity(certificate: Certificate) -> str:
    if certificate.is_revoked:
        return str(pgettext_lazy("certificate", "Revoked"))
    return str(pgettext_lazy("certificate", "Valid"))


class CertificateIndexView(generic.IndexView):
    def get_base_queryset(self):
        return certificates_visible_to(self.request.user)

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if not instance.is_revoked and user_is_bureau(self.request.user):
            buttons.append(Button(
                pgettext_lazy("certificate", "Revoke"), icon_name="cross", priority=40,
                url=reverse("certificates_admin:revoke", args=[instance.pk])))
        return buttons


class CertificateInspectView(generic.InspectView):
    def get_object(self, queryset=None):
        return get_object_or_404(certificates_visible_to(self.request.user),
                                 pk=unquote(str(self.pk)))

    @property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        if not self.object.is_revoked and user_is_bureau(self.request.user):
            buttons.append(Button(pgettext_lazy("certificate", "Revoke"), icon_name="cross",
                                  priority=10,
                                  url=reverse("certificates_admin:revoke", args=[self.object.pk])))
        return buttons


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revoking"), max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Kept in the record and shown to the learner; the public verification page "
                    "shows only that the certificate is revoked, and since when."))


class CertificateViewSet(ModelViewSet):
    name = "certificates_admin"
    url_prefix = "certificates"
    model = Certificate
    icon = "form"
    menu_label = _("Certificates")
    menu_order = 262
    add_to_admin_menu = True
    copy_view_enabled = False
    inspect_view_enabled = True
    form_fields = []  # never shown: CertificatePolicy refuses add and change
    index_view_class = CertificateIndexView
    inspect_view_class = CertificateInspectView
    filterset_class = CertificateFilterSet
    search_fields = ["serial", "holder_name"]
    list_display = [
        "serial", "holder_name", "department_name", "title", "credit_hours",
        Column("issued_at", label=_("issued at"), sort_key="issued_at"),
        Column("validity", label=pgettext_lazy("certificate", "Validity"), accessor=_validity),
    ]
    inspect_view_fields = [
        "serial", "holder_name", "department_name", "title", "plan", "course", "credit_hours",
        "issued_at", "code", "revoked_at", "revoked_by", "revoke_reason",
    ]

    def revoke_view(self, request, pk):
        """Confirm with a reason (GET) and revoke (POST): bureau staff only."""
        if not user_is_bureau(request.user):
            raise PermissionDenied
        certificate = get_object_or_404(Certificate, pk=pk)
        inspect_url = reverse(self.get_url_name("inspect"), args=[certificate.pk])
        form = RevokeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                certificate_revoke(certificate=certificate, reason=form.cleaned_data["reason"],
                                   user=request.user)
            except ValidationError as exc:
                form.add_error("reason", exc)
            else:
                messages.success(request, _("Certificate %(serial)s revoked.")
                                 % {"serial": certificate.serial})
                return redirect(inspect_url)
        return TemplateResponse(request, "courses/certificates/admin_revoke.html", {
            "certificate": certificate, "form": form, "inspect_url": inspect_url})

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(),
                # <int:pk>: any other text is no certificate (404, not a ValueError's 500).
                path("revoke/<int:pk>/", self.revoke_view, name="revoke")]
