"""Authoring checks that warn an editor without refusing the save (pure, no queries).

An explanation that names option letters ("A、B、C 正确", "D 是错误观念") is right only in the
authoring order: a quiz that shuffles options shows the learner other letters, so the
explanation contradicts the page. The check is a warning, not an error, because a letter can
also be part of the subject matter (an "A 级" rating), which only the editor can tell apart."""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from quizzes import types

# A capital letter standing alone: not inside a Latin word or code (GDP, R08, 5A).
OPTION_LETTER = re.compile(r"(?<![A-Za-z0-9])([A-Z])(?![A-Za-z0-9])")

EXPLANATION_NAMES_LETTERS = _(
    "The explanation names option %(letters)s, but %(quizzes)s shows the options in a random "
    "order, so the letters point at other options: name the options by their text instead.")
QUIZ_EXPLANATIONS_NAME_LETTERS = _(
    "This quiz shows options in a random order, but the explanations of these questions name "
    "option letters, which will point at other options: %(questions)s. Name the options by "
    "their text instead.")
IMPORT_EXPLANATION_NAMES_LETTERS = _(
    "%(source)s: the explanation names option %(letters)s. Quizzes that shuffle options (the "
    "default) show them in another order: name the options by their text instead.")


def explanation_option_letters(*, explanation: str, choice_count: int) -> list[str]:
    """The option letters (A … the last option's letter) an explanation names, in order."""
    letters = [chr(65 + index) for index in range(min(choice_count, 26))]
    found: list[str] = []
    for match in OPTION_LETTER.finditer(unicodedata.normalize("NFKC", explanation or "")):
        letter = match.group(1)
        if letter in letters and letter not in found:
            found.append(letter)
    return found


def question_data_option_letters(data: types.QuestionData) -> list[str]:
    """The option letters a choice question's explanation names; [] for other kinds."""
    if data.kind not in (types.SINGLE, types.MULTIPLE):
        return []
    return explanation_option_letters(explanation=data.explanation,
                                      choice_count=len(data.choices))


def import_letter_warnings(questions: list[types.QuestionData]) -> list[str]:
    """One warning per imported choice question whose explanation names option letters."""
    warnings = []
    for data in questions:
        letters = question_data_option_letters(data)
        if letters:
            warnings.append(str(IMPORT_EXPLANATION_NAMES_LETTERS) % {
                "source": data.source or data.name or data.text[:30],
                "letters": "、".join(letters)})
    return warnings


EXAM_WINDOW_DISAGREES = _(
    "The exam “%(quiz)s” can be started %(quiz_window)s, but the home page announces the "
    "training window %(window)s. Learners would read different dates: give the exam the "
    "training window's opening and closing times.")
WINDOW_FROM_TO = _("from %(start)s to %(end)s")
WINDOW_FROM = _("from %(start)s")
WINDOW_UNTIL = _("until %(end)s")
WINDOW_ANY_TIME = _("at any time")


def window_text(*, start: str, end: str) -> str:
    """A window in words from its formatted ends (either may be empty), without the spaces a
    translation keeps around the dates for the sentence it goes into."""
    if start and end:
        text = str(WINDOW_FROM_TO) % {"start": start, "end": end}
    elif start:
        text = str(WINDOW_FROM) % {"start": start}
    elif end:
        text = str(WINDOW_UNTIL) % {"end": end}
    else:
        text = str(WINDOW_ANY_TIME)
    return text.strip()


def exam_window_warning(*, quiz, window) -> str:
    """The warning for an exam whose availability differs from the announced training window."""
    from quizzes.services import local_minute

    return str(EXAM_WINDOW_DISAGREES) % {
        "quiz": quiz.title,
        "quiz_window": window_text(
            start=local_minute(quiz.opens_at) if quiz.opens_at else "",
            end=local_minute(quiz.closes_at) if quiz.closes_at else ""),
        "window": window_text(start=window.start.isoformat() if window.start else "",
                              end=window.end.isoformat() if window.end else "")}
