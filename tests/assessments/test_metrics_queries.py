"""plan_participation and department_detail run a fixed number of queries, whatever the
number of departments, offices and learners."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.metrics import department_detail, plan_participation
from courses.services import plan_assign
from tests.assessments.conftest import (
    AFTER_MAKEUP,
    attempt_graded,
    course_complete,
    department_make,
    learner_make,
    submission_make,
)


def grow(world, departments: int = 5, per_office: int = 3) -> None:
    """More departments, each with offices of every kind, learners and their records."""
    for number in range(departments):
        _department, offices = department_make(f"9{number:02d}", sort_order=20 + number)
        for o, office in enumerate(offices):
            for i in range(per_office):
                position = ("finance", "business", "head")[o % 3]
                learner = learner_make(office, position, f"G{number:02d}{o}{i}")
                plan_assign(plan=world.plan)
                if i == 0:
                    course_complete(learner, world.courses[position], on=dt.date(2026, 5, 1))
                if position == "business":
                    attempt_graded(learner, world.exam, percent=50 + i, on=dt.date(2026, 5, 2))
                    submission_make(learner, world.exercise, score=60 + i,
                                    on=dt.date(2026, 5, 3))


def reads(number: int) -> int:
    """`number` reads, and on PostgreSQL the savepoint around `SET LOCAL jit = off`."""
    return number + (3 if connection.vendor == "postgresql" else 0)


def count(function) -> int:
    with CaptureQueriesContext(connection) as queries:
        function()
    return len(queries.captured_queries)


def test_plan_participation_queries_do_not_grow(world):
    small = count(lambda: plan_participation(plan=world.plan, today=AFTER_MAKEUP))
    # Plan requirements, practice quizzes, goal-setting exercises, departments, offices, the
    # grouped learners and requirements (one statement), identical submissions.
    assert small == reads(7)
    grow(world)
    results = []
    large = count(lambda: results.extend(plan_participation(plan=world.plan,
                                                            today=AFTER_MAKEUP)))
    assert len(results) == 9
    assert large == small


def test_department_detail_queries_do_not_grow(world):
    department = world.departments["A"]
    small = count(lambda: department_detail(plan=world.plan, department=department,
                                            today=AFTER_MAKEUP))
    assert small == reads(11)  # the 7 above; learners, their assignments, exemptions, enrolments
    # More learners and offices in the same department, and more departments elsewhere.
    grow(world, departments=2)
    for i in range(6):
        learner = learner_make(world.offices["a_bus3"], "business", f"X{i:03d}")
        plan_assign(plan=world.plan)
        course_complete(learner, world.courses["business"], on=dt.date(2026, 6, 1))
    large = count(lambda: department_detail(plan=world.plan, department=department,
                                            today=AFTER_MAKEUP))
    assert large == small
