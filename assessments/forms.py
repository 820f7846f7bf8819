"""Admin forms of the assessment pages: the scheme editor and the score sheet's actions.

The forms check types and lengths; the rules (a reason is required, points within the item's
range, a locked scheme changes nothing, which file types are accepted) live once in
`assessments.services`, whose refusals the views show as the form's errors.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.forms import BaseChildFormSet
from wagtail.admin.forms import WagtailAdminModelForm

from assessments.models import Appeal, AssessmentScheme, ItemScore

ERROR_SCHEME_LOCKED = _(
    "This scheme is locked: its items and scores cannot be changed. Unlock it on the score "
    "sheets first (bureau staff, with a reason).")
ERROR_DUPLICATE_ITEM_CODE = _("Two items have the same code: each item needs its own code.")
ERROR_DUPLICATE_BAND = _("Two grade bands have the same name.")
ERROR_NO_ITEMS = _("Add at least one item.")

REASON_MAX_LENGTH = ItemScore._meta.get_field("reason").max_length
EVIDENCE_MAX_LENGTH = ItemScore._meta.get_field("evidence").max_length
APPEAL_REASON_MAX_LENGTH = Appeal._meta.get_field("reason").max_length
REPLY_MAX_LENGTH = Appeal._meta.get_field("reply").max_length
POINTS_MAX_DIGITS = ItemScore._meta.get_field("points").max_digits
POINTS_DECIMAL_PLACES = ItemScore._meta.get_field("points").decimal_places


def scheme_is_locked(scheme: AssessmentScheme | None) -> bool:
    """Whether the stored scheme is locked now (read again: the form may be older)."""
    if scheme is None or scheme.pk is None:
        return False
    return AssessmentScheme.objects.filter(pk=scheme.pk, locked_at__isnull=False).exists()


class SchemeForm(WagtailAdminModelForm):
    """The scheme editor: a locked scheme is refused as a whole; each item is checked by
    `assessments.scoring.item_errors` (through `SchemeItem.clean`)."""

    def clean(self):
        cleaned = super().clean()
        if scheme_is_locked(self.instance):
            raise ValidationError(ERROR_SCHEME_LOCKED, code="locked")
        items = self.formsets.get("items")
        if items is not None and items.is_valid():
            kept = [form.cleaned_data for form in items.forms
                    if form.cleaned_data and not form.cleaned_data.get("DELETE")]
            if not kept:
                raise ValidationError(ERROR_NO_ITEMS, code="no_items")
        return cleaned


class ItemFormSet(BaseChildFormSet):
    """Says in the user's language which rows repeat (Django's message names raw fields)."""

    def get_unique_error_message(self, unique_check):
        return str(ERROR_DUPLICATE_ITEM_CODE)


class GradeBandFormSet(BaseChildFormSet):
    def get_unique_error_message(self, unique_check):
        return str(ERROR_DUPLICATE_BAND)


def _points_field(label, *, required: bool = True, help_text=None) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=required, max_digits=POINTS_MAX_DIGITS,
        decimal_places=POINTS_DECIMAL_PLACES, help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.01"}))


def _text_field(label, *, max_length: int, required: bool, rows: int = 3,
                help_text=None) -> forms.CharField:
    # The service says what is missing (one message); the form only bounds the length.
    return forms.CharField(
        label=label, required=required, max_length=max_length, help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": max_length}))


class OverrideForm(forms.Form):
    """Bureau staff replace an automatic item's points, with the reason."""

    points = _points_field(pgettext_lazy("assessment", "New points"))
    reason = _text_field(pgettext_lazy("assessment", "Reason"), max_length=REASON_MAX_LENGTH,
                         required=False,
                         help_text=_("Required: why the computed points are replaced. The "
                                     "department sees it on its score sheet."))


class OverrideClearForm(forms.Form):
    """Back to the computed points, with the reason."""

    reason = _text_field(pgettext_lazy("assessment", "Reason"), max_length=REASON_MAX_LENGTH,
                         required=False, rows=2)


class ManualPointsForm(forms.Form):
    """Bureau staff enter a manual item's points with the evidence and an optional file."""

    points = _points_field(pgettext_lazy("assessment", "Points"))
    evidence = _text_field(pgettext_lazy("assessment", "Evidence"),
                           max_length=EVIDENCE_MAX_LENGTH, required=False,
                           help_text=_("What the points rest on: documents checked, findings."))
    evidence_file = forms.FileField(label=_("Evidence file (optional)"), required=False)


class AppealFileForm(forms.Form):
    """A department admin contests one item of their department's sheet."""

    reason = _text_field(pgettext_lazy("assessment", "Reason"),
                         max_length=APPEAL_REASON_MAX_LENGTH, required=False, rows=4,
                         help_text=_("Required: what is wrong with this item's points and "
                                     "what they should be."))


class AppealAnswerForm(forms.Form):
    """Bureau staff accept an appeal (optionally with new points) or reject it, with a
    reply."""

    DECISIONS = [("accept", pgettext_lazy("appeal decision", "Accept")),
                 ("reject", pgettext_lazy("appeal decision", "Reject"))]

    decision = forms.ChoiceField(label=pgettext_lazy("appeal", "Decision"), choices=DECISIONS,
                                 widget=forms.RadioSelect)
    new_points = _points_field(
        pgettext_lazy("appeal", "New points"), required=False,
        help_text=_("When accepting: the item's new points (leave empty to keep them)."))
    reply = _text_field(pgettext_lazy("appeal", "Reply"), max_length=REPLY_MAX_LENGTH,
                        required=False)

    @property
    def accept(self) -> bool:
        return self.cleaned_data.get("decision") == "accept"


class UnlockForm(forms.Form):
    """Unlocking a scheme needs the reason (it goes to the audit trail)."""

    reason = _text_field(pgettext_lazy("assessment", "Reason"), max_length=REASON_MAX_LENGTH,
                         required=False, rows=2)


class DefaultSchemeForm(forms.Form):
    """The year of a new scheme seeded from the default appraisal."""

    year = forms.IntegerField(label=pgettext_lazy("assessment", "Year"), min_value=2000,
                              max_value=2100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year


class AuditFilterForm(forms.Form):
    """Filters of the audit trail page (unknown values are ignored, not errors)."""

    department = forms.TypedChoiceField(label=pgettext_lazy("assessment", "Department"),
                                        required=False, coerce=int, empty_value=None)
    action = forms.ChoiceField(label=pgettext_lazy("assessment", "Action"), required=False)

    def __init__(self, *args, departments, actions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", pgettext_lazy("assessment", "All"))] + [
            (department.pk, department.name) for department in departments]
        self.fields["action"].choices = [("", pgettext_lazy("assessment", "All")), *actions]
