"""Shared fixtures and the rules for tests that need real services or a browser."""

import os
import shutil

import pytest

from tests.services import DEFAULT_REDIS_URL, redis_answers

# Playwright's sync API runs an event loop in the test thread; Django's ORM then refuses to run
# unless told that this is intended (TRAPS.md).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def missing_service(reason: str):
    """Skip on a laptop without the service; fail in CI (REQUIRE_SERVICES=1)."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_sessionfinish(session, exitstatus):
    """The run's temporary media folder (uploads, image renditions) goes with the run."""
    from django.conf import settings

    if settings.configured and getattr(settings, "MEDIA_ROOT_IS_TEMPORARY", False):
        shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    for item in items:
        # In CI (REQUIRE_SERVICES=1) a missing browser is not skipped: the test fails.
        if "e2e" in item.keywords and not REQUIRE_SERVICES and not shutil.which(CHROMIUM):
            item.add_marker(pytest.mark.skip(
                reason=f"e2e: no Chromium at {CHROMIUM} (apt-get install chromium)"))


@pytest.fixture(scope="session")
def redis_url():
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
    if not redis_answers(url):
        missing_service(f"Redis does not answer at {url}")
    return url


@pytest.fixture(scope="session")
def postgres_required(django_db_setup, django_db_blocker):
    """The current test database must be PostgreSQL (the second pass of `make test`)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        missing_service("needs PostgreSQL: run with DATABASE_URL=postgres://... (make test does)")
    return connection


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            *browser_type_launch_args.get("args", []),
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1280, "height": 900}}


@pytest.fixture(autouse=True)
def celery_conf_restored():
    """Tests may switch the Celery app between eager and queued; every test starts with the
    test settings' behaviour again, whatever the one before it left (a leaked `False` once made
    a later browser test's "compute" queue its task into the in-memory broker and wait)."""
    from config.celery import app

    saved = (app.conf.task_always_eager, app.conf.broker_url)
    yield
    app.conf.task_always_eager, app.conf.broker_url = saved
