"""What each exercise kind shows the learner and how a submission is graded (no database writes).

Decisions (documented in the README's exercise section as well):

- Goal setting: score = 50 % × the checker's score (`check_goal_table` with
  `load_config(framework, year)`) + 50 % × the coverage of the key reference indicators
  (covered ÷ key indicators × 100; 100 when the reference has none); passed = no error-severity
  finding and score >= the exercise's pass mark. A table can be flawless under the rules and
  still miss what the project must deliver, so both halves count equally: a clean table that
  covers nothing scores 50, below every sensible pass mark. The page states the formula. Key
  reference indicators are every reference row outside the satisfaction class (satisfaction
  is checked by R03). A learner row covers a key row when both sit under the same level 2
  (all cost level-2 names count as one, so 2020 and 2021 tables compare) and their normalised
  names (NFKC, no spaces or punctuation, no trailing 指标) are similar: difflib ratio >= 0.6,
  or one contains the other and the shorter has at least 3 characters. Each learner row covers
  at most one key row (greedy, best ratio first).
- Find the errors: the mutated table is fixed per (exercise seed, learner, attempt number), so
  a reload shows the same table while the next attempt gets a fresh one (otherwise the per-mark
  feedback would let a learner confirm marks one by one); the page says so above the new table.
  Scored with `grade_error_marks` (F1 × 100; 1 point per exact mark, 0.5 per mark on a faulty
  row with the wrong error type), stated on the page; each mark's row shows the credit it got.
- Self-evaluation: each of budget score, row scores, total and grade is one item; score = share
  of correct items × 100 (numbers within ±0.01).
- Monitoring: each row has a light and a response; score = share of correct answers × 100.
  The facts of a row come from the exercise data: `settings.causes[name] = {"problems":
  [codes of casebook.rules.monitoring.SERIOUS_PROBLEMS], "cause": "objective"|"serious",
  "note": "…"}`. A recorded serious problem makes the key 暂停项目实施/调减预算/停止拨付 whatever
  the light (the page shows the problems and says so); without one a deviation's cause is
  objective unless `cause` says serious. Unknown problem codes make the exercise unsuitable.
- Ex-ante: 60 points for mapping findings to aspects (`check_aspect_mapping`), 20 for a total
  that adds up the learner's five aspect scores, 20 for the conclusion that total implies
  (`exante_assess`).

Answer reveal policy (self-evaluation, monitoring, ex-ante, find the errors), because the best
attempt feeds department assessment and a later attempt must not copy an earlier key:

- After every submission the learner sees, per row/item, whether their entry was right or wrong
  and the rule that applies (e.g. "unmet positive indicators score points × actual / target").
- The expected values (correct scores, lights, responses, aspects, total and conclusion; the
  injected mistakes of find the errors) are shown only once the learner has passed the exercise
  (any attempt, reviewer overrides included) or has no attempts left. With unlimited attempts
  that means only after passing. `answers_revealed()` decides; `result_view()` builds the rows
  and leaves the expected values out entirely when they are not revealed, so no template can
  leak them. Reviewers always see them.
- Goal setting has no answer key to hide: its findings are the checker's and the coverage list
  names the key reference indicators as feedback (unchanged).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import random
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from casebook.rules import checker as rules_checker
from casebook.rules.config import CheckerConfig, default_config, level_key, load_config
from casebook.rules.exante import (
    ASPECTS,
    CONDITIONAL,
    REJECT,
    SUPPORT,
    TYPICAL_FINDINGS,
    ExAnteError,
    check_aspect_mapping,
    exante_assess,
)
from casebook.rules.monitoring import (
    CAUSE_OBJECTIVE,
    CAUSE_SERIOUS,
    LIGHT_ALIASES,
    RESPONSES,
    MonitoringError,
    check_monitoring_answers,
    problem_codes,
    problem_labels,
)
from casebook.rules.mutations import MutationError, grade_error_marks_detail, mutate_table
from casebook.rules.selfeval import SelfEvalError, check_learner_scores, score_self_evaluation
from casebook.rules.table import ERR_NOT_OBJECT as ERR_TABLE_NOT_OBJECT
from casebook.rules.table import GoalTable, TableError, parse_number

EXERCISE_MAX_ROWS = 60
MAX_ABS_ENTRY = 1000.0
SIMILARITY_THRESHOLD = 0.6
# Share of the goal-setting score carried by the coverage of the key reference indicators.
COVERAGE_WEIGHT = 0.5
MUTATION_SEED_TRIES = 8
EXANTE_CONCLUSIONS = (SUPPORT, CONDITIONAL, REJECT)
GRADES = ("优", "良", "中", "差")

ERR_TOO_MANY_ROWS = gettext_noop("The table has {count} rows; an exercise accepts at most {limit}.")
ERR_NO_ROWS = gettext_noop("Add at least one indicator row.")
ERR_ENTRY_NUMBER = gettext_noop("{item}: enter a number between 0 and 100.")
ERR_ENTRY_GRADE = gettext_noop("Choose the grade (优, 良, 中 or 差).")
ERR_LIGHT = gettext_noop("Row {row}: choose a light.")
ERR_RESPONSE = gettext_noop("Row {row}: choose a response.")
ERR_ASPECT = gettext_noop("Finding {row}: choose an aspect.")
ERR_CONCLUSION = gettext_noop("Choose a conclusion.")
ERR_TOTAL = gettext_noop("Total: enter a number between 0 and 100.")
ERR_MARK_ROW = gettext_noop("A mark points at a row that is not in the table.")
ERR_MARK_RULE = gettext_noop("Row {row}: choose the error type.")
ERR_TABLE_CHANGED = gettext_noop(
    "The exercise table has changed since you opened it; reload the page.")
PROBLEM_NO_ROWS = gettext_noop("the case has no reference goal table")
PROBLEM_NO_SELFEVAL = gettext_noop("the case has no usable self-evaluation data")
PROBLEM_NO_MONITORING = gettext_noop("the case has no usable monitoring snapshot")
PROBLEM_MUTATION = gettext_noop("no detectable mistakes can be injected into the reference table")
PROBLEM_EXANTE = gettext_noop(
    "the exercise's ex-ante findings are not a list of {text, aspect} objects")


class ExerciseInputError(ValueError):
    """A submission that cannot be graded; `messages` lists every problem. Nothing is stored."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


@dataclass
class Graded:
    """The outcome of grading: score 0–100 (2 decimals), passed, and the result JSON."""

    score: Decimal
    passed: bool
    result: dict


def to_score(value: float) -> Decimal:
    """A 0–100 score with 2 decimals (half up)."""
    value = 0.0 if value is None or not math.isfinite(value) else max(0.0, min(100.0, value))
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def exercise_config(exercise) -> CheckerConfig:
    """The checker configuration of the exercise's framework and the case's year."""
    return load_config(exercise.effective_framework, exercise.case.year)


# ---- goal setting --------------------------------------------------------------------------

def reference_table(exercise) -> GoalTable:
    """The case's reference table (never shown before a submission)."""
    return GoalTable.from_dict(exercise.case.reference_table())


def blank_table(exercise) -> dict:
    """The editor's starting point: the case header, no indicators, no annual goal."""
    case = exercise.case
    budget = case.budget_wan
    budget = int(budget) if budget == budget.to_integral_value() else float(budget)
    return {"framework": exercise.effective_framework, "project": case.title,
            "budget_wan": budget, "year": case.year, "multi_year": bool(case.multi_year),
            "overall_goal": case.overall_goal or "", "annual_goal": "", "indicators": []}


def table_for_exercise(exercise, data: dict) -> GoalTable:
    """Validate a learner's table; the header facts always come from the case."""
    if not isinstance(data, dict):
        raise ExerciseInputError([_(ERR_TABLE_NOT_OBJECT)])
    rows = data.get("indicators")
    if isinstance(rows, list) and len(rows) > EXERCISE_MAX_ROWS:
        raise ExerciseInputError([_(ERR_TOO_MANY_ROWS).format(count=len(rows),
                                                              limit=EXERCISE_MAX_ROWS)])
    fixed = blank_table(exercise)
    merged = {**fixed, "overall_goal": data.get("overall_goal", fixed["overall_goal"]),
              "annual_goal": data.get("annual_goal", ""), "indicators": rows}
    try:
        table = GoalTable.from_dict(merged)
    except TableError as exc:
        raise ExerciseInputError(exc.messages) from exc
    if not table.indicators:
        raise ExerciseInputError([_(ERR_NO_ROWS)])
    return table


def _norm_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", name or "").lower()
    text = re.sub(r"[\s\W_]+", "", text)
    return text[:-2] if text.endswith("指标") and len(text) > 2 else text


def _level2_group(level2: str, config: CheckerConfig) -> str:
    key = level_key(level2)
    return "成本" if key in {level_key(v) for v in config.cost_level2} else key


def _similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    shorter, longer = sorted((a, b), key=len)
    if len(shorter) >= 3 and shorter in longer:
        return max(0.9, difflib.SequenceMatcher(None, a, b).ratio())
    return difflib.SequenceMatcher(None, a, b).ratio()


def reference_coverage(*, table: GoalTable, reference: GoalTable,
                       config: CheckerConfig) -> dict:
    """Which key reference indicators the learner's table covers (rule in the module doc)."""
    key_rows = [row for row in reference.indicators
                if level_key(row.level1) != config.satisfaction_level1]
    candidates = []
    for k, ref in enumerate(key_rows):
        for i, row in enumerate(table.indicators):
            if _level2_group(row.level2, config) != _level2_group(ref.level2, config):
                continue
            ratio = _similarity(_norm_name(row.name), _norm_name(ref.name))
            if ratio >= SIMILARITY_THRESHOLD:
                candidates.append((-ratio, k, i))
    covered: dict[int, int] = {}
    used_rows: set[int] = set()
    for _ratio, k, i in sorted(candidates):
        if k in covered or i in used_rows:
            continue
        covered[k] = i
        used_rows.add(i)
    items = [{"name": ref.name, "level2": ref.level2, "covered": k in covered,
              "row": covered[k] + 1 if k in covered else None}
             for k, ref in enumerate(key_rows)]
    total = len(key_rows)
    return {"items": items, "covered": len(covered), "total": total,
            "percent": round(100 * len(covered) / total, 1) if total else 100.0}


def goal_setting_score(*, checker_score: float, covered: int, total: int) -> Decimal:
    """The goal-setting score: the checker's score and the key-indicator coverage, weighted."""
    coverage = 100.0 * covered / total if total else 100.0
    return to_score((1 - COVERAGE_WEIGHT) * checker_score + COVERAGE_WEIGHT * coverage)


def goal_scoring_rule(exercise) -> str:
    """The goal-setting scoring rule as the learner reads it, with this exercise's numbers."""
    config = exercise_config(exercise)
    return _(RULE_GOAL_SCORE).format(
        checker=round(100 * (1 - COVERAGE_WEIGHT)), coverage=round(100 * COVERAGE_WEIGHT),
        error=f"{config.score_error_penalty:g}", warning=f"{config.score_warning_penalty:g}",
        cap=config.score_max_per_rule)


def grade_goal_setting(exercise, table: GoalTable) -> Graded:
    """Run the checker, compare with the reference table and weigh both into the score."""
    config = exercise_config(exercise)
    checked = rules_checker.check_goal_table(table, config)
    coverage = reference_coverage(table=table, reference=reference_table(exercise),
                                  config=config)
    score = goal_setting_score(checker_score=checked.score, covered=coverage["covered"],
                               total=coverage["total"])
    errors = len(checked.errors)
    result = {"kind": "goal_setting", "checker_score": checked.score,
              "checker_passed": checked.passed, "errors": errors,
              "warnings": len(checked.warnings),
              "findings": [f.to_dict() for f in checked.findings],
              "coverage": coverage,
              "coverage_score": 100 * coverage["covered"] / coverage["total"]
              if coverage["total"] else 100.0,
              "coverage_weight": COVERAGE_WEIGHT}
    return Graded(score=score, passed=errors == 0 and score >= exercise.pass_mark,
                  result=result)


# ---- find the errors -----------------------------------------------------------------------

def mutation_seed(exercise, *, user_id: int, attempt_number: int) -> int:
    """The seed of the table a learner sees on an attempt (stable across reloads)."""
    raw = f"{exercise.pk}:{exercise.seed}:{user_id}:{attempt_number}".encode()
    return int(hashlib.sha256(raw).hexdigest()[:12], 16)


def table_digest(table: GoalTable) -> str:
    """A short fingerprint of a table, to notice that it changed between view and submit."""
    raw = json.dumps(table.to_dict(), ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def find_errors_table(exercise, *, user_id: int, attempt_number: int
                      ) -> tuple[GoalTable, list[tuple[int | None, str]]]:
    """The mutated table and its key for this learner's attempt; MutationError if impossible."""
    reference = reference_table(exercise)
    config = exercise_config(exercise)
    base = mutation_seed(exercise, user_id=user_id, attempt_number=attempt_number)
    last: MutationError | None = None
    for offset in range(MUTATION_SEED_TRIES):
        try:
            return mutate_table(reference, seed=base + offset, k=exercise.error_count,
                                config=config)
        except MutationError as exc:
            last = exc
    raise last or MutationError("no mutation")


def rule_choices() -> list[tuple[str, str]]:
    """Every rule id with its Chinese title, for the error-type selects."""
    return [(rule, f"{rule} {title}") for rule, (title, _basis) in rules_checker.RULES.items()]


def grade_find_errors(exercise, *, table: GoalTable, key, marks: list, table_rules: list
                      ) -> Graded:
    """Score marks [(row, rule)] plus table-level rules against the injected key."""
    config = exercise_config(exercise)
    all_marks = [tuple(m) for m in marks] + [(None, rule) for rule in table_rules]
    detail = grade_error_marks_detail(key, all_marks)
    messages = {(f.row, f.rule): f.message
                for f in rules_checker.check_goal_table(table, config).findings}
    titles = {rule: title for rule, (title, _b) in rules_checker.RULES.items()}
    key_items = [{"row": row, "rule": rule, "title": titles.get(rule, ""),
                  "message": messages.get((row, rule), ""),
                  "found": (row, rule) in detail.matched} for row, rule in key]
    score = to_score(detail.score)
    return Graded(score=score, passed=score >= exercise.pass_mark, result={
        "kind": "find_errors", "table": table.to_dict(), "key": key_items,
        "precision": detail.precision, "recall": detail.recall,
        "false_marks": [list(item) for item in detail.false_marks],
        "marks": [list(item) for item in all_marks]})


# ---- self-evaluation -----------------------------------------------------------------------

def selfeval_source(exercise) -> dict | None:
    """The case's self-evaluation data, or None when it cannot be scored."""
    data = exercise.case.self_evaluation
    if not isinstance(data, dict):
        return None
    try:
        score_self_evaluation(data, exercise_config(exercise))
    except SelfEvalError:
        return None
    return data


SELFEVAL_SHOWN_KEYS = ("name", "level1", "op", "target", "actual", "weight", "points",
                       "band", "band_percent", "rule")


def selfeval_view(exercise) -> dict:
    """What the learner sees: budget and execution, rows without any score, total or grade."""
    data = selfeval_source(exercise) or {"rows": []}
    rows = []
    for index, row in enumerate(data.get("rows") or [], start=1):
        row = row if isinstance(row, dict) else {}
        shown = {key: row.get(key) for key in SELFEVAL_SHOWN_KEYS if row.get(key) not in
                 (None, "")}
        shown["points"] = shown.pop("weight", None) or shown.get("points")
        shown["index"] = index
        rows.append(shown)
    budget = data.get("budget_wan", data.get("budget_total"))
    executed = data.get("executed_wan", data.get("budget_executed"))
    return {"rows": rows, "budget": budget, "executed": executed,
            "rate": data.get("budget_execution_rate")}


def _entry(value, item: str, errors: list[str], limit: float = 100.0) -> float | None:
    number = parse_number(value) if value not in (None, "") else None
    if number is None or not math.isfinite(number) or not 0 <= number <= limit:
        errors.append(_(ERR_ENTRY_NUMBER).format(item=item))
        return None
    return number


def selfeval_entries_validate(*, rows: int, data: dict) -> dict:
    """The learner's {"budget_score","rows","total","grade"} with numbers; or ExerciseInputError."""
    errors: list[str] = []
    budget = _entry(data.get("budget_score"), _("Budget execution score"), errors)
    given = data.get("rows") if isinstance(data.get("rows"), list) else []
    scores = [_entry(given[i] if i < len(given) else None, _("Row {row}").format(row=i + 1),
                     errors) for i in range(rows)]
    total = _entry(data.get("total"), _("Total"), errors)
    grade = str(data.get("grade") or "").strip()
    if grade not in GRADES:
        errors.append(_(ERR_ENTRY_GRADE))
    if errors:
        raise ExerciseInputError(errors)
    return {"budget_score": budget, "rows": scores, "total": total, "grade": grade}


def grade_self_evaluation(exercise, entries: dict) -> Graded:
    """Compare the learner's scores with the 10号 rules to ±0.01."""
    expected = score_self_evaluation(selfeval_source(exercise), exercise_config(exercise))
    checks = check_learner_scores(expected, entries, tolerance=0.01)
    correct = sum(1 for check in checks if check.correct)
    score = to_score(100 * correct / len(checks))
    rule_by_row = {f"row:{row.index}": row.rule for row in expected.rows}
    return Graded(score=score, passed=score >= exercise.pass_mark, result={
        "kind": "self_evaluation", "checks": [
            {**check.to_dict(), "rule": rule_by_row.get(check.item, "")} for check in checks],
        "expected": expected.to_dict(), "correct": correct, "items": len(checks)})


# ---- monitoring ----------------------------------------------------------------------------

def monitoring_rows(exercise) -> list[dict]:
    """The snapshot rows with level, operator (from the reference row of the same name), the
    serious problems recorded on the row and the cause of a deviation (from the exercise data:
    serious when a problem is recorded, objective when nothing is given)."""
    case = exercise.case
    reference = {row.name: row for row in case.reference_rows.all()}
    causes = (exercise.settings or {}).get("causes") if isinstance(exercise.settings,
                                                                   dict) else None
    causes = causes if isinstance(causes, dict) else {}
    rows = []
    for row in case.monitoring_rows.all():
        ref = reference.get(row.name)
        if ref is not None:
            level1, level2, op, unit = ref.level1, ref.level2, ref.op, ref.unit
        else:
            level1, level2, unit = "产出指标", "数量指标", ""
            op = {"negative": "<=", "qualitative": "qualitative"}.get(row.direction, ">=")
        cause = causes.get(row.name) if isinstance(causes.get(row.name), dict) else {}
        # Unknown codes stay in the row so that `monitoring_problem` refuses the exercise.
        problems = cause.get("problems") or []
        kind = cause.get("cause") if cause.get("cause") in (CAUSE_OBJECTIVE,
                                                            CAUSE_SERIOUS) else CAUSE_OBJECTIVE
        if problems:
            kind = CAUSE_SERIOUS
        try:
            facts = problem_labels(problems)
        except MonitoringError:
            facts = []
        rows.append({"name": row.name, "level1": level1, "level2": level2, "op": op,
                     "unit": unit, "target": row.target, "actual": row.progress,
                     "cause": kind, "problems": problems, "facts": facts,
                     "note": str(cause.get("note") or "")[:500]})
    return rows


def monitoring_problem(exercise) -> str | None:
    case = exercise.case
    rows = monitoring_rows(exercise)
    if not case.monitoring_month or not rows:
        return _(PROBLEM_NO_MONITORING)
    try:
        for row in rows:
            problem_codes(row["problems"])
    except MonitoringError as exc:
        return str(exc)
    try:
        check_monitoring_answers(month=case.monitoring_month, rows=rows, answers=[],
                                 config=exercise_config(exercise))
    except MonitoringError:
        return _(PROBLEM_NO_MONITORING)
    return None


def monitoring_answers_validate(*, rows: int, answers: list) -> list[dict]:
    """[{light, response}] per row, lights normalised; or ExerciseInputError."""
    errors: list[str] = []
    clean = []
    for index in range(rows):
        answer = answers[index] if index < len(answers) and isinstance(answers[index],
                                                                       dict) else {}
        light = LIGHT_ALIASES.get(str(answer.get("light") or "").strip().lower())
        response = str(answer.get("response") or "").strip()
        if light is None:
            errors.append(_(ERR_LIGHT).format(row=index + 1))
        if response not in RESPONSES:
            errors.append(_(ERR_RESPONSE).format(row=index + 1))
        clean.append({"light": light, "response": response})
    if errors:
        raise ExerciseInputError(errors)
    return clean


def grade_monitoring(exercise, answers: list[dict]) -> Graded:
    """Lights by the 山西 rule and responses by 136号, one point each."""
    rows = monitoring_rows(exercise)
    checks = check_monitoring_answers(month=exercise.case.monitoring_month, rows=rows,
                                      answers=answers, config=exercise_config(exercise))
    points = sum(int(c.light_correct) + int(c.response_correct) for c in checks)
    score = to_score(100 * points / (2 * len(checks))) if checks else to_score(0)
    return Graded(score=score, passed=score >= exercise.pass_mark, result={
        "kind": "monitoring", "checks": [c.to_dict() for c in checks],
        "correct": points, "items": 2 * len(checks)})


# ---- ex-ante -------------------------------------------------------------------------------

def exante_findings(exercise) -> list[dict]:
    """The findings to map, in an order fixed by the exercise seed: [{"text", "aspect"}]."""
    custom = (exercise.settings or {}).get("findings") if isinstance(exercise.settings,
                                                                     dict) else None
    if custom:
        items = [{"text": str(item["text"])[:300], "aspect": item["aspect"]}
                 for item in custom
                 if isinstance(item, dict) and item.get("aspect") in ASPECTS
                 and item.get("text")]
    else:
        items = [{"text": text, "aspect": aspect} for text, aspect in TYPICAL_FINDINGS.items()]
    random.Random(exercise.seed).shuffle(items)  # noqa: S311 - presentation order only
    return items


def exante_problem(exercise) -> str | None:
    custom = (exercise.settings or {}).get("findings") if isinstance(exercise.settings,
                                                                     dict) else None
    if custom is None:
        return None
    if not isinstance(custom, list) or not custom or not all(
            isinstance(item, dict) and item.get("aspect") in ASPECTS and item.get("text")
            for item in custom):
        return _(PROBLEM_EXANTE)
    return None


def exante_input_validate(*, findings: int, data: dict) -> dict:
    """{"mapping": [aspect per finding], "scores": {aspect: n}, "total", "conclusion"}."""
    errors: list[str] = []
    mapping = data.get("mapping") if isinstance(data.get("mapping"), list) else []
    clean_mapping = []
    for index in range(findings):
        aspect = mapping[index] if index < len(mapping) else None
        if aspect not in ASPECTS:
            errors.append(_(ERR_ASPECT).format(row=index + 1))
        clean_mapping.append(aspect)
    scores = data.get("scores") if isinstance(data.get("scores"), dict) else {}
    try:
        assessed = exante_assess({name: scores.get(name) for name in ASPECTS
                                  if scores.get(name) not in (None, "")})
    except ExAnteError as exc:
        errors.extend(exc.messages)
        assessed = None
    total = parse_number(data.get("total")) if data.get("total") not in (None, "") else None
    if total is None or not math.isfinite(total) or not 0 <= total <= 100:
        errors.append(_(ERR_TOTAL))
    conclusion = str(data.get("conclusion") or "").strip()
    if conclusion not in EXANTE_CONCLUSIONS:
        errors.append(_(ERR_CONCLUSION))
    if errors:
        raise ExerciseInputError(errors)
    return {"mapping": clean_mapping, "scores": assessed.aspects, "total": total,
            "conclusion": conclusion}


def grade_ex_ante(exercise, data: dict) -> Graded:
    """60 % mapping, 20 % total, 20 % conclusion (see the module doc)."""
    findings = exante_findings(exercise)
    key = {str(i): item["aspect"] for i, item in enumerate(findings)}
    answers = {str(i): aspect for i, aspect in enumerate(data["mapping"])}
    mapping = check_aspect_mapping(key, answers)
    assessed = exante_assess(data["scores"], exercise_config(exercise))
    total_ok = abs(assessed.total - data["total"]) <= 0.01
    conclusion_ok = data["conclusion"] == assessed.conclusion
    value = 0.6 * mapping.score + 20 * total_ok + 20 * conclusion_ok
    score = to_score(value)
    return Graded(score=score, passed=score >= exercise.pass_mark, result={
        "kind": "ex_ante",
        "mapping": [{"text": item["text"], "expected": item["aspect"],
                     "given": data["mapping"][i], "correct": data["mapping"][i] == item["aspect"]}
                    for i, item in enumerate(findings)],
        "mapping_score": mapping.score, "expected_total": assessed.total,
        "total_correct": total_ok, "expected_conclusion": assessed.conclusion,
        "conclusion_correct": conclusion_ok})


# ---- reveal policy and readable results ---------------------------------------------------

RULE_BUDGET = gettext_noop("Budget execution: points = execution rate (at most 100 %) × 10.")
RULE_RATIO = gettext_noop("Positive indicator: full points when met; unmet positive indicators "
                          "score points × actual / target.")
RULE_REVERSE = gettext_noop("Reverse indicator: full points when the actual stays within the "
                            "target; otherwise points × target / actual.")
RULE_DATE = gettext_noop("Date indicator: full points when on time; late completion scores the "
                         "share of the applicable late rule, otherwise 0.")
RULE_LATE = gettext_noop("Date indicator with a late rule ({rule}): on time full points; late "
                         "within the limit the given share; later 0.")
RULE_QUALITATIVE = gettext_noop("Qualitative indicator: 达成 80–100 %, 部分达成 60–80 %, "
                                "未达成 0–60 % of the points.")
RULE_TOTAL = gettext_noop("Total = budget execution score + the row scores (each rounded to 2 "
                          "decimals).")
RULE_GRADE = gettext_noop("Grade: 优 from 90, 良 from 80, 中 from 60, otherwise 差.")
RULE_MONITORING = gettext_noop(
    "Rule: benchmark = annual target × month / 12; progress below 60 % of it is red, 60–80 % "
    "yellow, 80–120 % green, from 120 % blue. Reverse, quality, timeliness and cost "
    "indicators: in range green, else red. Response: where a serious problem was found "
    "(illegal subcontracting, misappropriated funds, a major accident or loss…) "
    "暂停项目实施/调减预算/停止拨付, whatever the light; otherwise green or blue 继续执行, and a "
    "red or yellow deviation with an objective cause 调减预算并同步调整绩效目标.")
RULE_GOAL_SCORE = gettext_noop(
    "Score = {checker} % × the rule check score + {coverage} % × the coverage of the key "
    "reference indicators (covered ÷ key indicators × 100). The rule check starts at 100 and "
    "deducts {error} per error and {warning} per warning, at most {cap} times per rule; a "
    "table with any error does not pass.")
LINE_GOAL_SCORE = gettext_noop(
    "Automatic score {score} = rule check {checker} × {checker_weight} % + key-indicator "
    "coverage {coverage} × {coverage_weight} %.")
RULE_FIND_ERRORS = gettext_noop(
    "Scoring: a mark whose row and error type both match an injected mistake earns 1 point; a "
    "mark on a faulty row with the wrong error type earns 0.5 point; a mark on a row without "
    "an injected mistake earns nothing. Precision = points ÷ number of marks, recall = points "
    "÷ number of injected mistakes, score = 100 × 2 × precision × recall ÷ (precision + "
    "recall).")
MARK_EXACT, MARK_PARTIAL, MARK_WRONG = "exact", "partial", "wrong"
RULE_EXANTE_TOTAL = gettext_noop("The total is the sum of your five aspect scores.")
RULE_EXANTE_CONCLUSION = gettext_noop("Conclusion: 80 and above 予以支持; 60 to below 80 "
                                      "调整完善后支持; below 60 不予支持.")
LABEL_BUDGET = gettext_noop("Budget execution score")
LABEL_TOTAL = gettext_noop("Total")
LABEL_GRADE = gettext_noop("Grade")
LABEL_ROW = gettext_noop("Row {row}")


def answers_revealed(*, exercise, submissions) -> bool:
    """Whether the expected values may be shown: the learner passed or has no attempts left."""
    submissions = list(submissions)
    if any(s.passed for s in submissions):
        return True
    return bool(exercise.max_attempts) and len(submissions) >= exercise.max_attempts


def selfeval_rule_text(rule: str) -> str:
    """The scoring rule of a self-evaluation row, for the learner."""
    rule = str(rule or "")
    if rule == "ratio":
        return _(RULE_RATIO)
    if rule == "reverse":
        return _(RULE_REVERSE)
    if rule == "date":
        return _(RULE_DATE)
    if rule == "qualitative":
        return _(RULE_QUALITATIVE)
    if rule.startswith("late"):
        return _(RULE_LATE).format(rule=rule)
    return ""


def _selfeval_view(result: dict, revealed: bool) -> dict:
    rows = {row.get("row"): row for row in (result.get("expected") or {}).get("rows") or []
            if isinstance(row, dict)}
    items = []
    for check in result.get("checks") or []:
        item = str(check.get("item") or "")
        if item == "budget":
            label, rule = _(LABEL_BUDGET), _(RULE_BUDGET)
        elif item == "total":
            label, rule = _(LABEL_TOTAL), _(RULE_TOTAL)
        elif item == "grade":
            label, rule = _(LABEL_GRADE), _(RULE_GRADE)
        elif item.startswith("row:") and item[4:].isdigit():
            number = int(item[4:])
            name = (rows.get(number) or {}).get("name") or ""
            label = _(LABEL_ROW).format(row=number) + (f" · {name}" if name else "")
            rule = selfeval_rule_text(check.get("rule") or (rows.get(number) or {}).get("rule"))
        else:
            label, rule = item, ""
        entry = {"label": label, "given": check.get("given"), "correct": bool(check.get(
            "correct")), "rule": rule}
        if revealed:
            entry["expected"] = check.get("expected")
        items.append(entry)
    return {"items": items, "correct": result.get("correct"), "total": result.get("items")}


def _monitoring_view(result: dict, revealed: bool, names: list[str]) -> dict:
    items = []
    for check in result.get("checks") or []:
        row = check.get("row")
        entry = {"row": row, "name": names[row - 1] if isinstance(row, int) and
                 0 < row <= len(names) else "",
                 "given_light": check.get("given_light"),
                 "light_correct": bool(check.get("light_correct")),
                 "given_response": check.get("given_response"),
                 "response_correct": bool(check.get("response_correct"))}
        if revealed:
            entry["expected_light"] = check.get("expected_light")
            entry["expected_response"] = check.get("expected_response")
        items.append(entry)
    return {"items": items, "correct": result.get("correct"), "total": result.get("items"),
            "rule": _(RULE_MONITORING)}


def _exante_view(result: dict, input_data: dict, revealed: bool) -> dict:
    items = []
    for m in result.get("mapping") or []:
        entry = {"text": m.get("text"), "given": m.get("given"),
                 "correct": bool(m.get("correct"))}
        if revealed:
            entry["expected"] = m.get("expected")
        items.append(entry)
    scores = input_data.get("scores") if isinstance(input_data.get("scores"), dict) else {}
    view = {"items": items, "scores": [(name, scores.get(name)) for name in ASPECTS
                                       if name in scores],
            "given_total": input_data.get("total"),
            "given_conclusion": input_data.get("conclusion"),
            "total_correct": bool(result.get("total_correct")),
            "conclusion_correct": bool(result.get("conclusion_correct")),
            "total_rule": _(RULE_EXANTE_TOTAL), "conclusion_rule": _(RULE_EXANTE_CONCLUSION)}
    if revealed:
        view["expected_total"] = result.get("expected_total")
        view["expected_conclusion"] = result.get("expected_conclusion")
    return view


def _goal_setting_view(result: dict) -> dict:
    weight = result.get("coverage_weight")
    if not isinstance(weight, int | float) or not isinstance(
            result.get("checker_score"), int | float) or not isinstance(
            result.get("coverage_score"), int | float):
        return {}  # graded before coverage counted: the score was the checker's alone
    checker, coverage = result["checker_score"], result["coverage_score"]
    score = to_score((1 - weight) * checker + weight * coverage)
    return {"score_line": _(LINE_GOAL_SCORE).format(
        score=f"{float(score):g}", checker=f"{round(checker, 2):g}",
        coverage=f"{round(coverage, 2):g}",
        checker_weight=f"{100 * (1 - weight):g}", coverage_weight=f"{100 * weight:g}")}


def _find_errors_view(result: dict, revealed: bool) -> dict:
    titles = {rule: title for rule, (title, _b) in rules_checker.RULES.items()}
    key = [item for item in result.get("key") or [] if isinstance(item, dict)]
    messages = {(item.get("row"), item.get("rule")): item.get("message") for item in key}
    given: list[tuple] = []
    for mark in result.get("marks") or []:
        item = tuple([*list(mark), None, None][:2])
        if item not in given:
            given.append(item)
    # Regrade from the stored key and marks so each row shows the credit the score counted
    # (older results stored no per-mark credit).
    detail = grade_error_marks_detail([(item.get("row"), item.get("rule")) for item in key],
                                      given)
    matched, missed = set(detail.matched), set(detail.missed)
    false = set(detail.false_marks)
    marks = []
    for row, rule in given:
        status = (MARK_EXACT if (row, rule) in matched else
                  MARK_WRONG if (row, rule) in false else MARK_PARTIAL)
        marks.append({"row": row, "rule": rule, "title": titles.get(rule, ""),
                      "status": status, "correct": status == MARK_EXACT,
                      # The checker's explanation of a mistake the learner found is no leak.
                      "message": messages.get((row, rule), "") if status == MARK_EXACT
                      else ""})
    key_rows = []
    for item in key:
        pair = (item.get("row"), item.get("rule"))
        status = (MARK_EXACT if pair in matched else
                  MARK_WRONG if pair in missed else MARK_PARTIAL)
        key_rows.append({**item, "status": status})
    found = sum(1 for item in key_rows if item["status"] == MARK_EXACT)
    partial = sum(1 for item in key_rows if item["status"] == MARK_PARTIAL)
    view = {"marks": marks, "found": found, "partial": partial, "injected": len(key),
            "missed": len(key) - found - partial, "precision": detail.precision,
            "recall": detail.recall, "rule": _(RULE_FIND_ERRORS)}
    if revealed:
        view["key"] = key_rows
        view["table"] = result.get("table")
    return view


def result_view(*, kind: str, input_data, result, revealed: bool,
                monitoring_names: list[str] | None = None) -> dict:
    """The readable rows of a graded result; expected values only when `revealed`."""
    input_data = input_data if isinstance(input_data, dict) else {}
    result = result if isinstance(result, dict) else {}
    if kind == "self_evaluation":
        return _selfeval_view(result, revealed)
    if kind == "monitoring":
        return _monitoring_view(result, revealed, monitoring_names or [])
    if kind == "ex_ante":
        return _exante_view(result, input_data, revealed)
    if kind == "find_errors":
        return _find_errors_view(result, revealed)
    if kind == "goal_setting":
        return _goal_setting_view(result)
    return {}


# ---- suitability ---------------------------------------------------------------------------

def exercise_problem(*, exercise) -> str | None:
    """Why the case cannot carry this kind of exercise, or None when it can."""
    from casebook.models import ExerciseKind

    kind = exercise.kind
    if kind in (ExerciseKind.GOAL_SETTING, ExerciseKind.FIND_ERRORS):
        if not exercise.case.reference_rows.exists():
            return _(PROBLEM_NO_ROWS)
        if kind == ExerciseKind.FIND_ERRORS:
            try:
                find_errors_table(exercise, user_id=0, attempt_number=1)
            except (MutationError, TableError):
                return _(PROBLEM_MUTATION)
    elif kind == ExerciseKind.SELF_EVALUATION:
        if selfeval_source(exercise) is None:
            return _(PROBLEM_NO_SELFEVAL)
    elif kind == ExerciseKind.MONITORING:
        return monitoring_problem(exercise)
    elif kind == ExerciseKind.EX_ANTE:
        return exante_problem(exercise)
    return None


def default_config_for(framework: str) -> CheckerConfig:
    """The default configuration (for level selectors when no exercise is at hand)."""
    return default_config(framework)
