"""The organisation lists and the admin home cost a fixed number of queries, whatever the
number of rows, for department admins and bureau staff (issue 9 §3)."""

import pytest

from tests.query_budget import assert_listing_budget

from .factories import LearnerFactory, OfficeFactory, UnitFactory

pytestmark = pytest.mark.django_db

LISTS = [
    "/admin/",
    "/admin/organisation/learners/",
    "/admin/organisation/units/",
    "/admin/organisation/offices/",
    "/admin/organisation/departments/",
]
BUDGET = 20


def _grow(department, rows):
    def grow():
        for _ in range(rows):
            office = OfficeFactory(unit=UnitFactory(department=department))
            LearnerFactory(office=office)

    return grow


@pytest.mark.parametrize("url", LISTS)
def test_organisation_list_queries_do_not_grow_with_rows_for_a_department_admin(
    dept_admin_client, dept_a, learner_a, url, django_assert_max_num_queries
):
    assert_listing_budget(dept_admin_client, url, budget=BUDGET, grow=_grow(dept_a, 25),
                          assert_max_num_queries=django_assert_max_num_queries)


@pytest.mark.parametrize("url", LISTS)
def test_organisation_list_queries_do_not_grow_with_rows_for_bureau_staff(
    bureau_client, dept_a, dept_b, learner_a, url, django_assert_max_num_queries
):
    assert_listing_budget(bureau_client, url, budget=BUDGET, grow=_grow(dept_b, 25),
                          assert_max_num_queries=django_assert_max_num_queries)


def test_learner_list_shows_the_password_button_on_every_row_with_one_role_lookup(
    dept_admin_client, dept_a, django_assert_max_num_queries
):
    _grow(dept_a, 20)()
    with django_assert_max_num_queries(BUDGET) as captured:
        response = dept_admin_client.get("/admin/organisation/learners/")
    assert response.content.decode().count("/admin/organisation/passwords/reset/") == 20
    group_lookups = [q for q in captured.captured_queries
                     if 'FROM "auth_group" INNER JOIN "auth_user_groups"' in q["sql"]]
    assert len(group_lookups) <= 1
