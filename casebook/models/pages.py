"""Case library pages: the index (/cases/) and one page per project case with its goal table."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Orderable, Page

from casebook.forms import CasePageForm
from casebook.models.config import FunctionalClass, FunctionalClassLevel, GoalFramework
from casebook.models.indicators import LEVEL1_CHOICES, IndicatorDirection
from casebook.rules.selfeval import BAND_ALIASES
from casebook.rules.selfeval_rows import ROW_FIELDS as SELFEVAL_ROW_FIELDS
from casebook.rules.selfeval_rows import join_self_evaluation
from portal.models import Stage, StageListField
from portal.search import SearchablePageMixin, join_text
from portal.slugs import PinyinSlugMixin

ERROR_CLASS_NOT_IN_YEAR = _("%(chosen)s is not a class of %(year)s: choose %(valid)s.")
ERROR_CLASS_NOT_IN_YEAR_NO_ROW = _("%(chosen)s is not a class of %(year)s.")


class ProjectType(models.TextChoices):
    NEW = "new", pgettext_lazy("project type", "New")
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
        from casebook.selectors import (
            case_departments,
            case_func_classes,
            cases_for_index,
            exercise_kinds_by_case,
        )

        context = super().get_context(request, *args, **kwargs)
        form = CaseFilterForm(request.GET or None, departments=case_departments(index=self),
                              func_classes=case_func_classes(index=self))
        filters = form.valid_filters()
        cases = cases_for_index(index=self, **filters)
        context["filter_form"] = form
        context["filters_active"] = bool(filters)
        page = Paginator(cases, self.per_page).get_page(request.GET.get("page"))
        badges = exercise_kinds_by_case(case_ids=[case.pk for case in page])
        for case in page:
            case.exercise_badges = badges.get(case.pk, [])
        context["cases"] = page
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
    selfeval_budget_wan = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        verbose_name=_("self-evaluation: annual budget (10,000 yuan)"),
        help_text=_("年度预算数 of the 单位自评表, in 万元."),
    )
    selfeval_executed_wan = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        verbose_name=_("self-evaluation: amount spent (10,000 yuan)"),
        help_text=_("执行数 of the 单位自评表, in 万元."),
    )
    self_evaluation_remarks = models.TextField(
        blank=True, verbose_name=_("self-evaluation: remarks"),
        help_text=_("Shown below the self-evaluation table, e.g. how the results were checked."),
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
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("selfeval_budget_wan"),
                               FieldPanel("selfeval_executed_wan")]),
                InlinePanel("self_evaluation_rows", label=_("Self-evaluation row")),
                FieldPanel("self_evaluation_remarks"),
            ],
            heading=_("Self-evaluation (optional)"),
            help_text=_("One row per indicator, in table order. Scores, total and grade are "
                        "computed; with points, the rows add up to 90 (10 for budget "
                        "execution)."),
        ),
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

    @property
    def self_evaluation(self) -> dict | None:
        """The 单位自评 in the scorer's format (``casebook.rules.selfeval``), None when empty."""
        rows = [{name: getattr(row, name) for name in SELFEVAL_ROW_FIELDS}
                for row in self.self_evaluation_rows.all()]
        return join_self_evaluation(budget_wan=self.selfeval_budget_wan,
                                    executed_wan=self.selfeval_executed_wan, rows=rows,
                                    remarks=self.self_evaluation_remarks)

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

    def clean(self):
        super().clean()
        errors = {}
        for name in ("func_class", "func_subclass"):
            chosen = getattr(self, name) if getattr(self, f"{name}_id") else None
            if chosen is not None and self.year and not chosen.is_valid_in(self.year):
                errors[name] = functional_class_year_error(chosen=chosen, year=self.year)
        if errors:
            raise ValidationError(errors)

    def search_text(self) -> str:
        # Public parts only: never the reference table (the key of open exercises).
        return join_text(self.code, self.department, self.background, self.overall_goal,
                         self.annual_goal, self.findings)

    def search_date(self):
        return self.first_published_at

    def get_context(self, request, *args, **kwargs):
        from casebook.exercises.selectors import exercises_for_case
        from casebook.selectors import case_detail

        context = super().get_context(request, *args, **kwargs)
        user = getattr(request, "user", None)
        exercises = exercises_for_case(case=self, user=user)
        # Open exercises hide what would give their answers away (see case_detail).
        context.update(case_detail(case=self, exercises=exercises, user=user))
        context["case_exercises"] = exercises
        context["case_index"] = self.get_parent()
        return context


def functional_class_year_error(*, chosen: FunctionalClass, year: int) -> str:
    """The message for a class or subclass whose name was not in use in ``year``, naming the
    row of the same code that was, if any (210 in 2017 is 医疗卫生与计划生育支出)."""
    valid = (FunctionalClass.objects.filter(code=chosen.code, level=chosen.level,
                                            valid_from__lte=year)
             .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=year)).first())
    params = {"chosen": str(chosen), "year": year, "valid": str(valid)}
    if valid is None:
        return ERROR_CLASS_NOT_IN_YEAR_NO_ROW % params
    return ERROR_CLASS_NOT_IN_YEAR % params


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


class AchievementBand(models.TextChoices):
    """Degree of achievement of a qualitative indicator (财预〔2020〕10号)."""

    MET = "达成", _("Met (80-100 %)")
    PARTLY_MET = "部分达成", _("Partly met (60-80 %)")
    NOT_MET = "未达成", _("Not met (0-60 %)")


class SelfEvaluationRule(models.TextChoices):
    """How a self-evaluation row is scored when the operator alone does not say it."""

    RATIO = "ratio", _("Actual / target (positive indicator)")
    REVERSE = "reverse", _("Target / actual (reverse indicator)")
    DATE = "date", _("Deadline: late delivery scores the late share")
    QUALITATIVE = "qualitative", _("Qualitative band")
    LATE_30_60 = "late<=30d:60%", _("Deadline: up to 30 days late scores 60 %")


QUANTITATIVE_OPERATORS = frozenset({">=", "<=", "=", ">", "<"})
ERR_SELFEVAL_TARGET = _("Enter the target as a number or a date (2025-08-25) for a "
                        "quantitative indicator.")
ERR_SELFEVAL_ACTUAL = _("Enter the actual value as a number or a date (2025-08-25).")
ERR_SELFEVAL_BAND_REQUIRED = _("Choose the degree of achievement of a qualitative indicator.")
ERR_SELFEVAL_BAND_PERCENT = _("The percentage must lie within the band: %(low)s-%(high)s %%.")
ERR_SELFEVAL_DATE_MIXED = _("Target and actual value must both be dates or both be numbers.")


class SelfEvaluationRow(Orderable):
    """One indicator row of a case's 单位自评表 (budget execution is on the case)."""

    page = ParentalKey(CasePage, on_delete=models.CASCADE, related_name="self_evaluation_rows")
    level1 = models.CharField(max_length=20, choices=LEVEL1_CHOICES, verbose_name=_("level 1"))
    level2 = models.CharField(max_length=50, blank=True, verbose_name=_("level 2"),
                              help_text=_("e.g. 数量指标"))
    name = models.CharField(max_length=200, verbose_name=_("indicator (level 3)"))
    op = models.CharField(max_length=12, choices=Operator.choices, default=Operator.GE,
                          verbose_name=_("operator"))
    target = models.CharField(max_length=100, blank=True, verbose_name=_("annual target"),
                              help_text=_("A number or a date (2025-08-25); empty for a "
                                          "qualitative indicator."))
    actual = models.CharField(max_length=100, blank=True, verbose_name=_("actual value"))
    unit = models.CharField(max_length=50, blank=True, verbose_name=_("unit"))
    points = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        verbose_name=_("points"),
        help_text=_("Weight of the row; leave every row empty to use the class weights."),
    )
    band = models.CharField(max_length=8, choices=AchievementBand.choices, blank=True,
                            verbose_name=_("degree of achievement"),
                            help_text=_("Qualitative indicators only."))
    band_percent = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        verbose_name=_("percentage within the band"),
        help_text=_("Empty: the band's default (100 / 70 / 30)."),
    )
    rule = models.CharField(max_length=20, choices=SelfEvaluationRule.choices, blank=True,
                            verbose_name=_("scoring rule"),
                            help_text=_("Empty: from the operator and the target."))
    explanation = models.TextField(blank=True,
                                   verbose_name=_("reasons for deviations and improvements"))

    panels = [
        FieldRowPanel([FieldPanel("level1"), FieldPanel("level2")]),
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("op"), FieldPanel("target"), FieldPanel("actual"),
                       FieldPanel("unit")]),
        FieldRowPanel([FieldPanel("points"), FieldPanel("rule")]),
        FieldRowPanel([FieldPanel("band"), FieldPanel("band_percent")]),
        FieldPanel("explanation"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("self-evaluation row")
        verbose_name_plural = _("self-evaluation rows")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        """Check what the scorer needs from one row, with messages on the fields."""
        from casebook.rules.selfeval import _value

        super().clean()
        errors: dict[str, object] = {}
        qualitative = self.op == Operator.QUALITATIVE or self.rule == SelfEvaluationRule.QUALITATIVE
        if qualitative:
            band = BAND_ALIASES.get((self.band or self.actual or "").strip())
            if band is None:
                errors["band"] = ERR_SELFEVAL_BAND_REQUIRED
            elif self.band_percent is not None:
                low, high, _default = _qualitative_bands()[band]
                if not low <= float(self.band_percent) <= high:
                    errors["band_percent"] = ERR_SELFEVAL_BAND_PERCENT % {
                        "low": f"{low:g}", "high": f"{high:g}"}
        else:
            target, actual = _value(self.target), _value(self.actual)
            if target is None:
                errors["target"] = ERR_SELFEVAL_TARGET
            if actual is None:
                errors["actual"] = ERR_SELFEVAL_ACTUAL
            if target is not None and actual is not None and \
                    isinstance(target, float) != isinstance(actual, float):
                errors["actual"] = ERR_SELFEVAL_DATE_MIXED
        if errors:
            raise ValidationError(errors)


def _qualitative_bands() -> dict:
    from casebook.rules.config import default_config

    return default_config().selfeval_qualitative_bands
