"""Options shuffled once per attempt, the question navigation's answered state, and the admin
question version history."""

import random
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from quizzes import selectors, services, types
from quizzes.models import Attempt, AttemptStatus, Choice, Quiz

from .conftest import (
    answer_all,
    make_quiz,
    multiple,
    posted_choice_ids,
    rows_by_kind,
    single,
    token,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_options(bank):
    """A single and a multiple choice question with eight options each."""
    letters = "甲乙丙丁戊己庚辛"
    one = single(text="八个选项的单选题")
    one.choices = [types.ChoiceData(f"选项{c}", correct=i == 5) for i, c in enumerate(letters)]
    many = multiple(text="八个选项的多选题")
    many.choices = [types.ChoiceData(f"多选{c}", correct=i % 3 == 0)
                    for i, c in enumerate(letters)]
    return [services.question_create(bank=bank, data=one),
            services.question_create(bank=bank, data=many)]


def stored(question):
    return list(question.current_version.choices.order_by("order").values_list("pk", flat=True))


def test_exam_shuffles_options_once_per_attempt_and_reload_keeps_the_order(
        learner_client, user, many_options):
    quiz = make_quiz(many_options)
    assert quiz.shuffle_choices is True  # on by default (exams)
    attempt = services.attempt_start(quiz=quiz, user=user, rng=random.Random(7))
    rows = {aq.version.question_id: aq for aq in attempt.attempt_questions.select_related(
        "version")}
    for question in many_options:
        order = rows[question.pk].choice_order
        assert sorted(order) == sorted(stored(question)) and order != stored(question)
    url = reverse("quizzes:take", args=[attempt.pk])
    first = learner_client.get(url).content.decode()
    again = learner_client.get(url).content.decode()
    for question in many_options:
        aq = rows[question.pk]
        assert posted_choice_ids(first, aq) == aq.choice_order
        assert posted_choice_ids(again, aq) == aq.choice_order
    assert "choice_order" not in first


def test_shuffled_letters_follow_the_display_order_and_grading_is_unaffected(
        user, many_options):
    quiz = make_quiz(many_options, review_answers_after_submit=True)
    attempt = services.attempt_start(quiz=quiz, user=user, rng=random.Random(3))
    answer_all(attempt)
    attempt = services.attempt_submit(attempt=attempt)
    assert attempt.status == AttemptStatus.GRADED and attempt.score == attempt.max_score
    rows = selectors.attempt_questions(attempt=attempt)
    views = {v.id: v for v in selectors.question_views(rows=rows, responses=True,
                                                       answers=True)}
    single_row = next(aq for aq in rows if aq.kind == types.SINGLE)
    view = views[single_row.pk]
    by_id = {c.pk: c for c in single_row.version.choices.all()}
    assert [c["value"] for c in view.choices] == [
        token(single_row, by_id[pk]) for pk in single_row.choice_order]
    correct_pos = single_row.choice_order.index(
        Choice.objects.get(version=single_row.version, is_correct=True).pk)
    assert view.correct_text == f"{chr(65 + correct_pos)}. 选项己"


def test_quiz_without_shuffle_keeps_the_stored_order(learner_client, user, many_options):
    quiz = make_quiz(many_options, shuffle_choices=False)
    attempt = services.attempt_start(quiz=quiz, user=user, rng=random.Random(7))
    assert all(aq.choice_order == [] for aq in attempt.attempt_questions.all())
    html = learner_client.get(reverse("quizzes:take", args=[attempt.pk])).content.decode()
    for aq in attempt.attempt_questions.select_related("version__question"):
        assert posted_choice_ids(html, aq) == stored(aq.version.question)


def test_each_attempt_draws_its_own_order(user, many_options):
    quiz = make_quiz(many_options, max_attempts=0)
    orders = set()
    for seed in range(4):
        attempt = services.attempt_start(quiz=quiz, user=user, rng=random.Random(seed))
        orders.add(tuple(attempt.attempt_questions.order_by("order").first().choice_order))
        services.attempt_submit(attempt=attempt)
    assert len(orders) > 1


def test_shuffling_costs_one_query_whatever_the_number_of_questions(user, other_user, bank,
                                                                    questions, many_options):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def start(quiz, learner):
        cache.clear()  # the worst case: no version's choice ids cached yet
        with CaptureQueriesContext(connection) as ctx:
            services.attempt_start(quiz=quiz, user=learner)
        return len(ctx.captured_queries)

    extra = [services.question_create(bank=bank, data=single(text=f"附加{i}"))
             for i in range(6)]
    plain = make_quiz([*questions.values(), *many_options], shuffle_choices=False, title="a")
    shuffled = make_quiz([*questions.values(), *many_options], title="b")
    bigger = make_quiz([*questions.values(), *many_options, *extra], title="c")
    assert start(shuffled, user) == start(plain, user) + 1
    assert start(bigger, other_user) == start(shuffled, other_user)


def test_shuffling_reads_cached_choice_ids_once_warm(user, other_user, questions, many_options):
    """Choice ids are cached per version (write-once with it): a second learner's start on a
    shuffling quiz costs no more than on a plain one, and still gets every option once."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plain = make_quiz([*questions.values(), *many_options], shuffle_choices=False, title="a")
    shuffled = make_quiz([*questions.values(), *many_options], title="b")
    cache.clear()
    services.attempt_start(quiz=shuffled, user=user)  # fills the cache
    services.attempt_start(quiz=plain, user=user)  # both quizzes' draw plans cached (issue 12)
    with CaptureQueriesContext(connection) as warm:
        attempt = services.attempt_start(quiz=shuffled, user=other_user)
    with CaptureQueriesContext(connection) as unshuffled:
        services.attempt_start(quiz=plain, user=other_user)
    assert len(warm) == len(unshuffled)
    for aq in attempt.attempt_questions.filter(kind__in=["single", "multiple"]):
        stored = list(aq.version.choices.order_by("order").values_list("pk", flat=True))
        assert sorted(aq.choice_order) == sorted(stored)


# ------------------------------------------------------------ navigation answered state


def nav_item(html: str, aq_id: int) -> str:
    match = re.search(rf'<span class="question-nav__item[^"]*" data-nav-question="{aq_id}">',
                      html)
    assert match, aq_id
    return match.group(0)


def test_navigation_marks_answered_questions_server_side(learner_client, quiz, user):
    attempt = services.attempt_start(quiz=quiz, user=user)
    rows = rows_by_kind(attempt)
    url = reverse("quizzes:take", args=[attempt.pk])
    html = learner_client.get(url).content.decode()
    assert all("is-answered" not in nav_item(html, aq.pk) for aq in rows.values())
    learner_client.post(reverse("quizzes:autosave", args=[attempt.pk]),
                        {"question": rows["truefalse"].pk, f"q{rows['truefalse'].pk}": "true"})
    html = learner_client.get(url).content.decode()
    assert "is-answered" in nav_item(html, rows["truefalse"].pk)
    assert "is-answered" not in nav_item(html, rows["essay"].pk)


def test_navigation_markup_for_javascript_carries_no_answer_data(learner_client, questions,
                                                                  user):
    quiz = make_quiz(questions.values(), layout="one")
    attempt = services.attempt_start(quiz=quiz, user=user)
    html = learner_client.get(reverse("quizzes:take", args=[attempt.pk])).content.decode()
    nav = html[html.index('class="question-nav"'):html.index("</nav>",
                                                             html.index('class="question-nav"'))]
    assert nav.count("data-nav-question=") == 5
    for secret in ("correct", "花钱必问效", "无效", "参考"):
        assert secret not in nav
    script = (settings.BASE_DIR / "site" / "static" / "js" / "quizzes.js").read_text()
    assert "markNav(id, answered)" in script and "data-nav-question" in script


# ------------------------------------------------------------ version history (admin)


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    # Messages the tests compare with are rendered in the pages' language.
    with translation.override("en"):
        yield client


def test_edit_and_inspect_views_list_versions_and_the_attempts_using_them(
        editor_client, editor, quiz, user, questions, django_assert_max_num_queries):
    question = questions[types.SINGLE]
    attempt = services.attempt_start(quiz=quiz, user=user)
    services.question_update(question=question, data=single(text="第二版<b>题干</b>"),
                             user=editor)
    question.refresh_from_db()
    history = selectors.question_version_history(question=question)
    assert [(row.version.number, row.attempt_count) for row in history] == [(2, 0), (1, 1)]
    assert history[1].attempts == [attempt] and history[0].version.created_by == editor
    for name in ("edit", "inspect"):
        response = editor_client.get(reverse(f"quiz_questions:{name}", args=[question.pk]))
        html = response.content.decode()
        assert response.status_code == 200, name
        section = html[html.index('id="question-versions"'):]
        assert "v2" in section and "v1" in section and "editor1" in section
        assert "第二版&lt;b&gt;题干&lt;/b&gt;" in section and "<b>题干" not in section
        assert reverse("quiz_attempts:inspect", args=[attempt.pk]) in section
        assert quiz.title in section
    with django_assert_max_num_queries(2):
        selectors.question_version_history(question=question)


def test_version_history_is_read_only_and_hidden_from_learners(client, user, questions):
    question = questions[types.SINGLE]
    client.force_login(user)
    for name in ("edit", "inspect"):
        response = client.get(reverse(f"quiz_questions:{name}", args=[question.pk]))
        assert response.status_code in (302, 403)
    assert question.versions.count() == 1


def test_demo_exam_is_attemptable_with_shuffled_options(user):
    from quizzes import demo

    demo.seed(log=lambda message: None)
    exam = Quiz.objects.get(title=demo.EXAM_TITLE)
    assert exam.shuffle_choices
    attempt = services.attempt_start(quiz=exam, user=user)
    assert Attempt.objects.filter(pk=attempt.pk).exists()
    shuffled = [aq for aq in attempt.attempt_questions.all()
                if aq.kind in (types.SINGLE, types.MULTIPLE)]
    assert shuffled and all(aq.choice_order for aq in shuffled)
