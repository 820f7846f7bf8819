"""Course content: the course list (/courses/), one page per course and its lessons."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.http import HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from courses.blocks import LessonBodyBlock
from courses.fields import PositionListField
from departments.models import Position
from portal.models import Stage
from portal.search import SearchablePageMixin, join_text, stream_text
from portal.slugs import PinyinSlugMixin


def _id_list(ids) -> str:
    """",3,7," for filtering with a LIKE on ",<id>," (same on SQLite and PostgreSQL)."""
    ids = sorted({int(pk) for pk in ids})
    return f",{','.join(map(str, ids))}," if ids else ""


class CourseIndexPage(PinyinSlugMixin, SearchablePageMixin, Page):
    """The course list: every live course by stage, with credit hours and the learner's status."""

    intro = models.TextField(blank=True, verbose_name=_("introduction"))

    parent_page_types = ["portal.HomePage"]
    subpage_types = ["courses.CoursePage"]
    max_count = 1
    search_kind = "course"
    search_kind_label = _("Course")

    content_panels = [*Page.content_panels, FieldPanel("intro")]

    class Meta:
        verbose_name = _("course list")
        verbose_name_plural = _("course lists")

    def search_text(self) -> str:
        return self.intro

    def get_context(self, request, *args, **kwargs):
        from courses.selectors import course_index_groups

        context = super().get_context(request, *args, **kwargs)
        context["stage_groups"] = course_index_groups(index=self, user=request.user)
        return context


class CoursePage(PinyinSlugMixin, SearchablePageMixin, Page):
    """One course: what it teaches, for whom, its lessons and the rule for completing it."""

    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.GENERAL,
                             verbose_name=pgettext_lazy("course", "stage"))
    positions = PositionListField(
        verbose_name=_("intended positions"),
        help_text=_("Whom the course is written for; the annual plan decides who must take it."))
    credit_hours = models.DecimalField(
        max_digits=4, decimal_places=1, default=Decimal("1.0"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("99"))],
        verbose_name=_("credit hours"), help_text=_("学时 credited when the course is completed."))
    intro = models.TextField(blank=True, verbose_name=_("introduction"))
    objectives = models.TextField(
        blank=True, verbose_name=_("learning objectives"),
        help_text=_("One objective per line: what the learner can do after the course."))
    required_quiz = models.ForeignKey(
        "quizzes.Quiz", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("required quiz"),
        help_text=_("Optional: the course is complete only when this quiz is passed."))
    required_quiz_pass_percent = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100)],
        verbose_name=_("pass mark for this course (%)"),
        help_text=_("Leave empty to use the quiz's own pass mark."))
    required_exercise = models.ForeignKey(
        "casebook.Exercise", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("required exercise"),
        help_text=_("Optional: the course is complete only when this exercise is passed."))
    issues_certificate = models.BooleanField(
        default=False, verbose_name=_("issue a course certificate"),
        help_text=_("Give learners a certificate for this course on its own when they complete "
                    "it (plan certificates are issued when all required courses are done)."))

    parent_page_types = ["courses.CourseIndexPage"]
    subpage_types = ["courses.LessonPage"]
    search_kind = "course"
    search_kind_label = _("Course")

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel([
            FieldRowPanel([FieldPanel("stage"), FieldPanel("credit_hours")]),
            FieldPanel("positions"),
        ], heading=_("Course")),
        FieldPanel("intro"),
        FieldPanel("objectives"),
        MultiFieldPanel([
            FieldRowPanel([FieldPanel("required_quiz"), FieldPanel("required_quiz_pass_percent")]),
            FieldPanel("required_exercise"),
            FieldPanel("issues_certificate"),
        ], heading=_("Completion rule"),
            help_text=_("Every lesson must be finished; add a quiz or an exercise to pass too.")),
    ]

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(required_quiz_pass_percent__isnull=True)
                | models.Q(required_quiz_pass_percent__gte=1,
                           required_quiz_pass_percent__lte=100),
                name="course_quiz_pass_percent_range"),
        ]

    @property
    def objective_list(self) -> list[str]:
        return [line.strip() for line in self.objectives.splitlines() if line.strip()]

    @property
    def position_labels(self) -> list[str]:
        labels = dict(Position.choices)
        return [labels[code] for code in self.positions if code in labels]

    @property
    def quiz_pass_percent(self) -> int | None:
        """The mark the course asks of its required quiz (its own override or the quiz's)."""
        if self.required_quiz_id is None:
            return None
        return self.required_quiz_pass_percent or self.required_quiz.pass_mark

    def search_text(self) -> str:
        return join_text(self.get_stage_display(), self.intro, self.objectives)

    def get_context(self, request, *args, **kwargs):
        from courses.selectors import course_detail

        context = super().get_context(request, *args, **kwargs)
        context.update(course_detail(course=self, user=request.user))
        return context


class LessonPage(PinyinSlugMixin, SearchablePageMixin, Page):
    """One lesson of a course: text, policy excerpts, cases, media, quizzes and exercises."""

    intro = models.TextField(blank=True, verbose_name=_("introduction"))
    body = StreamField(LessonBodyBlock(), blank=True, verbose_name=_("body"))
    min_study_minutes = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(600)], verbose_name=_("minimum study time (min)"),
        help_text=_("Time the page must be open before the learner can mark the lesson finished, "
                    "measured by the server. 0: no minimum."))
    # Which quizzes and exercises the body embeds, kept in step on save, so that a graded
    # attempt finds its lessons with one LIKE on ",<id>," instead of loading every body.
    embedded_quizzes = models.CharField(max_length=500, blank=True, editable=False)
    embedded_exercises = models.CharField(max_length=500, blank=True, editable=False)

    parent_page_types = ["courses.CoursePage"]
    subpage_types: list[str] = []
    search_kind = "lesson"
    search_kind_label = _("Lesson")

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("min_study_minutes"),
                      FieldPanel("body")]

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    def save(self, *args, **kwargs):
        self.embedded_quizzes = _id_list(self.quiz_ids())
        self.embedded_exercises = _id_list(self.exercise_ids())
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "body" in update_fields:
            kwargs["update_fields"] = {*update_fields, "embedded_quizzes", "embedded_exercises"}
        return super().save(*args, **kwargs)

    def _chosen_ids(self, block_type: str, key: str) -> list[int]:
        # raw_data holds the chosen ids without fetching the snippets.
        return [item["value"][key] for item in self.body.raw_data
                if item.get("type") == block_type and (item.get("value") or {}).get(key)]

    def quiz_ids(self) -> list[int]:
        return self._chosen_ids("quiz", "quiz")

    def exercise_ids(self) -> list[int]:
        return self._chosen_ids("exercise", "exercise")

    def search_text(self) -> str:
        parts = [stream_text(block.value) for block in self.body
                 if block.block_type in ("text", "key_points", "policy_excerpt", "self_check")]
        return join_text(self.intro, *parts)

    def serve(self, request, *args, **kwargs):
        # A self-check answer is a plain form post back to the lesson (works without JS).
        if request.method not in ("GET", "HEAD", "POST"):
            return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
        if request.method == "POST":
            context = self.get_context(request, *args, **kwargs)
            return TemplateResponse(request, self.get_template(request, *args, **kwargs),
                                    context)
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        from courses.selectors import lesson_detail
        from courses.services import HEARTBEAT_INTERVAL_SECONDS, lesson_visit

        context = super().get_context(request, *args, **kwargs)
        context["heartbeat_interval"] = HEARTBEAT_INTERVAL_SECONDS
        answer = None
        if request.method == "POST":
            answer = (request.POST.get("self_check", ""), request.POST.get("choice", ""))
        detail = lesson_detail(lesson=self, user=request.user, self_check_answer=answer)
        if request.user.is_authenticated and detail["course"] is not None:
            # Opening a lesson enrols the learner and is where 继续学习 returns to.
            lesson_visit(user=request.user, lesson=self, course=detail["course"])
        context.update(detail)
        return context
