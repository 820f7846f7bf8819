"""What wrk sends: requests of logged-in learners written as plan lines for lua/driver.lua.

Pure Python (no Django): the driver builds requests from the database, this module turns them
into the tab-separated plan, spreads them over wrk's connections and schedules them in time."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from quizzes import types

# What a response must look like to count as a success (status, then text that must occur in
# the Location of a redirect or in the body): see `expect` in lua/driver.lua.
EXPECT = {
    "insert": '200:"saved": true',
    "trivial": "200",
    "start": "302:/quizzes/attempts/",
    "page": "200",
    "autosave": '200:"saved": true',
    "submit": "302:/result/",
}
FORBIDDEN = ("\t", "\n", "\r")


@dataclass(frozen=True)
class Taker:
    """A learner as wrk sees them: a session that is already logged in, and a CSRF secret that
    goes both in the csrftoken cookie and in the X-CSRFToken header."""

    user_id: int
    session_key: str
    csrf: str


@dataclass(frozen=True)
class PlannedRequest:
    """One request of the plan; at_ms is its time from the start (open loop only)."""

    kind: str
    method: str
    path: str
    taker: Taker
    body: str = ""
    at_ms: int = 0
    follow: bool = False

    @property
    def expect(self) -> str:
        return EXPECT.get(self.kind, "200")


def insert_request(taker: Taker, value: str) -> PlannedRequest:
    return PlannedRequest("insert", "POST", "/bench/insert/", taker, urlencode({"value": value}))


def trivial_request(taker: Taker) -> PlannedRequest:
    return PlannedRequest("trivial", "GET", "/bench/page/", taker)


def start_request(taker: Taker, quiz_id: int, *, follow: bool = False,
                  at_ms: int = 0) -> PlannedRequest:
    return PlannedRequest("start", "POST", f"/quizzes/{quiz_id}/start/", taker, at_ms=at_ms,
                          follow=follow)


def page_request(taker: Taker, attempt_id: int) -> PlannedRequest:
    return PlannedRequest("page", "GET", f"/quizzes/attempts/{attempt_id}/", taker)


def autosave_request(taker: Taker, attempt_id: int, attempt_question_id: int,
                     fields: Sequence[tuple[str, str]], *, at_ms: int = 0) -> PlannedRequest:
    """The POST the take page's script sends when one answer changes."""
    body = urlencode([("question", str(attempt_question_id)), *fields])
    return PlannedRequest("autosave", "POST", f"/quizzes/attempts/{attempt_id}/autosave/",
                          taker, body, at_ms=at_ms)


def submit_request(taker: Taker, attempt_id: int, *, at_ms: int = 0) -> PlannedRequest:
    return PlannedRequest("submit", "POST", f"/quizzes/attempts/{attempt_id}/submit/", taker,
                          at_ms=at_ms)


@dataclass(frozen=True)
class PaperQuestion:
    """One question of a drawn paper, as much as answering it needs."""

    id: int
    kind: str
    choice_ids: tuple[int, ...] = ()
    blank_count: int = 0


def answer_for(question: PaperQuestion, *, rng: random.Random,
               token: Callable[[int, int], str]) -> tuple[list[tuple[str, str]], dict]:
    """A random answer as the take page posts it (options as this attempt's tokens), and the
    answer the database must hold afterwards."""
    key = f"q{question.id}"
    if question.kind in (types.SINGLE, types.MULTIPLE) and question.choice_ids:
        count = 1 if question.kind == types.SINGLE else rng.randint(1, min(2, len(
            question.choice_ids)))
        chosen = sorted(rng.sample(list(question.choice_ids), count))
        return ([(key, token(question.id, choice_id)) for choice_id in chosen],
                {"choices": chosen})
    if question.kind == types.TRUE_FALSE:
        value = rng.choice([True, False])
        return [(key, "true" if value else "false")], {"value": value}
    if question.kind == types.FILL:
        blanks = [f"答案{rng.randint(1, 9)}" for _ in range(max(question.blank_count, 1))]
        return [(f"{key}_{i}", text) for i, text in enumerate(blanks)], {"blanks": blanks}
    text = "本部门按照绩效目标开展自评。"
    return [(key, text)], {"text": text}


def plan_line(thread: int, request: PlannedRequest) -> str:
    """The request as one tab-separated line of the plan (thread numbers start at 1)."""
    fields = [str(thread), str(int(request.at_ms)), request.kind, request.method, request.path,
              request.taker.session_key, request.taker.csrf, request.body, request.expect,
              "1" if request.follow else "0"]
    for field in fields:
        if any(char in field for char in FORBIDDEN):
            raise ValueError(f"a plan field cannot hold tabs or line breaks: {field!r}")
    if thread < 1:
        raise ValueError("threads are numbered from 1")
    return "\t".join(fields)


def round_robin(requests: Iterable[PlannedRequest], threads: int
                ) -> list[tuple[int, PlannedRequest]]:
    """Closed loop: request i goes to connection i mod threads."""
    return [(i % threads + 1, request) for i, request in enumerate(requests)]


def by_time(requests: Iterable[PlannedRequest], threads: int
            ) -> list[tuple[int, PlannedRequest]]:
    """Open loop: requests in time order, dealt to the connections in turn, so each connection
    sends its share in order and consecutive requests leave on different connections."""
    ordered = sorted(requests, key=lambda r: r.at_ms)
    return [(i % threads + 1, request) for i, request in enumerate(ordered)]


def plan_write(path: Path, assignments: Iterable[tuple[int, PlannedRequest]]) -> int:
    """Write the plan; return how many requests it holds."""
    count = 0
    with open(path, "w", encoding="utf-8") as plan:
        for thread, request in assignments:
            plan.write(plan_line(thread, request) + "\n")
            count += 1
    return count


def spread(count: int, window_ms: int, *, rng: random.Random) -> list[int]:
    """Moments for `count` events uniformly at random within the window, sorted."""
    return sorted(int(rng.random() * window_ms) for _ in range(count))


def exam_schedule(papers: dict[int, list[PaperQuestion]], *, window_ms: int,
                  rng: random.Random) -> list[tuple[int, PaperQuestion, int]]:
    """(attempt id, question, at_ms) for every question of every paper: each taker answers
    their questions in order, one in each twentieth of the window at a random moment in it, so
    the whole room saves answers at a steady rate."""
    events = []
    for attempt_id, questions in papers.items():
        if not questions:
            continue
        slot = window_ms / len(questions)
        for index, question in enumerate(questions):
            events.append((attempt_id, question, int((index + rng.random()) * slot)))
    return events
