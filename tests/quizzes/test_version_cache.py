"""The process's cache of question versions (quizzes.version_cache, issue 12): what the attempt
page, autosave and grading read instead of the database."""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.crypto import salted_hmac

from quizzes import choice_tokens, selectors, services, version_cache
from quizzes.models import QuestionVersion

from .conftest import answer_all, correct_answers, fill, make_quiz, single


@pytest.fixture(autouse=True)
def _empty_cache():
    version_cache.clear()
    yield
    version_cache.clear()


def _stamps(*versions):
    return {v.pk: v.created_at for v in versions}


def test_versions_load_once_with_their_choices_then_come_from_memory(bank):
    question = services.question_create(bank=bank, data=single(text="一<b>二</b>\n三"))
    version = question.current_version
    with CaptureQueriesContext(connection) as cold:
        data = version_cache.versions_get(_stamps(version))[version.pk]
    assert len(cold) == 1  # the version and its choices in one statement
    assert data.kind == "single" and data.text == version.text
    assert data.choice_ids == list(version.choices.order_by("order").values_list("pk", flat=True))
    assert data.correct_choice_ids == set(
        version.choices.filter(is_correct=True).values_list("pk", flat=True))
    assert data.text_html == "一&lt;b&gt;二&lt;/b&gt;<br>三"
    with CaptureQueriesContext(connection) as warm:
        assert version_cache.versions_get(_stamps(version))[version.pk] is data
    assert len(warm) == 0


def test_an_entry_is_not_used_for_another_version_with_the_same_id(bank):
    # A restored or test database can give a new version an old one's id, never also its
    # creation time: the entry is then read again.
    question = services.question_create(bank=bank, data=single(text="旧题"))
    version = question.current_version
    version_cache.versions_get(_stamps(version))
    QuestionVersion.objects.filter(pk=version.pk).update(text="新题")  # stands for the new row
    later = version.created_at.replace(microsecond=(version.created_at.microsecond + 1) % 10**6)
    assert version_cache.versions_get({version.pk: later})[version.pk].text == "新题"


def test_fill_in_segments_are_escaped_and_keep_their_blanks(bank):
    question = services.question_create(bank=bank, data=fill(text="<i>甲</i>{{1}}乙\n{{2}}"))
    data = version_cache.versions_get(_stamps(question.current_version))[
        question.current_version_id]
    assert [blank for _text, blank in data.segments] == [None, 0, None, 1, None]
    assert data.segments[0][0] == "&lt;i&gt;甲&lt;/i&gt;"
    assert data.segments[2][0] == "乙<br>"


def test_a_questions_token_list_is_each_options_token_in_order():
    assert choice_tokens.choice_token_list(attempt_question_id=42, choice_ids=[9, 3, 7]) == [
        choice_tokens.choice_token(attempt_question_id=42, choice_id=c) for c in (9, 3, 7)]
    assert choice_tokens.choice_token_list(attempt_question_id=42, choice_ids=[]) == []


def test_tokens_are_the_salted_hmac_they_always_were():
    pairs = [(1, 2), (123456, 7), (9, 987654321)]
    pairs += [(random.randint(1, 2**31), random.randint(1, 2**31)) for _ in range(100)]
    for aq_id, choice_id in pairs:
        expected = salted_hmac(choice_tokens.SALT, f"{aq_id}:{choice_id}",
                               algorithm="sha256").hexdigest()[:choice_tokens.LENGTH]
        assert choice_tokens.choice_token(attempt_question_id=aq_id,
                                          choice_id=choice_id) == expected
        assert choice_tokens._token(attempt_question_id=aq_id, choice_id=choice_id,
                                    secret="old-key") == salted_hmac(
            choice_tokens.SALT, f"{aq_id}:{choice_id}", secret="old-key",
            algorithm="sha256").hexdigest()[:choice_tokens.LENGTH]


@pytest.mark.parametrize("warm", [False, True])
def test_right_answers_get_full_marks_from_the_cache_cold_or_warm(auto_quiz, user, warm):
    attempt = services.attempt_start(quiz=auto_quiz, user=user)
    answer_all(attempt, correct_answers(attempt))
    if warm:
        selectors.question_views(rows=selectors.attempt_paper(attempt=attempt))
    services.attempt_submit(attempt=attempt)
    attempt.refresh_from_db()
    assert attempt.status == "graded" and attempt.score == attempt.max_score > 0
    assert set(attempt.attempt_questions.values_list("is_correct", flat=True)) == {True}


def test_wrong_answers_get_no_marks(auto_quiz, user):
    attempt = services.attempt_start(quiz=auto_quiz, user=user)
    services.attempt_submit(attempt=attempt)  # nothing answered
    attempt.refresh_from_db()
    assert attempt.score == 0
    assert set(attempt.attempt_questions.values_list("is_correct", flat=True)) == {False}


def test_exam_page_reads_no_version_rows_when_warm(learner_client, quiz, user):
    attempt = services.attempt_start(quiz=quiz, user=user)
    url = reverse("quizzes:take", args=[attempt.pk])
    assert learner_client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as warm:
        html = learner_client.get(url).content.decode()
    assert not any("quizzes_questionversion" in q["sql"] and "quizzes_attemptquestion" not in
                   q["sql"] for q in warm)
    assert not any("quizzes_choice" in q["sql"] for q in warm)
    # Every question is on the page, none with a correct flag or a choice id as its value.
    for view in selectors.question_views(rows=selectors.attempt_paper(attempt=attempt)):
        assert f'id="q-{view.id}"' in html
    assert "is_correct" not in html and "choice--correct" not in html


def test_exam_page_has_the_exam_header_and_other_pages_the_site_header(learner_client, quiz,
                                                                     user):
    attempt = services.attempt_start(quiz=quiz, user=user)
    exam = learner_client.get(reverse("quizzes:take", args=[attempt.pk])).content.decode()
    assert "site-header--exam" in exam
    assert 'href="/courses/"' not in exam and "nav-notifications" not in exam
    assert 'name="language"' in exam  # the language can still be switched
    other = learner_client.get(reverse("quizzes:index")).content.decode()
    assert "site-header--exam" not in other and "nav-notifications" in other


def _wrong_book_queries(client, bank, user, n):
    questions = [services.question_create(bank=bank, data=single(text=f"错题{n}-{i}"))
                 for i in range(n)]
    attempt = services.attempt_start(quiz=make_quiz(questions, title=f"错题卷{n}"), user=user)
    services.attempt_submit(attempt=attempt)  # nothing answered: every question wrong
    version_cache.clear()  # the worst case: no version in memory
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("quizzes:wrong_answers")).status_code == 200
    return len(queries)


def test_wrong_answer_book_reads_versions_once_whatever_the_number_of_rows(
        learner_client, bank, user):
    small = _wrong_book_queries(learner_client, bank, user, 2)
    large = _wrong_book_queries(learner_client, bank, user, 8)
    assert large == small
