"""Reminders through a real Celery worker on Redis and a real SMTP server (aiosmtpd): the worker
is killed (SIGKILL) in the middle of a batch and restarted, and every recipient still receives
exactly one message."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest
from django.utils import timezone

from courses.models import Notification, ReminderLog
from courses.services import plan_assign, plan_publish
from courses.tasks import reminders_dispatch
from departments.models import OfficeKind
from tests.courses.test_plans import make_plan
from tests.departments.factories import LearnerFactory, OfficeFactory, UserFactory
from tests.integration.conftest import ROOT, wait_for
from tests.integration.test_roster_worker import celery_publishing_to

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

RECIPIENTS = 300
BATCH_SIZE = 100
KILL_AT = 120  # the SMTP server holds its answer to message 121 while the test kills the worker
QUEUE = f"reminders-test-{os.getpid()}"


class SlowMailServer:
    """An aiosmtpd handler that accepts each message after a short delay and records it only
    when it answers 250. Message KILL_AT + 1 is held unanswered (`holding` is set): the sender
    killed meanwhile never gets its 250, and the message is not delivered — SMTP's own rule."""

    def __init__(self, *, delay: float, hold_after: int):
        self.delay, self.hold_after = delay, hold_after
        self.delivered: list[tuple[str, str]] = []  # (recipient, Message-ID)
        self.holding = threading.Event()
        self._held = False
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        with self._lock:
            hold = not self._held and len(self.delivered) == self.hold_after
            self._held = self._held or hold
        if hold:
            self.holding.set()
            # Cancelled by aiosmtpd when the client's connection drops (the worker is killed).
            await asyncio.sleep(120)
            return "451 4.3.0 Try again later"
        message_id = email.message_from_bytes(envelope.content)["Message-ID"]
        with self._lock:
            self.delivered.extend((rcpt, message_id) for rcpt in envelope.rcpt_tos)
        return "250 OK"


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def mail_server():
    from aiosmtpd.controller import Controller

    handler = SlowMailServer(delay=0.01, hold_after=KILL_AT)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


def _cleanup_queue(broker_url: str) -> None:
    """Drop this test's queue and any message of it a killed worker left unacknowledged."""
    import redis
    from kombu.utils.json import loads

    client = redis.Redis.from_url(broker_url)
    client.delete(QUEUE)
    for tag, payload in client.hgetall("unacked").items():
        try:
            _message, _exchange, routing_key = loads(payload)
        except (ValueError, TypeError):
            continue
        if routing_key == QUEUE:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


@pytest.fixture
def start_worker(postgres_required, redis_url, tmp_path, mail_server):
    """Start a worker on this test's queue, sending through the test's SMTP server; returns
    (process, log path). Every worker started is stopped at the end."""
    from django.db import connection

    _handler, port = mail_server
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.integration.settings_reminders",
        "DATABASE_URL": (f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
                         f"{db['PORT'] or 5432}/{db['NAME']}"),
        "TEST_CELERY_BROKER_URL": redis_url,
        "TEST_CELERY_EAGER": "0",
        "TEST_CELERY_QUEUE": QUEUE,
        "CONN_MAX_AGE": "0",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_TIMEOUT": "60",
        "REMINDERS_BATCH_SIZE": str(BATCH_SIZE),
        # Restarted workers resend a killed one's rows at once (the default waits 5 minutes).
        "REMINDERS_RESEND_AFTER_SECONDS": "0",
    }
    subprocess.run([sys.executable, "-m", "celery", "-A", "config", "purge", "-f", "-Q", QUEUE],
                   cwd=ROOT, env=env, capture_output=True, timeout=60)
    processes: list[subprocess.Popen] = []

    def start(name: str) -> tuple[subprocess.Popen, Path]:
        log_path = tmp_path / f"{name}.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
                 "--loglevel=INFO", "--without-gossip", "--without-mingle",
                 "--without-heartbeat", "-n", f"{name}-{os.getpid()}@%h"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        processes.append(process)
        wait_for(lambda: process.poll() is not None or "ready." in log_path.read_text(),
                 timeout=90, log=log_path)
        if process.poll() is not None:
            pytest.fail(f"celery worker exited early:\n{log_path.read_text()}", pytrace=False)
        return process, log_path

    yield start
    for process in processes:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
    _cleanup_queue(redis_url)


@pytest.fixture
def course(transactional_db):
    from decimal import Decimal

    from courses.authoring import course_index_ensure
    from courses.models import CoursePage
    from portal.services import page_publish, site_home_ensure
    from tests.courses.conftest import add_lesson

    index = course_index_ensure(home=site_home_ensure())
    page = CoursePage(title="绩效目标管理", live=False, stage="goals", positions=["business"],
                      credit_hours=Decimal("1.5"))
    index.add_child(instance=page)
    page = page_publish(page)
    add_lesson(page, "第1课")
    return CoursePage.objects.get(pk=page.pk)


def test_a_worker_killed_mid_batch_and_restarted_sends_each_message_exactly_once(
        course, mail_server, start_worker, redis_url):
    handler, _port = mail_server
    today = timezone.localdate()
    # Today is 7 days before the due date: a learner reminder for each of the 300.
    plan = make_plan(("business", course), year=(today - dt.timedelta(days=30)).year,
                     opens=today - dt.timedelta(days=30), due=today + dt.timedelta(days=7),
                     makeup=today + dt.timedelta(days=40))
    office = OfficeFactory(kind=OfficeKind.BUSINESS)
    for number in range(RECIPIENTS):
        user = UserFactory(username=f"R{number:04d}", email=f"r{number:04d}@example.gov.cn")
        LearnerFactory(user=user, office=office, staff_number=f"R{number:04d}")
    plan_publish(plan=plan, user=None, enqueue=False)
    plan_assign(plan=plan)

    first, first_log = start_worker("reminders-1")
    with celery_publishing_to(redis_url):
        reminders_dispatch.apply_async(args=[today.isoformat()], queue=QUEUE)

    # The worker is in the middle of its second batch, waiting for the server's answer.
    if not handler.holding.wait(timeout=120):
        pytest.fail(f"the worker never reached message {KILL_AT + 1}:\n"
                    f"{first_log.read_text()}", pytrace=False)
    assert ReminderLog.objects.count() == RECIPIENTS  # every message was claimed first
    assert ReminderLog.objects.filter(emailed_at__isnull=False).count() == KILL_AT
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    time.sleep(1)
    assert len(handler.delivered) == KILL_AT  # the held message was never accepted

    second, second_log = start_worker("reminders-2")

    def all_mailed():
        return ReminderLog.objects.filter(emailed_at__isnull=False).count() == RECIPIENTS

    wait_for(all_mailed, timeout=180, log=second_log)
    # A second beat and another sweep on top: they find nothing to send.
    with celery_publishing_to(redis_url):
        reminders_dispatch.apply_async(args=[today.isoformat()], queue=QUEUE)

    def second_dispatch_done():
        return any("reminders_dispatch[" in line and "succeeded" in line
                   for line in second_log.read_text().splitlines())

    wait_for(second_dispatch_done, timeout=90, log=second_log)
    time.sleep(2)  # anything it might have queued (it should queue nothing) has run

    per_recipient = Counter(rcpt for rcpt, _message_id in handler.delivered)
    assert len(per_recipient) == RECIPIENTS
    assert set(per_recipient.values()) == {1}, per_recipient.most_common(3)
    assert len({message_id for _rcpt, message_id in handler.delivered}) == RECIPIENTS
    logs = ReminderLog.objects.all()
    assert logs.count() == RECIPIENTS
    assert logs.filter(emailed_at__isnull=False, email_error="").count() == RECIPIENTS
    assert len(set(logs.values_list("user_id", flat=True))) == RECIPIENTS
    assert Notification.objects.count() == RECIPIENTS
    # The restarted worker did the rest: the sweep it ran on start, and the queued batch.
    assert "reminders_resend_unsent" in second_log.read_text()
    print(f"delivered before the kill: {KILL_AT}; after the restart: "
          f"{len(handler.delivered) - KILL_AT}; total {len(handler.delivered)}")
    second.terminate()
