"""What learners produce in courses: enrolments, study time and lesson completions.

Learners are identified by their user account, as quiz attempts and exercise submissions are.
An enrolment's status, completion time and credited hours are a cache of what
`courses.selectors.course_progress` derives from the records; `rebuild_progress` recomputes it.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class EnrolmentStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", pgettext_lazy("course", "In progress")
    COMPLETED = "completed", pgettext_lazy("course", "Completed")


class Enrolment(models.Model):
    """A learner taking a course (self-enrolled when they first open one of its lessons)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="course_enrolments", verbose_name=_("learner"))
    course = models.ForeignKey("courses.CoursePage", on_delete=models.CASCADE,
                               related_name="enrolments", verbose_name=_("course"))
    requirement = models.ForeignKey(
        "courses.PlanRequirement", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="enrolments", verbose_name=_("plan requirement"),
        help_text=_("The annual plan requirement that made the learner take the course; empty "
                    "for a course taken on their own initiative."))
    status = models.CharField(max_length=12, choices=EnrolmentStatus.choices,
                              default=EnrolmentStatus.IN_PROGRESS, verbose_name=_("status"))
    started_at = models.DateTimeField(default=timezone.now, verbose_name=_("started at"))
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("completed at"))
    credited_hours = models.DecimalField(max_digits=4, decimal_places=1, default=Decimal("0"),
                                         verbose_name=_("credited hours"))
    last_lesson = models.ForeignKey("courses.LessonPage", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("last lesson opened"))

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="enrolment_once_per_course"),
            models.CheckConstraint(
                condition=Q(status="completed", completed_at__isnull=False)
                | Q(status="in_progress", completed_at__isnull=True, credited_hours=0),
                name="enrolment_completion_consistent"),
            models.CheckConstraint(condition=Q(credited_hours__gte=0),
                                   name="enrolment_credited_hours_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.course}"

    @property
    def is_completed(self) -> bool:
        return self.status == EnrolmentStatus.COMPLETED


class LessonStudy(models.Model):
    """Server-measured time a learner has had a lesson open and visible (from heartbeats)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", verbose_name=_("learner"))
    lesson = models.ForeignKey("courses.LessonPage", on_delete=models.CASCADE,
                               related_name="+", verbose_name=_("lesson"))
    seconds_studied = models.PositiveIntegerField(default=0, verbose_name=_("seconds studied"))
    last_heartbeat_at = models.DateTimeField(null=True, blank=True,
                                             verbose_name=_("last heartbeat"))

    class Meta:
        verbose_name = _("lesson study time")
        verbose_name_plural = _("lesson study times")
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="lesson_study_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.lesson} · {self.seconds_studied} s"


class CompletionHow(models.TextChoices):
    EXPLICIT = "explicit", _("Marked finished by the learner")
    AUTOMATIC = "automatic", _("Embedded quiz or exercise passed")


class LessonCompletion(models.Model):
    """A learner finished a lesson: by the "finished" button or by passing its quiz/exercise."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="lesson_completions", verbose_name=_("learner"))
    lesson = models.ForeignKey("courses.LessonPage", on_delete=models.CASCADE,
                               related_name="completions", verbose_name=_("lesson"))
    completed_at = models.DateTimeField(default=timezone.now, verbose_name=_("completed at"))
    how = models.CharField(max_length=10, choices=CompletionHow.choices,
                           verbose_name=_("how"))
    seconds_studied = models.PositiveIntegerField(default=0, verbose_name=_("seconds studied"))

    class Meta:
        verbose_name = _("lesson completion")
        verbose_name_plural = _("lesson completions")
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="lesson_completed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.lesson}"
