"""Reads for the casebook: case lists, one case, indicator search, checker settings.

Indicator search (Chinese substrings, indexed on SQLite and PostgreSQL alike): every indicator
has one ``IndicatorGram`` row per distinct character and adjacent character pair of its search
key (name and sector, case-folded, not across whitespace), carrying the indicator's name
length; ``IndicatorGramStat`` counts the indicators holding each gram. A query term of one
character stands for its unigram, a longer term for its bigrams. Only the *rarest* gram of the
query is read from the index, as a range of the unique index (gram, name_length, indicator) -
already in the autocomplete's relevance order, so a common term stops after 20 hits - and the
second rarest is probed per candidate on the (indicator, gram) index. Both picks happen inside
the same SQL statement (a scalar subquery on the frequencies), so a search is one query. Every
term is then checked with ``LIKE '%term%'`` on the candidate row, which makes the result exactly
that of a full scan whatever the frequencies say (they only decide speed). When every term
has one or two characters (and no filter is set) a term is present exactly when its gram is,
so the search page's count is read from the gram index alone (``IndicatorSearchResults``). The
page itself, sorted by class and levels, still sorts every match: for a term in half the
library that costs about a scan. Neither pg_trgm nor
FTS5 is used: neither answers 1- and 2-character queries from its index, and pg_trgm's CJK
support depends on the cluster's locale.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import CharField, Count, Exists, Max, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from casebook.models import (
    CaseIndexPage,
    CasePage,
    Exercise,
    ExerciseKind,
    ExerciseSubmission,
    FunctionalClass,
    FunctionalClassLevel,
    GoalRuleSettings,
    Indicator,
    IndicatorGram,
)
from casebook.models.indicators import IndicatorGramStat
from casebook.models.pages import OPERATOR_SYMBOLS
from casebook.rules.config import load_config
from casebook.rules.selfeval import SelfEvalError, score_self_evaluation
from portal.search import query_terms

QUERY_MAX_LENGTH = 50
QUERY_MAX_TERMS = 5
QUERY_MAX_GRAMS = 8
AUTOCOMPLETE_LIMIT = 20
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
CASES_WITH_ANY_EXERCISE = "any"  # the case list's exercise filter value for "any kind"


# --- Checker settings ---------------------------------------------------------------------------


def checker_config_for(*, framework: str, year: int) -> dict | None:
    """The bureau's saved checker overrides for ``framework`` and ``year``, or None."""
    row = (GoalRuleSettings.objects.filter(framework=str(framework), year=int(year))
           .values_list("overrides", flat=True).first())
    return dict(row) if row is not None else None


# --- Cases --------------------------------------------------------------------------------------


def cases_for_index(
    *,
    index: CaseIndexPage,
    func_class: str | None = None,
    stage: str | None = None,
    department: str | None = None,
    difficulty: str | None = None,
    exercise: str | None = None,
    q: str | None = None,
) -> QuerySet[CasePage]:
    """Live cases under ``index`` matching the filters and every term of ``q`` (substring);
    ``exercise`` keeps the cases with a published exercise ("any") or one of that kind."""
    cases = (CasePage.objects.child_of(index).live()
             .select_related("func_class", "func_subclass"))
    if exercise:
        published = Exercise.objects.filter(case=OuterRef("pk"), published=True)
        if exercise != CASES_WITH_ANY_EXERCISE:
            published = published.filter(kind=exercise)
        cases = cases.filter(Exists(published))
    if func_class:
        cases = cases.filter(func_class__code=func_class)
    if stage:
        cases = cases.filter(stages__contains=f",{stage},")
    if department:
        cases = cases.filter(department=department)
    if difficulty:
        cases = cases.filter(difficulty=difficulty)
    for term in query_terms(_CONTROL_CHARS.sub("", q or ""))[:QUERY_MAX_TERMS]:
        # Never the reference table's rows: they are the answer key of open goal-setting and
        # find-the-errors exercises, and a hit would confirm a guessed indicator.
        cases = cases.filter(
            Q(title__icontains=term) | Q(department__icontains=term) | Q(code__icontains=term)
            | Q(overall_goal__icontains=term) | Q(annual_goal__icontains=term)
            | Q(background__icontains=term)
        )
    return cases.order_by("func_class__code", "-year", "code", "pk")


def exercise_kinds_by_case(*, case_ids) -> dict[int, list[tuple[str, str]]]:
    """{case id: [(kind, label)]} of the published exercises of these cases, in the order of
    ``ExerciseKind`` (one query, for the badges of a page of the case list)."""
    found: dict[int, set[str]] = {}
    rows = (Exercise.objects.filter(case_id__in=list(case_ids), published=True)
            .values_list("case_id", "kind").distinct())
    for case_id, kind in rows:
        found.setdefault(case_id, set()).add(kind)
    return {case_id: [(kind, label) for kind, label in ExerciseKind.choices if kind in kinds]
            for case_id, kinds in found.items()}


def case_departments(*, index: CaseIndexPage) -> list[str]:
    """Departments that have live cases under ``index``, sorted."""
    return list(CasePage.objects.child_of(index).live().order_by("department")
                .values_list("department", flat=True).distinct())


def case_func_classes(*, index: CaseIndexPage) -> list[tuple[str, str]]:
    """(code, name) of the functional classes used by live cases under ``index``: one entry per
    code (the filter matches by code), named by its newest row, so 207/210/220 appear once
    whether the cases carry their former or their current names."""
    codes = set(CasePage.objects.child_of(index).live()
                .values_list("func_class__code", flat=True))
    newest: dict[str, str] = {}
    for code, name in (FunctionalClass.objects
                       .filter(code__in=codes, level=FunctionalClassLevel.CLASS)
                       .order_by("code", "valid_from").values_list("code", "name")):
        newest[code] = name  # ascending valid_from: the last one written is the newest
    return sorted(newest.items())


# The reference table is the answer key of goal setting (a copy scores full marks) and of find
# the errors (a diff names every injected mistake); the computed self-evaluation results are the
# key of self-evaluation scoring.
REFERENCE_TABLE_KEY_KINDS = frozenset({ExerciseKind.GOAL_SETTING, ExerciseKind.FIND_ERRORS})
SELF_EVALUATION_KEY_KINDS = frozenset({ExerciseKind.SELF_EVALUATION})


def user_sees_exercise_answers(user) -> bool:
    """Editors and reviewers of exercises see every answer key."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.has_perm("casebook.change_exercise") or user.has_perm(
        "casebook.review_submission")


def exercise_answers_open(*, exercise, user) -> bool:
    """Whether the exercise still keeps its answers from this visitor: always for anonymous
    visitors, for a learner until they passed it or used all their attempts (the rule of
    ``grading.answers_revealed``). ``exercise`` comes from ``exercises_for_case``."""
    if not getattr(user, "is_authenticated", False):
        return True
    if getattr(exercise, "has_passed", False):
        return False
    used = getattr(exercise, "attempts", 0) or 0
    return not (exercise.max_attempts and used >= exercise.max_attempts)


def exercise_kinds_hiding_answers(*, exercises, user) -> set[str]:
    """Kinds of the case's published exercises whose answers the case page must not show
    this visitor (none for editors and reviewers)."""
    if not exercises or user_sees_exercise_answers(user):
        return set()
    return {exercise.kind for exercise in exercises
            if exercise_answers_open(exercise=exercise, user=user)}


def case_detail(*, case: CasePage, exercises=(), user=None) -> dict:
    """Everything the case page shows besides the page fields (two queries).

    ``exercises`` are the case's published exercises from ``exercises_for_case`` (annotated
    for ``user``). While one that the visitor has neither passed nor used up is a goal-setting
    or find-the-errors exercise, the reference table is left out of the context entirely (not
    hidden by CSS); while one is a self-evaluation exercise, so are the computed results
    (scores, total, grade)."""
    hiding = exercise_kinds_hiding_answers(exercises=exercises, user=user)
    hide_table = bool(hiding & REFERENCE_TABLE_KEY_KINDS)
    hide_results = bool(hiding & SELF_EVALUATION_KEY_KINDS)
    rows = [] if hide_table else list(case.reference_rows.all())
    spans = _level1_spans(rows)
    return {
        "reference_rows": rows,
        "reference_table_hidden": hide_table,
        "self_evaluation_results_hidden": hide_results,
        # (row, rowspan of its level-1 cell, 0 when merged into the cell above)
        "table_rows": [(row, spans.get(i, 0)) for i, row in enumerate(rows)],
        "monitoring_rows": list(case.monitoring_rows.all()),
        "self_evaluation_view": self_evaluation_view(case_self_evaluation(case=case),
                                                     hide_results=hide_results),
    }


def case_self_evaluation(*, case: CasePage) -> dict | None:
    """The case's 单位自评 with the scorer's results (row scores, total, grade) added; the
    results are computed, never typed, so the table and the exercise's key always agree."""
    data = case.self_evaluation
    if not data or not data.get("rows"):
        return data
    try:
        result = score_self_evaluation(data, load_config(case.framework, case.year))
    except SelfEvalError:  # the editor refuses such data; show the facts without results
        return data
    rows = [{**row, "score": scored.score} for row, scored in zip(data["rows"], result.rows,
                                                                   strict=True)]
    return {**data, "rows": rows, "total": result.total, "grade": result.grade}


def _level1_spans(rows) -> dict[int, int]:
    """{row index: rowspan} for the first row of each run of equal level1 values."""
    spans: dict[int, int] = {}
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i].level1 != rows[start].level1:
            spans[start] = i - start
            start = i
    return spans


# Keys of a self-evaluation that hold computed results (the answers of a self-evaluation
# exercise); hidden on the public case page while such an exercise is published.
SELF_EVALUATION_RESULT_KEYS = frozenset({
    "score", "scores", "total", "grade", "budget_score", "met", "result", "results",
    "得分", "总分", "等级", "评价等级", "自评得分", "自评等级", "预算执行得分",
})


def _is_result_key(key) -> bool:
    return str(key).strip().lower() in SELF_EVALUATION_RESULT_KEYS


@dataclass(frozen=True)
class SelfEvaluationColumn:
    """A column of the 单位自评表: the data key(s) it reads and its heading."""

    key: str
    label: str
    numeric: bool = False


# The keys of the self-evaluation format (casebook.rules.selfeval) in the order of the official
# 单位自评表, with the headings people read. Keys not listed keep the name the editor gave them.
SELF_EVALUATION_FACTS = (
    ("budget_wan", _("Annual budget"), "money"),
    ("budget_total", _("Annual budget"), "money"),
    ("executed_wan", _("Amount spent"), "money"),
    ("budget_executed", _("Amount spent"), "money"),
    ("budget_execution_rate", _("Budget execution rate"), "percent"),
    ("budget_score", _("Budget execution score"), "result"),
    ("total", _("Total"), "result"),
    ("grade", _("Grade"), "result"),
)
SELF_EVALUATION_COLUMNS = (
    SelfEvaluationColumn("level1", _("Level 1")),
    SelfEvaluationColumn("level2", _("Level 2")),
    SelfEvaluationColumn("name", _("Level 3 indicator")),
    SelfEvaluationColumn("target", _("Annual target"), numeric=True),
    SelfEvaluationColumn("actual", _("Actual value"), numeric=True),
    SelfEvaluationColumn("band", _("Degree of achievement")),
    SelfEvaluationColumn("points", _("Points"), numeric=True),
    SelfEvaluationColumn("score", _("Score"), numeric=True),
    SelfEvaluationColumn("explanation", _("Reasons for deviations and improvements")),
)
# Scoring hints for the scorer, not part of the table people read.
SELF_EVALUATION_HIDDEN_ROW_KEYS = frozenset({"op", "unit", "weight", "rule", "band_percent"})
SELF_EVALUATION_ROW_LISTS = ("rows", "indicators")


def self_evaluation_view(data, *, hide_results: bool = False) -> dict | None:
    """A 单位自评 as the case page shows it: budget facts, the 单位自评表 with Chinese headings,
    and whatever else the editor entered; ``hide_results`` drops the computed results (score,
    total, grade, …) at every level."""
    if not isinstance(data, dict) or not data:
        return None
    if hide_results:
        data = _without_results(data)
        if not data:
            return None
    facts, labelled, known = [], set(), set()
    for key, label, kind in SELF_EVALUATION_FACTS:
        known.add(key)
        if key in data and str(label) not in labelled:  # budget_wan or budget_total, not both
            labelled.add(str(label))
            facts.append({"label": label, "value": _plain(data[key]), "kind": kind})
    rows_key = next((key for key in SELF_EVALUATION_ROW_LISTS if _is_row_list(data.get(key))),
                    None)
    columns, rows = [], []
    if rows_key is not None:
        known.add(rows_key)
        columns, rows = _self_evaluation_table(data[rows_key])
    pairs, tables = [], []
    for key, value in data.items():
        if key in known:
            continue
        if key == "remarks":
            pairs.append((str(_("Remarks")), _plain(value)))
        elif _is_row_list(value):
            headers: list[str] = []
            for item in value:
                headers.extend(k for k in item if k not in headers)
            tables.append((str(key), headers, [[_plain(item.get(h, "")) for h in headers]
                                               for item in value]))
        elif isinstance(value, dict):
            pairs.extend((f"{key} · {k}", _plain(v)) for k, v in value.items())
        else:
            pairs.append((str(key), _plain(value)))
    results = [fact for fact in facts if fact["kind"] == "result"]  # shown below the table
    facts = [fact for fact in facts if fact["kind"] != "result"]
    if not (facts or results or rows or pairs or tables):
        return None
    return {"facts": facts, "columns": columns, "rows": rows, "results": results,
            "pairs": pairs, "tables": tables}


def _is_row_list(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _self_evaluation_table(items: list[dict]) -> tuple[list, list[list[dict]]]:
    """(columns, rows of cells) of the 单位自评表: the known columns present, then the rest."""
    present = {key for item in items for key in item}
    columns = [{"label": column.label, "numeric": column.numeric, "key": column.key}
               for column in SELF_EVALUATION_COLUMNS
               if column.key in present or (column.key == "points" and "weight" in present)]
    known = {column.key for column in SELF_EVALUATION_COLUMNS} | SELF_EVALUATION_HIDDEN_ROW_KEYS
    extra: list[str] = []
    for item in items:
        extra.extend(str(k) for k in item if k not in known and str(k) not in extra)
    columns += [{"label": key, "numeric": False, "key": key} for key in extra]
    rows = []
    for item in items:
        cells = []
        for column in columns:
            key = column["key"]
            value = item.get(key, "")
            if key == "points" and value in ("", None):
                value = item.get("weight", "")
            text = _plain(value)
            if key == "target" and text:
                op = OPERATOR_SYMBOLS.get(str(item.get("op") or ""), str(item.get("op") or ""))
                text = " ".join(part for part in (op, text, _plain(item.get("unit", ""))) if part)
            elif key == "actual" and text and item.get("unit"):
                text = f"{text} {_plain(item['unit'])}"
            elif key == "band" and text and item.get("band_percent") not in (None, ""):
                text = f"{text}（{_plain(item['band_percent'])}%）"
            cells.append({"text": text, "numeric": column["numeric"]})
        rows.append(cells)
    return columns, rows


def _without_results(value):
    if isinstance(value, dict):
        return {k: _without_results(v) for k, v in value.items() if not _is_result_key(k)}
    if isinstance(value, list):
        return [_without_results(v) for v in value]
    return value


def _plain(value) -> str:
    if isinstance(value, list):
        return "、".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return "" if value is None else str(value)


# --- A learner's exercises ---------------------------------------------------------------------


class ExerciseStatus:
    """Where a learner stands on one exercise (the "My exercises" page)."""

    NOT_ATTEMPTED = "not_attempted"
    IN_PROGRESS = "in_progress"
    PASSED = "passed"
    ATTEMPTS_USED_UP = "attempts_used_up"


@dataclass(frozen=True)
class LearnerExercise:
    """One exercise with the learner's best score, attempts, pass and last attempt."""

    exercise: Exercise
    best_score: Decimal | None
    attempts: int
    passed: bool
    last_attempt_at: dt.datetime | None

    @property
    def attempts_allowed(self) -> int | None:
        """None when unlimited."""
        return self.exercise.max_attempts or None

    @property
    def attempts_left(self) -> int | None:
        allowed = self.attempts_allowed
        return None if allowed is None else max(0, allowed - self.attempts)

    @property
    def status(self) -> str:
        if self.passed:
            return ExerciseStatus.PASSED
        if self.attempts_left == 0:
            return ExerciseStatus.ATTEMPTS_USED_UP
        return ExerciseStatus.IN_PROGRESS if self.attempts else ExerciseStatus.NOT_ATTEMPTED


def exercises_of_learner(*, user) -> list[LearnerExercise]:
    """Every published exercise on a live case with this learner's record on it.

    Two queries whatever the number of exercises and attempts: the exercises with their case,
    and the learner's own submissions aggregated per exercise."""
    exercises = list(
        Exercise.objects.filter(published=True, case__live=True)
        .select_related("case").order_by("case__title", "kind", "title", "pk"))
    if not exercises:
        return []
    stats = {
        row["exercise_id"]: row for row in
        ExerciseSubmission.objects.filter(user=user, exercise__published=True,
                                          exercise__case__live=True)
        .values("exercise_id").order_by()
        .annotate(best=Max("score"), attempts=Count("pk"), last=Max("created_at"),
                  passes=Count("pk", filter=Q(passed=True)))
    }
    items = []
    for exercise in exercises:
        row = stats.get(exercise.pk, {})
        items.append(LearnerExercise(
            exercise=exercise, best_score=row.get("best"), attempts=row.get("attempts", 0),
            passed=bool(row.get("passes")), last_attempt_at=row.get("last")))
    return items


# --- Indicator library --------------------------------------------------------------------------


def query_grams(terms: list[str]) -> list[str]:
    """The grams of ``terms``: the unigram of a 1-character term, else its bigrams (distinct,
    at most QUERY_MAX_GRAMS spread over the terms; the final LIKE keeps results exact)."""
    grams: list[str] = []
    for term in terms:
        candidates = [term] if len(term) == 1 else [term[i:i + 2]
                                                    for i in range(len(term) - 1)]
        for gram in candidates:
            if gram not in grams:
                grams.append(gram)
    if len(grams) > QUERY_MAX_GRAMS:
        step = len(grams) / QUERY_MAX_GRAMS
        grams = [grams[int(i * step)] for i in range(QUERY_MAX_GRAMS)]
    return grams


def indicator_query_terms(q: str | None) -> list[str]:
    """Case-folded terms of a user query (capped in length and number)."""
    q = _CONTROL_CHARS.sub("", (q or "")[:QUERY_MAX_LENGTH])  # PostgreSQL rejects NUL
    terms = [t.casefold() for t in query_terms(q)]
    return terms[:QUERY_MAX_TERMS]


def _rarest_gram(grams: list[str], rank: int) -> RawSQL:
    """SQL for the ``rank``-th rarest of ``grams`` (0 = rarest; unknown grams count 0, ties
    by gram), evaluated once per statement by both databases."""
    stats = IndicatorGramStat._meta.db_table
    listed = " UNION ALL ".join(["SELECT %s AS gram"] * len(grams))
    return RawSQL(  # noqa: S611 - the grams are parameters; only table names are formatted
        f"SELECT q.gram FROM ({listed}) q LEFT JOIN {stats} s ON s.gram = q.gram "  # noqa: S608
        f"ORDER BY COALESCE(s.indicators, 0), q.gram LIMIT 1 OFFSET {int(rank)}",
        grams, output_field=CharField())


class IndicatorSearchResults(QuerySet):
    """The queryset ``indicators_search`` returns: when every term is one or two characters
    and no filter is set, a term is present exactly when its gram is, so ``count()`` (the
    search page's) is read from the gram index alone. Any derived queryset (filter, slice,
    values...) is a plain QuerySet again and counts with its own SQL."""

    index_count: QuerySet | None = None

    def count(self) -> int:
        if self.index_count is not None and self._result_cache is None:
            return self.index_count.count()
        return super().count()

    def _clone(self):
        clone = super()._clone()
        clone.__class__ = QuerySet
        return clone


def _index_only_count(grams: list[str]) -> QuerySet:
    """Gram rows of the rarest gram whose indicator holds every other gram: one per match."""
    rows = IndicatorGram.objects.filter(gram=_rarest_gram(grams, 0))
    if len(grams) > 1:
        for gram in grams:  # (the row's own gram needs no probe)
            rows = rows.filter(Q(gram=gram) | Exists(IndicatorGram.objects.filter(
                indicator_id=OuterRef("indicator_id"), gram=gram)))
    return rows


def indicators_search(
    *,
    q: str | None = None,
    func_class: str | None = None,
    func_subclass: str | None = None,
    level1: str | None = None,
    level2: str | None = None,
    source: str | None = None,
    ordered_by_relevance: bool = False,
) -> QuerySet[Indicator]:
    """Indicators containing every term of ``q`` and matching the filters (one SQL query)."""
    indicators = Indicator.objects.select_related("func_class", "func_subclass")
    terms = indicator_query_terms(q)
    if terms:
        grams = query_grams(terms)
        # One row of the rarest gram per candidate (the index is unique on gram+indicator).
        indicators = indicators.filter(grams__gram=_rarest_gram(grams, 0))
        if len(grams) > 1:
            probe = IndicatorGram.objects.filter(indicator_id=OuterRef("pk"),
                                                 gram=_rarest_gram(grams, 1))
            if ordered_by_relevance:
                # An aggregate keeps PostgreSQL from turning the probe into a hash semi-join
                # over the whole second gram (which loses the index order and the early stop).
                probe = probe.values("indicator_id").annotate(n=Count("pk")).filter(n__gt=0)
            indicators = indicators.filter(Exists(probe))
        for term in terms:
            indicators = indicators.filter(search_key__contains=term)
    if func_class:
        indicators = indicators.filter(func_class__code=func_class)
    if func_subclass:
        indicators = indicators.filter(func_subclass__code=func_subclass)
    if level1:
        indicators = indicators.filter(level1=level1)
    if level2:
        indicators = indicators.filter(level2=level2)
    if source:
        indicators = indicators.filter(source=source)
    if ordered_by_relevance:
        if terms:  # the gram row holds len(name): walk its index in this order, stop early
            return indicators.order_by("grams__name_length", "grams__indicator_id")
        return indicators.annotate(name_length=Length("name")).order_by("name_length", "pk")
    indicators = indicators.order_by("func_class__code", "level1", "level2", "name", "pk")
    if terms and all(len(term) <= 2 for term in terms) and not (
            func_class or func_subclass or level1 or level2 or source):
        results = IndicatorSearchResults(model=Indicator, query=indicators.query,
                                         using=indicators._db)
        results.index_count = _index_only_count(query_grams(terms))
        return results
    return indicators


def indicators_autocomplete(*, q: str | None, func_class: str | None = None,
                            level1: str | None = None, level2: str | None = None,
                            limit: int = AUTOCOMPLETE_LIMIT) -> list[dict]:
    """At most ``limit`` indicators for the goal-table editor, shortest names first."""
    rows = indicators_search(q=q, func_class=func_class, level1=level1, level2=level2,
                             ordered_by_relevance=True).values(
        "pk", "name", "level1", "level2", "unit", "direction", "typical_value", "basis",
        "explanation", "func_class__code", "func_class__name",
    )[:max(1, min(limit, AUTOCOMPLETE_LIMIT))]
    return [
        {"id": row["pk"], "name": row["name"], "level1": row["level1"],
         "level2": row["level2"], "unit": row["unit"], "direction": row["direction"],
         "typical_value": row["typical_value"], "basis": row["basis"],
         "explanation": row["explanation"][:200],
         "func_class": f"{row['func_class__code']} {row['func_class__name']}"}
        for row in rows
    ]


def indicator_level2_values() -> list[str]:
    """Distinct level-2 names in the library (for filters)."""
    return list(Indicator.objects.order_by("level2").values_list("level2", flat=True)
                .distinct()[:200])


def functional_classes_current(*, level: str = FunctionalClassLevel.CLASS
                               ) -> QuerySet[FunctionalClass]:
    """Rows of ``level`` whose names are in use today, by code."""
    return FunctionalClass.objects.filter(level=level, valid_to__isnull=True).order_by("code")


def functional_classes_valid_in(*, year: int, level: str = FunctionalClassLevel.CLASS
                                ) -> QuerySet[FunctionalClass]:
    """Rows of ``level`` whose names were in use in ``year``: one per code, for choosers."""
    return (FunctionalClass.objects.filter(level=level, valid_from__lte=year)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=year)).order_by("code"))
