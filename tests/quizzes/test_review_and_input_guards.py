"""Review options on the wrong-answer book, papers and quiz pages; bad ids and dates are
never a server error."""

import pytest
from django.urls import reverse
from django.utils import translation

from quizzes import services
from quizzes.models import AttemptQuestion, MarkingRecord

from .conftest import answer_all, correct_answers, make_quiz, rows_by_kind, token


@pytest.fixture(autouse=True)
def english_pages(client, settings):
    """These tests read the UI's English message ids."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    # Messages the tests compare with are rendered in the pages' language.
    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db

BAD_IDS = ["abc", "²", "99999999999999999999999", "-1", "0", ""]


def _wrong_single_attempt(questions, user, **settings):
    quiz = make_quiz([questions["single"]], max_attempts=3, **settings)
    attempt = services.attempt_start(quiz=quiz, user=user)
    aq = attempt.attempt_questions.get()
    wrong = next(c for c in aq.version.choices.all() if not c.is_correct)
    services.attempt_answer_save(attempt=attempt, attempt_question_id=aq.pk,
                                 raw=[token(aq, wrong)])
    return services.attempt_submit(attempt=attempt)


def test_wrong_answer_book_hides_answers_the_quiz_does_not_reveal(learner_client, questions,
                                                                  user):
    attempt = _wrong_single_attempt(questions, user, review_answers_after_submit=False,
                                    review_explanations_after_submit=False)
    assert attempt.is_graded
    result = learner_client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    html = learner_client.get(reverse("quizzes:wrong_answers")).content.decode()
    assert "预算绩效管理的核心是什么？" in html  # still listed as wrong
    for secret in ["choice--correct", "解析：", "Correct answer", "Explanation"]:
        assert secret not in result, secret
        assert secret not in html, secret


def test_wrong_answer_book_shows_answers_the_quiz_reveals(learner_client, questions, user):
    _wrong_single_attempt(questions, user, review_answers_after_submit=True,
                          review_explanations_after_submit=True)
    html = learner_client.get(reverse("quizzes:wrong_answers")).content.decode()
    assert "choice--correct" in html and "解析：全过程绩效管理。" in html


def test_wrong_answer_book_answers_without_explanations(learner_client, questions, user):
    _wrong_single_attempt(questions, user, review_answers_after_submit=True,
                          review_explanations_after_submit=False)
    html = learner_client.get(reverse("quizzes:wrong_answers")).content.decode()
    assert "choice--correct" in html and "解析：" not in html


@pytest.mark.parametrize("score", [True, False])
def test_papers_and_quiz_page_obey_the_score_option(learner_client, questions, user, score):
    quiz = make_quiz([questions["truefalse"]], max_attempts=3, exam_paper=True,
                     review_score_after_submit=score)
    attempt = services.attempt_start(quiz=quiz, user=user)
    answer_all(attempt)
    attempt = services.attempt_submit(attempt=attempt)
    assert attempt.is_graded and attempt.percent == 100
    percent = f"{attempt.percent}%"
    papers = learner_client.get(reverse("quizzes:papers")).content.decode()
    detail = learner_client.get(reverse("quizzes:detail", args=[quiz.pk])).content.decode()
    assert quiz.title in papers
    assert (percent in papers) == score
    assert (percent in detail) == score
    assert ("Your result" in detail) == score
    assert ("✓" in papers) == score


@pytest.mark.parametrize("params", [
    {"from": "2024-13-45"}, {"to": "2024-02-30"}, {"quiz": "²"}, {"user": "²"},
    {"quiz": "99999999999999999999999"}, {"department": "99999999999999999999999"},
    {"user": "99999999999999999999999"}, {"department": "abc", "from": "x", "to": "2024-2-3"}])
def test_marking_list_ignores_bad_filters(client, reviewer, params):
    client.force_login(reviewer)
    assert client.get(reverse("quiz_marking:index"), params).status_code == 200


@pytest.mark.parametrize("value", BAD_IDS)
def test_marking_post_with_a_bad_question_id_writes_nothing(client, quiz, user, reviewer,
                                                             value):
    attempt = services.attempt_start(quiz=quiz, user=user)
    answer_all(attempt)
    attempt = services.attempt_submit(attempt=attempt)
    client.force_login(reviewer)
    response = client.post(reverse("quiz_marking:detail", args=[attempt.pk]),
                           {"question": value, "points": "5", "feedback": "x"})
    assert response.status_code == 404
    assert not MarkingRecord.objects.exists()
    assert rows_by_kind(attempt)["essay"].awarded is None


@pytest.mark.parametrize("value", BAD_IDS)
def test_check_action_with_a_bad_question_id_checks_nothing(learner_client, questions, user,
                                                            value):
    quiz = make_quiz(questions.values(), mode="practice", feedback_timing="each")
    attempt = services.attempt_start(quiz=quiz, user=user)
    url = reverse("quizzes:take", args=[attempt.pk])
    response = learner_client.post(url, {"page": 1, "action": f"check:{value}"})
    assert response.status_code == 302
    assert not AttemptQuestion.objects.filter(attempt=attempt, checked=True).exists()
    html = learner_client.get(response.url).content.decode()
    assert "This question is not part of your attempt." in html


@pytest.mark.parametrize("value", BAD_IDS)
def test_goto_action_with_a_bad_page_stays_safe(learner_client, questions, user, value):
    quiz = make_quiz(questions.values(), layout="one")
    attempt = services.attempt_start(quiz=quiz, user=user)
    url = reverse("quizzes:take", args=[attempt.pk])
    response = learner_client.post(url, {"page": 2, "action": f"goto:{value}"})
    assert response.status_code == 302 and response.url == f"{url}?page=2"
    assert learner_client.get(response.url).status_code == 200
    assert not AttemptQuestion.objects.filter(attempt=attempt, answer__isnull=False).exists()


@pytest.mark.parametrize("value", BAD_IDS)
def test_autosave_with_a_bad_question_id_is_a_400(learner_client, quiz, user, value):
    attempt = services.attempt_start(quiz=quiz, user=user)
    some_raw = next(iter(correct_answers(attempt).values()))
    response = learner_client.post(reverse("quizzes:autosave", args=[attempt.pk]),
                                   {"question": value, f"q{value}": some_raw})
    assert response.status_code == 400 and response.json()["saved"] is False
    assert not AttemptQuestion.objects.filter(attempt=attempt, answer__isnull=False).exists()
