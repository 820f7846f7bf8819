"""Find-the-errors exercises: inject known mistakes into a clean goal table.

`mutate_table(table, seed=..., k=3)` returns (mutated table, answer key) where the key is a
sorted list of (row, rule) — row 1-based in the mutated table, None for a table-level mistake.
Each injected mistake is verified: the checker reports that rule on that row of the mutated
table (and did not already report it on the clean table). The same seed gives the same result.

`grade_error_marks(key, marks)` scores a learner's marks [(row, rule)] against the key:
an exact (row, rule) match earns 1 credit, a mark on a key row with the wrong rule earns 0.5
(each key item is credited once); precision = credit / marks, recall = credit / key items;
score = 100 × F1 (harmonic mean of precision and recall), rounded to 2 decimals. No key and no
marks scores 100; marks without a key score 0.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from casebook.rules.checker import check_goal_table, core_name, unit_cost_products, unit_key
from casebook.rules.config import CheckerConfig, default_config, level_key
from casebook.rules.table import GoalTable

KeyItem = tuple[int | None, str]
VAGUE_VALUES = ("明显提高", "有效提升", "进一步改善", "显著提高", "稳步提升", "较好")
LATE_VALUES = ("按时完成", "及时", "按期完成", "尽快完成")
MAX_ATTEMPTS = 40


class MutationError(ValueError):
    """The table offers too few places to inject the requested mistakes."""


@dataclass
class _State:
    table: GoalTable
    config: CheckerConfig
    rng: random.Random
    used: set[int]

    def l1(self, i):
        return level_key(self.table.indicators[i].level1)

    def l2(self, i):
        return level_key(self.table.indicators[i].level2)

    def free(self, predicate) -> list[int]:
        return [i for i, row in enumerate(self.table.indicators)
                if i not in self.used and predicate(i, row)]

    def pick(self, candidates: list[int]) -> int | None:
        if not candidates:
            return None
        i = self.rng.choice(candidates)
        self.used.add(i)
        return i


def _drop_unit(s: _State) -> list[KeyItem] | None:
    i = s.pick(s.free(lambda i, r: r.value_kind == "number" and r.op != "qualitative"
                      and r.unit))
    if i is None:
        return None
    s.table.indicators[i].unit = ""
    return [(i + 1, "R05")]


def _wrong_level(s: _State) -> list[KeyItem] | None:
    config = s.config
    counts: dict[str, int] = {}
    for i in range(len(s.table.indicators)):
        counts[s.l1(i)] = counts.get(s.l1(i), 0) + 1
    i = s.pick(s.free(lambda i, r: counts.get(s.l1(i), 0) >= 2 and s.l1(i) in config.level2))
    if i is None:
        return None
    row = s.table.indicators[i]
    others = sorted({l2 for l1, l2s in config.level2.items() if l1 != s.l1(i) for l2 in l2s}
                    - set(config.level2[s.l1(i)]))
    row.level2 = s.rng.choice(others)
    return [(i + 1, "R02")]


def _vague_value(s: _State) -> list[KeyItem] | None:
    i = s.pick(s.free(lambda i, r: r.value_kind == "number"))
    if i is None:
        return None
    row = s.table.indicators[i]
    row.value = s.rng.choice(VAGUE_VALUES)
    row.reparse()
    return [(i + 1, "R04")]


def _satisfaction_100(s: _State) -> list[KeyItem] | None:
    config = s.config
    i = s.pick(s.free(lambda i, r: any(w in r.name for w in config.satisfaction_words)
                      and r.value_kind == "number" and unit_key(r.unit) in config.percent_units
                      and r.op in (">=", "=") and r.number < 100))
    if i is None:
        return None
    row = s.table.indicators[i]
    row.value = 100
    row.reparse()
    return [(i + 1, "R09")]


def _cost_above_budget(s: _State) -> list[KeyItem] | None:
    config, table = s.config, s.table
    budget = table.budget_wan
    if not budget:
        return None
    products = unit_cost_products(table, config)

    def is_cost(i, row):
        return (s.l1(i) == config.cost_level1 or s.l2(i) in config.cost_level2) and \
            row.value_kind == "number" and row.op in ("<=", "=", "<") and row.number > 0 and \
            (unit_key(row.unit) in config.money_units or i in products)

    i = s.pick(s.free(is_cost))
    if i is None:
        return None
    row = table.indicators[i]
    unit = unit_key(row.unit)
    if unit in config.money_units:
        row.value = math.ceil(budget * 1.4 / config.money_units[unit])
    else:
        factor = math.ceil(budget * 1.4 / products[i]) if products[i] > 0 else 2
        row.value = row.number * max(2, factor)
        if float(row.value).is_integer():
            row.value = int(row.value)
    row.reparse()
    return [(i + 1, "R12")]


def _remove_satisfaction(s: _State) -> list[KeyItem] | None:
    config = s.config
    rows = s.table.indicators
    keep = [r for r in rows if level_key(r.level1) != config.satisfaction_level1]
    if len(keep) == len(rows) or len(keep) < config.min_indicators or s.used:
        return None
    s.table.indicators = keep
    return [(None, "R03")]


def _percent_over_100(s: _State) -> list[KeyItem] | None:
    config = s.config
    i = s.pick(s.free(lambda i, r: r.value_kind == "number"
                      and unit_key(r.unit) in config.percent_units
                      and not any(w in r.name for w in config.growth_words + config.decrease_words)
                      and not any(w in r.name for w in config.satisfaction_words)))
    if i is None:
        return None
    row = s.table.indicators[i]
    row.value = s.rng.choice((105, 110, 120, 150))
    row.reparse()
    return [(i + 1, "R07")]


def _wrong_direction(s: _State) -> list[KeyItem] | None:
    config = s.config

    def kind(row) -> str:
        name = core_name(row.name)
        if any(w in name for w in config.decrease_words):
            return ""
        if any(w in name for w in config.positive_keywords):
            return "positive"
        if any(w in name for w in config.reverse_keywords):
            return "reverse"
        return ""

    i = s.pick(s.free(lambda i, r: r.value_kind in ("number", "date") and (
        (kind(r) == "positive" and r.op in (">=", "=", ">")) or
        (kind(r) == "reverse" and r.op in ("<=", "=", "<")))))
    if i is None:
        return None
    row = s.table.indicators[i]
    row.op = "<=" if kind(row) == "positive" else ">="
    return [(i + 1, "R08")]


def _timeliness_vague(s: _State) -> list[KeyItem] | None:
    i = s.pick(s.free(lambda i, r: s.l2(i) == s.config.timeliness_level2))
    if i is None:
        return None
    row = s.table.indicators[i]
    row.value = s.rng.choice(LATE_VALUES)
    row.reparse()
    return [(i + 1, "R15")]


def _qualitative_without_grades(s: _State) -> list[KeyItem] | None:
    i = s.pick(s.free(lambda i, r: s.l2(i) != s.config.timeliness_level2
                      and r.value_kind == "number"))
    if i is None:
        return None
    row = s.table.indicators[i]
    row.op, row.value, row.unit, row.explanation = "qualitative", "达到预期", "", ""
    row.reparse()
    return [(i + 1, "R21")]


def _missing_basis(s: _State) -> list[KeyItem] | None:
    i = s.pick(s.free(lambda i, r: bool(r.basis)))
    if i is None:
        return None
    s.table.indicators[i].basis = ""
    return [(i + 1, "R16")]


MUTATORS: dict[str, Callable[[_State], list[KeyItem] | None]] = {
    "remove_satisfaction": _remove_satisfaction,
    "drop_unit": _drop_unit,
    "wrong_level": _wrong_level,
    "vague_value": _vague_value,
    "satisfaction_100": _satisfaction_100,
    "cost_above_budget": _cost_above_budget,
    "percent_over_100": _percent_over_100,
    "wrong_direction": _wrong_direction,
    "timeliness_vague": _timeliness_vague,
    "qualitative_without_grades": _qualitative_without_grades,
    "missing_basis": _missing_basis,
}


def _sort_key(item: KeyItem):
    return (item[0] is not None, item[0] or 0, int(item[1][1:]))


def mutate_table(table: GoalTable, *, seed: int, k: int = 3, kinds: list[str] | None = None,
                 config: CheckerConfig | None = None) -> tuple[GoalTable, list[KeyItem]]:
    """Inject k verified mistakes into a copy of `table`; same seed, same result."""
    config = config or default_config(table.framework)
    names = list(kinds or MUTATORS)
    unknown = [name for name in names if name not in MUTATORS]
    if unknown:
        raise MutationError(f"unknown mutation kinds: {unknown}")
    baseline = {(f.row, f.rule) for f in check_goal_table(table, config).findings}
    rng = random.Random(seed)  # noqa: S311 - reproducible exercises, not security
    for _attempt in range(MAX_ATTEMPTS):
        order = names[:]
        rng.shuffle(order)
        chosen = order[:]
        # Removing rows shifts indices, so a removal always goes first.
        if "remove_satisfaction" in chosen:
            chosen.remove("remove_satisfaction")
            if rng.random() < 0.5 or len(names) == 1:
                chosen.insert(0, "remove_satisfaction")
        state = _State(table=table.copy(), config=config, rng=rng, used=set())
        key: list[KeyItem] = []
        removed = False
        for name in chosen:
            if len(key) >= k:
                break
            items = MUTATORS[name](state)
            if items:
                key.extend(items)
                removed = removed or name == "remove_satisfaction"
        if len(key) < k:
            continue
        found = {(f.row, f.rule) for f in check_goal_table(state.table, config).findings}
        if all(item in found and (removed or item not in baseline) for item in key):
            return state.table, sorted(key, key=_sort_key)
    raise MutationError(f"could not inject {k} detectable mistakes into this table")


@dataclass
class MarkGrade:
    """Score (F1 × 100) with its parts."""

    score: float
    precision: float
    recall: float
    matched: list[KeyItem]
    missed: list[KeyItem]
    false_marks: list[KeyItem]


def _as_item(mark) -> KeyItem | None:
    if isinstance(mark, dict):
        mark = (mark.get("row"), mark.get("rule"))
    if not isinstance(mark, list | tuple) or len(mark) != 2:
        return None
    row, rule = mark
    if row is not None:
        try:
            row = int(row)
        except (TypeError, ValueError):
            return None
    return (row, str(rule or "").strip().upper())


def grade_error_marks_detail(key: list[KeyItem], marks: list) -> MarkGrade:
    """Precision/recall grading of marks against the key (see module docstring)."""
    key_items = [(row, rule) for row, rule in key]
    given = []
    for mark in marks or []:
        item = _as_item(mark)
        if item is not None and item not in given:
            given.append(item)
    if not key_items and not given:
        return MarkGrade(100.0, 1.0, 1.0, [], [], [])
    open_items = list(key_items)
    credit = 0.0
    matched: list[KeyItem] = []
    leftovers: list[KeyItem] = []
    for item in given:
        if item in open_items:
            open_items.remove(item)
            matched.append(item)
            credit += 1
        else:
            leftovers.append(item)
    false_marks: list[KeyItem] = []
    for item in leftovers:
        partial = next((k for k in open_items if k[0] == item[0]), None)
        if partial is not None:
            open_items.remove(partial)
            credit += 0.5
        else:
            false_marks.append(item)
    precision = credit / len(given) if given else 0.0
    recall = credit / len(key_items) if key_items else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return MarkGrade(round(100 * f1, 2), round(precision, 4), round(recall, 4),
                     sorted(matched, key=_sort_key), sorted(open_items, key=_sort_key),
                     sorted(false_marks, key=_sort_key))


def grade_error_marks(key: list[KeyItem], marks: list) -> float:
    """Score 0–100 of a learner's (row, rule) marks against the answer key."""
    return grade_error_marks_detail(key, marks).score
