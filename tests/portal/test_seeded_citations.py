"""Seeded content a learner reads cites the real documents, never the project's own files.

Explanations, case texts, policy summaries, exercise instructions and the goal-table checker's
messages may cite 中发〔2018〕34号, 财预〔2020〕10号 … or nothing; "REPORT.md §3.4", "[I]" and
other research-note markers are internal and must not reach a learner.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from casebook.demo_cases import CASES
from casebook.demo_indicators import INDICATORS
from casebook.exercises.demo_exercises import EXERCISES
from casebook.rules.checker import RULES, check_goal_table
from casebook.rules.mutations import MUTATORS, MutationError, mutate_table
from casebook.rules.table import GoalTable
from portal.demo_policies import POLICIES
from quizzes.demo_questions import QUESTIONS

INTERNAL_CITATION = re.compile(
    r"REPORT|\.md\b|§|\[(?:S|G|I|Seed)\]|shared/|cases_illustrative|selfeval_example")
TABLE_KEYS = ("framework", "overall_goal", "annual_goal", "budget_wan", "indicators")


def texts(value, where: str):
    """Every string inside `value` (dicts, lists, dataclasses), with a path saying where."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from texts(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from texts(item, f"{where}[{index}]")


def internal_citations(items) -> list[str]:
    return [f"{where}: …{text[max(0, m.start() - 30):m.end() + 30]}…"
            for where, text in items for m in [INTERNAL_CITATION.search(text)] if m]


def checker_messages():
    """Findings on every demo case's reference table and on tables with each kind of mistake."""
    for case in CASES:
        table = GoalTable.from_dict({key: case[key] for key in TABLE_KEYS if key in case})
        for finding in check_goal_table(table).findings:
            yield f"{case['code']}.{finding.rule}", finding.message
        for kind in MUTATORS:
            try:
                mutated, _key = mutate_table(table, seed=1, k=1, kinds=[kind])
            except MutationError:
                continue
            for finding in check_goal_table(mutated).findings:
                yield f"{case['code']}+{kind}.{finding.rule}", finding.message


def test_the_detector_catches_an_internal_report_citation():
    sample = [("q1", "把控制率放在质量指标下是常见错误（REPORT.md §3.4 规则R11）。"),
              ("q2", "结论线为本平台示例规则（[I]）。"), ("q3", "依据财预〔2020〕10号。")]
    assert [line.split(":")[0] for line in internal_citations(sample)] == ["q1", "q2"]


@pytest.mark.parametrize("name, content", [
    ("questions", QUESTIONS), ("cases", CASES), ("policies", POLICIES),
    ("exercises", EXERCISES), ("indicators", INDICATORS),
])
def test_seeded_content_cites_real_documents_not_internal_files(name, content):
    found = internal_citations(texts(content, name))
    assert not found, "\n".join(found[:20])


def test_checker_messages_and_rule_bases_cite_no_internal_file():
    bases = [(f"RULES.{rule}", f"{title} {basis}") for rule, (title, basis) in RULES.items()]
    messages = list(checker_messages())
    assert len(messages) > 50  # the mutations really produced findings to read
    found = internal_citations(bases + messages)
    assert not found, "\n".join(found[:20])
