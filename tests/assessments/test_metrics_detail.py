"""department_detail: units and offices, missing business offices, heads and learners."""

from __future__ import annotations

from assessments.metrics import department_detail, plan_for_year, previous_plan
from courses.selectors import RequirementStatus
from tests.assessments.conftest import AFTER_MAKEUP, BEFORE_DUE, department_make, plan_make


def test_units_offices_and_missing_business_offices(world):
    detail = department_detail(plan=world.plan, department=world.departments["A"],
                               today=AFTER_MAKEUP)
    assert detail["targeted"] and detail["participation"].code == "101"
    (unit,) = detail["units"]
    offices = {office["office_id"]: office for office in unit["offices"]}
    assert len(offices) == 4
    bus2 = offices[world.offices["a_bus2"].pk]
    assert (bus2["kind"], bus2["roster"], bus2["completed"], bus2["participating"],
            bus2["active"]) == ("business", 2, 1, True, True)
    bus3 = offices[world.offices["a_bus3"].pk]
    assert (bus3["roster"], bus3["completed"], bus3["participating"], bus3["active"]) == (
        1, 0, False, False)
    assert [office["office_id"] for office in detail["missing_business_offices"]] == [
        world.offices["a_bus3"].pk]


def test_heads_with_their_status(world):
    detail = department_detail(plan=world.plan, department=world.departments["A"],
                               today=AFTER_MAKEUP)
    assert [(h["staff_number"], h["name"], h["status"]) for h in detail["heads"]] == [
        ("S001", "a_head1", RequirementStatus.COMPLETED),
        ("S002", "a_head2", RequirementStatus.OVERDUE)]
    before = department_detail(plan=world.plan, department=world.departments["A"],
                               today=BEFORE_DUE)
    assert before["heads"][1]["status"] == RequirementStatus.NOT_STARTED


def test_learners_with_statuses_leave_out_inactive_withdrawn_and_unassigned(world):
    detail = department_detail(plan=world.plan, department=world.departments["A"],
                               today=AFTER_MAKEUP)
    rows = {row["name"]: row for row in detail["learners"]}
    # a_bus4 inactive, a_fin3 withdrawn, a_other without a requirement.
    assert sorted(rows) == ["a_bus1", "a_bus2", "a_bus3", "a_bus5", "a_fin1", "a_fin2",
                            "a_head1", "a_head2"]
    assert rows["a_fin1"]["status"] == RequirementStatus.COMPLETED_LATE
    assert rows["a_fin1"]["completed"] is True
    assert rows["a_bus3"]["status"] == RequirementStatus.EXEMPT
    assert rows["a_bus5"]["status"] == RequirementStatus.OVERDUE
    assert rows["a_fin2"]["statuses"] == [(world.plan.requirements.get(
        position="finance").pk, RequirementStatus.OVERDUE)]
    assert rows["a_bus1"]["office_kind"] == "business"
    assert sum(row["completed"] for row in rows.values()) == detail[
        "participation"].completed_total


def test_a_department_the_plan_does_not_target(world):
    world.plan.all_departments = False
    world.plan.departments.set([world.departments["B"]])
    world.plan.save()
    detail = department_detail(plan=world.plan, department=world.departments["A"])
    assert detail["targeted"] is False
    assert detail["participation"].roster_total == 0 and detail["learners"] == []


def test_empty_department_detail(world):
    detail = department_detail(plan=world.plan, department=world.departments["D"])
    assert detail["units"] == []  # its one unit has no office
    assert detail["participation"].roster_total == 0
    assert detail["heads"] == [] and detail["learners"] == []


def test_plan_for_year_prefers_the_scheme_then_the_earliest_published_plan(world):
    from assessments.models import AssessmentScheme

    assert plan_for_year(2026) == world.plan
    assert plan_for_year(2030) is None
    later = plan_make({"head": world.courses["head"]}, title="补充计划")
    assert plan_for_year(2026) == world.plan  # opens on the same day: the first created
    AssessmentScheme.objects.create(year=2026, title="2026年考核", plan=later)
    assert plan_for_year(2026) == later


def test_previous_plan_is_the_year_before(world):
    import datetime as dt

    assert previous_plan(world.plan) is None
    department_make("999")
    older = plan_make({"head": world.courses["head"]}, year=2025, opens=dt.date(2025, 3, 1),
                      due=dt.date(2025, 10, 31), makeup=dt.date(2025, 12, 31))
    plan_make({"head": world.courses["head"]}, year=2025, opens=dt.date(2025, 1, 1),
              due=dt.date(2025, 2, 1), makeup=dt.date(2025, 3, 1), publish=False)
    assert previous_plan(world.plan) == older
