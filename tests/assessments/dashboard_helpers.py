"""Builders for the dashboard tests: departments with a head, a finance office and business
offices, learners who completed the plan's course or not, and the roles that look at them."""

from __future__ import annotations

from django.utils import timezone

from courses.models import Enrolment, EnrolmentStatus
from courses.services import plan_assign
from tests.courses.membership_helpers import make_learner
from tests.departments.factories import DepartmentFactory, OfficeFactory, UnitFactory


def complete(learner, course) -> None:
    """The learner completed the course today (inside an open plan's window)."""
    Enrolment.objects.create(user=learner.user, course=course,
                             status=EnrolmentStatus.COMPLETED, completed_at=timezone.now(),
                             credited_hours=course.credit_hours)


def department_with_offices(code: str, name: str, *, course, kind: str = "city",
                            business_offices: int = 2, business_done: int = 0,
                            finance_done: bool = True, head_done: bool = False,
                            office_name: str | None = None, sort_order: int = 0) -> dict:
    """A department with one unit: a head and a finance learner in the finance office and one
    business learner in each business office; the first `business_done` business offices,
    the finance office (`finance_done`) and the head (`head_done`) completed `course`.
    Learners only: call `plan_assign` (or build the plan) afterwards."""
    department = DepartmentFactory(code=code, name=name, kind=kind, sort_order=sort_order)
    unit = UnitFactory(department=department, code=f"U{code}", name=f"{name}本级")
    finance = OfficeFactory(unit=unit, name="财务科", kind="finance")
    head = make_learner(department, "head", f"{code}H", office=finance)
    cashier = make_learner(department, "finance", f"{code}F", office=finance)
    business = []
    for number in range(business_offices):
        office = OfficeFactory(unit=unit, name=f"{office_name or '业务科'}{number + 1}",
                               kind="business")
        business.append((office, make_learner(department, "business", f"{code}B{number}",
                                              office=office)))
    return {"department": department, "unit": unit, "finance": finance, "head": head,
            "cashier": cashier, "business": business,
            "done": {"business": business_done, "finance": finance_done, "head": head_done}}


def record_completions(world: dict, course) -> None:
    """Write the completions a `department_with_offices` world asks for."""
    if world["done"]["head"]:
        complete(world["head"], course)
    if world["done"]["finance"]:
        complete(world["cashier"], course)
    for _office, learner in world["business"][:world["done"]["business"]]:
        complete(learner, course)


def assign(plan) -> None:
    plan_assign(plan=plan)
