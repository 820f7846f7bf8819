"""In-process looks at the exam endpoints through Django's test client, with the server's
settings, URLconf and database: queries per request, and a cProfile of each endpoint."""

from __future__ import annotations

import cProfile
import io
import pstats
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.loadtest import fixtures, plans
from bench.loadtest.plans import PlannedRequest, Taker
from quizzes.models import Quiz

_client: Client | None = None


def shared_client() -> Client:
    """One client for every taker, as one gunicorn worker serves everybody: a new client would
    build the middleware chain again (whitenoise scans the static files then)."""
    global _client
    if _client is None:
        _client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1",
                         HTTP_X_REQUESTED_WITH="fetch")
    return _client


def send(request: PlannedRequest):
    """Send a planned request in process with the taker's cookies and CSRF header, like wrk
    does; fail loudly when it does not succeed as planned."""
    client = shared_client()
    client.cookies.clear()
    client.cookies["sessionid"] = request.taker.session_key
    client.cookies["csrftoken"] = request.taker.csrf
    headers = {"X-CSRFToken": request.taker.csrf}
    if request.method == "POST":
        response = client.generic("POST", request.path, request.body,
                                  content_type="application/x-www-form-urlencoded",
                                  headers=headers)
    else:
        response = client.get(request.path, headers=headers)
    status, _sep, text = request.expect.partition(":")
    where = response.get("Location", "") if 300 <= response.status_code < 400 else \
        response.content.decode("utf-8", "replace")
    if response.status_code != int(status) or (text and text not in where):
        raise RuntimeError(f"{request.kind} {request.path}: {response.status_code} "
                           f"{where[:300]!r}")
    return response


@dataclass
class ExamRequests:
    """One request of each kind for two probe takers (the second request of a kind is the
    one measured: the first may fill a cache)."""

    quiz: Quiz
    takers: Sequence[Taker]
    rng: random.Random

    def insert(self, taker: Taker) -> PlannedRequest:
        return plans.insert_request(taker, "probe")

    def trivial(self, taker: Taker) -> PlannedRequest:
        return plans.trivial_request(taker)

    def start(self, taker: Taker) -> PlannedRequest:
        return plans.start_request(taker, self.quiz.pk)

    def _attempt(self, taker: Taker) -> int:
        attempts = fixtures.open_attempts(quiz=self.quiz, user_ids=[taker.user_id])
        if taker.user_id not in attempts:
            send(self.start(taker))
            attempts = fixtures.open_attempts(quiz=self.quiz, user_ids=[taker.user_id])
        return attempts[taker.user_id]

    def page(self, taker: Taker) -> PlannedRequest:
        return plans.page_request(taker, self._attempt(taker))

    def autosave(self, taker: Taker) -> PlannedRequest:
        attempt_id = self._attempt(taker)
        question = self.rng.choice(fixtures.papers(attempt_ids=[attempt_id])[attempt_id])
        fields, _answer = plans.answer_for(question, rng=self.rng, token=fixtures.token)
        return plans.autosave_request(taker, attempt_id, question.id, fields)

    def submit(self, taker: Taker) -> PlannedRequest:
        attempt_id = self._attempt(taker)
        fixtures.answers_fill(attempt_ids=[attempt_id], rng=self.rng)
        return plans.submit_request(taker, attempt_id)


ROOT = Path(__file__).resolve().parents[2]
# pstats restriction: functions in the project's apps, not in the virtualenv.
APPS = "quizzes|portal|departments|courses|casebook|assessments"
PROJECT_CODE = rf"^{re.escape(str(ROOT))}/({APPS})/"

KINDS = ("insert", "trivial", "start", "page", "autosave", "submit")


def queries_per_request(*, quiz: Quiz, takers: Sequence[Taker]) -> dict[str, int]:
    """Queries of one request of each kind, measured on the second request of the kind (two
    probe takers: a start and a submit use up the attempt of the first)."""
    if len(takers) < 2:
        raise ValueError("two probe takers are needed")
    maker = ExamRequests(quiz=quiz, takers=takers, rng=random.Random(7))
    counts = {}
    for kind in KINDS:
        build: Callable[[Taker], PlannedRequest] = getattr(maker, kind)
        send(build(takers[0]))
        request = build(takers[1])  # built first: building may query (attempt, paper)
        with CaptureQueriesContext(connection) as queries:
            send(request)
        counts[kind] = len(queries)
    return counts


def profile(*, quiz: Quiz, takers: Sequence[Taker], kind: str, requests: int = 40,
            top: int = 20) -> str:
    """cProfile of `requests` requests of one kind (built beforehand, so only serving them is
    profiled): the top functions by own time and by cumulative time, as text."""
    maker = ExamRequests(quiz=quiz, takers=takers, rng=random.Random(11))
    build = getattr(maker, kind)
    if kind in ("start", "submit"):
        planned = [build(taker) for taker in takers[:requests]]
    else:
        planned = [build(takers[i % len(takers)]) for i in range(requests)]
    send(plans.trivial_request(takers[-1]))  # the middleware chain is built before profiling
    profiler = cProfile.Profile()
    profiler.enable()
    for request in planned:
        send(request)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    out.write(f"== {kind}: {len(planned)} requests; the project's functions, cumulative\n")
    stats.sort_stats("cumulative").print_stats(PROJECT_CODE, top)
    out.write(f"== {kind}: {len(planned)} requests; own time, everything\n")
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue().replace(f"{ROOT}/", "")
