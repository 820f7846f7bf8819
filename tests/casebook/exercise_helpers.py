"""Helpers of the exercise tests: demo case data, exercises, learners and form posts."""

from __future__ import annotations

import copy

from casebook.demo_cases import CASES
from casebook.exercises.forms import ROW_FIELDS
from casebook.models import Exercise

from .factories import CLEAN_ROWS, case_data

ANNUAL_GOAL = ("2025年完成12所学校共5000平方米校舍维修改造，开学前完工并验收合格，"
               "改善8600名学生学习条件。")


def demo_case(code: str) -> dict:
    """A copy of one demo case (with a fresh unique code so tests can create it freely)."""
    data = copy.deepcopy(next(case for case in CASES if case["code"] == code))
    fresh = case_data()
    data["code"], data["title"] = fresh["code"], fresh["title"]
    return data


def make_exercise(case, kind: str = "goal_setting", **fields) -> Exercise:
    options = {"title": f"练习 {kind}", "published": True, "pass_mark": 60}
    options.update(fields)
    exercise = Exercise(case=case, kind=kind, **options)
    exercise.full_clean()
    exercise.save()
    return exercise


def table_post(rows=None, *, annual_goal: str = ANNUAL_GOAL, overall_goal: str | None = None
               ) -> dict:
    """The editor's POST fields for `rows` (interchange dicts)."""
    rows = copy.deepcopy(CLEAN_ROWS) if rows is None else rows
    data = {"annual_goal": annual_goal}
    if overall_goal is not None:
        data["overall_goal"] = overall_goal
    for index, row in enumerate(rows):
        for field in ROW_FIELDS:
            data[f"ind-{index}-{field}"] = row.get(field, "") or ""
    return data
