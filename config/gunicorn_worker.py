"""gunicorn's threaded worker, except that a new connection with no request yet waits in the
worker's poller instead of in a thread.

gunicorn 27's gthread worker hands every new connection to a thread, which then waits up to 5 s
for the first request before giving the connection back to the poller. Browsers open connections
before they need them (Chromium preconnects; an exam room opens hundreds at the start time), so a
few idle connections held every thread of a worker while requests that had arrived queued
behind them: in the exam-day harness (bench/loadtest) the start burst's p95 was 13 s with 100
takers, with the server mostly idle. Here a connection whose request is not readable yet goes to
the poller at once, and a thread takes it when its bytes arrive (gunicorn's own deferral path).
Everything else, including keep-alive and the body drain, is gunicorn's.
"""

from __future__ import annotations

import select

from gunicorn.workers import gthread

if not all(hasattr(gthread, name) for name in ("_DEFER", "ThreadWorker", "TConn")):
    raise RuntimeError("gunicorn's gthread worker changed: check config/gunicorn_worker.py "
                       "against this gunicorn version")


def _readable_now(sock) -> bool:
    """Whether the socket has bytes (or EOF) to read, without waiting."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True  # let gunicorn's own handling see the broken socket
    return bool(readable)


class ThreadWorker(gthread.ThreadWorker):
    """`worker_class = "config.gunicorn_worker.ThreadWorker"` (config/gunicorn.conf.py)."""

    def handle(self, conn):
        if not conn.initialized and not conn.data_ready:
            if not _readable_now(conn.sock):
                return gthread._DEFER  # gunicorn's own deferral marker
            conn.data_ready = True
        return super().handle(conn)
