"""Practice exercises on a case and the learners' submissions (records, never pages).

An `Exercise` is a snippet editors create on a `CasePage`; `ExerciseSubmission` keeps each
graded attempt with its full input and result; `SubmissionReview` is the audit trail of reviewer
comments and score overrides.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import RichTextField

from casebook.models.config import GoalFramework

SCORE_MIN, SCORE_MAX = Decimal("0"), Decimal("100")
ERROR_CASE_UNSUITABLE = _("This case has no data for this kind of exercise: {problem}")


class ExerciseKind(models.TextChoices):
    GOAL_SETTING = "goal_setting", _("Goal setting")
    FIND_ERRORS = "find_errors", _("Find the errors")
    SELF_EVALUATION = "self_evaluation", _("Self-evaluation scoring")
    MONITORING = "monitoring", _("Monitoring traffic lights")
    EX_ANTE = "ex_ante", _("Ex-ante assessment")


class Exercise(models.Model):
    """A practice task on one case: what the learner does, the pass mark and attempts allowed."""

    case = models.ForeignKey(
        "casebook.CasePage", on_delete=models.PROTECT, related_name="exercises",
        verbose_name=_("case"),
    )
    kind = models.CharField(max_length=20, choices=ExerciseKind.choices,
                            verbose_name=_("kind"))
    title = models.CharField(max_length=200, verbose_name=_("title"))
    instructions = RichTextField(
        blank=True, verbose_name=_("instructions"),
        features=["bold", "italic", "ol", "ul", "link", "h3"],
        help_text=_("What the learner must do; shown above the exercise."),
    )
    pass_mark = models.PositiveSmallIntegerField(
        default=60, validators=[MaxValueValidator(100)], verbose_name=_("pass mark"),
        help_text=_("Score (0–100) a submission needs to pass."),
    )
    max_attempts = models.PositiveSmallIntegerField(
        default=0, verbose_name=_("allowed attempts"),
        help_text=_("0 means unlimited."),
    )
    framework = models.CharField(
        max_length=4, blank=True, choices=GoalFramework.choices,
        verbose_name=_("indicator framework"),
        help_text=_("Empty: the case's framework."),
    )
    error_count = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(8)],
        verbose_name=_("injected errors"),
        help_text=_("Find the errors: how many mistakes are injected into the reference table."),
    )
    seed = models.PositiveIntegerField(
        default=1, verbose_name=_("seed"),
        help_text=_("Find the errors: with the learner and attempt number it fixes the table "
                    "each learner sees, so a reload shows the same table."),
    )
    settings = models.JSONField(
        default=dict, blank=True, verbose_name=_("exercise data"),
        help_text=_("Optional. Monitoring: {\"causes\": {\"indicator name\": {\"cause\": "
                    "\"objective\"|\"serious\", \"note\": \"…\"}}}. Ex-ante: {\"findings\": "
                    "[{\"text\": \"…\", \"aspect\": \"立项必要性\"}]}."),
    )
    published = models.BooleanField(
        default=False, verbose_name=_("published"),
        help_text=_("Learners see only published exercises."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    panels = [
        FieldPanel("case"),
        FieldRowPanel([FieldPanel("kind"), FieldPanel("framework")]),
        FieldPanel("title"),
        FieldPanel("instructions"),
        FieldRowPanel([FieldPanel("pass_mark"), FieldPanel("max_attempts"),
                       FieldPanel("published")]),
        MultiFieldPanel([FieldRowPanel([FieldPanel("error_count"), FieldPanel("seed")]),
                         # Panel help (not the field's) so documenting the data needs no
                         # migration.
                         FieldPanel("settings", help_text=_(
                             "Optional. Monitoring: {\"causes\": {\"indicator name\": "
                             "{\"problems\": [\"misappropriation\"], \"cause\": "
                             "\"objective\"|\"serious\", \"note\": \"…\"}}}. A recorded "
                             "serious problem makes the expected response 暂停项目实施/调减预算/"
                             "停止拨付 whatever the light. Problem codes: "
                             "illegal_subcontracting, misappropriation, fraudulent_claims, "
                             "major_accident, major_loss, target_unreachable. Ex-ante: "
                             "{\"findings\": [{\"text\": \"…\", \"aspect\": "
                             "\"立项必要性\"}]}."))],
                        heading=_("Kind-specific settings")),
    ]

    class Meta:
        verbose_name = _("exercise")
        verbose_name_plural = _("exercises")
        ordering = ["case__title", "kind", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(pass_mark__lte=100),
                                   name="casebook_exercise_pass_mark_range"),
            models.CheckConstraint(condition=Q(error_count__gte=1, error_count__lte=8),
                                   name="casebook_exercise_error_count_range"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def effective_framework(self) -> str:
        return self.framework or self.case.framework

    def clean(self):
        super().clean()
        if not self.case_id or not self.kind:
            return
        from casebook.exercises.grading import exercise_problem

        problem = exercise_problem(exercise=self)
        if problem:
            raise ValidationError({"kind": ERROR_CASE_UNSUITABLE.format(problem=problem)})


class ExerciseSubmission(models.Model):
    """One graded attempt: the learner's full input, the grading result and the score."""

    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT,
                                 related_name="submissions", verbose_name=_("exercise"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="exercise_submissions", verbose_name=_("learner"))
    attempt_number = models.PositiveSmallIntegerField(verbose_name=_("attempt"))
    input = models.JSONField(verbose_name=_("input"))
    result = models.JSONField(verbose_name=_("result"))
    auto_score = models.DecimalField(max_digits=5, decimal_places=2,
                                     verbose_name=_("automatic score"))
    score = models.DecimalField(max_digits=5, decimal_places=2, verbose_name=_("score"),
                                help_text=_("The automatic score, or the reviewer's override."))
    passed = models.BooleanField(default=False, verbose_name=_("passed"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True,
                                      verbose_name=_("submitted at"))
    override_score = models.DecimalField(max_digits=5, decimal_places=2, null=True,
                                         blank=True, verbose_name=_("override score"))
    override_reason = models.TextField(blank=True, verbose_name=_("override reason"))
    override_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("overridden by"))
    override_at = models.DateTimeField(null=True, blank=True, verbose_name=_("overridden at"))
    input_digest = models.CharField(
        max_length=64, blank=True, editable=False, verbose_name=_("input fingerprint"),
        help_text=_("SHA-256 of the input in canonical JSON: equal for identical answers."))

    class Meta:
        verbose_name = _("exercise submission")
        verbose_name_plural = _("exercise submissions")
        ordering = ["-created_at", "-pk"]
        permissions = [("review_submission", _("Can review and override exercise scores"))]
        constraints = [
            models.UniqueConstraint(fields=["exercise", "user", "attempt_number"],
                                    name="casebook_submission_attempt_uniq"),
            models.CheckConstraint(condition=Q(attempt_number__gte=1),
                                   name="casebook_submission_attempt_positive"),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=100),
                                   name="casebook_submission_score_range"),
            models.CheckConstraint(condition=Q(auto_score__gte=0, auto_score__lte=100),
                                   name="casebook_submission_auto_score_range"),
            models.CheckConstraint(
                condition=Q(override_score__isnull=True)
                | Q(override_score__gte=0, override_score__lte=100),
                name="casebook_submission_override_range"),
        ]
        indexes = [models.Index(fields=["exercise", "user", "-score"],
                                name="casebook_sub_best_idx"),
                   models.Index(fields=["input_digest"], name="casebook_sub_digest_idx")]

    def __str__(self) -> str:
        return f"{self.exercise} · {self.user} · #{self.attempt_number}"

    def save(self, *args, **kwargs):
        if not self.input_digest:
            self.input_digest = self.digest_of(self.input)
        super().save(*args, **kwargs)

    @staticmethod
    def digest_of(input_data) -> str:
        """The fingerprint of an input: identical answers (whatever the key order) give the
        same digest. Bulk inserts that bypass `save` must set it with this."""
        canonical = json.dumps(input_data, sort_keys=True, ensure_ascii=False,
                               separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def is_overridden(self) -> bool:
        return self.override_score is not None


class SubmissionReview(models.Model):
    """Audit trail: a reviewer's comment and, when given, a score change with its reason."""

    submission = models.ForeignKey(ExerciseSubmission, on_delete=models.CASCADE,
                                   related_name="reviews", verbose_name=_("submission"))
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                 on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("reviewer"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("at"))
    old_score = models.DecimalField(max_digits=5, decimal_places=2,
                                    verbose_name=_("old score"))
    new_score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True,
                                    verbose_name=_("new score"))
    comment = models.TextField(verbose_name=pgettext_lazy("review", "comment"))

    class Meta:
        verbose_name = _("submission review")
        verbose_name_plural = _("submission reviews")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(new_score__isnull=True) | Q(new_score__gte=0, new_score__lte=100),
                name="casebook_review_new_score_range"),
        ]

    def __str__(self) -> str:
        return f"{self.submission_id}: {self.old_score} → {self.new_score}"
