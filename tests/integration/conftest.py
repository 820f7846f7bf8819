"""A real Celery worker, on Redis, that shares the PostgreSQL test database with the test."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def celery_worker_process(postgres_required, redis_url, django_db_blocker, tmp_path_factory):
    """Start `celery -A config worker` as a separate process; yield its broker URL.

    The worker runs config.settings.test against the same test database (so it sees rows the
    test committed: use `transactional_db`) and the same MEDIA_ROOT, with eager mode off.
    """
    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    database_url = (f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
                    f"/{db['NAME']}")
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "TEST_CELERY_BROKER_URL": redis_url,
        "TEST_CELERY_EAGER": "0",
        "TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CONN_MAX_AGE": "0",
    }
    # Start from an empty queue: a message left by an earlier, killed run must not be executed.
    subprocess.run([sys.executable, "-m", "celery", "-A", "config", "purge", "-f"], cwd=ROOT,
                   env=env, capture_output=True, timeout=60)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
             "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-n", f"test-{os.getpid()}@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"celery worker exited early:\n{log_path.read_text()}", pytrace=False)
        if "ready." in log_path.read_text():
            break
        time.sleep(0.3)
    else:
        process.terminate()
        pytest.fail(f"celery worker did not become ready:\n{log_path.read_text()}", pytrace=False)
    yield {"broker_url": redis_url, "log": log_path}
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def wait_for(predicate, *, timeout: float = 60.0, interval: float = 0.3, log: Path | None = None):
    """Poll until predicate() is truthy; fail with the worker's log otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    detail = log.read_text() if log and log.exists() else ""
    pytest.fail(f"condition not met within {timeout}s\n{detail}", pytrace=False)
