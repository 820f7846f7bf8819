"""Forms of the casebook: list filters, the case editor's checker gate, checker settings.

No casebook model is imported at module level: ``CasePage`` names ``CasePageForm`` as its
``base_form_class``.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from portal.forms import IgnoringInvalidFiltersForm
from portal.models import Stage
from portal.slugs import PinyinSlugPageForm

DIFFICULTY_CHOICES = [("easy", _("Easy")), ("medium", _("Medium")), ("hard", _("Hard"))]
PUBLISH_BLOCKED = _("Publishing is blocked: the reference goal table has checker errors. "
                    "Fix them, or save a draft.")
SELF_EVALUATION_INVALID = _("The self-evaluation cannot be scored:")


class CaseFilterForm(IgnoringInvalidFiltersForm):
    """Filters of the case library."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    func_class = forms.ChoiceField(label=_("Functional class"), required=False)
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    department = forms.ChoiceField(label=_("Department"), required=False)
    difficulty = forms.ChoiceField(label=_("Difficulty"), required=False)
    exercise = forms.ChoiceField(label=_("Exercises"), required=False)

    def __init__(self, *args, departments=(), func_classes=(), **kwargs):
        from casebook.models.exercises import ExerciseKind
        from casebook.selectors import CASES_WITH_ANY_EXERCISE

        super().__init__(*args, **kwargs)
        any_ = [("", _("Any"))]
        self.fields["exercise"].choices = [*any_, (CASES_WITH_ANY_EXERCISE, _("With exercises")),
                                           *ExerciseKind.choices]
        self.fields["func_class"].choices = any_ + [(code, f"{code} {name}")
                                                    for code, name in func_classes]
        self.fields["stage"].choices = any_ + list(Stage.choices)
        self.fields["department"].choices = any_ + [(d, d) for d in departments]
        self.fields["difficulty"].choices = any_ + DIFFICULTY_CHOICES


class IndicatorFilterForm(IgnoringInvalidFiltersForm):
    """Filters of the indicator library search page."""

    q = forms.CharField(label=_("Search"), required=False, max_length=50)
    func_class = forms.ChoiceField(label=_("Functional class"), required=False)
    level1 = forms.ChoiceField(label=_("Level 1"), required=False)
    level2 = forms.ChoiceField(label=_("Level 2"), required=False)
    source = forms.ChoiceField(label=_("Source"), required=False)

    def __init__(self, *args, func_classes=(), level2_values=(), **kwargs):
        from casebook.models.indicators import LEVEL1_CHOICES, IndicatorSource

        super().__init__(*args, **kwargs)
        any_ = [("", _("Any"))]
        self.fields["func_class"].choices = any_ + [(c.code, f"{c.code} {c.name}")
                                                    for c in func_classes]
        self.fields["level1"].choices = any_ + list(LEVEL1_CHOICES)
        self.fields["level2"].choices = any_ + [(v, v) for v in level2_values]
        self.fields["source"].choices = any_ + list(IndicatorSource.choices)


class CasePageForm(PinyinSlugPageForm):
    """Case editor form: publishing is refused while the rules engine reports errors on the
    reference table (drafts may be saved; the findings are then shown as a warning).

    The functional class and subclass choosers offer the rows valid in the case's year (a
    new case starts with this year); ``CasePage.clean`` refuses any other row."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from casebook.models import FunctionalClassLevel
        from casebook.selectors import functional_classes_valid_in

        year = self._case_year()
        if not self.is_bound and self.initial.get("year") is None and "year" in self.fields:
            self.initial["year"] = year
        for name, level in (("func_class", FunctionalClassLevel.CLASS),
                            ("func_subclass", FunctionalClassLevel.SUBCLASS)):
            field = self.fields.get(name)
            if field is None:
                continue
            rows = functional_classes_valid_in(year=year, level=level)
            # The posted row stays choosable, so that a row of another year gets the model's
            # message naming the right one instead of Django's "not one of the choices".
            posted = self.data.get(self.add_prefix(name)) if self.is_bound else None
            if posted and str(posted).isdigit():
                rows = rows | field.queryset.filter(pk=int(posted))
            field.queryset = rows.order_by("code", "-valid_from")

    def _case_year(self) -> int:
        """The year the form is about: posted, else stored, else this year."""
        from django.utils import timezone

        if self.is_bound:
            posted = str(self.data.get(self.add_prefix("year")) or "").strip()
            if posted.isdigit() and 1990 <= int(posted) <= 2100:
                return int(posted)
        return self.instance.year or timezone.localdate().year

    def _reference_table(self) -> dict | None:
        from casebook.models import CaseIndicatorRow, CasePage

        formset = self.formsets.get("reference_rows")
        if formset is None:
            return None
        rows = []
        for form in formset.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            rows.append((data.get("ORDER") or 0, CaseIndicatorRow(
                **{name: data.get(name) or "" for name in (
                    "level1", "level2", "name", "op", "value", "unit", "basis",
                    "explanation", "history")})))
        rows.sort(key=lambda pair: pair[0])
        cleaned = self.cleaned_data
        probe = CasePage(
            title=cleaned.get("title") or "", framework=cleaned.get("framework") or "2021",
            budget_wan=cleaned.get("budget_wan"), year=cleaned.get("year"),
            multi_year=bool(cleaned.get("multi_year")),
            overall_goal=cleaned.get("overall_goal") or "",
            annual_goal=cleaned.get("annual_goal") or "",
        )
        return probe.reference_table(rows=[row for _order, row in rows])

    def _self_evaluation(self) -> dict | None:
        from casebook.rules.selfeval_rows import ROW_FIELDS, join_self_evaluation

        formset = self.formsets.get("self_evaluation_rows")
        rows = []
        for form in formset.forms if formset is not None else []:
            data = getattr(form, "cleaned_data", None) or {}
            if data and not data.get("DELETE"):
                rows.append((data.get("ORDER") or 0, {name: data.get(name) for name in ROW_FIELDS}))
        rows.sort(key=lambda pair: pair[0])
        return join_self_evaluation(budget_wan=self.cleaned_data.get("selfeval_budget_wan"),
                                    executed_wan=self.cleaned_data.get("selfeval_executed_wan"),
                                    rows=[row for _order, row in rows])

    def clean(self):
        from casebook.rules.config import load_config
        from casebook.rules.selfeval_rows import self_evaluation_errors
        from casebook.services import goal_table_findings

        cleaned = super().clean()
        self.checker_findings = []
        if self.errors or any(not fs.is_valid() for fs in self.formsets.values()):
            return cleaned
        # The self-evaluation is scored on the case page and in the exercise: refuse, also
        # for drafts, what the scorer could not score.
        selfeval_errors = self_evaluation_errors(
            self._self_evaluation(),
            config=load_config(cleaned.get("framework") or "2021", cleaned.get("year")))
        if selfeval_errors:
            raise forms.ValidationError([SELF_EVALUATION_INVALID, *selfeval_errors])
        table = self._reference_table()
        if table is None:
            return cleaned
        findings = goal_table_findings(table=table, year=cleaned.get("year")) or []
        self.checker_findings = findings
        errors = [f for f in findings if f["severity"].lower() == "error"]
        if errors and "action-publish" in self.data:
            messages = [PUBLISH_BLOCKED] + [
                (_("Row %(row)s, %(rule)s: %(message)s") if f["row"] else
                 _("%(rule)s: %(message)s")) % {"row": f["row"], "rule": f["rule"],
                                               "message": f["message"]}
                for f in errors
            ]
            raise forms.ValidationError(messages)
        return cleaned


class GoalRuleSettingsForm(WagtailAdminModelForm):
    """Admin form for the bureau's checker overrides; records who changed them."""

    def save(self, commit=True):
        instance = super().save(commit=False)
        if getattr(self, "for_user", None) is not None and self.for_user.pk:
            instance.updated_by = self.for_user
        if commit:
            instance.save()
        return instance
