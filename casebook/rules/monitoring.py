"""In-year monitoring traffic lights (运行监控红黄绿灯) per domain report §1.4 (山西 rule).

- 数量指标 and every 效益/满意度 indicator with a positive operator (>=, >, =): benchmark =
  annual target × month / 12 (序时进度); ratio = actual / benchmark:
  ratio < 60 % red; 60 % <= ratio < 80 % yellow; 80 % <= ratio < 120 % green; ratio >= 120 % blue.
  (60 % is yellow, 80 % is green, 120 % is blue.) Computed with exact fractions, so boundaries
  are not blurred by floating point.
- Reverse indicators (<=, <) of those classes: in range green, else red.
- Qualitative (any class): 达到 green, 部分达到(并具备一定效果) yellow, 未达到 red.
- 质量/时效/成本 indicators: in range green, else red (dates compare as dates).

Deviation responses (财预〔2019〕136号): a serious problem recorded against the indicator
(illegal subcontracting, misappropriated funds, …; see `SERIOUS_PROBLEMS`) → 暂停项目实施/调减预算/
停止拨付 whatever the light, because the light measures progress and a project on schedule can
still be losing money; otherwise green/blue → 继续执行, and yellow/red with an objective cause
(policy change, emergency) → 调减预算并同步调整绩效目标.

Serious problems are facts of the snapshot given as codes (`problems`), never guessed from the
wording of a note, so an answer key cannot silently contradict its own case.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from fractions import Fraction

from casebook.rules.config import CheckerConfig, default_config, level_key
from casebook.rules.i18n import gettext as _
from casebook.rules.i18n import gettext_noop
from casebook.rules.table import normalise_op, parse_date, parse_number

RED, YELLOW, GREEN, BLUE = "red", "yellow", "green", "blue"
LIGHT_LABELS = {RED: "红", YELLOW: "黄", GREEN: "绿", BLUE: "蓝"}
LIGHT_ALIASES = {"red": RED, "红": RED, "红灯": RED, "yellow": YELLOW, "黄": YELLOW,
                 "黄灯": YELLOW, "green": GREEN, "绿": GREEN, "绿灯": GREEN, "blue": BLUE,
                 "蓝": BLUE, "蓝灯": BLUE}

CONTINUE = "继续执行"
ADJUST = "调减预算并同步调整绩效目标"
SUSPEND = "暂停项目实施/调减预算/停止拨付"
RESPONSES = (CONTINUE, ADJUST, SUSPEND)
CAUSE_OBJECTIVE, CAUSE_SERIOUS = "objective", "serious"

# Serious problems a monitoring snapshot may record against an indicator (136号: violations of
# financial discipline, losses, risks). Codes are the data; the labels are shown to learners.
SERIOUS_PROBLEMS: dict[str, str] = {
    "illegal_subcontracting": gettext_noop("Illegal subcontracting or transfer of the contract"),
    "misappropriation": gettext_noop("Project funds diverted or misappropriated"),
    "fraudulent_claims": gettext_noop("False claims or fraudulently obtained funds"),
    "major_accident": gettext_noop("Major safety or quality accident"),
    "major_loss": gettext_noop("Major loss or risk of loss"),
    "target_unreachable": gettext_noop("The performance target can no longer be reached"),
}

QUALITATIVE_LIGHTS = {"达到": GREEN, "达成": GREEN, "达到预期目标": GREEN,
                      "部分达到": YELLOW, "部分达成": YELLOW, "部分达到并具备一定效果": YELLOW,
                      "未达到": RED, "未达成": RED}

ERR_MONTH = gettext_noop("The month must be a whole number from 1 to 12.")
ERR_VALUE = gettext_noop("Target and actual must both be numbers or both dates.")
ERR_QUALITATIVE = gettext_noop("Unknown qualitative progress (use 达到, 部分达到 or 未达到).")
ERR_CAUSE = gettext_noop("A yellow or red light needs a cause: objective or serious.")
ERR_PROBLEM = gettext_noop("Unknown serious problem {code}; use one of: {codes}.")


class MonitoringError(ValueError):
    """Unusable monitoring input."""


def _fraction(value) -> Fraction | None:
    number = parse_number(value)
    if number is None or not math.isfinite(number):
        return None
    return Fraction(str(number))


def _in_range(op: str, target, actual) -> bool:
    if op in (">=", ""):
        return actual >= target
    if op == ">":
        return actual > target
    if op == "<=":
        return actual <= target
    if op == "<":
        return actual < target
    return actual == target


def traffic_light(*, month: int, level1: str, level2: str, op: str, target, actual,
                  config: CheckerConfig | None = None) -> str:
    """The light of one indicator at the end of `month` given its annual target and progress."""
    config = config or default_config()
    if isinstance(month, str) and month.strip().isdigit():
        month = int(month.strip())
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        raise MonitoringError(_(ERR_MONTH))
    op = normalise_op(op) or ""
    l1, l2 = level_key(level1), level_key(level2)
    if op == "qualitative":
        light = QUALITATIVE_LIGHTS.get(str(actual or "").strip())
        if light is None:
            raise MonitoringError(_(ERR_QUALITATIVE))
        return light
    target_date, actual_date = parse_date(target), parse_date(actual)
    if target_date or actual_date:
        if not (isinstance(target_date, dt.date) and isinstance(actual_date, dt.date)):
            raise MonitoringError(_(ERR_VALUE))
        return GREEN if _in_range(op, target_date, actual_date) else RED
    target_f, actual_f = _fraction(target), _fraction(actual)
    if target_f is None or actual_f is None:
        raise MonitoringError(_(ERR_VALUE))
    time_proportional = l2 == config.quantity_level2 or l1 in (
        config.benefit_level1, config.satisfaction_level1)
    if not time_proportional or op in ("<=", "<") or target_f <= 0:
        return GREEN if _in_range(op, target_f, actual_f) else RED
    benchmark = target_f * month / 12
    ratio = actual_f / benchmark
    if ratio < Fraction(str(config.monitoring_red_below)):
        return RED
    if ratio < Fraction(str(config.monitoring_green_from)):
        return YELLOW
    if ratio < Fraction(str(config.monitoring_blue_from)):
        return GREEN
    return BLUE


def problem_codes(problems) -> list[str]:
    """The serious-problem codes of a snapshot row, validated; MonitoringError on unknown ones."""
    if problems in (None, ""):
        return []
    items = [problems] if isinstance(problems, str) else problems
    if not isinstance(items, list | tuple):
        items = [items]
    codes: list[str] = []
    for code in items:
        if not isinstance(code, str) or code not in SERIOUS_PROBLEMS:
            raise MonitoringError(_(ERR_PROBLEM).format(code=str(code)[:40],
                                                        codes=", ".join(SERIOUS_PROBLEMS)))
        if code not in codes:
            codes.append(code)
    return codes


def problem_labels(problems) -> list[str]:
    """The learner-facing names of the serious problems recorded on a row."""
    return [_(SERIOUS_PROBLEMS[code]) for code in problem_codes(problems)]


def deviation_response(*, light: str, cause: str | None = None, problems=()) -> str:
    """The response key: suspend on a serious problem whatever the light; otherwise continue
    (green/blue) or adjust (yellow/red with an objective cause)."""
    light = LIGHT_ALIASES.get(str(light).strip().lower(), LIGHT_ALIASES.get(str(light).strip()))
    if problem_codes(problems) or cause == CAUSE_SERIOUS:
        return SUSPEND
    if light in (GREEN, BLUE):
        return CONTINUE
    if cause == CAUSE_OBJECTIVE:
        return ADJUST
    raise MonitoringError(_(ERR_CAUSE))


@dataclass
class MonitoringCheck:
    """One row of a learner's monitoring answer against the key."""

    row: int
    expected_light: str
    given_light: str
    light_correct: bool
    expected_response: str
    given_response: str
    response_correct: bool

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def check_monitoring_answers(*, month: int, rows: list[dict], answers: list[dict],
                             config: CheckerConfig | None = None) -> list[MonitoringCheck]:
    """Grade lights and responses; rows carry level1/level2/op/target/actual/cause/problems."""
    checks = []
    for position, row in enumerate(rows):
        light = traffic_light(month=month, level1=row.get("level1", ""),
                              level2=row.get("level2", ""), op=row.get("op", ""),
                              target=row.get("target"), actual=row.get("actual"), config=config)
        response = deviation_response(light=light, problems=row.get("problems"),
                                      cause=row.get("cause") or (
                                          None if light in (GREEN, BLUE) else CAUSE_OBJECTIVE))
        answer = answers[position] if position < len(answers) and \
            isinstance(answers[position], dict) else {}
        given_light = LIGHT_ALIASES.get(str(answer.get("light") or "").strip().lower(),
                                        LIGHT_ALIASES.get(str(answer.get("light") or "").strip(),
                                                          ""))
        given_response = str(answer.get("response") or "").strip()
        checks.append(MonitoringCheck(
            row=position + 1, expected_light=light, given_light=given_light,
            light_correct=given_light == light, expected_response=response,
            given_response=given_response, response_correct=given_response == response))
    return checks
