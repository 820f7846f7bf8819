"""Casebook models: reference data and checker settings, the indicator library, case pages.

Kept as a package so the exercises app can add ``exercises.py`` (and its own migrations).
"""

from casebook.models.config import FunctionalClass, FunctionalClassLevel, GoalRuleSettings
from casebook.models.exercises import (
    Exercise,
    ExerciseKind,
    ExerciseSubmission,
    SubmissionReview,
)
from casebook.models.indicators import (
    Indicator,
    IndicatorBasis,
    IndicatorDirection,
    IndicatorGram,
    IndicatorSource,
)
from casebook.models.pages import (
    CaseIndexPage,
    CaseIndicatorRow,
    CaseMonitoringRow,
    CasePage,
    Difficulty,
    ProjectType,
    SelfEvaluationRow,
)

__all__ = [
    "CaseIndexPage",
    "CaseIndicatorRow",
    "CaseMonitoringRow",
    "CasePage",
    "Difficulty",
    "Exercise",
    "ExerciseKind",
    "ExerciseSubmission",
    "FunctionalClass",
    "FunctionalClassLevel",
    "GoalRuleSettings",
    "Indicator",
    "IndicatorBasis",
    "IndicatorDirection",
    "IndicatorGram",
    "IndicatorSource",
    "ProjectType",
    "SelfEvaluationRow",
    "SubmissionReview",
]
