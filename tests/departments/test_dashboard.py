"""The admin dashboard shows each visible department's roster and activated accounts."""

import pytest
from django.contrib.auth.hashers import make_password

from departments.models import OfficeKind, Position
from departments.selectors import roster_summary_visible_to
from tests.departments.factories import LearnerFactory, OfficeFactory

pytestmark = pytest.mark.django_db


def _learner(office, position=Position.BUSINESS, *, activated):
    learner = LearnerFactory(office=office, position=position)
    learner.user.password = make_password("pw-123456") if activated else "!unusable"
    learner.user.save()
    return learner


def test_summary_counts_business_staff_and_their_activated_accounts(dept_a, bureau_user):
    finance = OfficeFactory(unit__department=dept_a, kind=OfficeKind.FINANCE)
    business = OfficeFactory(unit=finance.unit, kind=OfficeKind.BUSINESS)
    _learner(finance, Position.FINANCE, activated=True)
    _learner(finance, Position.HEAD, activated=True)
    _learner(business, activated=False)
    _learner(business, activated=False)
    inactive = _learner(business, activated=True)
    inactive.is_active = False
    inactive.save()

    row = roster_summary_visible_to(bureau_user).get(pk=dept_a.pk)
    assert (row.learners_total, row.heads, row.activated_total) == (4, 1, 2)
    assert (row.business_learners, row.business_activated) == (2, 0)


def test_department_admin_dashboard_shows_only_their_department(
        dept_admin_client, dept_a, dept_b, learner_a, learner_b):
    response = dept_admin_client.get("/admin/")
    html = response.content.decode()
    assert response.status_code == 200
    assert dept_a.name in html
    assert dept_b.name not in html


def test_dashboard_query_count_does_not_grow_with_departments(
        bureau_client, django_assert_max_num_queries):
    for _ in range(3):
        _learner(OfficeFactory(), activated=True)
    with django_assert_max_num_queries(40) as small:
        bureau_client.get("/admin/")
    for _ in range(20):
        _learner(OfficeFactory(), activated=False)
    with django_assert_max_num_queries(len(small.captured_queries)):
        bureau_client.get("/admin/")
