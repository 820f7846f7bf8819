"""The public case page must not give away the answers of the case's published exercises."""

from __future__ import annotations

import pytest
from django.utils import translation

from casebook.models import Exercise
from tests.departments.factories import LearnerFactory

from .exercise_helpers import demo_case, make_exercise

# The note in the page's language (Chinese by default), from the template's own msgids.
with translation.override("zh-hans"):
    HIDDEN_NOTES = (
        translation.gettext("The reference goal table is shown once you have passed this "
                            "case's exercises or used all your attempts."),
        translation.gettext("The reference goal table is shown to learners who have passed "
                            "this case's exercises or used all their attempts. Log in to "
                            "practise."),
    )
ROW_SCORES = ("11.52", "5.94", "9.8")  # expected per-row scores of CASE-EDU-01


@pytest.fixture
def learner_client(client, db):
    client.force_login(LearnerFactory().user)
    return client


@pytest.fixture(params=["anonymous", "learner"])
def any_client(request, client):
    if request.param == "learner":
        return request.getfixturevalue("learner_client")
    return client


def _edu_case(make_case):
    # The demo findings prose states the total itself; keep it out of these checks.
    return make_case(**{**demo_case("CASE-EDU-01"), "findings": "见自评表。"})


def _selfeval_section(page: str) -> str:
    start = page.index('class="case-selfeval"')
    return page[start:page.index("</section>", start)]


def test_case_page_hides_self_evaluation_results_while_the_exercise_is_published(
        any_client, make_case):
    case = _edu_case(make_case)
    make_exercise(case, "self_evaluation", pass_mark=80)
    response = any_client.get(case.url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "96.26" not in page and ">优<" not in page
    assert not any(score in page for score in ROW_SCORES)
    section = _selfeval_section(page)
    assert "<th scope=\"col\">得分</th>" not in section
    assert "总分" not in section and "等级" not in section
    # Targets, actuals and points are still shown.
    assert "8720" in section and "88.2" in section and ">分值<" in section


def test_case_page_shows_self_evaluation_results_without_such_an_exercise(client, make_case):
    case = _edu_case(make_case)
    make_exercise(case, "self_evaluation", pass_mark=80, published=False)
    section = _selfeval_section(client.get(case.url).content.decode())
    assert "96.26" in section and "11.52" in section and ">优<" in section


def test_case_page_hides_the_reference_table_while_find_errors_is_published(
        any_client, make_case):
    case = make_case(**demo_case("CASE-URB-01"))
    make_exercise(case, "find_errors", error_count=3)
    make_exercise(case, "goal_setting")
    rows = list(case.reference_rows.all())
    assert rows
    page = any_client.get(case.url).content.decode()
    table = page[page.index('class="goal-table"'):]
    table = table[:table.index("</table>")]
    assert any(note in table for note in HIDDEN_NOTES)
    assert "goal-table__level1" not in table and 'class="op"' not in table
    assert not any(f"<td>{row.name}</td>" in table for row in rows)
    assert not any(f"<td class=\"small\">{row.explanation}</td>" in table
                   for row in rows if row.explanation)


def test_case_page_shows_the_reference_table_without_a_published_find_errors(
        client, make_case):
    case = make_case(**demo_case("CASE-URB-01"))
    make_exercise(case, "find_errors", error_count=3, published=False)
    make_exercise(case, "goal_setting", published=False)
    rows = list(case.reference_rows.all())
    page = client.get(case.url).content.decode()
    assert not any(note in page for note in HIDDEN_NOTES)
    assert all(f"<td>{row.name}</td>" in page for row in rows)


def test_case_page_query_budget_with_exercises(client, make_case,
                                               django_assert_max_num_queries):
    case = _edu_case(make_case)
    make_exercise(case, "self_evaluation", pass_mark=80)
    make_exercise(case, "find_errors", error_count=3)
    assert Exercise.objects.filter(case=case, published=True).count() == 2
    with django_assert_max_num_queries(15):  # 15: the self-evaluation rows (issue 8)
        assert client.get(case.url).status_code == 200


@pytest.mark.parametrize("attempt", ["²", "1²", "99999999999999999999999", "１", "-1", "x"])
def test_exercise_page_ignores_a_bad_attempt_number(learner_client, make_case, attempt):
    exercise = make_exercise(make_case(**demo_case("CASE-URB-01")), "goal_setting")
    response = learner_client.get(f"/casebook/exercises/{exercise.pk}/?attempt={attempt}")
    assert response.status_code == 200
