"""Quiz results and item statistics, as Moodle's quiz statistics report defines them.

Pure Python with no models: `quizzes.selectors.quiz_statistics_rows` fetches the rows, the admin
report and its XLSX export render what `quiz_statistics` returns, and the tests compare it with
a hand computation.

Definitions (Moodle, "Quiz statistics calculations"):
- facility index: the mean of (mark / maximum mark) over the attempts that showed the item;
- discrimination index: the Pearson correlation between the item's mark and the rest of the
  test (the attempt's total minus the item's mark) over those attempts; Moodle prints it as a
  percentage (100 r). Undefined (None) with fewer than two attempts or when either side does
  not vary, as in Moodle;
- each attempt included counts as independent, even several by one learner.

Which attempts: every graded attempt by default (`ALL_GRADED`); `FIRST_GRADED` keeps each
learner's first graded attempt, the statistically cleaner choice Moodle defaults to. We default
to all because our quizzes are short, retaken often and taken by small groups, where dropping
retakes leaves too few attempts for the item statistics to say anything.
"""

from __future__ import annotations

import math
import statistics as pystats
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

ALL_GRADED = "all"
FIRST_GRADED = "first"
ATTEMPT_SELECTIONS = (ALL_GRADED, FIRST_GRADED)

HIGHEST = "highest"
LATEST = "latest"

FACILITY_LOW = 0.2
FACILITY_HIGH = 0.95
FLAG_TOO_HARD = "too_hard"
FLAG_TOO_EASY = "too_easy"
FLAG_NEGATIVE_DISCRIMINATION = "negative_discrimination"

DISTRIBUTION_BANDS = 10


@dataclass(frozen=True)
class AttemptRow:
    """One graded attempt: whose, which number, when submitted, its percent and pass/fail."""

    attempt_id: int
    learner_id: int
    number: int
    submitted_at: datetime | None
    percent: float
    passed: bool


@dataclass(frozen=True)
class ResponseRow:
    """One item of one attempt: the mark it earned out of its maximum, whether anything was
    given, and the option keys chosen (choice and true/false items)."""

    attempt_id: int
    item_id: int
    mark: float
    max_mark: float
    answered: bool
    chosen: frozenset[str] = frozenset()


@dataclass(frozen=True)
class OptionInfo:
    key: str
    label: str
    correct: bool


@dataclass(frozen=True)
class ItemInfo:
    """A question as the report names it, with the options whose choices it counts."""

    item_id: int
    text: str
    kind: str
    options: tuple[OptionInfo, ...] = ()


@dataclass(frozen=True)
class OptionCount:
    key: str
    label: str
    correct: bool
    count: int
    share: float


@dataclass(frozen=True)
class ItemStatistics:
    """Facility, discrimination, option frequencies and blanks of one question."""

    item: ItemInfo
    position: int
    attempts: int
    facility: float | None
    standard_deviation: float | None
    discrimination: float | None
    blanks: int
    options: tuple[OptionCount, ...]
    flags: tuple[str, ...]

    @property
    def blank_share(self) -> float:
        return self.blanks / self.attempts if self.attempts else 0.0


@dataclass(frozen=True)
class Band:
    """Attempts whose percent lies in [low, high) (the last band includes 100)."""

    low: int
    high: int
    count: int
    share: float


@dataclass(frozen=True)
class QuizStatistics:
    """The whole report: who and how many, the scores, their distribution and every item."""

    selection: str
    attempts: int
    participants: int
    passed_participants: int
    average: float | None
    median: float | None
    best: float | None
    standard_deviation: float | None
    distribution: tuple[Band, ...]
    items: tuple[ItemStatistics, ...] = field(default_factory=tuple)

    @property
    def pass_rate(self) -> float | None:
        return self.passed_participants / self.participants if self.participants else None

    @property
    def flagged_items(self) -> tuple[ItemStatistics, ...]:
        return tuple(item for item in self.items if item.flags)


def attempts_selected(*, attempts: Iterable[AttemptRow], selection: str) -> list[AttemptRow]:
    """The attempts the report analyses: all of them, or each learner's first."""
    if selection not in ATTEMPT_SELECTIONS:
        raise ValueError(f"unknown attempt selection {selection!r}")
    rows = sorted(attempts, key=lambda a: (a.learner_id, a.number, a.attempt_id))
    if selection == ALL_GRADED:
        return rows
    first: dict[int, AttemptRow] = {}
    for row in rows:
        first.setdefault(row.learner_id, row)
    return list(first.values())


def counting_attempts(*, attempts: Iterable[AttemptRow], grading_method: str
                      ) -> dict[int, AttemptRow]:
    """Per learner, the attempt that counts by the quiz's grading method (highest percent,
    earliest on ties; or the latest submitted), as `quizzes.selectors.attempt_result` does."""
    counting: dict[int, AttemptRow] = {}
    for row in attempts:
        held = counting.get(row.learner_id)
        if held is None:
            counting[row.learner_id] = row
        elif grading_method == LATEST:
            if _submitted_key(row) > _submitted_key(held):
                counting[row.learner_id] = row
        elif (row.percent, -_ordinal(row)) > (held.percent, -_ordinal(held)):
            counting[row.learner_id] = row
    return counting


def _ordinal(row: AttemptRow) -> float:
    return row.submitted_at.timestamp() if row.submitted_at else float(row.number)


def _submitted_key(row: AttemptRow) -> tuple:
    return (_ordinal(row), row.attempt_id)


def _sample_sd(values: Sequence[float]) -> float | None:
    return pystats.stdev(values) if len(values) > 1 else None


def correlation(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r; None with fewer than two pairs or when either side is constant."""
    n = len(xs)
    if n < 2 or n != len(ys):
        return None
    mean_x, mean_y = math.fsum(xs) / n, math.fsum(ys) / n
    covariance = math.fsum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    spread_x = math.fsum((x - mean_x) ** 2 for x in xs)
    spread_y = math.fsum((y - mean_y) ** 2 for y in ys)
    if spread_x <= 1e-12 or spread_y <= 1e-12:
        return None
    return covariance / math.sqrt(spread_x * spread_y)


def score_distribution(percents: Iterable[float], *, bands: int = DISTRIBUTION_BANDS
                       ) -> tuple[Band, ...]:
    """Counts of percents in equal bands from 0 to 100."""
    width = 100 / bands
    counts = [0] * bands
    total = 0
    for percent in percents:
        index = min(int(max(percent, 0) // width), bands - 1)
        counts[index] += 1
        total += 1
    return tuple(Band(round(i * width), round((i + 1) * width), count,
                      count / total if total else 0.0) for i, count in enumerate(counts))


def item_flags(*, facility: float | None, discrimination: float | None) -> tuple[str, ...]:
    """Why an editor should look at the question: too hard, too easy, or the stronger
    learners do worse on it than the weaker ones."""
    flags = []
    if facility is not None and facility < FACILITY_LOW:
        flags.append(FLAG_TOO_HARD)
    if facility is not None and facility > FACILITY_HIGH:
        flags.append(FLAG_TOO_EASY)
    if discrimination is not None and discrimination < 0:
        flags.append(FLAG_NEGATIVE_DISCRIMINATION)
    return tuple(flags)


def _item_statistics(item: ItemInfo, position: int, rows: list[ResponseRow],
                     totals: dict[int, float]) -> ItemStatistics:
    count = len(rows)
    fractions = [row.mark / row.max_mark if row.max_mark else 0.0 for row in rows]
    facility = math.fsum(fractions) / count if count else None
    discrimination = correlation([row.mark for row in rows],
                                 [totals[row.attempt_id] - row.mark for row in rows])
    chosen: dict[str, int] = {}
    for row in rows:
        for key in row.chosen:
            chosen[key] = chosen.get(key, 0) + 1
    options = tuple(OptionCount(option.key, option.label, option.correct,
                                chosen.get(option.key, 0),
                                chosen.get(option.key, 0) / count if count else 0.0)
                    for option in item.options)
    return ItemStatistics(
        item=item, position=position, attempts=count, facility=facility,
        standard_deviation=_sample_sd(fractions), discrimination=discrimination,
        blanks=sum(1 for row in rows if not row.answered), options=options,
        flags=item_flags(facility=facility, discrimination=discrimination))


def quiz_statistics(*, attempts: Iterable[AttemptRow], responses: Iterable[ResponseRow],
                    items: Sequence[ItemInfo], grading_method: str = HIGHEST,
                    selection: str = ALL_GRADED) -> QuizStatistics:
    """The results report of one quiz from its graded attempts and their item rows; `items`
    gives the order and names of the questions (responses to others are ignored)."""
    chosen_attempts = attempts_selected(attempts=attempts, selection=selection)
    included = {row.attempt_id for row in chosen_attempts}
    by_item: dict[int, list[ResponseRow]] = {item.item_id: [] for item in items}
    totals: dict[int, float] = dict.fromkeys(included, 0.0)
    for row in responses:
        if row.attempt_id not in included:
            continue
        # The rest-of-test score counts every item of the attempt, named or not.
        totals[row.attempt_id] += row.mark
        if row.item_id in by_item:
            by_item[row.item_id].append(row)
    percents = [row.percent for row in chosen_attempts]
    counting = counting_attempts(attempts=chosen_attempts, grading_method=grading_method)
    return QuizStatistics(
        selection=selection,
        attempts=len(chosen_attempts),
        participants=len(counting),
        passed_participants=sum(1 for row in counting.values() if row.passed),
        average=math.fsum(percents) / len(percents) if percents else None,
        median=pystats.median(percents) if percents else None,
        best=max(percents) if percents else None,
        standard_deviation=_sample_sd(percents),
        distribution=score_distribution(percents),
        items=tuple(_item_statistics(item, position, by_item[item.item_id], totals)
                    for position, item in enumerate(items, start=1)),
    )
