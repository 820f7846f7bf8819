"""Reference data (支出功能分类) and the bureau's checker settings per year and framework."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

ERROR_SUBCLASS_NEEDS_PARENT = _("A 款 (subclass) needs its 类 (class) as parent.")
ERROR_CLASS_HAS_PARENT = _("A 类 (class) has no parent.")
ERROR_SUBCLASS_CODE = _("A 款 code has 5 digits and starts with the code of its 类.")
ERROR_CLASS_CODE = _("A 类 code has 3 digits.")
ERROR_VALID_YEARS = _("The last valid year cannot be before the first.")


class FunctionalClassLevel(models.TextChoices):
    CLASS = "class", _("Class (类)")
    SUBCLASS = "subclass", _("Subclass (款)")


class FunctionalClass(models.Model):
    """One 类 or 款 of the expenditure functional classification, valid for a range of years.

    Names change between years (210 was 医疗卫生与计划生育支出 before 2019), so the same code may
    have several rows with different ``valid_from``; cases and indicators point at the row that
    was valid in their year.
    """

    level = models.CharField(
        max_length=10, choices=FunctionalClassLevel.choices, verbose_name=_("level"),
    )
    code = models.CharField(
        max_length=7, db_index=True, verbose_name=_("code"),
        help_text=_("3 digits for a 类 (e.g. 205), 5 digits for a 款 (e.g. 20502)."),
    )
    name = models.CharField(max_length=100, verbose_name=_("name"))
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="subclasses",
        limit_choices_to={"level": FunctionalClassLevel.CLASS}, verbose_name=_("class (类)"),
        help_text=_("For a 款: the 类 it belongs to."),
    )
    valid_from = models.PositiveSmallIntegerField(
        default=2000, validators=[MinValueValidator(1990), MaxValueValidator(2100)],
        verbose_name=_("valid from (year)"),
    )
    valid_to = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1990), MaxValueValidator(2100)],
        verbose_name=_("valid to (year)"), help_text=_("Empty while the name is still in use."),
    )
    name_en = models.CharField(max_length=200, blank=True, verbose_name=_("English name"))

    class Meta:
        verbose_name = _("functional class")
        verbose_name_plural = _("functional classes")
        ordering = ["code", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"],
                                    name="casebook_funcclass_code_from_uniq"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="casebook_funcclass_years_ordered",
            ),
            models.CheckConstraint(
                condition=(Q(level="class", parent__isnull=True)
                           | Q(level="subclass", parent__isnull=False)),
                name="casebook_funcclass_parent_by_level",
            ),
        ]

    def __str__(self) -> str:
        # Choosers and lists show every row of a code; a former name says so, and until when.
        if self.valid_to is not None:
            return str(_("%(code)s %(name)s (former name, %(first)s–%(last)s)") % {
                "code": self.code, "name": self.name, "first": self.valid_from,
                "last": self.valid_to})
        return f"{self.code} {self.name}"

    def clean(self):
        errors = {}
        code = self.code or ""
        if self.level == FunctionalClassLevel.CLASS:
            if self.parent_id:
                errors["parent"] = ERROR_CLASS_HAS_PARENT
            if not (len(code) == 3 and code.isdigit()):
                errors["code"] = ERROR_CLASS_CODE
        elif self.level == FunctionalClassLevel.SUBCLASS:
            if not self.parent_id:
                errors["parent"] = ERROR_SUBCLASS_NEEDS_PARENT
            elif not (len(code) == 5 and code.isdigit() and code.startswith(self.parent.code)):
                errors["code"] = ERROR_SUBCLASS_CODE
        if self.valid_to is not None and self.valid_from and self.valid_to < self.valid_from:
            errors["valid_to"] = ERROR_VALID_YEARS
        if errors:
            raise ValidationError(errors)

    def is_valid_in(self, year: int) -> bool:
        return self.valid_from <= year and (self.valid_to is None or year <= self.valid_to)


class GoalFramework(models.TextChoices):
    F2021 = "2021", _("2021 (财预〔2021〕101号: cost as a first-level indicator)")
    F2020 = "2020", _("2020 (财预〔2020〕10号: cost under output)")


class GoalRuleSettings(models.Model):
    """The bureau's overrides of the goal-table checker defaults for one year and framework."""

    year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)], verbose_name=_("year"),
    )
    framework = models.CharField(
        max_length=4, choices=GoalFramework.choices, default=GoalFramework.F2021,
        verbose_name=_("framework"),
    )
    overrides = models.JSONField(
        default=dict, blank=True, verbose_name=_("overrides"),
        help_text=_("Only the settings that differ from the defaults, as JSON, e.g. "
                    "{\"vague_words\": [\"明显\", \"显著\"]}. Checked against the rules engine "
                    "when saved."),
    )
    note = models.CharField(max_length=255, blank=True, verbose_name=_("note"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("goal rule settings")
        verbose_name_plural = _("goal rule settings")
        ordering = ["-year", "framework"]
        constraints = [
            models.UniqueConstraint(fields=["year", "framework"],
                                    name="casebook_goalrules_year_framework_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.year} / {self.framework}"

    def clean(self):
        from casebook.services import goal_rule_overrides_validate

        if not isinstance(self.overrides, dict):
            raise ValidationError({"overrides": _("The overrides must be a JSON object.")})
        message = goal_rule_overrides_validate(overrides=self.overrides,
                                               framework=self.framework)
        if message:
            raise ValidationError({"overrides": message})
