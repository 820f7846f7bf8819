"""Admin list columns and export cells shared by every app's viewsets (portal is the lowest app).

Wagtail shows a boolean field named in `list_display` as the raw value ("False"), and its
BooleanColumn labels the tick and cross "True"/"False" for screen readers; exports write
True/False. Here they read 是/否 through Django's own "Yes"/"No" translations.
"""

from django.db.models import Model
from django.utils.text import capfirst
from django.utils.translation import gettext
from wagtail.admin.ui.tables import BooleanColumn


class YesNoColumn(BooleanColumn):
    """A tick or cross labelled 是/否 (未知 for no value) instead of True/False."""

    cell_template_name = "portal/admin/yes_no_cell.html"

    @classmethod
    def for_field(cls, model: type[Model], field_name: str, **kwargs) -> "YesNoColumn":
        """The column of a model's BooleanField, labelled and sortable as Wagtail's default."""
        field = model._meta.get_field(field_name)
        kwargs.setdefault("label", capfirst(field.verbose_name))
        kwargs.setdefault("sort_key", field_name)
        return cls(field_name, **kwargs)


def yes_no(value) -> str:
    """是/否 for a boolean export cell (empty when there is no value)."""
    if value is None:
        return ""
    return gettext("Yes") if value else gettext("No")


def yes_no_export(*field_names: str) -> dict:
    """A `custom_field_preprocess` for an admin index view: these fields export as 是/否."""
    return {name: {"csv": yes_no, "xlsx": yes_no} for name in field_names}
