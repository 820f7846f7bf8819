"""Question bank (categories, questions and their versions), quizzes with paper assembly rules,
and the records learners produce: attempts, their questions and answers, marking audit."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Orderable
from wagtail.search import index

from quizzes import types

MAX_POINTS = Decimal("100")


class Kind(models.TextChoices):
    SINGLE = types.SINGLE, _("Single choice")
    MULTIPLE = types.MULTIPLE, _("Multiple choice")
    TRUE_FALSE = types.TRUE_FALSE, _("True/false")
    FILL = types.FILL, _("Fill in the blanks")
    ESSAY = types.ESSAY, _("Essay")


class Difficulty(models.TextChoices):
    EASY = types.EASY, _("Easy")
    MEDIUM = types.MEDIUM, _("Medium")
    HARD = types.HARD, _("Hard")


class Category(models.Model):
    """A question category; `parent` makes sub-categories, `path` is "事前评估/基础知识"."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("parent category"),
    )
    path = models.CharField(_("path"), max_length=500, unique=True, editable=False)

    class Meta:
        ordering = ["path"]
        verbose_name = _("question category")
        verbose_name_plural = _("question categories")
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="quiz_category_name_not_empty"),
        ]

    def __str__(self):
        return self.path

    def save(self, *args, **kwargs):
        """Save with the path from the parent and the name; a renamed or moved category takes
        its sub-categories along (their paths start with its own), in the same transaction."""
        old_path = (type(self).objects.filter(pk=self.pk).values_list("path", flat=True).first()
                    if self.pk else None)
        self.path = self._path_now()
        with transaction.atomic():
            super().save(*args, **kwargs)
            if old_path and old_path != self.path:
                descendants = list(type(self).objects.filter(path__startswith=f"{old_path}/"))
                for category in descendants:
                    category.path = self.path + category.path[len(old_path):]
                type(self).objects.bulk_update(descendants, ["path"])

    def clean(self):
        if "/" in self.name:
            raise ValidationError({"name": _("A category name cannot contain '/'.")})
        node = self.parent
        while node is not None:
            if self.pk and node.pk == self.pk:
                raise ValidationError({"parent": _("A category cannot be its own ancestor.")})
            node = node.parent
        if self.name and type(self).objects.filter(path=self._path_now()).exclude(
                pk=self.pk).exists():
            raise ValidationError({"name": _(
                "A category with this name already exists under the same parent.")})

    def _path_now(self) -> str:
        return f"{self.parent.path}/{self.name}" if self.parent_id else self.name

    @property
    def root_name(self) -> str:
        return self.path.split("/", 1)[0]


class QuestionBank(index.Indexed, models.Model):
    """A named collection of questions (题库), edited as a Wagtail snippet."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]
    panels = [FieldPanel("name"), FieldPanel("description")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("question bank")
        verbose_name_plural = _("question banks")
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="quiz_bank_name_not_empty"),
        ]

    def __str__(self):
        return self.name


class Question(models.Model):
    """A question's identity: kind, category and difficulty; its content lives in versions."""

    bank = models.ForeignKey(
        QuestionBank, on_delete=models.PROTECT, related_name="questions",
        verbose_name=_("question bank"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="questions",
        verbose_name=_("category"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    difficulty = models.CharField(
        _("difficulty"), max_length=8, choices=Difficulty.choices, default=Difficulty.MEDIUM
    )
    name = models.CharField(_("name"), max_length=255, blank=True)
    tags = models.JSONField(
        _("tags / knowledge points"), default=list, blank=True,
        help_text=_("Knowledge points this question tests."),
    )
    current_version = models.ForeignKey(
        "QuestionVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("current version"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=types.KINDS), name="quiz_question_kind"),
            models.CheckConstraint(
                condition=Q(difficulty__in=types.DIFFICULTIES), name="quiz_question_difficulty"
            ),
        ]

    def __str__(self):
        text = self.current_version.text if self.current_version_id else ""
        return f"[{self.get_kind_display()}] {text[:40]}"


class QuestionVersion(models.Model):
    """One immutable version of a question's content; attempts point at the version they showed."""

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="versions", verbose_name=_("question")
    )
    number = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("question text"))
    points = models.DecimalField(
        _("points"), max_digits=6, decimal_places=2, default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_POINTS)],
    )
    explanation = models.TextField(_("explanation"), blank=True, help_text=_("解析"))
    figure = models.ForeignKey(
        "wagtailimages.Image", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("figure"),
    )
    answer_true = models.BooleanField(_("true/false answer"), null=True, blank=True)
    blanks = models.JSONField(
        _("accepted answers per blank"), default=list, blank=True,
        help_text=_("For fill-in questions: one list of accepted answers per blank."),
    )
    reference_answer = models.TextField(_("reference answer"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["question_id", "number"]
        verbose_name = _("question version")
        verbose_name_plural = _("question versions")
        constraints = [
            models.UniqueConstraint(fields=["question", "number"], name="quiz_version_unique"),
            models.CheckConstraint(
                condition=Q(points__gt=0) & Q(points__lte=MAX_POINTS), name="quiz_version_points"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="quiz_version_text_not_empty"),
        ]

    def __str__(self):
        return f"{self.text[:40]} (v{self.number})"


class Choice(models.Model):
    """An option of a single/multiple choice question version."""

    version = models.ForeignKey(
        QuestionVersion, on_delete=models.CASCADE, related_name="choices",
        verbose_name=_("question version"),
    )
    order = models.PositiveSmallIntegerField(_("order"))
    text = models.TextField(_("text"))
    is_correct = models.BooleanField(_("correct"), default=False)
    feedback = models.TextField(_("feedback"), blank=True)

    class Meta:
        ordering = ["version_id", "order"]
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        constraints = [
            models.UniqueConstraint(fields=["version", "order"], name="quiz_choice_order_unique"),
        ]

    def __str__(self):
        return self.text[:40]


class Mode(models.TextChoices):
    PRACTICE = "practice", _("Practice")
    EXAM = "exam", _("Exam")


class FeedbackTiming(models.TextChoices):
    END = "end", _("At the end")
    EACH = "each", _("After each question")


class Layout(models.TextChoices):
    ONE_PAGE = "all", _("All questions on one page")
    PER_PAGE = "one", _("One question per page")


class GradingMethod(models.TextChoices):
    HIGHEST = "highest", _("Highest attempt")
    LATEST = "latest", _("Latest attempt")


class MultipleScoring(models.TextChoices):
    ALL_OR_NOTHING = "all", _("All or nothing")
    PARTIAL = "partial", _("Partial credit")


class Quiz(ClusterableModel, index.Indexed):
    """A quiz or exam (测验/考试): settings, fixed questions and draw rules, edited as a snippet."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.PRACTICE)
    is_draft = models.BooleanField(
        _("draft"), default=True, help_text=_("Only editors can open a draft quiz.")
    )
    random_order = models.BooleanField(_("random order"), default=False)
    shuffle_choices = models.BooleanField(
        _("shuffle options"), default=True,
        help_text=_("Show the options of choice questions in a random order, drawn once per "
                    "attempt."),
    )
    max_questions = models.PositiveIntegerField(
        _("max questions"), default=0,
        help_text=_("Draw a random subset of the fixed questions of this size; 0 uses all."),
    )
    layout = models.CharField(
        _("layout"), max_length=8, choices=Layout.choices, default=Layout.ONE_PAGE
    )
    feedback_timing = models.CharField(
        _("show answers"), max_length=8, choices=FeedbackTiming.choices, default=FeedbackTiming.END,
        help_text=_("After each question is only allowed in practice mode."),
    )
    exam_paper = models.BooleanField(
        _("exam paper"), default=True,
        help_text=_("Keep every attempt so the learner can review previous papers."),
    )
    max_attempts = models.PositiveIntegerField(
        _("max attempts"), default=0, help_text=_("0 means unlimited; 1 is a single attempt.")
    )
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark (%)"), default=60, validators=[MaxValueValidator(100)]
    )
    success_text = models.TextField(_("text when passed"), blank=True)
    fail_text = models.TextField(_("text when failed"), blank=True)
    time_limit_minutes = models.PositiveIntegerField(
        _("time limit (minutes)"), default=0, help_text=_("0 means no time limit.")
    )
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    grading_method = models.CharField(
        _("grading method"), max_length=8, choices=GradingMethod.choices,
        default=GradingMethod.HIGHEST,
    )
    multiple_scoring = models.CharField(
        _("multiple choice scoring"), max_length=8, choices=MultipleScoring.choices,
        default=MultipleScoring.ALL_OR_NOTHING,
    )
    review_score_after_submit = models.BooleanField(_("score"), default=True)
    review_responses_after_submit = models.BooleanField(_("right or wrong"), default=True)
    review_answers_after_submit = models.BooleanField(_("correct answers"), default=False)
    review_explanations_after_submit = models.BooleanField(_("explanations"), default=False)
    review_score_after_close = models.BooleanField(_("score"), default=True)
    review_responses_after_close = models.BooleanField(_("right or wrong"), default=True)
    review_answers_after_close = models.BooleanField(_("correct answers"), default=True)
    review_explanations_after_close = models.BooleanField(_("explanations"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    search_fields = [
        index.SearchField("title"), index.AutocompleteField("title"),
        index.FilterField("mode"), index.FilterField("is_draft"),
        index.FilterField("grading_method"),
    ]

    panels = [
        FieldPanel("title"),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("mode"), FieldPanel("is_draft")]),
        MultiFieldPanel([
            FieldRowPanel([FieldPanel("random_order"), FieldPanel("shuffle_choices"),
                           FieldPanel("max_questions")]),
            FieldRowPanel([FieldPanel("layout"), FieldPanel("feedback_timing")]),
            InlinePanel("quiz_questions", label=_("Fixed questions")),
            InlinePanel("draw_rules", label=_("Draw rules")),
        ], heading=_("Paper")),
        MultiFieldPanel([
            FieldRowPanel([FieldPanel("max_attempts"), FieldPanel("exam_paper")]),
            FieldRowPanel([FieldPanel("pass_mark"), FieldPanel("grading_method")]),
            FieldPanel("multiple_scoring"),
            FieldPanel("success_text"),
            FieldPanel("fail_text"),
            FieldRowPanel([
                FieldPanel("time_limit_minutes"), FieldPanel("opens_at"), FieldPanel("closes_at"),
            ]),
        ], heading=_("Attempts and grading")),
        MultiFieldPanel([
            FieldRowPanel([
                FieldPanel("review_score_after_submit"),
                FieldPanel("review_responses_after_submit"),
                FieldPanel("review_answers_after_submit"),
                FieldPanel("review_explanations_after_submit"),
            ]),
        ], heading=_("Review right after submission")),
        MultiFieldPanel([
            FieldRowPanel([
                FieldPanel("review_score_after_close"),
                FieldPanel("review_responses_after_close"),
                FieldPanel("review_answers_after_close"),
                FieldPanel("review_explanations_after_close"),
            ]),
        ], heading=_("Review after the quiz closes")),
    ]

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")
        permissions = [("mark_attempt", _("Can mark essay answers"))]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="quiz_title_not_empty"),
            models.CheckConstraint(condition=Q(pass_mark__lte=100), name="quiz_pass_mark_range"),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True) | Q(closes_at__isnull=True)
                | Q(closes_at__gt=F("opens_at")),
                name="quiz_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(mode=Mode.PRACTICE) | Q(feedback_timing=FeedbackTiming.END),
                name="quiz_exam_feedback_at_end",
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("The quiz must close after it opens.")})
        if self.mode == Mode.EXAM and self.feedback_timing == FeedbackTiming.EACH:
            raise ValidationError(
                {"feedback_timing": _("An exam shows answers at the end only.")})

    @property
    def is_practice(self) -> bool:
        return self.mode == Mode.PRACTICE

    @property
    def immediate_feedback(self) -> bool:
        return self.is_practice and self.feedback_timing == FeedbackTiming.EACH

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return (self.opens_at is None or now >= self.opens_at) and (
            self.closes_at is None or now < self.closes_at)

    def is_closed(self, now=None) -> bool:
        now = now or timezone.now()
        return self.closes_at is not None and now >= self.closes_at


class QuizQuestion(Orderable):
    """A fixed question on a quiz; one question can belong to several quizzes."""

    quiz = ParentalKey(Quiz, on_delete=models.CASCADE, related_name="quiz_questions")
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, related_name="quiz_links", verbose_name=_("question")
    )

    panels = [FieldPanel("question")]

    class Meta(Orderable.Meta):
        verbose_name = _("fixed question")
        verbose_name_plural = _("fixed questions")
        constraints = [
            models.UniqueConstraint(fields=["quiz", "question"], name="quiz_question_once"),
        ]


class DrawRule(Orderable):
    """A paper assembly (组卷) rule: draw `count` questions by category × kind × difficulty."""

    quiz = ParentalKey(Quiz, on_delete=models.CASCADE, related_name="draw_rules")
    bank = models.ForeignKey(
        QuestionBank, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("question bank"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("category"), help_text=_("Includes its sub-categories; empty means any."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, blank=True)
    difficulty = models.CharField(
        _("difficulty"), max_length=8, choices=Difficulty.choices, blank=True
    )
    count = models.PositiveIntegerField(
        _("count"), default=1, validators=[MinValueValidator(1), MaxValueValidator(500)]
    )

    panels = [FieldRowPanel([
        FieldPanel("bank"), FieldPanel("category"), FieldPanel("kind"),
        FieldPanel("difficulty"), FieldPanel("count"),
    ])]

    class Meta(Orderable.Meta):
        verbose_name = _("draw rule")
        verbose_name_plural = _("draw rules")
        constraints = [
            models.CheckConstraint(condition=Q(count__gte=1), name="quiz_draw_rule_count"),
        ]


class AttemptStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", pgettext_lazy("attempt status", "In progress")
    SUBMITTED = "submitted", _("Awaiting marking")
    GRADED = "graded", _("Graded")


class Attempt(models.Model):
    """One learner's sitting of a quiz: its drawn paper, deadline, status and score."""

    # Learner records are not content: Wagtail's reference index ("used by") would add a SELECT
    # and an INSERT in savepoints to every attempt start and submit (issue 12).
    wagtail_reference_index_ignore = True

    quiz = models.ForeignKey(
        Quiz, on_delete=models.PROTECT, related_name="attempts", verbose_name=_("quiz")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts",
        verbose_name=_("user"),
    )
    number = models.PositiveIntegerField(_("attempt number"), default=1)
    status = models.CharField(
        _("status"), max_length=16, choices=AttemptStatus.choices,
        default=AttemptStatus.IN_PROGRESS,
    )
    started_at = models.DateTimeField(pgettext_lazy("attempt", "started at"), default=timezone.now)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    graded_at = models.DateTimeField(_("graded at"), null=True, blank=True)
    auto_submitted = models.BooleanField(_("submitted at expiry"), default=False)
    score = models.DecimalField(_("score"), max_digits=8, decimal_places=2, default=Decimal("0"))
    max_score = models.DecimalField(
        _("maximum score"), max_digits=8, decimal_places=2, default=Decimal("0")
    )
    percent = models.DecimalField(
        _("percent"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    passed = models.BooleanField(_("passed"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        constraints = [
            models.UniqueConstraint(
                fields=["quiz", "user"], condition=Q(status=AttemptStatus.IN_PROGRESS),
                name="quiz_one_open_attempt",
            ),
            models.UniqueConstraint(
                fields=["quiz", "user", "number"], name="quiz_attempt_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=AttemptStatus.values), name="quiz_attempt_status"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=F("max_score")),
                name="quiz_attempt_score_bounded",
            ),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | (Q(percent__gte=0) & Q(percent__lte=100)),
                name="quiz_attempt_percent_bounded",
            ),
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="quiz_attempt_due_idx")]

    def __str__(self):
        return f"{self.quiz} #{self.number} ({self.user})"

    @property
    def is_in_progress(self) -> bool:
        return self.status == AttemptStatus.IN_PROGRESS

    @property
    def is_graded(self) -> bool:
        return self.status == AttemptStatus.GRADED

    @property
    def is_passed(self) -> bool:
        return bool(self.passed)

    def is_expired(self, now=None) -> bool:
        return self.deadline is not None and (now or timezone.now()) >= self.deadline


class AttemptQuestion(models.Model):
    """A question as drawn into an attempt (the version shown), the learner's answer and marks."""

    wagtail_reference_index_ignore = True  # a learner record, not content (see Attempt)

    attempt = models.ForeignKey(
        Attempt, on_delete=models.CASCADE, related_name="attempt_questions",
        verbose_name=_("attempt"),
    )
    version = models.ForeignKey(
        QuestionVersion, on_delete=models.PROTECT, related_name="attempt_questions",
        verbose_name=_("question version"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    order = models.PositiveIntegerField(_("order"))
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2)
    # Choice ids in the order this attempt shows them (drawn once when shuffled); empty: as stored.
    choice_order = models.JSONField(_("option order"), default=list, blank=True)
    # {"choices": [ids]} | {"value": true} | {"blanks": ["..."]} | {"text": "..."}; null: unanswered
    answer = models.JSONField(_("answer"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    checked = models.BooleanField(
        _("checked"), default=False,
        help_text=_("Practice with immediate feedback: the answer was checked and is locked."),
    )
    is_correct = models.BooleanField(_("correct"), null=True, blank=True)
    awarded = models.DecimalField(
        _("points awarded"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    feedback = models.TextField(_("marker's feedback"), blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("marked by"),
    )
    marked_at = models.DateTimeField(_("marked at"), null=True, blank=True)

    class Meta:
        ordering = ["attempt_id", "order"]
        verbose_name = _("attempt question")
        verbose_name_plural = _("attempt questions")
        constraints = [
            models.UniqueConstraint(fields=["attempt", "order"], name="quiz_aq_order_unique"),
            models.UniqueConstraint(fields=["attempt", "version"], name="quiz_aq_version_once"),
            models.CheckConstraint(
                condition=Q(awarded__isnull=True)
                | (Q(awarded__gte=0) & Q(awarded__lte=F("points"))),
                name="quiz_aq_awarded_bounded",
            ),
        ]

    def __str__(self):
        return f"{self.attempt_id}#{self.order}"

    @property
    def is_answered(self) -> bool:
        return answer_given(self.answer)

    @property
    def needs_marking(self) -> bool:
        return self.kind == Kind.ESSAY and self.awarded is None


def answer_given(answer) -> bool:
    if not answer:
        return False
    if "choices" in answer:
        return bool(answer["choices"])
    if "value" in answer:
        return answer["value"] is not None
    if "blanks" in answer:
        return any(str(b).strip() for b in answer["blanks"])
    if "text" in answer:
        return bool(str(answer["text"]).strip())
    return False


class MarkingRecord(models.Model):
    """Audit: who marked which essay answer, with what points and feedback, and when."""

    wagtail_reference_index_ignore = True  # a learner record, not content (see Attempt)

    attempt_question = models.ForeignKey(
        AttemptQuestion, on_delete=models.CASCADE, related_name="marking_records",
        verbose_name=_("attempt question"),
    )
    marker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("marker"),
    )
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2)
    feedback = models.TextField(_("feedback"), blank=True)
    created_at = models.DateTimeField(_("marked at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("marking record")
        verbose_name_plural = _("marking records")
        constraints = [
            models.CheckConstraint(condition=Q(points__gte=0), name="quiz_marking_points_min"),
        ]

    def __str__(self):
        return f"{self.attempt_question} {self.points}"


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("Awaiting confirmation")
    IMPORTED = "imported", _("Imported")


class QuestionImportJob(models.Model):
    """An uploaded question file between its preview and the editor's confirmation; the bytes
    stay in the database (never in public media) and are cleared once imported."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    file_format = models.CharField(_("format"), max_length=16)
    data = models.BinaryField(_("file contents"), editable=False)
    bank = models.ForeignKey(
        QuestionBank, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("question bank"),
    )
    bank_name = models.CharField(
        _("new question bank"), max_length=200, blank=True,
        help_text=_("Created on confirmation when no existing bank was chosen."),
    )
    category_prefix = models.CharField(_("category prefix"), max_length=400, blank=True)
    skip_unsupported = models.BooleanField(_("skip unsupported questions"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    question_count = models.PositiveIntegerField(_("questions"), default=0)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("question import")
        verbose_name_plural = _("question imports")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="quiz_import_status"),
            models.CheckConstraint(
                condition=Q(bank__isnull=False) | ~Q(bank_name=""), name="quiz_import_has_bank"),
        ]

    def __str__(self):
        return self.filename or f"#{self.pk}"
