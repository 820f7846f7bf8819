"""Annual training plans (年度培训计划): who must complete which course, by when.

A plan targets all departments or chosen ones and lists requirements by position; publishing it
assigns each requirement to every active learner who matches (`PlanAssignment`). The status of an
assignment is never stored: `courses.selectors.plan_statuses` derives it from the enrolment.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.forms import BaseChildFormSet
from modelcluster.models import ClusterableModel
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Orderable

from departments.models import Position

ERROR_DATES = _("The dates are impossible: the plan must open on or before its due date, and "
                "the make-up deadline cannot be before the due date.")
ERROR_YEAR = _("The plan opens in %(opens)s but is the plan for %(year)s.")
ERROR_NO_REQUIREMENTS = _("Add at least one requirement (a position and a course).")
ERROR_NO_DEPARTMENTS = _("Choose the target departments, or tick “all departments”.")
ERROR_REQUIREMENT_ASSIGNED = _("This plan is published and its requirements are assigned to "
                               "learners: a requirement with assignments cannot be removed or "
                               "changed to another position or course. Add a new requirement "
                               "instead.")
ERROR_DUPLICATE_REQUIREMENT = _("The same course is required twice for the same position.")


ERROR_REMINDER_DAYS = _("Enter whole numbers of days between 1 and 366, separated by commas, "
                        "e.g. 14,7,1.")


def reminder_days_parse(value: str) -> list[int]:
    """"14, 7,1" → [14, 7, 1] (largest first, no repeats); ValueError on anything else."""
    days = set()
    for part in (value or "").replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= 366:
            raise ValueError(part)
        days.add(int(part))
    return sorted(days, reverse=True)


def validate_reminder_days(value: str) -> None:
    try:
        reminder_days_parse(value)
    except ValueError:
        raise ValidationError(ERROR_REMINDER_DAYS, code="reminder_days") from None


class TrainingPlanForm(WagtailAdminModelForm):
    """Checks that need the requirement formset and the chosen departments together."""

    def clean(self):
        cleaned = super().clean()
        formset = self.formsets.get("requirements")
        if formset is not None and formset.is_valid():
            kept = [form.cleaned_data for form in formset.forms
                    if form.cleaned_data and not form.cleaned_data.get("DELETE")]
            if self.instance.pk and self.instance.is_published:
                self._assigned_requirements_check(formset)
            if not kept:
                raise ValidationError(ERROR_NO_REQUIREMENTS, code="no_requirements")
        if not cleaned.get("all_departments") and not cleaned.get("departments"):
            self.add_error("departments", ERROR_NO_DEPARTMENTS)
        return cleaned


    def _assigned_requirements_check(self, formset) -> None:
        """A published plan's requirement that learners were assigned cannot be removed or
        changed to another position or course: its assignments, exemptions and the history
        behind them would go (add a new requirement instead)."""
        touched = [form.instance.pk for form in formset.forms
                   if form.instance.pk and (form.cleaned_data.get("DELETE") or {
                       "position", "course"} & set(form.changed_data))]
        if touched and PlanAssignment.objects.filter(requirement_id__in=touched).exists():
            raise ValidationError(ERROR_REQUIREMENT_ASSIGNED, code="requirement_assigned")


class RequirementFormSet(BaseChildFormSet):
    """Says in the user's language which rows repeat (Django's message names raw fields)."""

    def get_unique_error_message(self, unique_check):
        return str(ERROR_DUPLICATE_REQUIREMENT)

    def get_form_error(self):
        return str(ERROR_DUPLICATE_REQUIREMENT)


class RequirementsPanel(InlinePanel):
    def get_form_options(self):
        options = super().get_form_options()
        options["formsets"][self.relation_name]["formset"] = RequirementFormSet
        return options


class TrainingPlan(ClusterableModel):
    """One year's required training, edited and published by bureau staff."""

    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    opens_on = models.DateField(_("opens on"))
    due_on = models.DateField(_("due date"))
    makeup_until = models.DateField(
        _("make-up deadline"),
        help_text=_("Courses completed after the due date and up to this date count as "
                    "completed late."))
    all_departments = models.BooleanField(_("all departments"), default=True)
    departments = ParentalManyToManyField(
        "departments.Department", blank=True, related_name="training_plans",
        verbose_name=_("target departments"),
        help_text=_("Used when the plan is not for all departments."))
    min_credit_hours = models.DecimalField(_("minimum credit hours"), max_digits=5,
                                           decimal_places=1, default=0)
    joined_cutoff = models.DateField(
        _("joined cut-off date"), null=True, blank=True,
        help_text=_("Learners added to the roster after this date may be exempted by their "
                    "department admin (reason: joined after the cut-off date)."))
    reminder_days = models.CharField(
        _("reminder days before the due date"), max_length=40, default="14,7,1",
        validators=[validate_reminder_days],
        help_text=_("Comma-separated, e.g. 14,7,1: learners with unfinished requirements are "
                    "reminded that many days before the due date."))
    remind_weekly_after_due = models.BooleanField(
        _("remind weekly after the due date"), default=True,
        help_text=_("Every week after the due date until the make-up deadline: reminders to "
                    "learners, a digest to department admins and an escalation to heads."))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     editable=False, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("published by"))

    base_form_class = TrainingPlanForm
    panels = [
        FieldRowPanel([FieldPanel("year"), FieldPanel("title")]),
        FieldRowPanel([FieldPanel("opens_on"), FieldPanel("due_on"), FieldPanel("makeup_until")],
                      heading=_("Dates")),
        MultiFieldPanel([FieldPanel("all_departments"), FieldPanel("departments")],
                        heading=_("Target departments")),
        FieldRowPanel([FieldPanel("min_credit_hours"), FieldPanel("joined_cutoff")]),
        FieldRowPanel([FieldPanel("reminder_days"), FieldPanel("remind_weekly_after_due")],
                      heading=pgettext_lazy("training plan", "Reminders")),
        RequirementsPanel("requirements", label=_("Requirements by position")),
    ]

    class Meta:
        ordering = ["-year", "-opens_on", "pk"]
        verbose_name = _("training plan")
        verbose_name_plural = _("training plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_on__lte=models.F("due_on"))
                & Q(due_on__lte=models.F("makeup_until")),
                name="training_plan_dates_ordered"),
            models.CheckConstraint(condition=Q(min_credit_hours__gte=0),
                                   name="training_plan_credit_hours_non_negative"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def reminder_days_list(self) -> list[int]:
        return reminder_days_parse(self.reminder_days)

    def clean(self):
        super().clean()
        if self.opens_on and self.due_on and self.makeup_until and not (
                self.opens_on <= self.due_on <= self.makeup_until):
            raise ValidationError({"due_on": ERROR_DATES})
        if self.year and self.opens_on and self.opens_on.year != self.year:
            raise ValidationError({"opens_on": ValidationError(
                ERROR_YEAR, params={"opens": self.opens_on.year, "year": self.year})})


class PlanRequirement(Orderable):
    """Learners in `position` (in the plan's departments) must complete `course`."""

    plan = ParentalKey(TrainingPlan, on_delete=models.CASCADE, related_name="requirements",
                       verbose_name=_("training plan"))
    position = models.CharField(_("position"), max_length=16, choices=Position.choices)
    course = models.ForeignKey("courses.CoursePage", on_delete=models.PROTECT,
                               related_name="plan_requirements", verbose_name=_("course"))

    panels = [FieldPanel("position"), FieldPanel("course")]

    class Meta(Orderable.Meta):
        verbose_name = _("plan requirement")
        verbose_name_plural = _("plan requirements")
        constraints = [
            models.UniqueConstraint(fields=["plan", "position", "course"],
                                    name="plan_requirement_once"),
            models.CheckConstraint(condition=Q(position__in=Position.values),
                                   name="plan_requirement_position_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.get_position_display()} · {self.course}"


class PlanAssignment(models.Model):
    """A requirement assigned to one learner (by publishing the plan); at most once each."""

    requirement = models.ForeignKey(PlanRequirement, on_delete=models.CASCADE,
                                    related_name="assignments", verbose_name=_("requirement"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="plan_assignments", verbose_name=_("learner"))
    assigned_at = models.DateTimeField(_("assigned at"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(
        _("withdrawn at"), null=True, blank=True,
        help_text=_("Set when the learner no longer matches the requirement (position, office "
                    "or department changed, or left the roster); the learning records are "
                    "kept, and a later match assigns it again."))

    class Meta:
        verbose_name = _("plan assignment")
        verbose_name_plural = _("plan assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "requirement"],
                                    name="plan_assignment_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.requirement}"


class ExemptionReason(models.TextChoices):
    LONG_LEAVE = "long_leave", _("Long leave")
    SECONDMENT = "secondment", _("Secondment")
    JOINED_LATE = "joined_late", _("Joined after the cut-off date")
    OTHER = "other", pgettext_lazy("exemption reason", "Other")


class PlanExemption(models.Model):
    """A learner excused from one assigned requirement, by their department admin.

    Never deleted: revoking sets `revoked_at`, so the history (who, when, why) stays auditable.
    At most one exemption of an assignment is in force at a time.
    """

    assignment = models.ForeignKey(PlanAssignment, on_delete=models.CASCADE,
                                   related_name="exemptions", verbose_name=_("assignment"))
    reason = models.CharField(_("reason"), max_length=16, choices=ExemptionReason.choices)
    note = models.TextField(_("explanation"), max_length=500)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("entered by"))
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("revoked by"))
    revoke_note = models.TextField(_("reason for revoking"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("exemption")
        verbose_name_plural = _("exemptions")
        constraints = [
            models.UniqueConstraint(fields=["assignment"], condition=Q(revoked_at__isnull=True),
                                    name="plan_exemption_one_in_force"),
            models.CheckConstraint(condition=Q(reason__in=ExemptionReason.values),
                                   name="plan_exemption_reason_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.get_reason_display()}"

    @property
    def in_force(self) -> bool:
        return self.revoked_at is None
