"""The exam-day load harness (bench/loadtest) without a load: its plans, its result parser, the
baseline views in the benchmark URLconf, the sessions it creates, the requests it plans against
the real exam views, and the wrk script against a small local server (when wrk is installed).
The whole harness against gunicorn and PostgreSQL is the integration test at the end."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.urls import NoReverseMatch, reverse

from bench.loadtest import plans, results
from bench.loadtest.plans import PaperQuestion, PlannedRequest, Taker

ROOT = Path(__file__).resolve().parents[2]
TAKER = Taker(user_id=1, session_key="loadtestabc", csrf="x" * 32)


# ---------------------------------------------------------------- plans


def test_plan_line_has_every_field_in_order():
    request = plans.autosave_request(TAKER, 7, 70, [("q70", "ab12")], at_ms=1500)
    assert plans.plan_line(3, request).split("\t") == [
        "3", "1500", "autosave", "POST", "/quizzes/attempts/7/autosave/", "loadtestabc",
        "x" * 32, "question=70&q70=ab12", '200:"saved": true', "0"]


@pytest.mark.parametrize("body", ["a\tb", "a\nb", "a\rb"])
def test_plan_line_refuses_tabs_and_line_breaks_that_would_shift_the_fields(body):
    with pytest.raises(ValueError, match="tabs or line breaks"):
        plans.plan_line(1, PlannedRequest("insert", "POST", "/bench/insert/", TAKER, body))


def test_plan_line_refuses_thread_zero():
    with pytest.raises(ValueError, match="from 1"):
        plans.plan_line(0, plans.trivial_request(TAKER))


def test_form_values_are_url_encoded_so_chinese_and_separators_survive():
    request = plans.autosave_request(TAKER, 1, 2, [("q2_0", "答案 1&x=2")])
    assert request.body == "question=2&q2_0=%E7%AD%94%E6%A1%88+1%26x%3D2"
    assert plans.plan_line(1, request)


def test_expectations_name_the_success_of_each_endpoint():
    assert plans.start_request(TAKER, 5).expect == "302:/quizzes/attempts/"
    assert plans.submit_request(TAKER, 5).expect == "302:/result/"
    assert plans.page_request(TAKER, 5).expect == "200"


def test_round_robin_deals_requests_to_connections_in_turn():
    requests = [plans.trivial_request(TAKER) for _ in range(5)]
    assert [thread for thread, _r in plans.round_robin(requests, 2)] == [1, 2, 1, 2, 1]


def test_by_time_sends_each_connections_share_in_time_order():
    requests = [plans.submit_request(TAKER, i, at_ms=ms) for i, ms in enumerate([50, 10, 30, 20])]
    dealt = plans.by_time(requests, 2)
    assert [(thread, r.at_ms) for thread, r in dealt] == [(1, 10), (2, 20), (1, 30), (2, 50)]


def test_spread_stays_inside_the_window_and_is_sorted():
    moments = plans.spread(500, 60_000, rng=random.Random(1))
    assert moments == sorted(moments) and moments[0] >= 0 and moments[-1] < 60_000


def test_exam_schedule_has_each_taker_answer_in_paper_order_across_the_window():
    paper = [PaperQuestion(id=i, kind="truefalse") for i in range(20)]
    events = plans.exam_schedule({1: paper, 2: paper[:3], 3: []}, window_ms=20_000,
                                 rng=random.Random(2))
    first = [at for attempt, _q, at in events if attempt == 1]
    assert len(first) == 20 and first == sorted(first)
    assert all(i * 1000 <= at < (i + 1) * 1000 for i, at in enumerate(first))
    assert len([e for e in events if e[0] == 2]) == 3


def _token(aq_id, choice_id):
    return f"t{aq_id}-{choice_id}"


def test_answer_for_posts_tokens_and_expects_the_choice_ids():
    rng = random.Random(3)
    single = PaperQuestion(id=9, kind="single", choice_ids=(4, 5, 6))
    fields, answer = plans.answer_for(single, rng=rng, token=_token)
    assert len(fields) == 1 and fields[0][0] == "q9"
    assert fields[0][1] == f"t9-{answer['choices'][0]}" and len(answer["choices"]) == 1
    multiple = PaperQuestion(id=10, kind="multiple", choice_ids=(1, 2, 3, 4))
    for _ in range(10):
        fields, answer = plans.answer_for(multiple, rng=rng, token=_token)
        assert answer["choices"] == sorted(answer["choices"]) and 1 <= len(fields) <= 2
        assert [value for _key, value in fields] == [f"t10-{c}" for c in answer["choices"]]


def test_answer_for_true_false_and_fill_in():
    rng = random.Random(4)
    fields, answer = plans.answer_for(PaperQuestion(id=3, kind="truefalse"), rng=rng,
                                      token=_token)
    assert fields == [("q3", "true" if answer["value"] else "false")]
    fields, answer = plans.answer_for(PaperQuestion(id=4, kind="fill", blank_count=2), rng=rng,
                                      token=_token)
    assert [key for key, _v in fields] == ["q4_0", "q4_1"]
    assert answer == {"blanks": [value for _k, value in fields]}


# ---------------------------------------------------------------- results


def _line(thread, kind, status, ok, scheduled, sent, done):
    return "\t".join(map(str, [thread, kind, status, ok, scheduled, sent, done]))


def test_parse_samples_reads_lines_and_computes_both_latencies():
    [sample] = results.parse_samples(_line(2, "start", 302, 1, 1000, 3000, 53000) + "\n\n")
    assert (sample.thread, sample.kind, sample.status, sample.ok) == (2, "start", 302, True)
    assert sample.latency_ms == 50 and sample.total_ms == 52


@pytest.mark.parametrize("line", [
    "1\tstart\t302\t1\t0\t0",                  # a field missing
    "1\tstart\tabc\t1\t0\t0\t5",               # not a number
    "1\tstart\t302\t2\t0\t0\t5",               # ok is 0 or 1
    "1\tstart\t302\t1\t0\t9\t5",               # answered before it was sent
])
def test_parse_samples_refuses_malformed_lines(line):
    with pytest.raises(ValueError, match="samples line 1"):
        results.parse_samples(line)


def test_parse_summary_reads_socket_errors():
    summary = results.parse_summary(
        "Running 3s test\nLOADTEST_SUMMARY requests=10 connect=1 read=2 write=0 status=3 "
        "timeout=4 unsent=5 late_start_ms=7 future=1\nRequests/sec: 3\n")
    assert summary.socket_errors == 7 and summary.status == 3 and summary.unsent == 5
    assert summary.late_start_ms == 7
    with pytest.raises(ValueError, match="LOADTEST_SUMMARY"):
        results.parse_summary("wrk: connection refused")


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert results.percentile(values, 50) == 50
    assert results.percentile(values, 95) == 95
    assert results.percentile(values, 99) == 99
    assert results.percentile([7.0], 99) == 7.0
    assert results.percentile([], 50) != results.percentile([], 50)  # NaN


def test_steady_rate_counts_only_while_every_connection_was_busy():
    samples = []
    # Thread 1 answers 10 per second for 10 s; thread 2 stops after 5 s (pool used up).
    for i in range(100):
        samples.append(results.Sample(1, "start", 302, True, 0, i * 100_000, (i + 1) * 100_000))
    for i in range(50):
        samples.append(results.Sample(2, "start", 302, True, 0, i * 100_000, (i + 1) * 100_000))
    assert results.steady_rate(samples) == pytest.approx(20, rel=0.05)
    assert results.steady_rate([]) == 0


def test_endpoint_result_counts_bad_responses_and_socket_errors_not_the_unused_pool():
    samples = [results.Sample(1, "submit", 302, True, 0, 0, 10_000),
               results.Sample(1, "submit", 500, False, 0, 10_000, 30_000),
               results.Sample(1, "insert", 200, True, 0, 0, 1_000)]
    summary = results.WrkSummary(requests=3, read=1, timeout=1, unsent=40)
    result = results.endpoint_result(samples, kind="submit", concurrency=16, summary=summary,
                                     queries=22)
    assert (result.requests, result.errors, result.queries) == (2, 3, 22)
    assert result.p99 == 20


def test_phase_result_holds_only_under_300_ms_with_nothing_lost():
    fast = [results.Sample(1, "submit", 302, True, i * 1000, i * 1000, i * 1000 + 50_000)
            for i in range(100)]
    assert results.phase_result(fast, name="submit", planned_kind="submit", planned=100).held
    lost = results.phase_result(fast, name="submit", planned_kind="submit", planned=101)
    assert lost.errors == 1 and not lost.held
    late = [results.Sample(1, "submit", 302, True, 0, 400_000, 450_000) for _ in range(10)]
    phase = results.phase_result(late, name="submit", planned_kind="submit", planned=10)
    assert phase.p95 == 450 and phase.service_p95 == 50 and not phase.held


def test_tables_print_a_ratio_for_each_endpoint():
    insert = results.EndpointResult("insert", 16, 100, 500.0, 10, 20, 30, 0, 3)
    autosave = results.EndpointResult("autosave", 16, 100, 250.0, 10, 20, 30, 0, 6)
    table = results.endpoints_table([(insert, "-", 1.0),
                                     (autosave, "insert 500 req/s", 0.5)])
    assert "ratio" in table.splitlines()[0]
    assert "0.50" in table.splitlines()[2] and "insert 500 req/s" in table


def test_collapsed_top_ranks_own_time_and_project_functions():
    text = ("main (/work/main/x.py:1);attempt_start (/work/main/quizzes/services.py:10);"
            "execute (site-packages/psycopg/cursor.py:5) 30\n"
            "main (/work/main/x.py:1);render (site-packages/django/template/base.py:9) 10\n")
    report = results.collapsed_top(text, own_code=["/work/main/quizzes/"])
    assert report.splitlines()[0] == "40 samples; own time:"
    assert "75.0%  execute (psycopg/cursor.py)" in report
    assert "75.0%  attempt_start (quizzes/services.py)" in report


# ---------------------------------------------------------------- baselines and URLconf


@pytest.fixture
def bench_urls(db):
    from bench.loadtest import views

    views.baseline_table_create()
    with override_settings(ROOT_URLCONF="bench.loadtest.urls"):
        yield


def _rows():
    with connection.cursor() as cursor:
        cursor.execute("SELECT user_id, value FROM bench_loadtest_insert")
        return cursor.fetchall()


def test_baselines_are_not_mounted_in_the_projects_urlconf():
    with pytest.raises(NoReverseMatch):
        reverse("loadtest_insert")


def test_bench_urlconf_keeps_every_project_url(bench_urls):
    assert reverse("loadtest_insert") == "/bench/insert/"
    assert reverse("quizzes:autosave", args=[1]) == "/quizzes/attempts/1/autosave/"
    assert reverse("healthz") == "/healthz"


def test_baselines_require_login(bench_urls, client):
    for response in (client.get("/bench/page/"), client.post("/bench/insert/", {"value": "x"})):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert _rows() == []


def test_insert_baseline_writes_one_row_and_only_on_post(bench_urls, client,
                                                        django_user_model,
                                                        django_assert_num_queries):
    user = django_user_model.objects.create_user("base", password="x" * 12)
    client.force_login(user)
    client.get("/bench/page/")  # session and user loaded once before counting
    # Session, user, INSERT: the same logged-in overhead every exam request has (the forced
    # password change check reads the flag the login kept in the session).
    with django_assert_num_queries(3):
        response = client.post("/bench/insert/", {"value": "v" * 80})
    assert response.json() == {"saved": True}
    assert _rows() == [(user.pk, "v" * 50)]
    assert client.get("/bench/insert/").status_code == 405
    assert len(_rows()) == 1


def test_trivial_baseline_renders_a_small_page_without_the_database(
        bench_urls, client, django_user_model, django_assert_num_queries):
    user = django_user_model.objects.create_user("base", password="x" * 12)
    client.force_login(user)
    with django_assert_num_queries(2):  # session, user: no query of its own
        response = client.get("/bench/page/")
    assert response.status_code == 200
    assert "base" in response.content.decode() and len(response.content) < 500
    assert client.post("/bench/page/").status_code == 405


# ---------------------------------------------------------------- fixtures and probe


def test_sessions_are_logged_in_with_a_working_csrf_secret(bench_urls):
    from bench.loadtest import fixtures, probe

    users = fixtures.learners_ensure(count=3)
    assert len(fixtures.learners_ensure(count=3)) == 3  # idempotent
    assert all(user.learner.position == "head" and not user.has_usable_password()
               for user in users)
    takers = fixtures.sessions_create(users=users)
    assert [t.user_id for t in takers] == [u.pk for u in users]
    assert all(t.session_key.startswith(fixtures.SESSION_PREFIX) for t in takers)
    probe.send(plans.insert_request(takers[0], "ok"))
    assert _rows() == [(users[0].pk, "ok")]
    # Without the header the same POST is refused: the CSRF check is really on.
    client = Client(enforce_csrf_checks=True)
    client.cookies["sessionid"] = takers[1].session_key
    client.cookies["csrftoken"] = takers[1].csrf
    assert client.post("/bench/insert/", {"value": "no"}).status_code == 403
    # A rerun replaces the harness's sessions.
    again = fixtures.sessions_create(users=users[:1])
    from django.contrib.sessions.models import Session

    assert Session.objects.filter(session_key__startswith="loadtest").count() == 1
    assert again[0].session_key != takers[0].session_key


def test_planned_exam_requests_succeed_against_the_real_views(bench_urls):
    """Start, page, autosave (with this attempt's option tokens) and submit as wrk sends them,
    in process: the harness's requests stay valid when the exam views change."""
    from bench.loadtest import fixtures, probe
    from quizzes.models import Attempt, AttemptStatus

    quiz = fixtures.exam_ensure()
    takers = fixtures.sessions_create(users=fixtures.learners_ensure(count=2))
    counts = probe.queries_per_request(quiz=quiz, takers=takers)
    assert set(counts) == set(probe.KINDS) and all(n > 0 for n in counts.values())
    attempts = Attempt.objects.filter(quiz=quiz)
    assert attempts.count() == 2
    assert all(a.status == AttemptStatus.GRADED for a in attempts)
    assert all(aq.answer is not None for a in attempts for aq in a.attempt_questions.all())
    expected = {}
    rng = random.Random(5)
    fixtures.run_reset(quiz=quiz)
    assert not Attempt.objects.filter(quiz=quiz).exists() and _rows() == []
    probe.send(plans.start_request(takers[0], quiz.pk))
    attempt_id = fixtures.open_attempts(quiz=quiz, user_ids=[takers[0].user_id])[
        takers[0].user_id]
    paper = fixtures.papers(attempt_ids=[attempt_id])[attempt_id]
    assert len(paper) == fixtures.EXAM_QUESTIONS
    for question in paper:
        fields, expected[question.id] = plans.answer_for(question, rng=rng,
                                                         token=fixtures.token)
        probe.send(plans.autosave_request(takers[0], attempt_id, question.id, fields))
    assert fixtures.answers_check(expected=expected) == (20, 20)
    probe.send(plans.submit_request(takers[0], attempt_id))
    checks = fixtures.results_check(quiz=quiz, user_ids=[takers[0].user_id], submitted=1)
    assert [ok for _name, ok, _detail in checks] == [True, True, True]
    # Counted twice as submitted: the check says so.
    checks = fixtures.results_check(quiz=quiz, user_ids=[takers[0].user_id], submitted=2)
    assert not checks[1][1]


# ---------------------------------------------------------------- the wrk script


class _Handler(BaseHTTPRequestHandler):
    seen: list = []

    def log_message(self, *args):
        pass

    def _reply(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        type(self).seen.append((self.command, self.path, self.headers.get("Cookie"),
                                self.headers.get("X-CSRFToken"), body))
        if self.path.startswith("/start"):
            self.send_response(302)
            self.send_header("Location", "/quizzes/attempts/5/")
            payload = b""
        elif self.path.startswith("/broken"):
            self.send_response(500)
            payload = b"no"
        else:
            self.send_response(200)
            payload = b'{"saved": true}'
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _reply


@pytest.fixture
def local_server():
    if not shutil.which("wrk"):
        pytest.skip("wrk is not installed (apt-get install wrk)")
    _Handler.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _wrk(tmp_path, url, requests, mode, duration_s=1.0):
    from bench.loadtest import run

    assignments = (plans.by_time(requests, 2) if mode == "schedule"
                   else plans.round_robin(requests, 2))
    return run.wrk_run(name=mode, assignments=assignments, mode=mode, duration_s=duration_s,
                       out=tmp_path, url=url, wrk=shutil.which("wrk"), timeout_s=5,
                       start_delay_ms=300)


def test_wrk_script_sends_each_planned_request_once_with_cookie_and_csrf_header(
        tmp_path, local_server):
    requests = [PlannedRequest("autosave", "POST", f"/save/{i}", TAKER, f"question={i}")
                for i in range(6)]
    run = _wrk(tmp_path, local_server, requests, "once", duration_s=10)
    assert len(run.samples) == 6 and all(s.ok for s in run.samples)
    assert sorted(path for _m, path, *_rest in _Handler.seen) == [f"/save/{i}" for i in range(6)]
    method, _path, cookie, csrf, body = _Handler.seen[0]
    assert method == "POST" and body.startswith("question=")
    assert cookie == f"sessionid=loadtestabc; csrftoken={'x' * 32}" and csrf == "x" * 32
    assert run.summary.socket_errors == 0 and run.summary.unsent == 0
    # Stopped as soon as both connections were done, not after the 10 s allowed.
    assert max(s.done_us for s in run.samples) < 2_000_000


def test_wrk_script_schedules_follows_redirects_and_flags_bad_responses(tmp_path,
                                                                          local_server):
    requests = [PlannedRequest("start", "POST", "/start", TAKER, at_ms=0, follow=True),
                PlannedRequest("autosave", "POST", "/broken", TAKER, at_ms=300),
                PlannedRequest("submit", "POST", "/ok", TAKER, at_ms=600)]
    run = _wrk(tmp_path, local_server, requests, "schedule", duration_s=5)
    by_kind = {s.kind: s for s in run.samples}
    assert set(by_kind) == {"start", "page", "autosave", "submit"}
    assert by_kind["page"].ok and ("GET", "/quizzes/attempts/5/") in [
        seen[:2] for seen in _Handler.seen]
    assert not by_kind["autosave"].ok and by_kind["autosave"].status == 500
    # Sent at its time, not before: the schedule is kept.
    assert by_kind["submit"].sent_us >= 600_000 - 2_000


def test_wrk_script_cycles_until_the_time_is_up(tmp_path, local_server):
    run = _wrk(tmp_path, local_server, [plans.trivial_request(TAKER)], "cycle", duration_s=1)
    assert len(run.samples) > 5 and all(s.ok for s in run.samples)
    assert max(s.sent_us for s in run.samples) <= 1_000_000 + 50_000


# ---------------------------------------------------------------- the whole harness


@pytest.mark.integration
def test_make_loadtest_runs_end_to_end_on_gunicorn_and_postgresql(postgres_required, redis_url,
                                                                  tmp_path):
    """A tiny run of the real harness: its own database, gunicorn, wrk, the SQL checks."""
    if not shutil.which("wrk") and os.environ.get("REQUIRE_SERVICES") != "1":
        pytest.skip("wrk is not installed (apt-get install wrk)")
    from django.db import connection as test_connection

    db = test_connection.settings_dict
    url = (f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
           f"/{db['NAME']}_load")
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",
                                                              "DATABASE_URL")}
    result = subprocess.run(
        [sys.executable, "-m", "bench.loadtest", "--concurrency", "2", "--duration", "1",
         "--takers", "6", "--start-window", "2", "--exam-window", "4", "--submit-window", "2",
         "--connections", "4", "--database-url", url, "--port", "8766",
         "--out", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    for kind in ("insert", "trivial", "start", "page", "autosave", "submit"):
        assert any(line.startswith(kind) and "ratio" not in line
                   for line in output.splitlines()), kind
    assert output.count("PASS") == 4 and "FAIL" not in output
    assert "loadtest: OK" in output


def test_quick_mode_is_the_default_and_full_mode_searches_takers():
    from bench.loadtest import run

    quick = run.parse_args([])
    assert (quick.concurrency, quick.takers, quick.full) == ([16], [100], False)
    full = run.parse_args(["--full"])
    assert full.concurrency == [16, 64, 256] and full.takers == [500, 1000, 2000, 3000]
    assert (full.start_window, full.submit_window, full.connections) == (60, 60, 400)
    mixed = run.parse_args(["--full", "--takers", "300,100", "--concurrency", "8"])
    assert mixed.takers == [100, 300] and mixed.concurrency == [8]


def test_server_environment_has_what_production_requires_and_plain_http():
    from bench.loadtest import run

    env = run.server_environment(run.parse_args(["--redis-url", "redis://127.0.0.1:6379/"]))
    assert env["DJANGO_SETTINGS_MODULE"] == "bench.loadtest.settings"
    assert env["CACHE_URL"] == "redis://127.0.0.1:6379/12"
    assert env["CELERY_BROKER_URL"] == "redis://127.0.0.1:6379/13"
    assert env["SECURE_SSL_REDIRECT"] == "0" and len(env["SECRET_KEY"]) >= 50
    assert "127.0.0.1" in env["ALLOWED_HOSTS"].split(",")
