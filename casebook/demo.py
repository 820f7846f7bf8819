"""Demo content of the casebook for `seed_demo`: functional classes, the case library with its
cases, and the curated indicator library (from demo_cases / demo_indicators when present)."""

from __future__ import annotations

import importlib

from casebook.models import CasePage, FunctionalClass, Indicator
from casebook.services import (
    case_index_ensure,
    cases_sync,
    functional_classes_load,
    indicators_sync,
)
from portal.services import site_home_ensure

ORDER = 40


def _optional(module: str, name: str) -> list:
    try:
        return list(getattr(importlib.import_module(module), name))
    except (ImportError, AttributeError):
        return []


def seed(*, log) -> dict[str, int]:
    """Create or refresh the casebook demo content (cases published only when changed)."""
    functional_classes_load()
    index = case_index_ensure(home=site_home_ensure())
    cases = _optional("casebook.demo_cases", "CASES")
    indicators = _optional("casebook.demo_indicators", "INDICATORS")
    if not cases:
        log("casebook: no casebook.demo_cases.CASES; case library left empty")
    cases_sync(index=index, items=cases)
    added = indicators_sync(items=indicators)
    if added:
        log(f"casebook: {added} indicators added to the library")
    return {
        "functional classes": FunctionalClass.objects.count(),
        "cases": CasePage.objects.live().count(),
        "indicators": Indicator.objects.count(),
    }
