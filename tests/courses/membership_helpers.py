"""Helpers for the plan membership, exemption and roster tests: a plan open today, learners in
a department, the department admin and bureau roles, and running on-commit work."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from courses.models import PlanAssignment, PlanRequirement, TrainingPlan
from courses.services import plan_assign, plan_publish
from departments import roles
from departments.services import roles_ensure
from tests.departments.factories import LearnerFactory, OfficeFactory, UnitFactory, UserFactory


def open_plan(*requirements, departments=None, joined_cutoff=None, title=None,
              today: dt.date | None = None, publish: bool = True) -> TrainingPlan:
    """A plan open today (due in a month, make-up in two), published and assigned."""
    today = today or timezone.localdate()
    opens = today - dt.timedelta(days=30)
    plan = TrainingPlan.objects.create(
        year=opens.year, title=title or f"{opens.year}年度培训计划", opens_on=opens,
        due_on=today + dt.timedelta(days=30), makeup_until=today + dt.timedelta(days=60),
        all_departments=departments is None, min_credit_hours=Decimal("1.0"),
        joined_cutoff=joined_cutoff)
    if departments:
        plan.departments.set(departments)
        plan.save()  # a ParentalManyToManyField is written on save
    for order, (position, course) in enumerate(requirements):
        PlanRequirement.objects.create(plan=plan, position=position, course=course,
                                       sort_order=order)
    if publish:
        plan_publish(plan=plan, user=None, enqueue=False)
        plan_assign(plan=plan)
    return plan


def closed_plan(*requirements, **kwargs) -> TrainingPlan:
    """A plan whose make-up deadline passed yesterday."""
    today = timezone.localdate()
    plan = open_plan(*requirements, **kwargs)
    TrainingPlan.objects.filter(pk=plan.pk).update(
        opens_on=today - dt.timedelta(days=90), due_on=today - dt.timedelta(days=30),
        makeup_until=today - dt.timedelta(days=1))
    plan.refresh_from_db()
    return plan


def make_learner(department, position: str, number: str, *, office=None, **fields):
    office = office or OfficeFactory(unit=UnitFactory(department=department))
    return LearnerFactory(office=office, position=position, staff_number=number, **fields)


def in_force(user, plan=None) -> set[int]:
    """Course ids of the user's assignments in force (of `plan`)."""
    qs = PlanAssignment.objects.filter(user=user, withdrawn_at__isnull=True)
    if plan is not None:
        qs = qs.filter(requirement__plan=plan)
    return set(qs.values_list("requirement__course_id", flat=True))


def withdrawn(user, plan=None) -> set[int]:
    qs = PlanAssignment.objects.filter(user=user, withdrawn_at__isnull=False)
    if plan is not None:
        qs = qs.filter(requirement__plan=plan)
    return set(qs.values_list("requirement__course_id", flat=True))


def user_in_role(role: str, username: str, **fields):
    roles_ensure()
    user = UserFactory(username=username, **fields)
    user.groups.add(Group.objects.get(name=role))
    return user


def department_admin(department, username: str = "admin_a"):
    user = user_in_role(roles.DEPARTMENT_ADMIN, username)
    department.admins.add(user)
    return user


def bureau_staff(username: str = "bureau"):
    return user_in_role(roles.BUREAU_STAFF, username)
