"""The exam path's written-out SQL: quizzes.rowload gives the same instances as the ORM and never
another learner's attempt; the paper insert stores what bulk_create would."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from quizzes import rowload, services
from quizzes.models import Attempt, AttemptQuestion, Quiz


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


def test_paper_columns_are_every_column_of_the_model():
    # The PostgreSQL paper insert names its columns; a new field must be added there too.
    names = {f.attname for f in AttemptQuestion._meta.concrete_fields} - {"id"}
    assert names == set(services._PAPER_COLUMNS) == set(services._PAPER_ARRAY_TYPES)


def test_a_started_paper_is_stored_as_the_orm_would_store_it(quiz, user):
    # On PostgreSQL the paper is one INSERT ... SELECT FROM unnest(...); elsewhere bulk_create.
    attempt = services.attempt_start(quiz=quiz, user=user)
    rows = list(AttemptQuestion.objects.filter(attempt=attempt).select_related("version")
                .order_by("order"))
    assert [aq.order for aq in rows] == list(range(1, len(rows) + 1))
    assert sum(aq.points for aq in rows) == attempt.max_score
    for aq in rows:
        assert aq.kind == aq.version.question.kind and aq.points == aq.version.points
        choice_ids = set(aq.version.choices.values_list("pk", flat=True))
        assert set(aq.choice_order) == choice_ids if choice_ids else aq.choice_order == []
        assert (aq.answer, aq.answered_at, aq.is_correct, aq.awarded, aq.marked_by_id,
                aq.marked_at) == (None, None, None, None, None, None)
        assert aq.checked is False and aq.feedback == ""


def test_a_quiz_read_by_its_id_is_the_orms(quiz):
    quiz.opens_at = quiz.created_at  # a date set, beside the booleans and numbers
    quiz.save()
    with CaptureQueriesContext(connection) as queries:
        loaded = rowload.instance_get(Quiz, pk=quiz.pk)
    assert len(queries) == 1
    assert _values(loaded) == _values(Quiz.objects.get(pk=quiz.pk))
    assert not loaded._state.adding and loaded._state.db == "default"
    assert rowload.instance_get(Quiz, pk=quiz.pk + 1000) is None


def test_a_learners_attempts_at_a_quiz_oldest_first_and_nobody_elses(quiz, user, other_user):
    first = services.attempt_start(quiz=quiz, user=user)
    services.attempt_submit(attempt=first)
    second = services.attempt_start(quiz=quiz, user=user)
    services.attempt_start(quiz=quiz, user=other_user)
    assert rowload.attempts_of_user(quiz_id=quiz.pk, user_id=user.pk) == [
        (first.pk, "submitted"), (second.pk, "in_progress")]  # the essay awaits marking
    assert rowload.attempts_of_user(quiz_id=quiz.pk, user_id=user.pk) == list(
        Attempt.objects.filter(quiz=quiz, user=user).order_by("pk").values_list("pk", "status"))
    assert rowload.attempts_of_user(quiz_id=quiz.pk + 1000, user_id=user.pk) == []
