"""Case library pages: the index (/cases/) and one page per project case with its goal table."""

from __future__ import annotations

from decimal import Decimal

from django.core.paginator import Paginator
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Orderable, Page

from casebook.forms import CasePageForm
from casebook.models.config import FunctionalClass, FunctionalClassLevel, GoalFramework
from casebook.models.indicators import IndicatorDirection
from portal.models import Stage, StageListField
from portal.search import SearchablePageMixin, join_text
from portal.slugs import PinyinSlugMixin


class ProjectType(models.TextChoices):
    NEW = "new", _("New")
    CONTINUING = "continuing", _("Continuing")


class Difficulty(models.TextChoices):
    EASY = "easy", _("Easy")
    MEDIUM = "medium", _("Medium")
    HARD = "hard", _("Hard")


class Operator(models.TextChoices):
    GE = ">=", "≥"
    LE = "<=", "≤"
    EQ = "=", "＝"
    GT = ">", "＞"
    LT = "<", "＜"
    QUALITATIVE = "qualitative", _("Qualitative")


OPERATOR_SYMBOLS = {">=": "≥", "<=": "≤", "=": "＝", ">": "＞", "<": "＜", "qualitative": "定性"}


class CaseIndexPage(PinyinSlugMixin, Page):
    """The case library: every live case, filterable by class, stage, department, difficulty."""

    intro = models.TextField(
        blank=True, verbose_name=_("introduction"),
        help_text=_("Shown above the list: what the case library holds and how to use it."),
    )

    parent_page_types = ["portal.HomePage"]
    subpage_types = ["casebook.CasePage"]
    max_count = 1
    per_page = 20

    content_panels = [*Page.content_panels, FieldPanel("intro")]

    class Meta:
        verbose_name = _("case library")
        verbose_name_plural = _("case libraries")

    def get_context(self, request, *args, **kwargs):
        from casebook.forms import CaseFilterForm
        from casebook.selectors import case_departments, case_func_classes, cases_for_index

        context = super().get_context(request, *args, **kwargs)
        form = CaseFilterForm(request.GET or None, departments=case_departments(index=self),
                              func_classes=case_func_classes(index=self))
        filters = form.valid_filters()
        cases = cases_for_index(index=self, **filters)
        context["filter_form"] = form
        context["filters_active"] = bool(filters)
        context["cases"] = Paginator(cases, self.per_page).get_page(request.GET.get("page"))
        context["filter_querystring"] = form.querystring(filters)
        return context


class CasePage(PinyinSlugMixin, SearchablePageMixin, Page):
    """One project case: facts, the reference goal table, monitoring, evaluation, teaching notes."""

    code = models.CharField(
        max_length=40, unique=True, verbose_name=_("case code"),
        help_text=_("Stable identifier, e.g. CASE-EDU-01."),
    )
    department = models.CharField(
        max_length=100, db_index=True, verbose_name=_("department"),
        help_text=_("主管部门 / 实施单位 as it should appear, e.g. 某市教育局."),
    )
    func_class = models.ForeignKey(
        FunctionalClass, on_delete=models.PROTECT, related_name="cases",
        limit_choices_to={"level": FunctionalClassLevel.CLASS},
        verbose_name=_("functional class (类)"),
    )
    func_subclass = models.ForeignKey(
        FunctionalClass, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"level": FunctionalClassLevel.SUBCLASS},
        verbose_name=_("functional subclass (款)"),
    )
    year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)], verbose_name=_("year"),
    )
    budget_wan = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))],
        verbose_name=_("budget (10,000 yuan)"), help_text=_("资金总额, in 万元."),
    )
    funding_source = models.CharField(
        max_length=200, blank=True, verbose_name=_("funding source"),
        help_text=_("e.g. 本级财政拨款, 上级转移支付."),
    )
    project_type = models.CharField(max_length=12, choices=ProjectType.choices,
                                    default=ProjectType.NEW, verbose_name=_("project type"))
    multi_year = models.BooleanField(default=False, verbose_name=_("multi-year project"))
    framework = models.CharField(
        max_length=4, choices=GoalFramework.choices, default=GoalFramework.F2021,
        verbose_name=_("indicator framework"),
    )
    background = models.TextField(blank=True, verbose_name=_("background"))
    overall_goal = models.TextField(verbose_name=_("overall goal"))
    annual_goal = models.TextField(blank=True, verbose_name=_("annual goal"))
    monitoring_month = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(12)],
        verbose_name=_("monitoring month"),
        help_text=_("Month of the monitoring snapshot (1-12); empty when there is none."),
    )
    monitoring_budget_wan = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        verbose_name=_("budget at monitoring (10,000 yuan)"),
    )
    monitoring_executed_wan = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        verbose_name=_("executed at monitoring (10,000 yuan)"),
    )
    self_evaluation = models.JSONField(
        null=True, blank=True, verbose_name=_("self-evaluation"),
        help_text=_("Optional JSON object: scalar entries become label/value rows, a list of "
                    "objects (e.g. \"rows\") becomes a table."),
    )
    findings = models.TextField(blank=True, verbose_name=_("findings"))
    rectification = models.TextField(blank=True, verbose_name=_("rectification"))
    teaching_good = models.TextField(blank=True, verbose_name=_("what is good"))
    teaching_mistakes = models.TextField(blank=True,
                                         verbose_name=_("typical learner mistakes"))
    stages = StageListField(verbose_name=_("stages"),
                            help_text=_("Stages of performance management the case teaches."))
    difficulty = models.CharField(max_length=8, choices=Difficulty.choices,
                                  default=Difficulty.MEDIUM, verbose_name=_("difficulty"))

    parent_page_types = ["casebook.CaseIndexPage"]
    subpage_types: list[str] = []
    search_kind = "case"
    search_kind_label = _("Case")
    base_form_class = CasePageForm

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("code"), FieldPanel("department")]),
                FieldRowPanel([FieldPanel("func_class"), FieldPanel("func_subclass")]),
                FieldRowPanel([FieldPanel("year"), FieldPanel("budget_wan"),
                               FieldPanel("funding_source")]),
                FieldRowPanel([FieldPanel("project_type"), FieldPanel("multi_year"),
                               FieldPanel("framework")]),
                FieldRowPanel([FieldPanel("difficulty")]),
                FieldPanel("stages"),
            ],
            heading=_("Project"),
        ),
        FieldPanel("background"),
        FieldPanel("overall_goal"),
        FieldPanel("annual_goal"),
        InlinePanel("reference_rows", label=_("Reference goal table"),
                    help_text=_("One row per third-level indicator, in table order. Publishing "
                                "is blocked while the goal-table checker reports errors.")),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("monitoring_month"),
                               FieldPanel("monitoring_budget_wan"),
                               FieldPanel("monitoring_executed_wan")]),
                InlinePanel("monitoring_rows", label=_("Indicator progress")),
            ],
            heading=_("Monitoring snapshot (optional)"),
        ),
        FieldPanel("self_evaluation"),
        FieldPanel("findings"),
        FieldPanel("rectification"),
        MultiFieldPanel([FieldPanel("teaching_good"), FieldPanel("teaching_mistakes")],
                        heading=_("Teaching notes")),
    ]

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.CheckConstraint(condition=Q(budget_wan__gt=0),
                                   name="casebook_case_budget_positive"),
            models.CheckConstraint(
                condition=Q(monitoring_month__isnull=True)
                | Q(monitoring_month__gte=1, monitoring_month__lte=12),
                name="casebook_case_monitoring_month_range",
            ),
        ]

    @property
    def stage_labels(self) -> list[str]:
        labels = dict(Stage.choices)
        return [labels[code] for code in self.stages if code in labels]

    @property
    def execution_rate(self) -> Decimal | None:
        """Executed / budget at the monitoring date, in percent (None without a snapshot)."""
        if not self.monitoring_budget_wan or self.monitoring_executed_wan is None:
            return None
        return (self.monitoring_executed_wan * 100 / self.monitoring_budget_wan).quantize(
            Decimal("0.1"))

    def reference_table(self, rows=None) -> dict:
        """The reference goal table in the rules engine's interchange format."""
        rows = list(self.reference_rows.all()) if rows is None else rows
        budget = self.budget_wan
        if budget is not None:
            budget = int(budget) if budget == budget.to_integral_value() else float(budget)
        return {
            "framework": self.framework,
            "project": self.title,
            "budget_wan": budget,
            "year": self.year,
            "multi_year": bool(self.multi_year),
            "overall_goal": self.overall_goal or "",
            "annual_goal": self.annual_goal or "",
            "indicators": [row.as_interchange() for row in rows],
        }

    def search_text(self) -> str:
        return join_text(self.code, self.department, self.background, self.overall_goal,
                         self.annual_goal, self.findings)

    def search_date(self):
        return self.first_published_at

    def get_context(self, request, *args, **kwargs):
        from casebook.exercises.selectors import exercises_for_case
        from casebook.selectors import case_detail

        context = super().get_context(request, *args, **kwargs)
        exercises = exercises_for_case(case=self, user=getattr(request, "user", None))
        # Published exercises hide what would give their answers away (see case_detail).
        context.update(case_detail(case=self,
                                   exercise_kinds={exercise.kind for exercise in exercises}))
        context["case_exercises"] = exercises
        context["case_index"] = self.get_parent()
        return context


class CaseIndicatorRow(Orderable):
    """One row of a case's reference goal table (绩效目标申报表)."""

    page = ParentalKey(CasePage, on_delete=models.CASCADE, related_name="reference_rows")
    level1 = models.CharField(max_length=20, verbose_name=_("level 1"),
                              help_text=_("e.g. 产出指标"))
    level2 = models.CharField(max_length=50, verbose_name=_("level 2"),
                              help_text=_("e.g. 数量指标"))
    name = models.CharField(max_length=200, verbose_name=_("indicator (level 3)"))
    op = models.CharField(max_length=12, choices=Operator.choices, default=Operator.GE,
                          verbose_name=_("operator"))
    value = models.CharField(max_length=100, blank=True, verbose_name=_("value"),
                             help_text=_("A number, a date (2026-08-25) or text."))
    unit = models.CharField(max_length=50, blank=True, verbose_name=_("unit"))
    basis = models.CharField(max_length=200, blank=True, verbose_name=_("basis"),
                             help_text=_("指标值设定依据, e.g. 计划标准（年度计划）."))
    explanation = models.TextField(blank=True, verbose_name=_("explanation"))
    history = models.CharField(max_length=100, blank=True, verbose_name=_("history value"))

    panels = [
        FieldRowPanel([FieldPanel("level1"), FieldPanel("level2")]),
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("op"), FieldPanel("value"), FieldPanel("unit")]),
        FieldPanel("basis"),
        FieldPanel("explanation"),
        FieldPanel("history"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("goal table row")
        verbose_name_plural = _("goal table rows")

    def __str__(self) -> str:
        return self.name

    @property
    def op_symbol(self) -> str:
        return OPERATOR_SYMBOLS.get(self.op, self.op)

    def as_interchange(self) -> dict:
        return {
            "level1": self.level1, "level2": self.level2, "name": self.name, "op": self.op,
            "value": self.value, "unit": self.unit, "basis": self.basis,
            "explanation": self.explanation, "history": self.history or None,
        }


class CaseMonitoringRow(Orderable):
    """Progress of one indicator at the case's monitoring date."""

    page = ParentalKey(CasePage, on_delete=models.CASCADE, related_name="monitoring_rows")
    name = models.CharField(max_length=200, verbose_name=_("indicator"))
    target = models.CharField(max_length=100, verbose_name=_("annual target"))
    progress = models.CharField(max_length=100, blank=True, verbose_name=_("progress"),
                                help_text=_("Value reached at the monitoring month."))
    direction = models.CharField(max_length=12, choices=IndicatorDirection.choices,
                                 default=IndicatorDirection.POSITIVE,
                                 verbose_name=_("direction"))

    panels = [FieldRowPanel([FieldPanel("name"), FieldPanel("target"), FieldPanel("progress"),
                             FieldPanel("direction")])]

    class Meta(Orderable.Meta):
        verbose_name = _("monitoring row")
        verbose_name_plural = _("monitoring rows")

    def __str__(self) -> str:
        return self.name
