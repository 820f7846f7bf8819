"""The exercise and indicator lists cost a fixed number of queries, whatever the number of
rows (issue 9 §3)."""

import pytest
from django.contrib.auth.models import Group

from departments import roles
from departments.services import roles_ensure
from tests.departments.factories import UserFactory
from tests.query_budget import assert_listing_budget

from .exercise_helpers import make_exercise

pytestmark = pytest.mark.django_db

BUDGET = 20


@pytest.fixture
def editor_client(client, db):
    roles_ensure()
    user = UserFactory(username="editor")
    user.groups.add(Group.objects.get(name=roles.EDITOR))
    client.force_login(user)
    return client


def test_exercise_list_queries_do_not_grow_with_rows(
    editor_client, make_case, django_assert_max_num_queries
):
    case = make_case()
    make_exercise(case, title="练习 0")

    def grow():
        for number in range(1, 25):
            make_exercise(case, title=f"练习 {number}")

    assert_listing_budget(editor_client, "/admin/snippets/casebook/exercise/", budget=BUDGET,
                          grow=grow, assert_max_num_queries=django_assert_max_num_queries)


def test_indicator_list_queries_do_not_grow_with_rows(
    editor_client, make_indicators, django_assert_max_num_queries
):
    make_indicators({"name": "维修校舍面积"})

    def grow():
        make_indicators(*({"name": f"指标{number}"} for number in range(25)))

    assert_listing_budget(editor_client, "/admin/casebook/indicators/", budget=BUDGET,
                          grow=grow, assert_max_num_queries=django_assert_max_num_queries)
