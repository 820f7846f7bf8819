"""Answers holding NUL or other control characters are refused in Chinese and never written:
by the request guard on the web (autosave and the take page) and by the service for every other
caller. Run on PostgreSQL too (`DATABASE_URL=postgres://...`): there a NUL used to be a 500."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from portal.cleaning import TEXT_FORBIDDEN
from quizzes import services
from quizzes.models import AttemptQuestion

from .conftest import rows_by_kind

pytestmark = pytest.mark.django_db


def zh(message) -> str:
    with translation.override("zh-hans"):
        return str(message)


@pytest.fixture
def attempt(quiz, user):
    return services.attempt_start(quiz=quiz, user=user)


def test_essay_autosave_with_a_nul_byte_is_a_400_in_chinese_and_saves_nothing(
        learner_client, attempt):
    essay = rows_by_kind(attempt)["essay"]
    response = learner_client.post(
        reverse("quizzes:autosave", args=[attempt.pk]),
        {"question": essay.pk, f"q{essay.pk}": "绩效监控\x00要点"},
        HTTP_X_REQUESTED_WITH="fetch")  # as site/static/js/quizzes.js sends it
    assert response.status_code == 400
    assert response.json()["error"] == zh(TEXT_FORBIDDEN)
    assert "控制字符" in response.json()["error"]
    assert not AttemptQuestion.objects.filter(attempt=attempt, answer__isnull=False).exists()


def test_take_page_post_with_a_nul_byte_in_a_blank_is_refused_and_saves_nothing(
        learner_client, attempt):
    fill = rows_by_kind(attempt)["fill"]
    response = learner_client.post(reverse("quizzes:take", args=[attempt.pk]),
                                   {f"q{fill.pk}_0": "无效\x00", "action": "next"})
    assert response.status_code == 400
    assert zh(TEXT_FORBIDDEN) in response.content.decode()
    assert not AttemptQuestion.objects.filter(attempt=attempt, answer__isnull=False).exists()


@pytest.mark.parametrize(("kind", "raw"), [
    ("essay", ["答案\x00"]), ("essay", "\x1b[31m"), ("fill", ["无效", "预\x00算"]),
])
def test_answer_service_refuses_control_characters_from_any_caller(attempt, kind, raw):
    aq = rows_by_kind(attempt)[kind]
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        services.attempt_answer_save(attempt=attempt, attempt_question_id=aq.pk, raw=raw)
    assert caught.value.code == "control_characters"
    assert "控制字符" in caught.value.messages[0]
    aq.refresh_from_db()
    assert aq.answer is None and aq.answered_at is None


def test_answers_with_tabs_and_newlines_are_still_saved(attempt):
    aq = rows_by_kind(attempt)["essay"]
    text = "第一，进度监控；\r\n\t第二，目标监控。"
    services.attempt_answer_save(attempt=attempt, attempt_question_id=aq.pk, raw=[text])
    aq.refresh_from_db()
    assert aq.answer == {"text": text}
