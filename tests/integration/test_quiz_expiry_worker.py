"""A timed exam is submitted by the real worker at its deadline, with no browser involved."""

from datetime import timedelta

import pytest
from django.utils import timezone

from quizzes import services
from quizzes.models import Attempt, AttemptStatus
from tests.departments.factories import LearnerFactory
from tests.integration.conftest import wait_for
from tests.integration.test_roster_worker import celery_publishing_to
from tests.quizzes.conftest import make_quiz, true_false

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_worker_auto_submits_an_abandoned_timed_attempt_at_its_deadline(celery_worker_process):
    bank = services.question_bank_get_or_create(name="限时题库")
    question = services.question_create(bank=bank, data=true_false())
    quiz = make_quiz([question], title="限时考试", time_limit_minutes=1)
    learner = LearnerFactory(staff_number="X0001")
    # Started 57 s "ago" with a 1-minute limit: the deadline is 3 s from now, and attempt_start
    # schedules the expiry task for it (eta) through Redis, as in production.
    started = timezone.now() - timedelta(seconds=57)
    with celery_publishing_to(celery_worker_process["broker_url"]):
        attempt = services.attempt_start(quiz=quiz, user=learner.user, now=started)
        row = attempt.attempt_questions.get()
        services.attempt_answer_save(attempt=attempt, attempt_question_id=row.pk, raw=["true"])
    assert Attempt.objects.get(pk=attempt.pk).status == AttemptStatus.IN_PROGRESS

    def graded():
        return Attempt.objects.filter(pk=attempt.pk, status=AttemptStatus.GRADED).first()

    # Nobody submits: the worker does, once the deadline has passed.
    done = wait_for(graded, timeout=60, log=celery_worker_process["log"])
    assert done.auto_submitted
    assert done.submitted_at >= attempt.deadline
    assert done.passed
    assert "quizzes.tasks.attempt_expire" in celery_worker_process["log"].read_text()
