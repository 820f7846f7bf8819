"""Plain data for questions crossing the app's edges: importers produce it, exporters consume it,
the question-bank services persist it, demo content is written in it. No Django imports."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

# Question kinds (the stored values of Question.kind).
SINGLE = "single"          # 单选
MULTIPLE = "multiple"      # 多选
TRUE_FALSE = "truefalse"   # 判断
FILL = "fill"              # 填空 (one or more blanks, each with accepted alternatives)
ESSAY = "essay"            # 简答/论述 (manual marking)
KINDS = (SINGLE, MULTIPLE, TRUE_FALSE, FILL, ESSAY)

EASY, MEDIUM, HARD = "easy", "medium", "hard"  # 易/中/难
DIFFICULTIES = (EASY, MEDIUM, HARD)


@dataclass
class ChoiceData:
    """One option of a single/multiple choice question."""

    text: str
    correct: bool = False
    feedback: str = ""


@dataclass
class QuestionData:
    """A question as plain data.

    - SINGLE: exactly one correct choice; MULTIPLE: one or more correct choices.
    - TRUE_FALSE: `answer_true` is True/False; `choices` empty.
    - FILL: the stem marks each blank with `{{1}}`, `{{2}}` … in order (or ends with one blank
      when it has none, e.g. imported Moodle short answers); `blanks[i]` lists the accepted
      answers of blank i+1 (compared after trimming, case-insensitively, full-width/half-width
      folded).
    - ESSAY: `reference_answer` guides markers; never shown to learners before grading.
    `category` is a path "事前评估/基础知识" ("/" separates levels). `source` says where it came
    from for error messages ("第 5 行", "question 'name' in file.xml").
    """

    kind: str
    text: str
    choices: list[ChoiceData] = field(default_factory=list)
    answer_true: bool | None = None
    blanks: list[list[str]] = field(default_factory=list)
    reference_answer: str = ""
    points: Decimal = Decimal("1")
    difficulty: str = MEDIUM
    explanation: str = ""
    category: str = ""
    tags: list[str] = field(default_factory=list)
    name: str = ""
    source: str = ""
