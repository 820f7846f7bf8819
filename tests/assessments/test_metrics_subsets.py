"""The grouped SQL of `assessments.metrics` gives a department the same numbers whether it is
read alone (each table's facts filtered by department before grouping), with every department
(no filter before the join to the learners) or as one of the departments a plan targets."""

from __future__ import annotations

import pytest

from assessments.metrics import plan_participation
from tests.assessments.conftest import AFTER_MAKEUP, BEFORE_DUE


def by_code(participations) -> dict:
    return {p.code: (p.as_json(), p.exact) for p in participations}


@pytest.mark.parametrize("today", [BEFORE_DUE, AFTER_MAKEUP])
def test_a_department_alone_has_the_numbers_it_has_among_all(world, today):
    everyone = by_code(plan_participation(plan=world.plan, today=today))
    assert len(everyone) == len(world.departments)
    for department in world.departments.values():
        alone = plan_participation(plan=world.plan, department_ids=[department.pk], today=today)
        assert by_code(alone) == {department.code: everyone[department.code]}


def test_targeted_departments_have_the_numbers_of_an_all_departments_plan(world):
    everyone = by_code(plan_participation(plan=world.plan, today=AFTER_MAKEUP))
    world.plan.all_departments = False
    world.plan.departments.set(list(world.departments.values()))
    world.plan.save()  # a ParentalManyToManyField is written on save
    assert by_code(plan_participation(plan=world.plan, today=AFTER_MAKEUP)) == everyone
    world.plan.departments.set([world.departments["A"], world.departments["B"]])
    world.plan.save()
    some = by_code(plan_participation(plan=world.plan, today=AFTER_MAKEUP))
    assert some == {code: everyone[code] for code in ("101", "201")}
