"""Pure grading rules: answer normalisation and points for each question kind (no queries)."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from quizzes import types

BLANK_MARK = re.compile(r"\{\{(\d+)\}\}")
CENT = Decimal("0.01")


def fold(text: str) -> str:
    """Compare fill-in answers: full-width folded to half-width, trimmed, spaces collapsed,
    case-insensitive."""
    return " ".join(unicodedata.normalize("NFKC", str(text)).split()).casefold()


def quantize(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def grade(*, kind: str, points: Decimal, answer: dict | None, correct_choice_ids: set[int],
          choice_ids: set[int], answer_true: bool | None, blanks: list[list[str]],
          partial_multiple: bool) -> tuple[bool | None, Decimal | None]:
    """Return (is_correct, awarded) for one answer; essays return (None, None) for a marker."""
    points = Decimal(points)
    if kind == types.ESSAY:
        return None, None
    answer = answer or {}
    if kind == types.SINGLE:
        chosen = set(answer.get("choices") or [])
        ok = len(chosen) == 1 and chosen == correct_choice_ids
        return ok, points if ok else Decimal("0")
    if kind == types.MULTIPLE:
        chosen = set(answer.get("choices") or [])
        if chosen == correct_choice_ids and chosen:
            return True, points
        if not partial_multiple or not correct_choice_ids:
            return False, Decimal("0")
        # Partial credit: each right option earns its share, each wrong option cancels one share.
        right = len(chosen & correct_choice_ids)
        wrong = len(chosen - correct_choice_ids)
        share = max(0, right - wrong) / len(correct_choice_ids)
        return False, quantize(points * Decimal(share))
    if kind == types.TRUE_FALSE:
        value = answer.get("value")
        ok = value is not None and answer_true is not None and bool(value) == answer_true
        return ok, points if ok else Decimal("0")
    if kind == types.FILL:
        given = list(answer.get("blanks") or [])
        if not blanks:
            return False, Decimal("0")
        hits = 0
        for index, accepted in enumerate(blanks):
            value = fold(given[index]) if index < len(given) else ""
            if value and value in {fold(a) for a in accepted}:
                hits += 1
        if hits == len(blanks):
            return True, points
        return False, quantize(points * Decimal(hits) / Decimal(len(blanks)))
    return False, Decimal("0")


def stem_segments(text: str, blank_count: int) -> list[tuple[str, int | None]]:
    """Split a fill-in stem into text pieces and blank positions (0-based); a stem without
    markers gets its blanks at the end."""
    segments: list[tuple[str, int | None]] = []
    position = 0
    found = False
    for match in BLANK_MARK.finditer(text):
        found = True
        segments.append((text[position:match.start()], None))
        segments.append(("", int(match.group(1)) - 1))
        position = match.end()
    segments.append((text[position:], None))
    if not found:
        segments.extend(("", index) for index in range(blank_count))
    return segments


def blank_marks(text: str) -> list[int]:
    return [int(m) for m in BLANK_MARK.findall(text)]
