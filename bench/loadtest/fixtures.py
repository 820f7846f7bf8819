"""The data of a load run, written straight to the database (and the session cache): learners,
logged-in sessions, the annual exam of the demo, open attempts, and the SQL checks afterwards.

Sessions are created here, not by logging in: the login view is throttled by django-axes and
hashing thousands of passwords would measure PBKDF2, not the exam. Needs django.setup()."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.hashers import make_password
from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.crypto import get_random_string

from bench.loadtest.plans import PaperQuestion, Taker
from bench.loadtest.views import BASELINE_TABLE, baseline_table_create
from departments.middleware import FLAG_SESSION_KEY, flag_session_value
from departments.models import Department, Learner, Office, OfficeKind, Position, Unit
from quizzes import choice_tokens, demo
from quizzes.models import Attempt, AttemptQuestion, AttemptStatus, Choice, Kind, Quiz

DEPARTMENT_CODE = "LOADTEST"
STAFF_PREFIX = "9"  # staff numbers 9000000, 9000001, ...: apart from any real roster
SESSION_PREFIX = "loadtest"  # session keys of the harness, so a rerun can delete its own
SESSION_KEY_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
EXAM_QUESTIONS = 20


def _office() -> Office:
    department, _ = Department.objects.get_or_create(
        code=DEPARTMENT_CODE, defaults={"name": "压力测试部门"})
    unit, _ = Unit.objects.get_or_create(
        code=DEPARTMENT_CODE, defaults={"name": "压力测试单位", "department": department})
    office, _ = Office.objects.get_or_create(
        unit=unit, name="业务科", defaults={"kind": OfficeKind.BUSINESS})
    return office


@transaction.atomic
def learners_ensure(*, count: int) -> list:
    """`count` department heads of the test department (created in bulk when missing), in a
    stable order; their passwords are unusable (nobody logs in as them)."""
    office = _office()
    user_model = get_user_model()
    users = list(user_model.objects.filter(learner__office=office).order_by("pk"))
    if len(users) < count:
        taken = set(Learner.objects.filter(office=office).values_list("staff_number", flat=True))
        numbers = (f"{STAFF_PREFIX}{i:06d}" for i in range(10**6))
        fresh = []
        for number in numbers:
            if len(fresh) == count - len(users):
                break
            if number not in taken:
                fresh.append(number)
        new = user_model.objects.bulk_create(
            [user_model(username=number, first_name=f"考生{number[-4:]}",
                        password=make_password(None)) for number in fresh], batch_size=1000)
        Learner.objects.bulk_create(
            [Learner(user=user, office=office, staff_number=user.username,
                     position=Position.HEAD) for user in new], batch_size=1000)
        users = list(user_model.objects.filter(learner__office=office).order_by("pk"))
    return users[:count]


def sessions_create(*, users: Sequence) -> list[Taker]:
    """A fresh logged-in session per user, in the session table and in the session cache (as
    after a login), each with its own CSRF secret; the harness's old sessions are deleted."""
    engine = import_module(settings.SESSION_ENGINE)
    store_class = engine.SessionStore
    model = store_class.get_model_class()
    model.objects.filter(session_key__startswith=SESSION_PREFIX).delete()
    expires = timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    rows, cached, takers = [], {}, []
    # As a login leaves it: the forced-password-change flag is in the session.
    must_change = set(Learner.objects.filter(user__in=users, must_change_password=True)
                      .values_list("user_id", flat=True))
    for user in users:
        key = SESSION_PREFIX + get_random_string(32 - len(SESSION_PREFIX), SESSION_KEY_CHARS)
        password_hash = user.get_session_auth_hash()
        data = {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: MODEL_BACKEND,
                HASH_SESSION_KEY: password_hash,
                FLAG_SESSION_KEY: flag_session_value(password_hash=password_hash,
                                                     flag=user.pk in must_change)}
        store = store_class(session_key=key)
        rows.append(model(session_key=key, session_data=store.encode(data),
                          expire_date=expires))
        if hasattr(store, "cache_key"):  # cached_db and cache sessions
            cached[store.cache_key] = data
        takers.append(Taker(user_id=user.pk, session_key=key, csrf=get_random_string(32)))
    model.objects.bulk_create(rows, batch_size=1000)
    if cached:
        caches[settings.SESSION_CACHE_ALIAS].set_many(cached, timeout=settings.SESSION_COOKIE_AGE)
    return takers


def exam_ensure() -> Quiz:
    """The demo's annual exam (20 questions drawn by 15 rules over five stages, 30 minutes,
    options shuffled), seeded with the demo question bank exactly as seed_demo does."""
    demo.seed(log=lambda message: None)
    quiz = Quiz.objects.get(title=demo.EXAM_TITLE)
    drawn = sum(rule.count for rule in quiz.draw_rules.all())
    if drawn != EXAM_QUESTIONS:
        raise RuntimeError(f"the demo exam draws {drawn} questions, not {EXAM_QUESTIONS}")
    return quiz


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def run_reset(*, quiz: Quiz) -> None:
    """Forget every attempt at the exam and the baseline's rows (between runs)."""
    baseline_table_create()
    attempts = f"SELECT id FROM {_table(Attempt)} WHERE quiz_id = %s"  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        aq_table = _table(AttemptQuestion)
        for model in AttemptQuestion._meta.related_objects:
            cursor.execute(
                f"DELETE FROM {_table(model.related_model)} WHERE "  # noqa: S608
                f"{connection.ops.quote_name(model.field.column)} IN (SELECT id FROM {aq_table} "
                f"WHERE attempt_id IN ({attempts}))", [quiz.pk])
        cursor.execute(f"DELETE FROM {aq_table} WHERE attempt_id IN ({attempts})",  # noqa: S608
                       [quiz.pk])
        cursor.execute(f"DELETE FROM {_table(Attempt)} WHERE quiz_id = %s", [quiz.pk])  # noqa: S608
        cursor.execute(f"DELETE FROM {BASELINE_TABLE}")  # noqa: S608
    # Fresh statistics for the next run's plans; VACUUM cannot run inside a transaction (a test
    # wraps this in one), where the statistics do not matter.
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {_table(AttemptQuestion)}")
            cursor.execute(f"VACUUM ANALYZE {_table(Attempt)}")


def open_attempts(*, quiz: Quiz, user_ids: Iterable[int]) -> dict[int, int]:
    """user id -> id of their open attempt at the quiz."""
    return dict(Attempt.objects.filter(
        quiz=quiz, user_id__in=list(user_ids), status=AttemptStatus.IN_PROGRESS,
    ).values_list("user_id", "pk"))


def attempts_start(*, quiz: Quiz, user_ids: Iterable[int]) -> dict[int, int]:
    """Start attempts in process (through the service, as the view does) for learners who have
    none open; user id -> attempt id. Tops up a submit run's pool when the start run was slow."""
    from quizzes import services

    user_model = get_user_model()
    started = {}
    for user in user_model.objects.filter(pk__in=list(user_ids)).order_by("pk"):
        started[user.pk] = services.attempt_start(quiz=quiz, user=user).pk
    return started


def papers(*, attempt_ids: Iterable[int]) -> dict[int, list[PaperQuestion]]:
    """attempt id -> its questions in paper order, with their choice ids (two queries)."""
    rows = list(AttemptQuestion.objects.filter(attempt_id__in=list(attempt_ids)).order_by(
        "attempt_id", "order").values_list("pk", "attempt_id", "kind", "version_id",
                                           "version__blanks"))
    choices = defaultdict(list)
    for version_id, choice_id in Choice.objects.filter(
            version_id__in={row[3] for row in rows}).order_by("order").values_list(
            "version_id", "pk"):
        choices[version_id].append(choice_id)
    result: dict[int, list[PaperQuestion]] = defaultdict(list)
    for pk, attempt_id, kind, version_id, blanks in rows:
        result[attempt_id].append(PaperQuestion(
            id=pk, kind=kind, choice_ids=tuple(choices.get(version_id, ())),
            blank_count=len(blanks or [])))
    return dict(result)


def token(attempt_question_id: int, choice_id: int) -> str:
    """What the take page posts for an option (this process has the server's SECRET_KEY)."""
    return choice_tokens.choice_token(attempt_question_id=attempt_question_id,
                                      choice_id=choice_id)


def answers_fill(*, attempt_ids: Iterable[int], rng: random.Random) -> int:
    """Give every unanswered question of these attempts a random answer, in bulk (so a submit
    grades a full paper); return how many were filled."""
    from bench.loadtest.plans import answer_for

    attempt_ids = list(attempt_ids)
    by_pk = {q.id: q for paper in papers(attempt_ids=attempt_ids).values() for q in paper}
    rows = list(AttemptQuestion.objects.filter(attempt_id__in=attempt_ids, answer__isnull=True)
                .only("pk", "answer", "answered_at"))
    now = timezone.now()
    for row in rows:
        _fields, row.answer = answer_for(by_pk[row.pk], rng=rng, token=token)
        row.answered_at = now
    AttemptQuestion.objects.bulk_update(rows, ["answer", "answered_at"], batch_size=1000)
    return len(rows)


# ---------------------------------------------------------------- checks after a scenario


def answers_check(*, expected: dict[int, dict]) -> tuple[int, int]:
    """(answers stored as autosaved, answers autosaved)."""
    stored = dict(AttemptQuestion.objects.filter(pk__in=list(expected)).values_list(
        "pk", "answer"))
    return sum(1 for pk, answer in expected.items() if stored.get(pk) == answer), len(expected)


def results_check(*, quiz: Quiz, user_ids: Sequence[int], submitted: int
                  ) -> list[tuple[str, bool, str]]:
    """SQL checks of a scenario's outcome: (check, passed, detail) for each."""
    checks = []
    attempts = Attempt.objects.filter(quiz=quiz, user_id__in=list(user_ids))
    per_user = attempts.values("user_id").annotate(n=Count("pk"))
    several = sum(1 for row in per_user if row["n"] != 1)
    checks.append(("one attempt per taker", several == 0 and len(per_user) == len(user_ids),
                   f"{len(per_user)} of {len(user_ids)} takers have an attempt, "
                   f"{several} have more than one"))
    graded = attempts.filter(status=AttemptStatus.GRADED, graded_at__isnull=False,
                             submitted_at__isnull=False)
    checks.append(("exactly one graded result per submitted attempt",
                   graded.count() == submitted == attempts.count(),
                   f"{graded.count()} graded of {attempts.count()} attempts, "
                   f"{submitted} submits answered"))
    ungraded_rows = AttemptQuestion.objects.filter(attempt__in=graded).filter(
        Q(awarded__isnull=True) & ~Q(kind=Kind.ESSAY)).count()
    sums = graded.annotate(total=Sum("attempt_questions__awarded")).values_list(
        "score", "max_score", "total")
    wrong_scores = sum(1 for score, max_score, total in sums
                       if score != min(total or Decimal("0"), max_score))
    checks.append(("each graded attempt's score is the sum of its marks",
                   ungraded_rows == 0 and wrong_scores == 0,
                   f"{ungraded_rows} unmarked questions, {wrong_scores} scores off"))
    return checks
