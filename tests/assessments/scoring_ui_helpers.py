"""Fixtures and helpers of the 考核评分 admin tests (`test_scoring_ui_*`): two departments, a small
scheme computed for both, the bureau, a department admin of A and a learner."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments import services
from assessments.models import ItemScore, SchemeItem
from tests.assessments.scoring_helpers import participation_of, small_scheme
from tests.courses.membership_helpers import bureau_staff, department_admin
from tests.departments.factories import DepartmentFactory, LearnerFactory

__all__ = ["YEAR", "admin_a", "bureau", "dept_a", "dept_b", "item", "learner", "scheme",
           "score", "sheet_url"]

YEAR = 2026


@pytest.fixture
def dept_a():
    return DepartmentFactory(code="101", name="市教育局", sort_order=1)


@pytest.fixture
def dept_b():
    return DepartmentFactory(code="201", name="甲区", kind="district", sort_order=2)


@pytest.fixture
def bureau():
    return bureau_staff("bureau")


@pytest.fixture
def admin_a(dept_a):
    return department_admin(dept_a, "admin_a")


@pytest.fixture
def learner(dept_a):
    return LearnerFactory(staff_number="L0001").user


@pytest.fixture
def scheme(dept_a, dept_b):
    """The three training items and a manual item, computed for A and B."""
    scheme = small_scheme(YEAR)
    services.scores_compute(scheme=scheme, participation=[
        participation_of(dept_a, heads=(1, 1), completed=(9, 10), goal=(3, 4)),
        participation_of(dept_b, heads=(0, 1), completed=(5, 10), goal=(0, 0),
                         flags=["finance_only"])])
    scheme.refresh_from_db()
    return scheme


def item(scheme, code: str) -> SchemeItem:
    return scheme.items.get(code=code)


def score(scheme, department, code: str) -> ItemScore:
    return ItemScore.objects.get(scheme=scheme, department=department, item__code=code)


def sheet_url(department, year: int = YEAR) -> str:
    return reverse("assessment_scoring:sheet", args=[year, department.pk])
