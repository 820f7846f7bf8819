"""事前绩效评估 (ex-ante assessment), domain report §1.5: five aspects × 20 points.

Conclusion (illustrative defaults, configurable): total >= 80 予以支持; 60 <= total < 80
调整完善后支持; total < 60 不予支持. `check_aspect_mapping` grades a learner's mapping of review
findings to aspects against a key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from casebook.rules.config import CheckerConfig, default_config
from casebook.rules.i18n import gettext as _
from casebook.rules.i18n import gettext_noop
from casebook.rules.table import parse_number

ASPECTS = ("立项必要性", "投入经济性", "绩效目标合理性", "实施方案可行性", "筹资合规性")
SUPPORT, CONDITIONAL, REJECT = "予以支持", "调整完善后支持", "不予支持"

# Typical review findings and the aspect each belongs to (a starting key for exercises).
TYPICAL_FINDINGS = {
    "项目与部门职责不符或与已有项目重复": "立项必要性",
    "缺少立项依据的政策文件或规划": "立项必要性",
    "预算测算明细缺失或单价高于支出标准": "投入经济性",
    "资金规模与工作量不匹配": "投入经济性",
    "绩效目标模糊、指标不可衡量": "绩效目标合理性",
    "产出与效益指标不对应，缺少满意度指标": "绩效目标合理性",
    "未提供可行性研究报告或实施方案": "实施方案可行性",
    "实施进度安排不合理、组织保障不明确": "实施方案可行性",
    "未提供资金来源文件或配套资金未落实": "筹资合规性",
    "资金来源不符合规定（如违规举债）": "筹资合规性",
}

ERR_ASPECT = gettext_noop("Unknown aspect {name!r}.")
ERR_POINTS = gettext_noop("The points of {name} must be a number from 0 to {limit}.")
ERR_MISSING = gettext_noop("Aspect {name} has no score.")


class ExAnteError(ValueError):
    """Unusable ex-ante scores; `messages` lists every problem."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


@dataclass
class ExAnteResult:
    """Aspect scores, total and conclusion."""

    aspects: dict[str, float]
    total: float
    conclusion: str

    def to_dict(self) -> dict:
        return {"aspects": dict(self.aspects), "total": self.total, "conclusion": self.conclusion}


def conclusion_for(total: float, config: CheckerConfig | None = None) -> str:
    config = config or default_config()
    if total >= config.exante_support_from:
        return SUPPORT
    if total >= config.exante_conditional_from:
        return CONDITIONAL
    return REJECT


def exante_assess(scores: dict, config: CheckerConfig | None = None) -> ExAnteResult:
    """Total the five aspect scores (0–20 each) and draw the conclusion."""
    config = config or default_config()
    limit = config.exante_aspect_points
    errors: list[str] = []
    if not isinstance(scores, dict):
        scores = {}
    for name in scores:
        if name not in ASPECTS:
            errors.append(_(ERR_ASPECT).format(name=str(name)[:40]))
    aspects: dict[str, float] = {}
    for name in ASPECTS:
        if name not in scores:
            errors.append(_(ERR_MISSING).format(name=name))
            continue
        number = parse_number(scores[name])
        if number is None or not math.isfinite(number) or not 0 <= number <= limit:
            errors.append(_(ERR_POINTS).format(name=name, limit=f"{limit:g}"))
            continue
        aspects[name] = number
    if errors:
        raise ExAnteError(errors)
    total = round(sum(aspects.values()), 2)
    return ExAnteResult(aspects=aspects, total=total, conclusion=conclusion_for(total, config))


@dataclass
class MappingResult:
    """Correct mappings out of the key, with the wrong ones listed."""

    correct: int
    total: int
    wrong: dict[str, str] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return round(100 * self.correct / self.total, 2) if self.total else 0.0


def check_aspect_mapping(key: dict[str, str], answers: dict) -> MappingResult:
    """Compare a learner's finding→aspect mapping with the key (missing answers are wrong)."""
    answers = answers if isinstance(answers, dict) else {}
    correct = 0
    wrong: dict[str, str] = {}
    for finding, aspect in key.items():
        if answers.get(finding) == aspect:
            correct += 1
        else:
            wrong[finding] = aspect
    return MappingResult(correct=correct, total=len(key), wrong=wrong)
