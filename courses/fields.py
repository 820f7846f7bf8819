"""A set of learner positions stored like `portal.models.StageListField` (",head,finance,")."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from departments.models import Position
from portal.models import StageListField


class PositionListField(StageListField):
    """Positions a course is meant for; same storage and filtering as the stage lists."""

    @staticmethod
    def decode(value) -> list[str]:
        if value is None or value == "":
            return []
        items = value.split(",") if isinstance(value, str) else list(value)
        order = list(Position.values)
        codes = {str(item).strip() for item in items if str(item).strip()}
        return sorted(codes, key=lambda code: order.index(code) if code in order else len(order))

    def validate(self, value, model_instance):
        codes = self.decode(value)
        unknown = [code for code in codes if code not in Position.values]
        if unknown:
            raise forms.ValidationError(
                _("Unknown position: %(codes)s"), code="invalid_choice",
                params={"codes": ", ".join(unknown)},
            )
        if not codes and not self.blank:
            raise forms.ValidationError(self.error_messages["blank"], code="blank")

    def formfield(self, **kwargs):
        return forms.MultipleChoiceField(
            choices=Position.choices, required=not self.blank, label=self.verbose_name,
            help_text=self.help_text, widget=forms.CheckboxSelectMultiple,
        )
