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

import re

from django.db.models import CharField, Count, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length

from casebook.models import (
    CaseIndexPage,
    CasePage,
    ExerciseKind,
    FunctionalClass,
    FunctionalClassLevel,
    GoalRuleSettings,
    Indicator,
    IndicatorGram,
)
from casebook.models.indicators import IndicatorGramStat
from portal.search import query_terms

QUERY_MAX_LENGTH = 50
QUERY_MAX_TERMS = 5
QUERY_MAX_GRAMS = 8
AUTOCOMPLETE_LIMIT = 20
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


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
    q: str | None = None,
) -> QuerySet[CasePage]:
    """Live cases under ``index`` matching the filters and every term of ``q`` (substring)."""
    cases = (CasePage.objects.child_of(index).live()
             .select_related("func_class", "func_subclass"))
    if func_class:
        cases = cases.filter(func_class__code=func_class)
    if stage:
        cases = cases.filter(stages__contains=f",{stage},")
    if department:
        cases = cases.filter(department=department)
    if difficulty:
        cases = cases.filter(difficulty=difficulty)
    for term in query_terms(_CONTROL_CHARS.sub("", q or ""))[:QUERY_MAX_TERMS]:
        cases = cases.filter(
            Q(title__icontains=term) | Q(department__icontains=term) | Q(code__icontains=term)
            | Q(overall_goal__icontains=term) | Q(annual_goal__icontains=term)
            | Q(background__icontains=term) | Q(reference_rows__name__icontains=term)
        )
    if q:
        cases = cases.distinct()
    return cases.order_by("func_class__code", "-year", "code", "pk")


def case_departments(*, index: CaseIndexPage) -> list[str]:
    """Departments that have live cases under ``index``, sorted."""
    return list(CasePage.objects.child_of(index).live().order_by("department")
                .values_list("department", flat=True).distinct())


def case_func_classes(*, index: CaseIndexPage) -> list[tuple[str, str]]:
    """(code, name) of the functional classes used by live cases under ``index``."""
    rows = (CasePage.objects.child_of(index).live()
            .values_list("func_class__code", "func_class__name").distinct())
    return sorted(set(rows))


def case_detail(*, case: CasePage, exercise_kinds=()) -> dict:
    """Everything the case page shows besides the page fields (two queries).

    ``exercise_kinds`` are the kinds of the case's published exercises: a find-the-errors
    exercise hides the reference table (diffing it would give the keys away) and a
    self-evaluation exercise hides the computed results (scores, total, grade)."""
    hide_table = ExerciseKind.FIND_ERRORS in exercise_kinds
    rows = [] if hide_table else list(case.reference_rows.all())
    spans = _level1_spans(rows)
    return {
        "reference_rows": rows,
        "reference_table_hidden": hide_table,
        # (row, rowspan of its level-1 cell, 0 when merged into the cell above)
        "table_rows": [(row, spans.get(i, 0)) for i, row in enumerate(rows)],
        "monitoring_rows": list(case.monitoring_rows.all()),
        "self_evaluation_view": self_evaluation_view(
            case.self_evaluation,
            hide_results=ExerciseKind.SELF_EVALUATION in exercise_kinds),
    }


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


def self_evaluation_view(data, *, hide_results: bool = False) -> dict | None:
    """A free self-evaluation dict as {"pairs": [(k, v)], "tables": [(k, headers, rows)]};
    ``hide_results`` drops the computed results (score, total, grade, …) at every level."""
    if not isinstance(data, dict) or not data:
        return None
    if hide_results:
        data = _without_results(data)
        if not data:
            return None
    pairs, tables = [], []
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            headers: list[str] = []
            for item in value:
                headers.extend(k for k in item if k not in headers)
            tables.append((str(key), headers, [[item.get(h, "") for h in headers]
                                               for item in value]))
        elif isinstance(value, dict):
            pairs.extend((f"{key} · {k}", _plain(v)) for k, v in value.items())
        else:
            pairs.append((str(key), _plain(value)))
    return {"pairs": pairs, "tables": tables}


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
