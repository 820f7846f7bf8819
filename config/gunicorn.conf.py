"""gunicorn settings for production: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Every value can be changed with an environment variable (`GUNICORN_WORKERS`, …) or a
command-line option, which wins over this file. Sizing from the exam-day harness is in README
("Production deployment"); `make loadtest` starts gunicorn with this file.

Threads (`gthread`) overlap the waits on PostgreSQL and Redis; processes use the cores. A kept-
alive connection waits in each worker's poller, not in a thread, so 3,000 browsers with open
connections do not need 3,000 threads.
"""

from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


CORES = os.cpu_count() or 1

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# 2 × cores + 1 processes (5 on 2 cores, 17 on 8) with 4 threads each.
workers = _int("GUNICORN_WORKERS", 2 * CORES + 1)
# gthread, except that a connection whose first request has not arrived waits in the poller
# (config/gunicorn_worker.py says why).
worker_class = "config.gunicorn_worker.ThreadWorker"
threads = _int("GUNICORN_THREADS", 4)
# Behind a proxy that keeps connections to the app open (nginx `keepalive`), and for browsers
# talking to gunicorn directly, a longer keep-alive saves a TCP handshake per request.
keepalive = _int("GUNICORN_KEEPALIVE", 75)
backlog = _int("GUNICORN_BACKLOG", 2048)
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Recycle workers now and then (spread out, so they do not all restart at once).
max_requests = _int("GUNICORN_MAX_REQUESTS", 20000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 2000)
# The heartbeat file on tmpfs: on a busy disk a worker can otherwise be killed for lateness.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = os.environ.get("GUNICORN_ERRORLOG", "-")
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
