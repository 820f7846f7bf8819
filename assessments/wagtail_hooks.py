"""Wagtail hooks of the assessments app: each admin module registers its own viewsets, menu items
and panels when imported."""

from assessments.admin import dashboards, exports, scoring  # noqa: F401
