"""Snippet choosers (quizzes, question banks, categories, exercises) open only for users who may
author those snippets: department admins get 403 from every chooser URL, editors 200."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from departments import roles
from quizzes.models import QuestionBank

from .factories import UserFactory

pytestmark = pytest.mark.django_db

CHOOSERS = [
    "wagtailsnippetchoosers_quizzes_quiz",
    "wagtailsnippetchoosers_quizzes_questionbank",
    "wagtailsnippetchoosers_quizzes_category",
    "wagtailsnippetchoosers_casebook_exercise",
]


@pytest.fixture
def bank(db):
    return QuestionBank.objects.create(name="绩效管理题库")


def chooser_urls(namespace, pk):
    return [
        reverse(f"{namespace}:choose"),
        reverse(f"{namespace}:choose_results"),
        reverse(f"{namespace}:choose_results") + "?q=绩效",
        reverse(f"{namespace}:chosen", args=[pk]),
        reverse(f"{namespace}:chosen_multiple") + f"?id={pk}",
    ]


XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def assert_refused(client, url):
    """The modal fetches chooser URLs with XHR: 403. Opened as a page, Wagtail's admin sends the
    user to the dashboard with its "no permission" message."""
    response = client.get(url, **XHR)
    assert response.status_code == 403, url
    assert "绩效管理题库" not in response.content.decode()
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


@pytest.mark.parametrize("namespace", CHOOSERS)
def test_snippet_choosers_refuse_department_admins(dept_admin_client, bank, namespace):
    for url in chooser_urls(namespace, bank.pk):
        assert_refused(dept_admin_client, url)


def test_question_bank_chooser_search_reveals_nothing_to_reviewers(client, role_groups, bank):
    reviewer = UserFactory(username="reviewer")
    reviewer.groups.add(Group.objects.get(name=roles.REVIEWER))
    client.force_login(reviewer)
    for url in chooser_urls("wagtailsnippetchoosers_quizzes_questionbank", bank.pk):
        assert_refused(client, url)


@pytest.mark.parametrize("namespace", CHOOSERS)
def test_snippet_choosers_open_for_editors(client, role_groups, bank, namespace):
    editor = UserFactory(username="editor")
    editor.groups.add(Group.objects.get(name=roles.EDITOR))
    client.force_login(editor)
    assert client.get(reverse(f"{namespace}:choose")).status_code == 200
    assert client.get(reverse(f"{namespace}:choose_results")).status_code == 200


def test_editor_finds_and_chooses_a_question_bank(client, role_groups, bank):
    editor = UserFactory(username="editor")
    editor.groups.add(Group.objects.get(name=roles.EDITOR))
    client.force_login(editor)
    namespace = "wagtailsnippetchoosers_quizzes_questionbank"
    results = client.get(reverse(f"{namespace}:choose_results"), {"q": "绩效"})
    assert bank.name in results.content.decode()
    chosen = client.get(reverse(f"{namespace}:chosen", args=[bank.pk]))
    assert chosen.status_code == 200
    assert chosen.json()["result"]["string"] == bank.name
