"""In-app notifications (intranet mail is often missing) and the reminder log that makes every
scheduled message go out exactly once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class NotificationKind(models.TextChoices):
    REMINDER = "reminder", pgettext_lazy("notification", "Training reminder")
    DIGEST = "digest", pgettext_lazy("notification", "Department digest")
    ESCALATION = "escalation", pgettext_lazy("notification", "Escalation to the head")
    ESSAY_MARKED = "essay_marked", pgettext_lazy("notification", "Essay marked")
    EXERCISE_REVIEWED = "exercise_reviewed", pgettext_lazy("notification", "Exercise reviewed")
    CERTIFICATE = "certificate", pgettext_lazy("notification", "Certificate issued")
    APPEAL_FILED = "appeal_filed", pgettext_lazy("notification", "Appeal filed")
    APPEAL_ANSWERED = "appeal_answered", pgettext_lazy("notification", "Appeal answered")


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications", verbose_name=_("recipient"))
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    title = models.CharField(_("title"), max_length=255)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(pgettext_lazy("notification", "link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.user} · {self.title}"


class ReminderLog(models.Model):
    """One scheduled message (reminder, digest, escalation) for one recipient, plan and date.

    The unique key is taken before anything is sent, so a retried task, a restarted worker or a
    second beat finds the row and sends nothing; `emailed_at` records that the mail went out.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", verbose_name=_("recipient"))
    plan = models.ForeignKey("courses.TrainingPlan", on_delete=models.CASCADE,
                             related_name="reminder_logs", verbose_name=_("training plan"))
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    on_date = models.DateField(_("date"))
    notification = models.ForeignKey(Notification, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("notification"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    email_error = models.TextField(_("e-mail error"), blank=True)

    class Meta:
        ordering = ["-on_date", "-pk"]
        verbose_name = _("reminder log entry")
        verbose_name_plural = _("reminder log")
        constraints = [
            models.UniqueConstraint(fields=["user", "plan", "kind", "on_date"],
                                    name="reminder_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.plan} · {self.kind} · {self.on_date}"
