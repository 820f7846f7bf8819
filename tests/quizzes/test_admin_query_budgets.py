"""The quiz, question and attempt lists cost a fixed number of queries, whatever the number of
rows (issue 9 §3)."""

import pytest
from django.contrib.auth.models import Group

from departments import roles
from quizzes import services
from tests.departments.factories import UserFactory
from tests.query_budget import assert_listing_budget

from .conftest import make_quiz, single

pytestmark = pytest.mark.django_db

BUDGET = 20


@pytest.fixture
def editor_client(client, role_groups):
    user = UserFactory(username="editor")
    user.groups.add(Group.objects.get(name=roles.EDITOR))
    client.force_login(user)
    return client


def _more_questions(bank, count):
    def grow():
        for number in range(count):
            services.question_create(bank=bank, data=single(
                text=f"第{number}题：预算绩效管理的核心是什么？", category=f"分类{number}"))

    return grow


def test_question_list_queries_do_not_grow_with_rows(
    editor_client, bank, questions, django_assert_max_num_queries
):
    assert_listing_budget(editor_client, "/admin/quizzes/questions/", budget=BUDGET,
                          grow=_more_questions(bank, 25),
                          assert_max_num_queries=django_assert_max_num_queries)


def test_quiz_list_queries_do_not_grow_with_rows(
    editor_client, questions, django_assert_max_num_queries
):
    make_quiz(questions.values(), title="测验")

    def grow():
        for number in range(25):
            make_quiz(questions.values(), title=f"测验{number}")

    assert_listing_budget(editor_client, "/admin/snippets/quizzes/quiz/", budget=BUDGET,
                          grow=grow, assert_max_num_queries=django_assert_max_num_queries)
