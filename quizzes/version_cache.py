"""Question versions and their choices, kept in each process's memory (issue 12).

A question version is written once with its choices and never edited: an edit makes a new
version (`services._version_write`). So what an exam page shows of a version and what grading
needs of it can be kept once per process instead of being read, turned into model instances and
escaped again on every page view and every submit. On exam day 3,000 takers see the same ~100
versions.

Entries are keyed by version id and checked against the version's creation time, which every
caller reads with its attempt questions (a join on the primary key): a restored database or a
test database that gives a new version an old version's id never also gives it the same
creation time. A version that is not in memory is loaded with its choices in one query for all
missing versions at once. The figure is the one thing a version refers to that can change (an
image can be deleted): only its id is kept, and pages with a figure render through the template.

Nothing here is shown to a learner by itself: `correct` flags, accepted blanks, the true/false
answer and explanations are for grading and for review after grading only; the attempt page
takes `text_html`, `segments` and `choice_html`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.template.defaultfilters import linebreaksbr
from django.utils.html import escape

from quizzes import grading
from quizzes.models import Kind, QuestionVersion

# About 2 KB each with a few choices: 5,000 versions are ~10 MB per process, beyond any exam.
MAX_ENTRIES = 5000


@dataclass(frozen=True, slots=True)
class ChoiceData:
    id: int
    order: int
    text: str
    is_correct: bool
    feedback: str
    # The text escaped for HTML (it is shown as given: no line breaks in an option).
    html: str


@dataclass(frozen=True, slots=True)
class VersionData:
    id: int
    created_at: float
    question_id: int
    kind: str
    text: str
    points: Decimal
    explanation: str
    figure_id: int | None
    answer_true: bool | None
    blanks: tuple[tuple[str, ...], ...]
    reference_answer: str
    choices: tuple[ChoiceData, ...]
    # For the attempt page: the stem escaped with its line breaks (every kind but fill-in), and
    # a fill-in stem's pieces as (escaped text with line breaks, blank index or None).
    text_html: str
    segments: tuple[tuple[str, int | None], ...]

    @property
    def choice_ids(self) -> list[int]:
        return [c.id for c in self.choices]

    @property
    def correct_choice_ids(self) -> set[int]:
        return {c.id for c in self.choices if c.is_correct}

    def choices_in(self, order: Iterable[int] | None) -> list[ChoiceData]:
        """The choices in an attempt's stored shuffle (authoring order for any not in it)."""
        if not order:
            return list(self.choices)
        position = {choice_id: index for index, choice_id in enumerate(order)}
        return sorted(self.choices, key=lambda c: (position.get(c.id, len(position)), c.order))


_entries: OrderedDict[int, VersionData] = OrderedDict()
_lock = threading.Lock()


def _stamp(created_at) -> float:
    return created_at.timestamp() if hasattr(created_at, "timestamp") else float(created_at)


def _build(data: dict, choices: list[ChoiceData]) -> VersionData:
    kind = data["question__kind"]
    text = data["text"]
    blanks = tuple(tuple(str(a) for a in blank) for blank in (data["blanks"] or []))
    segments: tuple = ()
    if kind == Kind.FILL:
        segments = tuple(
            (str(linebreaksbr(piece, autoescape=True)), blank)
            for piece, blank in grading.stem_segments(text, len(blanks)))
    return VersionData(
        id=data["pk"], created_at=_stamp(data["created_at"]), question_id=data["question_id"],
        kind=kind, text=text, points=data["points"], explanation=data["explanation"],
        figure_id=data["figure_id"], answer_true=data["answer_true"], blanks=blanks,
        reference_answer=data["reference_answer"],
        choices=tuple(sorted(choices, key=lambda c: c.order)),
        text_html=str(linebreaksbr(text, autoescape=True)),
        segments=segments)


_VERSION_FIELDS = ("pk", "created_at", "question_id", "question__kind", "text", "points",
                   "explanation", "figure_id", "answer_true", "blanks", "reference_answer")
_CHOICE_FIELDS = ("choices__id", "choices__order", "choices__text", "choices__is_correct",
                  "choices__feedback")


def _load(ids: list[int]) -> dict[int, VersionData]:
    """Missing versions with their choices in ONE query (a row per choice, or one row with no
    choice), as the attempt page's prefetch was before."""
    rows: dict[int, dict] = {}
    choices: dict[int, list[ChoiceData]] = {}
    for row in QuestionVersion.objects.filter(pk__in=ids).order_by().values_list(
            *_VERSION_FIELDS, *_CHOICE_FIELDS):
        pk = row[0]
        if pk not in rows:
            rows[pk] = dict(zip(_VERSION_FIELDS, row[:len(_VERSION_FIELDS)], strict=True))
            choices[pk] = []
        choice_id, order, text, is_correct, feedback = row[len(_VERSION_FIELDS):]
        if choice_id is not None:
            choices[pk].append(ChoiceData(id=choice_id, order=order, text=text,
                                          is_correct=is_correct, feedback=feedback,
                                          html=str(escape(text))))
    return {pk: _build(data, choices[pk]) for pk, data in rows.items()}


def versions_get(stamps: Mapping[int, object]) -> dict[int, VersionData]:
    """Per version id, its data; `stamps` maps each wanted version id to its creation time (a
    datetime or a POSIX timestamp), read by the caller with its rows. At most one query, none
    when every version is in memory already."""
    found: dict[int, VersionData] = {}
    missing: list[int] = []
    with _lock:
        for pk, created_at in stamps.items():
            entry = _entries.get(pk)
            if entry is not None and entry.created_at == _stamp(created_at):
                _entries.move_to_end(pk)
                found[pk] = entry
            else:
                missing.append(pk)
    if missing:
        loaded = _load(missing)
        with _lock:
            for pk, entry in loaded.items():
                _entries[pk] = entry
                _entries.move_to_end(pk)
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)
        found.update(loaded)
    return found


def clear() -> None:
    """Forget every entry (tests; nothing in the application needs it)."""
    with _lock:
        _entries.clear()
