"""The exam path's written-out statements are prepared on PostgreSQL (issue 12): after a few
runs on a connection, PostgreSQL stops parsing and planning them on every page and autosave.
Only those statements: the ORM keeps binding on the client, and nothing else is prepared.
Values read through a prepared statement are the ORM's; the switch turns it all off."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.urls import reverse

from config.settings import base as base_settings
from quizzes import rowload, selectors, services
from quizzes.models import Attempt, AttemptQuestion, Quiz
from tests.departments.factories import LearnerFactory
from tests.quizzes.conftest import token

# PostgreSQL only (integration: the second pass of `make test`), but for the settings test.
# More runs than psycopg's threshold (5), so every statement is prepared by the end.
RUNS = 7


def _normal(sql: str) -> str:
    return re.sub(r"\$\d+", "%s", " ".join(sql.split()))


def _prepared() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return {_normal(row[0]) for row in cursor.fetchall()}


def _page_and_autosave() -> set[str]:
    return {_normal(sql) for sql in (
        rowload._plan(connection)[0], selectors.paper_sql("postgresql"), selectors._AUTOSAVE_SQL,
        services._ANSWER_WRITE_SQL)}


def _start() -> set[str]:
    return {_normal(sql) for sql in (rowload._row_plan(connection, Quiz)[0], rowload._MINE_SQL)}


def _writes() -> set[str]:
    """A start's paper insert and a submit's marks: prepared once a connection ran them often."""
    return {_normal(services._start_insert_sql()), _normal(services._MARKS_AND_RESULT_SQL),
            _normal(services._CLAIM_SQL)}


def _ours() -> set[str]:
    return _page_and_autosave() | _start() | _writes()


@pytest.fixture
def prepared_on(postgres_required):
    if not rowload.prepared_statements(connection):
        pytest.fail("the PostgreSQL test settings should prepare statements "
                    "(config.settings.base.postgresql_prepared)")


def _values(instance):
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


@pytest.mark.integration
def test_the_exam_paths_statements_are_prepared_and_nothing_else(
        prepared_on, learner_client, quiz, user):
    attempt = services.attempt_start(quiz=quiz, user=user)
    page = reverse("quizzes:take", args=[attempt.pk])
    save = reverse("quizzes:autosave", args=[attempt.pk])
    aq = (attempt.attempt_questions.filter(kind="single").select_related("version").first())
    choice = aq.version.choices.order_by("order").first()
    for _ in range(RUNS):
        assert learner_client.get(page).status_code == 200
        response = learner_client.post(save, {"question": aq.pk, f"q{aq.pk}": token(aq, choice)})
        assert response.json() == {"saved": True, "question": aq.pk}
    for _ in range(RUNS):  # a start's two reads
        assert rowload.instance_get(Quiz, pk=quiz.pk).pk == quiz.pk
        assert rowload.attempts_of_user(quiz_id=quiz.pk, user_id=user.pk) == [
            (attempt.pk, "in_progress")]
    for number in range(RUNS):  # starts and submits of other learners
        learner = LearnerFactory(staff_number=f"P{number:04d}")
        last = services.attempt_submit(
            attempt=services.attempt_start(quiz=quiz, user=learner.user))
    # What the prepared insert and marks update stored for the last of them (nothing answered).
    rows = list(AttemptQuestion.objects.filter(attempt=last).order_by("order"))
    assert [r.order for r in rows] == list(range(1, len(rows) + 1))
    assert sum(r.points for r in rows) == last.max_score > 0
    assert all(r.answer is None and r.checked is False and r.feedback == "" for r in rows)
    assert {(r.is_correct, r.awarded) for r in rows if r.kind != "essay"} == {(False, 0)}
    # The claim and the result as the service reported them (the essay awaits marking).
    stored = Attempt.objects.get(pk=last.pk)
    result = ("status", "submitted_at", "auto_submitted", "score", "percent", "passed",
              "graded_at")
    assert [getattr(stored, name) for name in result] == [getattr(last, name) for name in result]
    assert (stored.status, stored.score, stored.passed) == ("submitted", 0, None)
    prepared = _prepared()
    assert _page_and_autosave() | _start() | _writes() <= prepared
    # The ORM's statements (sessions, the user, the quiz ...) are never prepared.
    assert prepared <= _ours(), prepared - _ours()
    aq.refresh_from_db()
    assert aq.answer == {"choices": [choice.pk]}


@pytest.mark.integration
def test_values_read_through_prepared_statements_are_the_orms(prepared_on, quiz, user):
    attempt = services.attempt_start(quiz=quiz, user=user)
    services.attempt_submit(attempt=attempt)  # dates, decimals and booleans all set
    expected = Attempt.objects.select_related("quiz").get(pk=attempt.pk)
    expected_rows = list(AttemptQuestion.objects.filter(attempt=attempt).order_by("order"))
    for _ in range(RUNS):
        loaded = rowload.attempt_with_quiz(attempt_id=attempt.pk, user_id=user.pk)
        rows = selectors.attempt_paper(attempt=attempt)
    assert _normal(rowload._plan(connection)[0]) in _prepared()
    assert _values(loaded) == _values(expected)
    assert _values(loaded.quiz) == _values(expected.quiz)
    assert [(r.pk, r.version_id, r.kind, r.order, r.points, r.answer, r.checked, r.is_correct,
             r.awarded, r.feedback) for r in rows] == [
        (r.pk, r.version_id, r.kind, r.order, r.points, r.answer, r.checked, r.is_correct,
         r.awarded, r.feedback) for r in expected_rows]
    # The version's creation time comes as a POSIX timestamp, the version cache's check.
    assert [r.version_created_at for r in rows] == [
        r.version.created_at.timestamp() for r in expected_rows]
    assert rowload.attempt_with_quiz(attempt_id=attempt.pk, user_id=user.pk + 1000) is None


@pytest.mark.integration
def test_switched_off_the_cursor_binds_on_the_client(postgres_required, db, monkeypatch):
    from psycopg import ClientCursor

    options = dict(connection.settings_dict["OPTIONS"])
    options.pop("prepare_threshold", None)
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", options)
    assert not rowload.prepared_statements(connection)
    with rowload.cursor(connection) as cursor:
        assert isinstance(cursor.cursor, ClientCursor)
        cursor.execute("SELECT %s + 1", [1])
        assert cursor.fetchone() == (2,)


def test_settings_prepare_on_postgresql_unless_switched_off(monkeypatch):
    postgres = {"ENGINE": "django.db.backends.postgresql"}
    base_settings.postgresql_prepared(postgres)
    assert postgres["OPTIONS"] == {"prepare_threshold": 5}
    monkeypatch.setenv("DB_PREPARED_STATEMENTS", "0")
    off = {"ENGINE": "django.db.backends.postgresql"}
    base_settings.postgresql_prepared(off)
    assert "prepare_threshold" not in off.get("OPTIONS", {})
    sqlite = {"ENGINE": "django.db.backends.sqlite3"}
    monkeypatch.delenv("DB_PREPARED_STATEMENTS")
    base_settings.postgresql_prepared(sqlite)
    assert "OPTIONS" not in sqlite
