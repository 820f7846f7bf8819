"""The driver of `make loadtest`: prepare the database, start gunicorn with the production
settings, drive it with wrk, print the figures, check the database, stop everything.

Exit status: 0 when the run completed, every endpoint answered without errors at the lowest
concurrency and every SQL check passed; 1 when a check failed or the lowest concurrency had
errors; 2 when the harness could not run (no PostgreSQL, Redis or wrk; gunicorn did not start).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
LUA = Path(__file__).resolve().parent / "lua" / "driver.lua"
BIN = Path(sys.executable).parent

QUICK = {"concurrency": "16", "duration": 5, "takers": "100", "start_window": 20,
         "exam_window": 40, "submit_window": 20, "connections": 128}
FULL = {"concurrency": "16,64,256", "duration": 15, "takers": "500,1000,2000,3000",
        "start_window": 60, "exam_window": 300, "submit_window": 60, "connections": 400}
BASELINE_OF = {"insert": "insert", "trivial": "trivial", "start": "insert", "page": "trivial",
               "autosave": "insert", "submit": "insert"}
EXAM_MINUTES = 30
PROBE_TAKERS = 2
WARM_TAKERS = 40


STARTED = time.monotonic()


def say(message: str) -> None:
    """A progress line with the time since the harness started."""
    elapsed = int(time.monotonic() - STARTED)
    print(f"[{elapsed // 60:02d}:{elapsed % 60:02d}] {message}", flush=True)


class HarnessError(Exception):
    """The harness cannot run here (a service or a tool is missing)."""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true",
                        help="concurrency 16/64/256, 15 s per endpoint, search takers "
                             "500..3000 in real-time windows (about 30 minutes)")
    parser.add_argument("--concurrency", help="comma-separated wrk connections per endpoint run")
    parser.add_argument("--duration", type=float, help="seconds per endpoint run")
    parser.add_argument("--takers", help="comma-separated scenario sizes, tried in increasing "
                                         "order until one does not hold")
    parser.add_argument("--start-window", type=float, help="seconds over which takers start")
    parser.add_argument("--exam-window", type=float,
                        help="seconds into which the 30-minute exam's autosaves are compressed")
    parser.add_argument("--submit-window", type=float, help="seconds over which takers submit")
    parser.add_argument("--connections", type=int, help="wrk connections in the scenario")
    parser.add_argument("--skip-endpoints", action="store_true")
    parser.add_argument("--skip-scenario", action="store_true")
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile each exam endpoint in process (top functions)")
    parser.add_argument("--py-spy", default=os.environ.get("PY_SPY", ""),
                        help="path of py-spy: sample one gunicorn worker during each exam "
                             "endpoint run at the lowest concurrency")
    parser.add_argument("--database-url", default=os.environ.get(
        "LOADTEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jixiao_load"))
    parser.add_argument("--redis-url", default=os.environ.get(
        "LOADTEST_REDIS_URL", "redis://127.0.0.1:6379"),
        help="Redis server; databases 12 (cache, sessions) and 13 (broker) are flushed")
    parser.add_argument("--port", type=int, default=int(os.environ.get("LOADTEST_PORT", 8765)))
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", help="directory for plans, samples and logs "
                                      "(default var/loadtest/<time>)")
    args = parser.parse_args(argv)
    for key, value in (FULL if args.full else QUICK).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.concurrency = sorted({int(c) for c in str(args.concurrency).split(",")})
    args.takers = sorted({int(n) for n in str(args.takers).split(",")})
    return args


# ---------------------------------------------------------------- environment and services


def server_environment(args) -> dict[str, str]:
    """The variables production needs (no defaults there), pointed at the harness's own
    database and Redis databases; plain HTTP on 127.0.0.1."""
    redis = args.redis_url.rstrip("/")
    var = ROOT / "var" / "loadtest"
    return {
        "DJANGO_SETTINGS_MODULE": "bench.loadtest.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": args.database_url,
        "CELERY_BROKER_URL": f"{redis}/13",
        "CACHE_URL": f"{redis}/12",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "SECURE_HSTS_PRELOAD": "0",
        "STATIC_ROOT": str(var / "static"),
        "MEDIA_ROOT": str(var / "media"),
        "LOG_LEVEL": "WARNING",
    }


def wrk_path() -> str:
    """Debian's wrk, installed with apt when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    say("wrk is missing: apt-get install -y wrk")
    for command in (["apt-get", "install", "-y", "-q", "wrk"], ["apt-get", "update", "-q"],
                    ["apt-get", "install", "-y", "-q", "wrk"]):
        subprocess.run(command, check=False, env={**os.environ,
                                                   "DEBIAN_FRONTEND": "noninteractive"})
        found = shutil.which("wrk")
        if found:
            return found
    raise HarnessError("wrk is not installed and apt-get could not install it")


def database_ensure(url: str) -> None:
    """Create the harness's PostgreSQL database when it does not exist."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    try:
        with psycopg.connect(host=parts.hostname or "127.0.0.1", port=parts.port or 5432,
                             user=parts.username or "postgres", password=parts.password,
                             dbname="postgres", connect_timeout=5, autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                return
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as error:
        raise HarnessError(f"PostgreSQL does not answer at {url}: {error}") from None


def redis_flush(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url).flushdb()
    except redis.RedisError as error:
        raise HarnessError(f"Redis does not answer at {url}: {error}") from None


def static_ready(static_root: Path) -> bool:
    """collectstatic has run since the last change to site/static."""
    manifest = static_root / "staticfiles.json"
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    return all(p.stat().st_mtime <= built for p in (ROOT / "site" / "static").rglob("*"))


# ---------------------------------------------------------------- gunicorn


@dataclass
class Server:
    """gunicorn in its own process group, stopped by stop() whatever happens."""

    args: argparse.Namespace
    env: dict
    log: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.args.port}"

    def command(self) -> list[str]:
        # Production's config file (config/gunicorn.conf.py: gthread worker that parks new and
        # kept-alive connections in the poller, keep-alive 75 s); on 2 cores 5 processes of 4
        # threads (2 × cores + 1 workers, threads to overlap database waits).
        return [str(BIN / "gunicorn"), "--config", str(ROOT / "config" / "gunicorn.conf.py"),
                "config.wsgi:application", "--bind", f"127.0.0.1:{self.args.port}",
                "--workers", str(self.args.workers), "--threads", str(self.args.threads),
                "--max-requests", "0",
                "--log-level", "warning", "--error-logfile", str(self.log)]

    def start(self) -> None:
        with contextlib.closing(socket.socket()) as probe:
            if probe.connect_ex(("127.0.0.1", self.args.port)) == 0:
                raise HarnessError(f"port {self.args.port} is in use (another loadtest still "
                                   "running?); stop it or pass --port")
        self.process = subprocess.Popen(self.command(), cwd=ROOT, env={**os.environ, **self.env},
                                        start_new_session=True, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HarnessError(f"gunicorn exited with {self.process.returncode}; "
                                   f"see {self.log}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz",  # noqa: S310 (http only)
                                            timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        raise HarnessError(f"gunicorn did not answer within 90 s; see {self.log}")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        result = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True,
                                text=True, check=False)
        return [int(pid) for pid in result.stdout.split()]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            # INT is gunicorn's quick shutdown (TERM waits for keep-alive clients).
            os.killpg(self.process.pid, signal.SIGINT)
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass


# ---------------------------------------------------------------- wrk


@dataclass
class Run:
    """One wrk run: its plan, samples and socket errors."""

    name: str
    samples: list = field(default_factory=list)
    summary: object = None
    planned: int = 0


def wrk_run(*, name: str, assignments, mode: str, duration_s: float, out: Path, url: str,
            wrk: str, timeout_s: int = 30, spy: tuple[str, int] | None = None,
            start_delay_ms: int | None = None) -> Run:
    """Run wrk with lua/driver.lua on a plan; stop it as soon as every connection is done."""
    from bench.loadtest import plans, results

    run_dir = out / name
    run_dir.mkdir(parents=True, exist_ok=True)
    planned = plans.plan_write(run_dir / "plan.tsv", assignments)
    threads = max(1, len({thread for thread, _request in assignments}))
    env = {**os.environ, "LOADTEST_PLAN": str(run_dir / "plan.tsv"),
           "LOADTEST_OUT": str(run_dir), "LOADTEST_MODE": mode,
           "LOADTEST_DURATION_MS": str(int(duration_s * 1000)),
           # Every connection starts at once, after all wrk threads are up.
           "LOADTEST_START_DELAY_MS": str(start_delay_ms if start_delay_ms is not None
                                          else 2000 + 10 * threads)}
    limit = math.ceil(duration_s + 3 + timeout_s)
    command = [wrk, "-t", str(threads), "-c", str(threads), "-d", f"{limit}s",
               "--timeout", f"{timeout_s}s", "-s", str(LUA), url]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    spy_process = None
    if spy:
        spy_process = subprocess.Popen(
            [spy[0], "record", "--pid", str(spy[1]), "--duration", str(math.ceil(duration_s)),
             "--rate", "250", "--format", "raw", "--output", str(run_dir / "py-spy.txt"),
             "--nonblocking", "--full-filenames"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    completed = False
    try:
        while process.poll() is None:
            time.sleep(0.2)
            if len(list(run_dir.glob("done-*"))) >= threads:
                process.send_signal(signal.SIGINT)
                break
        stdout, _stderr = process.communicate(timeout=limit + 30)
        completed = True
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if spy_process is not None:
            try:
                spy_process.wait(timeout=duration_s + 30 if completed else 0.1)
            except subprocess.TimeoutExpired:
                spy_process.kill()
                spy_process.wait()
    (run_dir / "wrk.txt").write_text(stdout)
    samples_file = run_dir / "samples.tsv"
    if not samples_file.exists():
        raise HarnessError(f"wrk wrote no samples for {name}:\n{stdout[-2000:]}")
    summary = results.parse_summary(stdout)
    spied = run_dir / "py-spy.txt"
    if spy and spied.exists():
        apps = ("quizzes", "portal", "departments", "courses", "casebook", "assessments",
                "config", "bench")
        own_code = [f"{ROOT}/{app}/" for app in apps]
        report = results.collapsed_top(spied.read_text(), top=25, own_code=own_code)
        (run_dir / "py-spy-top.txt").write_text(report + "\n")
    if summary.late_start_ms > 200:
        print(f"  note: {name}: the last wrk connection was ready {summary.late_start_ms} ms "
              "after the common start (a starved machine?)", flush=True)
    return Run(name, results.parse_samples(samples_file.read_text()), summary, planned)


# ---------------------------------------------------------------- the measurements


@dataclass
class Context:
    args: argparse.Namespace
    out: Path
    server: Server
    wrk: str
    quiz: object
    pool: list
    probes: list
    warm: list
    queries: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)


def warm_up(ctx: Context) -> int:
    """Serve every kind of request a few times before measuring: a gunicorn worker's first
    requests import the views and open connections (seconds on this machine), which is not
    what an exam hour looks like. Returns how many requests were sent."""
    from bench.loadtest import fixtures, plans

    rng = random.Random(ctx.args.seed)
    takers, quiz = ctx.warm, ctx.quiz
    connections = min(10, len(takers))
    sent = 0

    def run(name, requests, mode, duration_s):
        run = wrk_run(name=f"warm-{name}", assignments=plans.round_robin(requests, connections),
                      mode=mode, duration_s=duration_s, out=ctx.out, url=ctx.server.url,
                      wrk=ctx.wrk)
        return len(run.samples)

    fixtures.run_reset(quiz=quiz)
    sent += run("start", [plans.start_request(t, quiz.pk) for t in takers], "once", 30)
    by_user = {t.user_id: t for t in takers}
    attempts = fixtures.open_attempts(quiz=quiz, user_ids=by_user)
    papers = fixtures.papers(attempt_ids=attempts.values())
    mixed = []
    for user_id, attempt_id in attempts.items():
        taker = by_user[user_id]
        question = papers[attempt_id][0]
        fields, _answer = plans.answer_for(question, rng=rng, token=fixtures.token)
        mixed += [plans.trivial_request(taker), plans.insert_request(taker, "warm"),
                  plans.page_request(taker, attempt_id),
                  plans.autosave_request(taker, attempt_id, question.id, fields)]
    sent += run("mixed", mixed, "cycle", 3)
    fixtures.answers_fill(attempt_ids=attempts.values(), rng=rng)
    sent += run("submit", [plans.submit_request(by_user[u], a) for u, a in attempts.items()],
                "once", 30)
    fixtures.run_reset(quiz=quiz)
    return sent


def endpoints(ctx: Context) -> list:
    """Every endpoint at every concurrency, closed loop; rows of (result, baseline, ratio)."""
    from bench.loadtest import fixtures, plans, results

    rows = []
    args = ctx.args
    rng = random.Random(args.seed)
    pool = ctx.pool
    for concurrency in args.concurrency:
        fixtures.run_reset(quiz=ctx.quiz)
        spy = None
        if args.py_spy and concurrency == args.concurrency[0]:
            workers = ctx.server.worker_pids()
            spy = (args.py_spy, workers[0]) if workers else None
        measured = {}

        def measure(kind, assignments, mode, *, spy_kind=False, concurrency=concurrency,
                    spy=spy, measured=measured):
            measured[kind] = _measure(ctx, kind, assignments, mode, concurrency=concurrency,
                                      spy=spy if spy_kind else None)

        regular = pool[:max(concurrency * 4, 64)]
        measure("insert", plans.round_robin(
            [plans.insert_request(t, f"v{i}") for i, t in enumerate(regular)], concurrency),
            "cycle")
        measure("trivial", plans.round_robin(
            [plans.trivial_request(t) for t in regular], concurrency), "cycle")
        # A start draws a paper once per learner: each connection gets its own fresh learners,
        # as many as the INSERT baseline's rate could use up (starts are slower than that).
        fresh = pool[:min(len(pool), max(concurrency * 2,
                                         int(measured["insert"].rps * args.duration)))]
        measure("start", plans.round_robin(
            [plans.start_request(t, ctx.quiz.pk) for t in fresh], concurrency), "once",
            spy_kind=True)
        by_user = {t.user_id: t for t in fresh}
        attempts = fixtures.open_attempts(quiz=ctx.quiz, user_ids=by_user)
        if not attempts:
            raise HarnessError("the start run opened no attempt")
        started = [(by_user[user_id], attempt_id) for user_id, attempt_id in attempts.items()]
        viewers = started[:max(concurrency * 2, 32)]
        measure("page", plans.round_robin(
            [plans.page_request(t, a) for t, a in viewers], concurrency), "cycle", spy_kind=True)
        papers = fixtures.papers(attempt_ids=[a for _t, a in viewers])
        saves = []
        for taker, attempt_id in viewers:
            for question in papers[attempt_id]:
                fields, _answer = plans.answer_for(question, rng=rng, token=fixtures.token)
                saves.append(plans.autosave_request(taker, attempt_id, question.id, fields))
        # Connection i takes saves i, i+c, ...: different takers, different questions.
        measure("autosave", plans.round_robin(saves, concurrency), "cycle", spy_kind=True)
        if len(started) < concurrency * 4:
            # A slow start run leaves too few attempts to keep every connection busy: top up
            # in process with learners the start run did not reach.
            spare = {t.user_id: t for t in pool[len(fresh):len(fresh) + concurrency * 4
                                                 - len(started)]}
            extra = fixtures.attempts_start(quiz=ctx.quiz, user_ids=spare)
            started += [(spare[user_id], attempt_id) for user_id, attempt_id in extra.items()]
        fixtures.answers_fill(attempt_ids=[a for _t, a in started], rng=rng)
        measure("submit", plans.round_robin(
            [plans.submit_request(t, a) for t, a in started], concurrency), "once",
            spy_kind=True)
        for kind in ("insert", "trivial", "start", "page", "autosave", "submit"):
            baseline = BASELINE_OF[kind]
            value = results.ratio(measured[kind].rps, measured[baseline].rps)
            label = "-" if kind == baseline else f"{baseline} {measured[baseline].rps:.0f} req/s"
            rows.append((measured[kind], label, value))
            if concurrency == args.concurrency[0] and measured[kind].errors:
                ctx.failures.append(f"{kind} had {measured[kind].errors} errors at "
                                    f"concurrency {concurrency}")
    return rows


def _measure(ctx: Context, kind: str, assignments, mode: str, *, concurrency: int,
             spy: tuple[str, int] | None):
    from bench.loadtest import results

    run = wrk_run(name=f"c{concurrency}-{kind}", assignments=assignments, mode=mode,
                  duration_s=ctx.args.duration, out=ctx.out, url=ctx.server.url, wrk=ctx.wrk,
                  spy=spy)
    result = results.endpoint_result(run.samples, kind=kind, concurrency=concurrency,
                                     summary=run.summary, queries=ctx.queries.get(kind))
    print(f"  {kind:<9} c={concurrency:<4} {result.rps:8.1f} req/s  p95 {result.p95:7.1f} ms  "
          f"errors {result.errors}", flush=True)
    return result


@dataclass
class ScenarioOutcome:
    takers: int
    phases: list
    checks: list
    held: bool


def scenario(ctx: Context, takers_count: int) -> ScenarioOutcome:
    """N takers in real time, open loop: start burst (start + first page), the exam's autosaves
    compressed into the exam window, submit burst; then the SQL checks."""
    from bench.loadtest import fixtures, plans, results

    args = ctx.args
    rng = random.Random(args.seed * 1000 + takers_count)
    fixtures.run_reset(quiz=ctx.quiz)
    takers = ctx.pool[:takers_count]
    connections = min(args.connections, takers_count)
    name = f"scenario-{takers_count}"
    start_ms, exam_ms, submit_ms = (int(args.start_window * 1000), int(args.exam_window * 1000),
                                    int(args.submit_window * 1000))
    tail = 60.0  # seconds a late connection may still send after its window
    times = plans.spread(takers_count, start_ms, rng=rng)
    start_run = wrk_run(
        name=f"{name}-start", mode="schedule", duration_s=args.start_window + tail,
        assignments=plans.by_time([plans.start_request(t, ctx.quiz.pk, follow=True, at_ms=ms)
                                   for t, ms in zip(takers, times, strict=True)], connections),
        out=ctx.out, url=ctx.server.url, wrk=ctx.wrk)
    phases = [results.phase_result(start_run.samples, name="start", planned_kind="start",
                                   planned=takers_count, summary=start_run.summary)]
    by_user = {t.user_id: t for t in takers}
    attempts = fixtures.open_attempts(quiz=ctx.quiz, user_ids=by_user)
    taker_of = {attempt_id: by_user[user_id] for user_id, attempt_id in attempts.items()}
    papers = fixtures.papers(attempt_ids=list(taker_of))
    expected, saves = {}, []
    for attempt_id, question, at_ms in plans.exam_schedule(papers, window_ms=exam_ms, rng=rng):
        fields, expected[question.id] = plans.answer_for(question, rng=rng,
                                                         token=fixtures.token)
        saves.append(plans.autosave_request(taker_of[attempt_id], attempt_id, question.id,
                                            fields, at_ms=at_ms))
    exam_run = wrk_run(name=f"{name}-exam", mode="schedule", duration_s=args.exam_window + tail,
                       assignments=plans.by_time(saves, connections), out=ctx.out,
                       url=ctx.server.url, wrk=ctx.wrk)
    phases.append(results.phase_result(exam_run.samples, name="autosave",
                                       planned_kind="autosave", planned=len(saves),
                                       summary=exam_run.summary))
    times = plans.spread(len(taker_of), submit_ms, rng=rng)
    submits = [plans.submit_request(taker, attempt_id, at_ms=ms)
               for (attempt_id, taker), ms in zip(taker_of.items(), times, strict=True)]
    submit_run = wrk_run(name=f"{name}-submit", mode="schedule",
                         duration_s=args.submit_window + tail,
                         assignments=plans.by_time(submits, connections), out=ctx.out,
                         url=ctx.server.url, wrk=ctx.wrk)
    phases.append(results.phase_result(submit_run.samples, name="submit", planned_kind="submit",
                                       planned=len(submits), summary=submit_run.summary))
    stored, total = fixtures.answers_check(expected=expected)
    checks = [("every autosaved answer stored", stored == total and total > 0,
               f"{stored} of {total} answers as autosaved")]
    answered = sum(1 for s in submit_run.samples if s.kind == "submit" and s.ok)
    checks += fixtures.results_check(quiz=ctx.quiz, user_ids=list(by_user), submitted=answered)
    held = all(p.held for p in phases) and all(ok for _n, ok, _d in checks)
    return ScenarioOutcome(takers_count, phases, checks, held)


def scenario_report(args, outcome: ScenarioOutcome) -> str:
    from bench.loadtest import results

    n = outcome.takers
    per_minute = n * 60 / args.start_window
    real = n * EXAM_MINUTES * 60 / args.exam_window
    lines = [
        f"scenario: {n} takers — starts within {args.start_window:.0f} s "
        f"(= {per_minute:.0f} takers starting per 60 s), 20 autosaves each within "
        f"{args.exam_window:.0f} s (= the autosave rate of {real:.0f} takers in a real "
        f"{EXAM_MINUTES}-minute exam), submits within {args.submit_window:.0f} s "
        f"(= {n * 60 / args.submit_window:.0f} per 60 s)",
        results.phases_table(outcome.phases),
    ]
    for check, ok, detail in outcome.checks:
        lines.append(f"  {'PASS' if ok else 'FAIL'}  {check}: {detail}")
    lines.append(f"  held: {'yes' if outcome.held else 'NO'}")
    return "\n".join(lines)


# ---------------------------------------------------------------- main


def prepare(args, env: dict) -> None:
    """Database, schema, static files; then Django in this process with the server's settings."""
    database_ensure(args.database_url)
    os.environ.update(env)
    for db in (12, 13):
        redis_flush(f"{args.redis_url.rstrip('/')}/{db}")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    static_root = Path(env["STATIC_ROOT"])
    if not static_ready(static_root):
        say("collectstatic (site/static changed) ...")
        call_command("collectstatic", interactive=False, verbosity=0)
    locale = ROOT / "site" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"
    if not locale.exists():
        print("note: compiled translations are missing (run `make messages`): pages render "
              "in English", flush=True)


def main(argv=None) -> int:
    args = parse_args(argv)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = Path(args.out) if args.out else ROOT / "var" / "loadtest" / stamp
    out.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    # Ctrl-C, kill and a closed terminal all end in the `finally` that stops gunicorn (SIGINT
    # explicitly too: a shell starting the harness in the background ignores it otherwise).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    env = server_environment(args)
    server = Server(args=args, env=env, log=out / "gunicorn.log")
    try:
        wrk = wrk_path()
        say(f"loadtest: {'full' if args.full else 'quick'} mode; output in {out}")
        say("database, schema and static files ...")
        prepare(args, env)
        from bench.loadtest import fixtures, probe, results

        quiz = fixtures.exam_ensure()
        fresh_needed = max(args.concurrency) * 2 + 200
        if not args.skip_endpoints:
            # Enough fresh learners for the start run's pool at a generous INSERT rate.
            fresh_needed = max(fresh_needed, int(600 * args.duration))
        size = max(fresh_needed, max(args.takers) if not args.skip_scenario else 0)
        users = fixtures.learners_ensure(count=size + PROBE_TAKERS + WARM_TAKERS)
        takers = fixtures.sessions_create(users=users)
        probes, warm = takers[:PROBE_TAKERS], takers[PROBE_TAKERS:PROBE_TAKERS + WARM_TAKERS]
        pool = takers[PROBE_TAKERS + WARM_TAKERS:]
        fixtures.run_reset(quiz=quiz)
        say(f"exam: “{quiz.title}” (id {quiz.pk}), {fixtures.EXAM_QUESTIONS} questions, "
            f"{quiz.time_limit_minutes} minutes; {len(pool)} learners with sessions")
        queries = probe.queries_per_request(quiz=quiz, takers=probes)
        say("queries per request (in process): "
            + ", ".join(f"{k} {v}" for k, v in queries.items()))
        if args.profile:
            fixtures.run_reset(quiz=quiz)
            for kind in ("start", "page", "autosave", "submit"):
                text = probe.profile(quiz=quiz, takers=pool[:40], kind=kind)
                (out / f"profile-{kind}.txt").write_text(text)
                fixtures.run_reset(quiz=quiz)
            say(f"cProfile of start/page/autosave/submit: {out}/profile-*.txt")
        say("starting gunicorn ...")
        server.start()
        say(f"gunicorn: {' '.join(server.command()[1:])}")
        ctx = Context(args, out, server, wrk, quiz, pool, probes, warm, queries)
        say(f"warm-up: {warm_up(ctx)} requests")
        if not args.skip_endpoints:
            say("endpoints (closed loop, one wrk connection per thread):")
            rows = endpoints(ctx)
            print("\n" + results.endpoints_table(rows), flush=True)
        if not args.skip_scenario:
            held = []
            for n in args.takers:
                say(f"scenario with {n} takers ...")
                outcome = scenario(ctx, n)
                print(scenario_report(args, outcome), flush=True)
                ctx.failures += [f"scenario {n}: {check} FAILED ({detail})"
                                 for check, ok, detail in outcome.checks if not ok]
                if not outcome.held:
                    break
                held.append(n)
            if args.full or len(args.takers) > 1:
                best = max(held) if held else 0
                print(f"\nverdict: the largest number of takers held (p95 < "
                      f"{results.P95_TARGET_MS:.0f} ms, no errors) = {best} "
                      f"(tried {', '.join(map(str, args.takers[:len(held) + 1]))})")
            else:
                print("\nquick mode: one small scenario; `make loadtest FULL=1` searches the "
                      "number of takers in real-time windows")
        fixtures.run_reset(quiz=quiz)
    except HarnessError as error:
        print(f"loadtest: cannot run: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nloadtest: interrupted; stopping gunicorn", file=sys.stderr)
        return 130
    finally:
        server.stop()
        for db in (12, 13):
            with contextlib.suppress(HarnessError):
                redis_flush(f"{args.redis_url.rstrip('/')}/{db}")
    if ctx.failures:
        print("\nloadtest: FAILED\n  " + "\n  ".join(ctx.failures))
        return 1
    print("\nloadtest: OK")
    return 0

