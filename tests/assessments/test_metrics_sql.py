"""The grouped SQL of `assessments.metrics` agrees with `courses.selectors.plan_assignment_states`
(the one definition of a requirement's status) on a mixed data set, including completions on
both sides of the window's edges in the site's time zone."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest

from assessments.metrics import plan_participation, plan_window
from courses.selectors import DONE_STATUSES, RequirementStatus, plan_assignment_states
from departments.models import Learner
from tests.assessments.conftest import (
    AFTER_MAKEUP,
    BEFORE_DUE,
    MAKEUP,
    OPENS,
    course_complete,
    exempt,
    learner_make,
    local,
)


def expected_from_states(plan, today):
    """Per department and requirement (completed, overdue, exempt) and per department the
    completed learners, from the per-assignment statuses."""
    learners = {row["user_id"]: row for row in Learner.objects.filter(
        is_active=True, user__is_active=True).values(
            "user_id", "office__unit__department__code")}
    table = defaultdict(Counter)
    statuses = defaultdict(list)
    for state in plan_assignment_states(plan=plan, today=today):
        if state.user_id not in learners:
            continue
        code = learners[state.user_id]["office__unit__department__code"]
        key = (code, state.requirement_id)
        if state.status == RequirementStatus.EXEMPT:
            table[key]["exempt"] += 1
        else:
            table[key]["required"] += 1
            table[key]["completed"] += state.status in DONE_STATUSES
            table[key]["overdue"] += state.status == RequirementStatus.OVERDUE
        statuses[(code, state.user_id)].append(state.status)
    completed = Counter()
    exempt_learners = Counter()
    for (code, _user), mine in statuses.items():
        open_ = [s for s in mine if s != RequirementStatus.EXEMPT]
        if not open_:
            exempt_learners[code] += 1
        elif all(s in DONE_STATUSES for s in open_):
            completed[code] += 1
    return table, completed, exempt_learners


@pytest.fixture
def mixed(world):
    """The world plus completions at the edges of the window and partial exemptions."""
    office = world.offices["a_bus2"]
    edges = {
        "S101": local(OPENS, 0, 0, 0),                               # counts
        "S102": local(OPENS - dt.timedelta(days=1), 23, 59, 59),      # before: does not
        "S103": local(MAKEUP, 23, 59, 59),                            # late: counts
        "S104": local(MAKEUP + dt.timedelta(days=1), 0, 0, 0),        # after: does not
    }
    learners = {number: learner_make(office, "business", number) for number in edges}
    head = learner_make(world.offices["a_gen"], "head", "S105")
    from courses.services import plan_assign

    plan_assign(plan=world.plan)
    for number, at in edges.items():
        course_complete(learners[number], world.courses["business"], on=at)
    # C's only learner becomes exempt; a third head of A completes late (noon, make-up day).
    exempt(world.learners["c_fin"], world.plan)
    course_complete(head, world.courses["head"], on=local(MAKEUP, 12))
    return world


def test_window_is_local_midnight_to_midnight(world):
    start, end = plan_window(world.plan)
    assert start.isoformat() == "2026-03-01T00:00:00+08:00"
    assert end.isoformat() == "2027-01-01T00:00:00+08:00"


@pytest.mark.parametrize("today", [BEFORE_DUE, AFTER_MAKEUP])
def test_sql_agrees_with_plan_assignment_states(mixed, today):
    table, completed, exempt_learners = expected_from_states(mixed.plan, today)
    for participation in plan_participation(plan=mixed.plan, today=today):
        code = participation.code
        assert participation.completed_total == completed[code], code
        assert participation.exempt == exempt_learners[code], code
        for row in participation.requirements:
            counts = table[(code, row["requirement_id"])]
            assert (row["required"], row["completed"], row["overdue"], row["exempt"]) == (
                counts["required"], counts["completed"], counts["overdue"],
                counts["exempt"]), (code, row)


def test_window_edges_by_hand(mixed):
    a = {p.code: p for p in plan_participation(plan=mixed.plan, today=AFTER_MAKEUP)}["101"]
    # Business: a_bus1, S101, S103 done of a_bus1, a_bus2, a_bus5, S101–S104.
    assert (a.roster_by_position["business"], a.completed_by_position["business"]) == (7, 3)
    assert (a.roster_by_position["head"], a.completed_by_position["head"]) == (3, 2)
    c = {p.code: p for p in plan_participation(plan=mixed.plan, today=AFTER_MAKEUP)}["301"]
    assert (c.roster_total, c.exempt, c.flags) == (0, 1, [])
