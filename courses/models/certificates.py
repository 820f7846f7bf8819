"""Certificates: issued when a learner completes all their requirements of a plan, or a course
that issues its own. The printed fields are a snapshot taken at issue time (a later rename or
transfer does not change a certificate already handed out)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Certificate(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="certificates", verbose_name=_("learner"))
    plan = models.ForeignKey("courses.TrainingPlan", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="certificates",
                             verbose_name=_("training plan"))
    course = models.ForeignKey("courses.CoursePage", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="certificates",
                               verbose_name=_("course"))
    serial = models.CharField(_("serial number"), max_length=32, unique=True)
    code = models.CharField(_("verification code"), max_length=32, unique=True)
    holder_name = models.CharField(pgettext_lazy("certificate", "name"), max_length=150)
    department_name = models.CharField(_("department"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=255)
    credit_hours = models.DecimalField(_("credit hours"), max_digits=5, decimal_places=1)
    issued_at = models.DateTimeField(_("issued at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("revoked by"))
    revoke_reason = models.TextField(_("reason for revoking"), max_length=500, blank=True)

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.CheckConstraint(
                condition=Q(plan__isnull=False, course__isnull=True)
                | Q(plan__isnull=True, course__isnull=False),
                name="certificate_for_plan_or_course"),
            models.UniqueConstraint(fields=["user", "plan"], condition=Q(plan__isnull=False),
                                    name="certificate_once_per_plan"),
            models.UniqueConstraint(fields=["user", "course"], condition=Q(course__isnull=False),
                                    name="certificate_once_per_course"),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revoke_reason=""),
                name="certificate_revoked_with_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.serial} · {self.holder_name} · {self.title}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
