"""Department assessment (考核): schemes, stored item scores, the audit trail and appeals.

A scheme is one year's appraisal: items in groups, each with a maximum. An automatic item turns a
participation metric (`assessments.metrics`) into points by a rule anyone can read; a manual item
holds points entered by bureau staff with evidence. Scores are stored per department and item
with the metric, the rule and the evidence they came from, so every number on a score sheet can
be explained. Every change is written to `AuditEntry`, which is append-only. A locked scheme
rejects every change (the services check it; the admin shows why).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

ERROR_APPEND_ONLY = _("The audit trail is append-only: entries cannot be changed or deleted.")


class ItemKind(models.TextChoices):
    AUTOMATIC = "automatic", pgettext_lazy("assessment item", "Automatic")
    MANUAL = "manual", pgettext_lazy("assessment item", "Manual")


class Metric(models.TextChoices):
    """Department metrics an automatic item can score (all fractions in [0, 1]); their
    definitions live in `assessments.metrics.DEFINITIONS`."""

    HEADS_COMPLETION_RATE = "heads_completion_rate", _("Heads who completed the training")
    COMPLETION_RATE = "completion_rate", _("Completion rate")
    BUSINESS_COMPLETION_RATE = "business_completion_rate", _("Business staff completion rate")
    WEIGHTED_COMPLETION_RATE = "weighted_completion_rate", _("Weighted completion rate")
    BUSINESS_OFFICE_COVERAGE = "business_office_coverage", _("Business-office coverage")
    EXAM_PASS_RATE = "exam_pass_rate", _("Exam pass rate")
    GOAL_SETTING_PASS_RATE = "goal_setting_pass_rate", _(
        "Business staff who passed a goal-setting exercise")


class Rule(models.TextChoices):
    """How an automatic item turns its metric into points (see `assessments.scoring`)."""

    BINARY = "binary", _("Full points when the metric reaches the threshold, else none")
    RATIO = "ratio", _("Metric × maximum points")
    LINEAR = "linear", _("Linear between a lower and an upper threshold")


class AssessmentScheme(ClusterableModel):
    """One year's appraisal of departments (考核方案), tied to that year's training plan."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    plan = models.ForeignKey(
        "courses.TrainingPlan", on_delete=models.PROTECT, null=True, blank=True,
        related_name="assessment_schemes", verbose_name=_("training plan"),
        help_text=_("The year's training plan whose records the automatic items count."))
    low_business_coverage = models.DecimalField(
        _("low business-office coverage below"), max_digits=4, decimal_places=3,
        default=Decimal("0.5"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("A department is flagged when the share of its business offices that took "
                    "part is below this fraction (0.5 = 50 %)."))
    locked_at = models.DateTimeField(pgettext_lazy("assessment", "locked at"), null=True,
                                     blank=True, editable=False)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        editable=False, related_name="+", verbose_name=_("locked by"))
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        constraints = [
            models.CheckConstraint(
                condition=Q(low_business_coverage__gte=0) & Q(low_business_coverage__lte=1),
                name="scheme_low_coverage_fraction"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class GradeBand(Orderable):
    """A grade (优秀, 良好, …) for totals at or above `min_points`; the highest band reached
    wins."""

    scheme = ParentalKey(AssessmentScheme, on_delete=models.CASCADE, related_name="grade_bands",
                         verbose_name=_("assessment scheme"))
    name = models.CharField(_("grade"), max_length=20)
    min_points = models.DecimalField(_("from (points)"), max_digits=6, decimal_places=2)

    class Meta(Orderable.Meta):
        verbose_name = _("grade band")
        verbose_name_plural = _("grade bands")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "name"], name="grade_band_name_once"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ≥ {self.min_points}"


class SchemeItem(Orderable):
    """One scored item of a scheme, in a named group (一级指标)."""

    scheme = ParentalKey(AssessmentScheme, on_delete=models.CASCADE, related_name="items",
                         verbose_name=_("assessment scheme"))
    group = models.CharField(pgettext_lazy("assessment", "group"), max_length=100,
                             help_text=_("The first-level item this belongs to, e.g. "
                                         "组织保障与制度建设."))
    code = models.SlugField(_("code"), max_length=40,
                            help_text=_("Short identifier, unique in the scheme, e.g. "
                                        "training-heads."))
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("scoring notes"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ItemKind.choices,
                            default=ItemKind.MANUAL)
    metric = models.CharField(_("metric"), max_length=40, choices=Metric.choices, blank=True)
    rule = models.CharField(_("rule"), max_length=10, choices=Rule.choices, blank=True)
    lower = models.DecimalField(
        _("lower threshold"), max_digits=5, decimal_places=4, null=True, blank=True,
        help_text=_("Linear rule: no points at or below this fraction (0.6 = 60 %). Binary "
                    "rule: the threshold to reach."))
    upper = models.DecimalField(
        _("upper threshold"), max_digits=5, decimal_places=4, null=True, blank=True,
        help_text=_("Linear rule: full points at or above this fraction (0.9 = 90 %)."))
    max_points = models.DecimalField(_("maximum points"), max_digits=6, decimal_places=2)
    min_points = models.DecimalField(
        _("minimum points"), max_digits=6, decimal_places=2, default=Decimal("0"),
        help_text=_("Below zero for a deduction item (扣分), e.g. -10."))
    bonus = models.BooleanField(
        _("bonus item"), default=False,
        help_text=_("Points on top of the full marks (加分): not counted in the full marks."))

    class Meta(Orderable.Meta):
        verbose_name = _("assessment item")
        verbose_name_plural = _("assessment items")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="scheme_item_code_once"),
            models.CheckConstraint(condition=Q(min_points__lte=models.F("max_points")),
                                   name="scheme_item_points_ordered"),
            models.CheckConstraint(
                condition=Q(lower__isnull=True) | Q(upper__isnull=True)
                | Q(lower__lt=models.F("upper")),
                name="scheme_item_thresholds_ordered"),
            models.CheckConstraint(
                condition=Q(kind="manual") | (~Q(metric="") & ~Q(rule="")),
                name="scheme_item_automatic_has_rule"),
        ]

    def __str__(self) -> str:
        return f"{self.group} · {self.name}"

    @property
    def is_automatic(self) -> bool:
        return self.kind == ItemKind.AUTOMATIC

    def clean(self):
        super().clean()
        from assessments.scoring import item_errors  # the one place the rules are checked

        errors = item_errors(self)
        if errors:
            raise ValidationError(errors)


class ScoreSource(models.TextChoices):
    COMPUTED = "computed", _("Computed")
    MANUAL = "manual", pgettext_lazy("score source", "Entered")
    OVERRIDE = "override", _("Overridden")
    APPEAL = "appeal", _("Changed on appeal")


class ItemScore(models.Model):
    """A department's points on one item, with what they came from."""

    scheme = models.ForeignKey(AssessmentScheme, on_delete=models.CASCADE,
                               related_name="scores", verbose_name=_("assessment scheme"))
    item = models.ForeignKey(SchemeItem, on_delete=models.CASCADE, related_name="scores",
                             verbose_name=_("assessment item"))
    department = models.ForeignKey("departments.Department", on_delete=models.CASCADE,
                                   related_name="assessment_scores",
                                   verbose_name=_("department"))
    metric_value = models.DecimalField(_("metric"), max_digits=7, decimal_places=4,
                                       null=True, blank=True)
    computed_points = models.DecimalField(
        _("computed points"), max_digits=6, decimal_places=2, null=True, blank=True,
        help_text=_("What the rule gave, kept when the points are overridden."))
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2, null=True,
                                 blank=True)
    source = models.CharField(_("source"), max_length=10, choices=ScoreSource.choices,
                              default=ScoreSource.COMPUTED)
    rule_text = models.CharField(_("rule"), max_length=300, blank=True)
    evidence = models.TextField(_("evidence"), max_length=2000, blank=True)
    evidence_file = models.FileField(_("evidence file"), upload_to="assessment_evidence/%Y/",
                                     blank=True)
    reason = models.TextField(_("reason for the change"), max_length=1000, blank=True)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("changed by"))

    class Meta:
        verbose_name = _("item score")
        verbose_name_plural = _("item scores")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "department", "item"],
                                    name="item_score_once"),
        ]
        indexes = [models.Index(fields=["scheme", "item"], name="item_score_scheme_item")]

    def __str__(self) -> str:
        return f"{self.department} · {self.item}: {self.points}"


class DepartmentResult(models.Model):
    """A department's total, grade and rank in a scheme, refreshed whenever a score changes."""

    scheme = models.ForeignKey(AssessmentScheme, on_delete=models.CASCADE,
                               related_name="results", verbose_name=_("assessment scheme"))
    department = models.ForeignKey("departments.Department", on_delete=models.CASCADE,
                                   related_name="assessment_results",
                                   verbose_name=_("department"))
    total = models.DecimalField(_("total"), max_digits=7, decimal_places=2, default=0)
    training_points = models.DecimalField(_("training points"), max_digits=6,
                                          decimal_places=2, default=0)
    grade = models.CharField(_("grade"), max_length=20, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["rank", "department__sort_order", "department__code"]
        verbose_name = _("department result")
        verbose_name_plural = _("department results")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "department"],
                                    name="department_result_once"),
        ]

    def __str__(self) -> str:
        return f"{self.department} · {self.total}"


class AuditAction(models.TextChoices):
    COMPUTE = "compute", _("Computed")
    MANUAL = "manual", _("Points entered")
    OVERRIDE = "override", _("Overridden")
    OVERRIDE_CLEARED = "override_cleared", _("Override removed")
    APPEAL_FILED = "appeal_filed", _("Appeal filed")
    APPEAL_ACCEPTED = "appeal_accepted", _("Appeal accepted")
    APPEAL_REJECTED = "appeal_rejected", _("Appeal rejected")
    LOCKED = "locked", _("Scheme locked")
    UNLOCKED = "unlocked", _("Scheme unlocked")
    SCHEME_CHANGED = "scheme_changed", _("Scheme changed")


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(ERROR_APPEND_ONLY, code="append_only")

    def delete(self):
        raise ValidationError(ERROR_APPEND_ONLY, code="append_only")


class AuditEntry(models.Model):
    """Who changed what, when, from what to what and why. Append-only: the model refuses
    updates and deletes (saving an existing entry, queryset update and delete)."""

    scheme = models.ForeignKey(AssessmentScheme, on_delete=models.PROTECT,
                               related_name="audit_entries", verbose_name=_("assessment scheme"))
    department = models.ForeignKey("departments.Department", on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("department"))
    item = models.ForeignKey(SchemeItem, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("assessment item"))
    item_name = models.CharField(_("item"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    old_value = models.CharField(_("old value"), max_length=100, blank=True)
    new_value = models.CharField(_("new value"), max_length=100, blank=True)
    reason = models.TextField(_("reason"), max_length=2000, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        indexes = [models.Index(fields=["scheme", "department", "at"],
                                name="audit_scheme_department_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(ERROR_APPEND_ONLY, code="append_only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(ERROR_APPEND_ONLY, code="append_only")


class AppealStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("appeal", "Pending")
    ACCEPTED = "accepted", pgettext_lazy("appeal", "Accepted")
    REJECTED = "rejected", pgettext_lazy("appeal", "Rejected")


class Appeal(models.Model):
    """A department admin contests one item of their department's sheet (申诉/复核)."""

    scheme = models.ForeignKey(AssessmentScheme, on_delete=models.CASCADE,
                               related_name="appeals", verbose_name=_("assessment scheme"))
    department = models.ForeignKey("departments.Department", on_delete=models.CASCADE,
                                   related_name="assessment_appeals",
                                   verbose_name=_("department"))
    item = models.ForeignKey(SchemeItem, on_delete=models.CASCADE, related_name="appeals",
                             verbose_name=_("assessment item"))
    reason = models.TextField(_("reason"), max_length=2000)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, related_name="+", verbose_name=_("filed by"))
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    points_when_filed = models.DecimalField(_("points when filed"), max_digits=6,
                                            decimal_places=2, null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=AppealStatus.choices,
                              default=AppealStatus.PENDING)
    reply = models.TextField(_("reply"), max_length=2000, blank=True)
    new_points = models.DecimalField(_("new points"), max_digits=6, decimal_places=2,
                                     null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("answered by"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["-filed_at", "-pk"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        constraints = [
            # One open appeal per item and department at a time.
            models.UniqueConstraint(fields=["scheme", "department", "item"],
                                    condition=Q(status="pending"),
                                    name="appeal_one_pending_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.department} · {self.item} · {self.get_status_display()}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("export", "Queued")
    RUNNING = "running", pgettext_lazy("export", "Running")
    DONE = "done", pgettext_lazy("export", "Ready")
    FAILED = "failed", pgettext_lazy("export", "Failed")


class ExportJob(models.Model):
    """A large XLSX export built by a Celery task, with progress and a download link."""

    kind = models.CharField(_("export"), max_length=30)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                     related_name="+",
                                     verbose_name=pgettext_lazy("assessment", "requested by"))
    status = models.CharField(_("status"), max_length=10, choices=ExportStatus.choices,
                              default=ExportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(_("file"), upload_to="assessment_exports/%Y/%m/", blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(pgettext_lazy("assessment", "finished at"), null=True,
                                       blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="export_progress_pct"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} · {self.get_status_display()}"
