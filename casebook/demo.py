"""Demo content of the casebook for `seed_demo`: functional classes, the case library with its
cases, and the curated indicator library (from demo_cases / demo_indicators when present)."""

from __future__ import annotations

import importlib

from casebook.models import CasePage, Exercise, FunctionalClass, Indicator
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


def _seed_exercises(*, log) -> int:
    """One exercise of each kind on suitable cases (created once, through the service)."""
    from casebook.exercises.demo_exercises import EXERCISES
    from casebook.exercises.services import exercise_ensure

    cases = {case.code: case for case in CasePage.objects.filter(
        code__in={item["case"] for item in EXERCISES})}
    for item in EXERCISES:
        case = cases.get(item["case"])
        if case is None:
            log(f"casebook: case {item['case']} missing; exercise {item['title']} skipped")
            continue
        options = {k: v for k, v in item.items() if k not in ("case", "kind", "title")}
        exercise_ensure(case=case, kind=item["kind"], title=item["title"], **options)
    return Exercise.objects.count()


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
    exercises = _seed_exercises(log=log)
    return {
        "exercises": exercises,
        "functional classes": FunctionalClass.objects.count(),
        "cases": CasePage.objects.live().count(),
        "indicators": Indicator.objects.count(),
    }
