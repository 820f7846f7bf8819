"""单位自评 scoring per 财预〔2020〕10号 (domain report §1.2, worked example §3.3).

Input (the format of ``selfeval_example.json``)::

    {"budget_execution_rate": 95.0,            # percent; or "budget_executed" + "budget_total"
                                               # (or "executed_wan" + "budget_wan")
     "rows": [{"name", "level1", "op", "target", "actual",
               "weight": 8,                    # optional: points of the row (alias "points")
               "rule": "ratio" | "reverse" | "late<=30d:60%" | "date" | "qualitative",  # optional
               "band": "达成" | "部分达成" | "未达成", "band_percent": 90,   # qualitative rows
               "explanation": "偏差原因分析及改进措施"}]}

Extra keys (expected "score", "total", "grade", "case") are ignored.

Rules:
- Budget: points = min(rate, 100) / 100 × budget weight (10).
- Quantitative positive (>=, >, =): met → full points; unmet → points × actual / target.
- Reverse (<=, <): actual <= target → full; else points × target / actual.
- Date targets: on time → full; late by d days → the first late rule with d <= limit gives its
  share (default: <= 30 days → 60 %, illustrative local rule of §3.3); later → 0.
- Qualitative: band 达成 80–100 %, 部分达成 60–80 %, 未达成 0–60 % of the points; the input
  gives `band_percent` within the band, or the band's default (100 / 70 / 30).
- Over-achievement deduction (off by default): when enabled and a positive row exceeds its
  target by more than the threshold (20 %), deduct points × rate_per_10pp × (excess pp / 10).
- Weights: rows with a "weight" use it. Rows without weights share their class weight equally
  (产出 50 / 效益 30 / 满意度 10; 成本 rows count as 产出 unless the bureau gives 成本 its own
  weight). A class with no rows gives its weight to the classes present, in proportion to their
  weights, so the total stays 100. Mixing weighted and unweighted rows is an error.
- Every row score is rounded to 2 decimals; the total is the sum of the rounded scores (what a
  learner adds up), rounded to 2 decimals. Grade bands 优 >= 90, 良 >= 80, 中 >= 60, else 差.
- Unmet rows need a deviation explanation (at least `selfeval_min_explanation_chars`); rows
  without one are listed in `missing_explanations`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field

from casebook.rules.config import CheckerConfig, default_config, level_key
from casebook.rules.i18n import gettext as _
from casebook.rules.i18n import gettext_noop
from casebook.rules.table import MAX_ABS_NUMBER, normalise_op, parse_date, parse_number

ERR_NOT_OBJECT = gettext_noop("The self-evaluation must be a JSON object with a \"rows\" list.")
ERR_ROW = gettext_noop("Row {row}: {problem}")
ERR_MIXED_WEIGHTS = gettext_noop("Either every row has a weight or none does.")
ERR_RATE = gettext_noop("The budget execution rate is missing or not a number between 0 and 1000.")
PROBLEM_TARGET = gettext_noop("the target is not a number or date")
PROBLEM_ACTUAL = gettext_noop("the actual value is not a number or date")
PROBLEM_BAND = gettext_noop("unknown qualitative band (use 达成, 部分达成 or 未达成)")
PROBLEM_BAND_PERCENT = gettext_noop("band_percent lies outside its band")
PROBLEM_WEIGHT = gettext_noop("the weight must be a number between 0 and 100")
PROBLEM_RULE = gettext_noop("unknown scoring rule")
MAX_ROWS = 500

BAND_ALIASES = {"达成": "达成", "达到": "达成", "达到预期目标": "达成", "部分达成": "部分达成",
                "部分达到": "部分达成", "部分达到并具备一定效果": "部分达成",
                "未达成": "未达成", "未达到": "未达成"}
_LATE_RULE_RE = re.compile(r"^late<=(\d+)d:(\d+(?:\.\d+)?)%$")


class SelfEvalError(ValueError):
    """Unusable self-evaluation input; `messages` lists every problem."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


@dataclass
class RowScore:
    """The computed score of one indicator row."""

    index: int
    name: str
    level1: str
    rule: str
    weight: float
    score: float
    met: bool
    explanation_missing: bool = False

    def to_dict(self) -> dict:
        return {"row": self.index, "name": self.name, "level1": self.level1, "rule": self.rule,
                "weight": self.weight, "score": self.score, "met": self.met,
                "explanation_missing": self.explanation_missing}


@dataclass
class SelfEvalResult:
    """Budget score, row scores, total (2 decimals), grade and flags."""

    budget_score: float
    rows: list[RowScore]
    total: float
    grade: str
    missing_explanations: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"budget_score": self.budget_score, "rows": [r.to_dict() for r in self.rows],
                "total": self.total, "grade": self.grade,
                "missing_explanations": self.missing_explanations, "notes": self.notes}


def grade_for(total: float, config: CheckerConfig | None = None) -> str:
    """优 >= 90, 良 >= 80, 中 >= 60, else 差 (bands configurable)."""
    config = config or default_config()
    for floor, label in sorted(config.selfeval_grade_bands, key=lambda band: -band[0]):
        if total >= floor:
            return label
    return config.selfeval_grade_bands[-1][1]


def _r2(value: float) -> float:
    # Round half up at 2 decimals on the decimal representation (14.145 -> 14.15).
    return math.floor(value * 100 + 0.5 + 1e-9) / 100


def _class_of(level1: str, config: CheckerConfig) -> str:
    key = level_key(level1)
    if key == config.cost_level1 and key not in config.selfeval_class_weights:
        return level_key(config.selfeval_cost_into)
    return key


def _rule_for(row: dict, op: str, target) -> str:
    rule = str(row.get("rule") or "").strip()
    if rule:
        return rule
    if op == "qualitative" or row.get("band"):
        return "qualitative"
    if isinstance(target, dt.date):
        return "date"
    return "reverse" if op in ("<=", "<") else "ratio"


def score_self_evaluation(data: dict, config: CheckerConfig | None = None) -> SelfEvalResult:
    """Score a self-evaluation by the 10号 rules; raise SelfEvalError on unusable input."""
    config = config or default_config(str((data or {}).get("framework") or "2021")
                                      if isinstance(data, dict) else "2021")
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list) or \
            len(data["rows"]) > MAX_ROWS:
        raise SelfEvalError([_(ERR_NOT_OBJECT)])
    errors: list[str] = []
    rate = data.get("budget_execution_rate")
    for total_key, executed_key in (("budget_total", "budget_executed"),
                                    ("budget_wan", "executed_wan")):
        if rate is None and data.get(total_key) not in (None, 0, ""):
            executed = parse_number(data.get(executed_key))
            total_budget = parse_number(data.get(total_key))
            rate = None if executed is None or not total_budget else \
                executed / total_budget * 100
    rate = parse_number(rate) if rate is not None else None
    if rate is None or not math.isfinite(rate) or not 0 <= rate <= 1000:
        errors.append(_(ERR_RATE))
        rate = 0.0

    rows = [_with_weight(row) for row in data["rows"]]
    weights_given = [isinstance(r, dict) and r.get("weight") not in (None, "") for r in rows]
    if any(weights_given) and not all(weights_given):
        errors.append(_(ERR_MIXED_WEIGHTS))
    parsed = []
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            errors.append(_(ERR_ROW).format(row=index, problem=_(PROBLEM_TARGET)))
            continue
        op = normalise_op(row.get("op")) or ""
        target = _value(row.get("target"))
        actual = _value(row.get("actual"))
        rule = _rule_for(row, op, target)
        band = None
        if rule == "qualitative":
            band = BAND_ALIASES.get(str(row.get("band") or row.get("actual") or "").strip())
            if band is None:
                errors.append(_(ERR_ROW).format(row=index, problem=_(PROBLEM_BAND)))
        else:
            if target is None:
                errors.append(_(ERR_ROW).format(row=index, problem=_(PROBLEM_TARGET)))
            if actual is None:
                errors.append(_(ERR_ROW).format(row=index, problem=_(PROBLEM_ACTUAL)))
            if rule not in ("ratio", "reverse", "date") and not _LATE_RULE_RE.match(rule):
                errors.append(_(ERR_ROW).format(row=index, problem=_(PROBLEM_RULE)))
        weight = None
        if row.get("weight") not in (None, ""):
            weight = parse_number(row.get("weight"))
            if weight is None or not math.isfinite(weight) or not 0 <= weight <= 100:
                errors.append(_(ERR_ROW).format(row=index, problem=_(PROBLEM_WEIGHT)))
                weight = 0.0
        parsed.append((index, row, op, target, actual, rule, band, weight))
    if errors:
        raise SelfEvalError(errors)

    if not all(weights_given):
        _assign_weights(parsed, config)

    notes: list[str] = []
    scores: list[RowScore] = []
    raw_points = 0.0
    for index, row, op, target, actual, rule, band, weight in parsed:
        share, met = _share(row, op, target, actual, rule, band, config, errors, index)
        points = weight or 0.0
        raw_points += points
        raw = points * share
        if config.selfeval_overachievement_deduction and rule == "ratio" and met and \
                isinstance(target, float) and isinstance(actual, float) and target > 0:
            excess = actual / target - 1 - config.selfeval_overachievement_threshold
            if excess > 0:
                deduction = points * config.selfeval_overachievement_rate_per_10pp * excess * 10
                raw = max(0.0, raw - min(points, deduction))
        explanation = str(row.get("explanation") or row.get("deviation") or "").strip()
        missing = not met and len(explanation) < config.selfeval_min_explanation_chars
        scores.append(RowScore(index=index, name=str(row.get("name") or ""),
                               level1=str(row.get("level1") or ""), rule=rule,
                               weight=_r2(points), score=_r2(raw), met=met,
                               explanation_missing=missing))
    if errors:
        raise SelfEvalError(errors)
    budget_score = _r2(min(rate, 100.0) / 100 * config.selfeval_budget_weight)
    total = _r2(budget_score + sum(r.score for r in scores))
    weight_sum = _r2(config.selfeval_budget_weight + raw_points)
    if abs(weight_sum - 100) > 0.01:
        notes.append(f"分值合计为 {weight_sum}，不是100分，请核对各指标分值。")
    return SelfEvalResult(budget_score=budget_score, rows=scores, total=total,
                          grade=grade_for(total, config),
                          missing_explanations=[r.index for r in scores if r.explanation_missing],
                          notes=notes)


def _with_weight(row):
    # "points" is accepted as another name for "weight" (the demo cases use it).
    if isinstance(row, dict) and row.get("weight") in (None, "") and \
            row.get("points") not in (None, ""):
        return {**row, "weight": row["points"]}
    return row


def _value(raw):
    if raw is None or raw == "":
        return None
    number = parse_number(raw)
    if number is not None:
        return number if math.isfinite(number) and abs(number) <= MAX_ABS_NUMBER else None
    date = parse_date(raw)
    return date


def _assign_weights(parsed: list, config: CheckerConfig) -> None:
    classes = {level_key(k): float(v) for k, v in config.selfeval_class_weights.items()}
    members: dict[str, list[int]] = {}
    for position, item in enumerate(parsed):
        members.setdefault(_class_of(item[1].get("level1") or "", config), []).append(position)
    present = {name: weight for name, weight in classes.items() if members.get(name)}
    missing_weight = sum(weight for name, weight in classes.items() if not members.get(name))
    present_total = sum(present.values())
    for name, weight in present.items():
        share = weight + (missing_weight * weight / present_total if present_total else 0)
        positions = members[name]
        for position in positions:
            item = parsed[position]
            parsed[position] = (*item[:7], share / len(positions))
    for position, item in enumerate(parsed):
        if item[7] is None:  # a row of an unknown class gets no points
            parsed[position] = (*item[:7], 0.0)


def _share(row, op, target, actual, rule, band, config, errors, index) -> tuple[float, bool]:
    if rule == "qualitative":
        low, high, default = config.selfeval_qualitative_bands[band]
        percent = row.get("band_percent")
        if percent in (None, ""):
            percent = default
        else:
            percent = parse_number(percent)
            if percent is None or not low <= percent <= high:
                errors.append(_(ERR_ROW).format(row=index, problem=_(PROBLEM_BAND_PERCENT)))
                percent = default
        return percent / 100, band == "达成"
    if isinstance(target, dt.date) or isinstance(actual, dt.date):
        if not (isinstance(target, dt.date) and isinstance(actual, dt.date)):
            errors.append(_(ERR_ROW).format(row=index, problem=_(PROBLEM_ACTUAL)))
            return 0.0, False
        late = (actual - target).days
        if late <= 0:
            return 1.0, True
        rules = [[float(days), float(share)] for days, share in config.selfeval_late_rules]
        match = _LATE_RULE_RE.match(rule)
        if match:
            rules = [[float(match.group(1)), float(match.group(2)) / 100]]
        for days, share in sorted(rules):
            if late <= days:
                return share, False
        return 0.0, False
    if rule == "reverse" or (rule != "ratio" and op in ("<=", "<")):
        if actual <= target:
            return 1.0, True
        return (target / actual if actual > 0 else 0.0), False
    if actual >= target:
        return 1.0, True
    if target <= 0:
        return 0.0, False
    return max(0.0, actual / target), False


@dataclass
class EntryCheck:
    """Whether a learner's entry matches the computed value within the tolerance."""

    item: str
    expected: object
    given: object
    correct: bool

    def to_dict(self) -> dict:
        return {"item": self.item, "expected": self.expected, "given": self.given,
                "correct": self.correct}


def check_learner_scores(expected: SelfEvalResult, learner_entries: dict,
                         tolerance: float = 0.01) -> list[EntryCheck]:
    """Compare a learner's {"budget_score", "rows": [scores], "total", "grade"} with the key.

    Items: "budget", "row:1".."row:n", "total", "grade"; a missing or non-numeric entry is wrong.
    """
    entries = learner_entries if isinstance(learner_entries, dict) else {}

    def numeric(item: str, want: float, given) -> EntryCheck:
        number = parse_number(given) if given is not None else None
        ok = number is not None and math.isfinite(number) and \
            abs(number - want) <= tolerance + 1e-9
        return EntryCheck(item=item, expected=want, given=given, correct=ok)

    checks = [numeric("budget", expected.budget_score, entries.get("budget_score"))]
    given_rows = entries.get("rows") if isinstance(entries.get("rows"), list) else []
    for position, row in enumerate(expected.rows):
        given = given_rows[position] if position < len(given_rows) else None
        if isinstance(given, dict):
            given = given.get("score")
        checks.append(numeric(f"row:{row.index}", row.score, given))
    checks.append(numeric("total", expected.total, entries.get("total")))
    grade = str(entries.get("grade") or "").strip()
    checks.append(EntryCheck(item="grade", expected=expected.grade, given=grade,
                             correct=grade == expected.grade))
    return checks
