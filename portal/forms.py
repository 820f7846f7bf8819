"""Forms of the public site."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.models import PolicyLevel, PolicyStatus, Stage


class IgnoringInvalidFiltersForm(forms.Form):
    """A GET filter form whose invalid values are dropped rather than shown as errors (a bad or
    stale link still shows the list). Shared by the policy, case and indicator libraries."""

    def valid_filters(self) -> dict:
        """The filters whose values are valid, as keyword arguments for the selector."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items()
                if value not in (None, "") and name not in self.errors}

    @staticmethod
    def querystring(filters: dict) -> str:
        """'level=city&year=2024' for pagination links (empty when no filters)."""
        return urlencode(filters)


class PolicyFilterForm(IgnoringInvalidFiltersForm):
    """Filters of the policy library."""

    level = forms.ChoiceField(label=_("Level"), required=False)
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, years: list[int] = (), **kwargs):
        super().__init__(*args, **kwargs)
        any_ = [("", _("Any"))]
        self.fields["level"].choices = any_ + list(PolicyLevel.choices)
        self.fields["stage"].choices = any_ + list(Stage.choices)
        self.fields["status"].choices = any_ + list(PolicyStatus.choices)
        self.fields["year"].choices = any_ + [(str(year), str(year)) for year in years]

