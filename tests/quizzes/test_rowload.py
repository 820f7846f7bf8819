"""quizzes.rowload: the attempt pages' hand-written read gives the same instances as the ORM,
and never another learner's attempt."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from quizzes import rowload, services
from quizzes.models import Attempt


def _values(instance):
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_same_attempt_and_quiz_as_the_orm_in_one_query(quiz, user):
    attempt = services.attempt_start(quiz=quiz, user=user)
    services.attempt_submit(attempt=attempt)  # dates, decimals and booleans all set
    expected = Attempt.objects.select_related("quiz").get(pk=attempt.pk)
    with CaptureQueriesContext(connection) as queries:
        loaded = rowload.attempt_with_quiz(attempt_id=attempt.pk, user_id=user.pk)
        quiz_loaded = loaded.quiz
    assert len(queries) == 1
    assert _values(loaded) == _values(expected)
    assert _values(quiz_loaded) == _values(expected.quiz)
    assert not loaded._state.adding and loaded._state.db == "default"
    loaded.save(update_fields=["score"])  # a normal instance: it can be saved


def test_nobody_elses_attempt(quiz, user, other_user):
    attempt = services.attempt_start(quiz=quiz, user=user)
    assert rowload.attempt_with_quiz(attempt_id=attempt.pk, user_id=other_user.pk) is None
    assert rowload.attempt_with_quiz(attempt_id=attempt.pk + 1000, user_id=user.pk) is None
