"""Which cases have exercises (the case list's filter and badges) and the learner's own list of
exercises (我的练习), with query counts that do not grow with exercises or attempts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casebook.models import ExerciseSubmission
from tests.departments.factories import LearnerFactory

from .exercise_helpers import make_exercise

pytestmark = pytest.mark.django_db

MY_EXERCISES = "/casebook/exercises/mine/"


def _submit(exercise, user, *, score: int, passed: bool, number: int,
            at: dt.datetime | None = None) -> ExerciseSubmission:
    submission = ExerciseSubmission.objects.create(
        exercise=exercise, user=user, attempt_number=number, input={}, result={},
        auto_score=Decimal(score), score=Decimal(score), passed=passed)
    if at is not None:
        ExerciseSubmission.objects.filter(pk=submission.pk).update(created_at=at)
    return submission


def _case_items(page: str) -> dict[str, str]:
    """{case title: its list item's HTML} of the case list."""
    items = {}
    for chunk in page.split('<li class="case-item">')[1:]:
        item = chunk[:chunk.index("</li>")]
        title = item.split('">', 2)[2].split("</a>")[0]
        items[title] = item
    return items


def _queries(callable_) -> int:
    with CaptureQueriesContext(connection) as context:
        callable_()
    return len(context)


# ---- case list -----------------------------------------------------------------------------

def test_case_list_badges_the_cases_with_published_exercises_and_their_kinds(
        client, make_case, case_index):
    goal_and_errors = make_case()
    make_exercise(goal_and_errors, "find_errors", error_count=3)
    make_exercise(goal_and_errors, "goal_setting")
    draft_only = make_case()
    make_exercise(draft_only, "goal_setting", published=False)
    plain = make_case()

    items = _case_items(client.get(case_index.url).content.decode())
    badged = items[goal_and_errors.title]
    assert "有练习" in badged
    # Kinds in the order of the kind list, in Chinese.
    assert badged.index("绩效目标编制") < badged.index("找错")
    assert "有练习" not in items[draft_only.title] and "有练习" not in items[plain.title]


def test_case_list_filter_keeps_only_cases_with_exercises(client, make_case, case_index):
    goal = make_case()
    make_exercise(goal, "goal_setting")
    errors = make_case()
    make_exercise(errors, "find_errors", error_count=3)
    draft_only = make_case()
    make_exercise(draft_only, "goal_setting", published=False)
    make_case()

    page = client.get(case_index.url).content.decode()
    assert '<option value="any">有练习</option>' in page
    assert len(_case_items(page)) == 4

    page = client.get(case_index.url, {"exercise": "any"}).content.decode()
    assert set(_case_items(page)) == {goal.title, errors.title}

    page = client.get(case_index.url, {"exercise": "find_errors"}).content.decode()
    assert set(_case_items(page)) == {errors.title}
    # A stale or forged value is ignored, not an error.
    page = client.get(case_index.url, {"exercise": "nonsense"}).content.decode()
    assert len(_case_items(page)) == 4


def test_case_list_filter_survives_pagination_links(client, make_case, case_index,
                                                    monkeypatch):
    monkeypatch.setattr(type(case_index), "per_page", 1)
    for _ in range(2):
        make_exercise(make_case(), "goal_setting")
    page = client.get(case_index.url, {"exercise": "any"}).content.decode()
    assert "exercise=any" in page.split('class="case-list"')[1]


def test_case_list_query_count_does_not_grow_with_cases_or_exercises(client, make_case,
                                                                     case_index):
    make_exercise(make_case(), "goal_setting")
    client.get(case_index.url)  # warm the site root cache
    small = _queries(lambda: client.get(case_index.url, {"exercise": "any"}))
    for _ in range(8):
        case = make_case()
        make_exercise(case, "goal_setting")
        make_exercise(case, "find_errors", error_count=3)
    large = _queries(lambda: client.get(case_index.url, {"exercise": "any"}))
    assert large == small
    assert len(_case_items(client.get(case_index.url, {"exercise": "any"})
                           .content.decode())) == 9


# ---- 我的练习 ---------------------------------------------------------------------------------

def test_my_exercises_needs_a_login(client):
    response = client.get(MY_EXERCISES)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_my_exercises_lists_every_open_exercise_with_my_record(client, make_case):
    learner, other = LearnerFactory().user, LearnerFactory().user
    case = make_case()
    passed = make_exercise(case, "goal_setting", title="编制练习", max_attempts=3, pass_mark=60)
    spent = make_exercise(case, "find_errors", title="找错练习", error_count=3, max_attempts=2,
                          pass_mark=80)
    untouched = make_exercise(make_case(), "goal_setting", title="未做练习")
    hidden = make_exercise(make_case(), "goal_setting", title="草稿练习", published=False)
    when = timezone.make_aware(dt.datetime(2025, 6, 3, 14, 5))
    _submit(passed, learner, score=55, passed=False, number=1, at=when - dt.timedelta(days=2))
    _submit(passed, learner, score=72.5, passed=True, number=2, at=when)
    _submit(spent, learner, score=40, passed=False, number=1)
    _submit(spent, learner, score=30, passed=False, number=2)
    _submit(untouched, other, score=100, passed=True, number=1)
    _submit(hidden, learner, score=90, passed=True, number=1)

    client.force_login(learner)
    response = client.get(MY_EXERCISES)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>我的练习</h1>" in page
    assert "共 3 个练习，已通过 1 个。" in page
    rows = {pk: page.split(f'data-exercise="{pk}"')[1].split("</tr>")[0]
            for pk in (passed.pk, spent.pk, untouched.pk)}
    assert f'href="/casebook/exercises/{passed.pk}/"' in rows[passed.pk]
    assert f'href="{case.url}"' in rows[passed.pk]
    assert "72.5" in rows[passed.pk] and "2 / 3 次" in rows[passed.pk]
    assert ">及格<" in rows[passed.pk] and "2025-06-03 14:05" in rows[passed.pk]
    assert "40" in rows[spent.pk] and "2 / 2 次" in rows[spent.pk]
    assert "未通过，次数已用完" in rows[spent.pk]
    assert "未作答" in rows[untouched.pk]
    assert "0 次（不限次数）" in rows[untouched.pk]
    assert "100" not in rows[untouched.pk]  # another learner's score
    assert "草稿练习" not in page


def test_my_exercises_is_linked_from_the_header_and_the_account_page(client):
    client.force_login(LearnerFactory().user)
    header, body = client.get("/accounts/profile/").content.decode().split("</header>")
    assert f'href="{MY_EXERCISES}">我的练习</a>' in header
    assert f'href="{MY_EXERCISES}">我的练习</a>' in body


def test_my_exercises_query_count_does_not_grow_with_exercises_or_attempts(
        client, make_case, django_assert_max_num_queries):
    learner = LearnerFactory().user
    client.force_login(learner)
    exercise = make_exercise(make_case(), "goal_setting", max_attempts=0)
    _submit(exercise, learner, score=50, passed=False, number=1)
    client.get(MY_EXERCISES)  # warm the site root cache
    # One of them is the header's unread-notification count (the same on every page).
    with django_assert_max_num_queries(9) as small:
        client.get(MY_EXERCISES)
    for _ in range(10):
        case = make_case()
        for kind in ("goal_setting", "find_errors"):
            more = make_exercise(case, kind, max_attempts=0, error_count=3)
            for number in range(1, 6):
                _submit(more, learner, score=10 * number, passed=number == 5, number=number)
    with django_assert_max_num_queries(9) as large:
        page = client.get(MY_EXERCISES).content.decode()
    assert len(large) == len(small)
    assert page.count("data-exercise=") == 21


def test_case_list_with_badges_and_my_exercises_read_in_chinese(client, make_case, case_index):
    from tests.portal.test_chinese_first import english_runs

    learner = LearnerFactory().user
    exercise = make_exercise(make_case(code="CASE-ABC-01"), "goal_setting", max_attempts=2,
                             title="编制目标表")
    make_exercise(make_case(code="CASE-ABC-02"), "find_errors", error_count=3, title="找错")
    _submit(exercise, learner, score=50, passed=False, number=1)
    client.force_login(learner)
    for response in (client.get(case_index.url, {"exercise": "any"}),
                     client.get(MY_EXERCISES)):
        assert response.status_code == 200
        assert english_runs(response.content.decode()) == []
