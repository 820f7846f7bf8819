"""Parallel submissions of one attempt produce one result (real threads, real transactions)."""

import threading

import pytest
from django.db import connection

from quizzes import services
from quizzes.models import Attempt, AttemptStatus
from quizzes.signals import attempt_graded

from .conftest import answer_all


@pytest.mark.django_db(transaction=True)
def test_parallel_submissions_of_one_attempt_produce_one_result(auto_quiz, user):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
            "file:memorydb"):
        pytest.skip("in-memory SQLite has no concurrent writers; runs on PostgreSQL")
    attempt = services.attempt_start(quiz=auto_quiz, user=user)
    answer_all(attempt)
    graded = []
    attempt_graded.connect(lambda sender, attempt, **kw: graded.append(attempt.pk), weak=False,
                           dispatch_uid="parallel")
    barrier = threading.Barrier(4)
    errors = []

    def submit():
        try:
            barrier.wait()
            services.attempt_submit(attempt=Attempt.objects.get(pk=attempt.pk))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        attempt_graded.disconnect(dispatch_uid="parallel")
    assert errors == []
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.GRADED and attempt.score == attempt.max_score
    assert graded == [attempt.pk]
    assert Attempt.objects.filter(user=user).count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_starts_leave_one_open_attempt(auto_quiz, user):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
            "file:memorydb"):
        pytest.skip("in-memory SQLite has no concurrent writers; runs on PostgreSQL")
    barrier = threading.Barrier(4)
    results, errors = [], []

    def start():
        try:
            barrier.wait()
            results.append(services.attempt_start(quiz=auto_quiz, user=user).pk)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(set(results)) == 1
    assert Attempt.objects.filter(user=user, status=AttemptStatus.IN_PROGRESS).count() == 1
