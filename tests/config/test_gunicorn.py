"""Production's gunicorn config (config/gunicorn.conf.py) and its worker: connections opened
before their first request do not hold the threads that requests which have arrived need.

A real gunicorn with the project's config file serves a tiny WSGI app with one process of two
threads. Browsers open connections ahead of use (an exam room at its start time opens hundreds);
with gunicorn's own gthread worker each such connection held a thread for up to 5 s."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"

APP = '''
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
'''


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    (tmp_path / "hello_app.py").write_text(APP)
    port = _free_port()
    process = subprocess.Popen(
        [str(GUNICORN), "--config", str(ROOT / "config" / "gunicorn.conf.py"),
         "--chdir", str(tmp_path), "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--threads", "2", "--log-level", "warning", "hello_app:app"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited: {process.stderr.read().decode()[-2000:]}")
        with contextlib.closing(socket.socket()) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    yield port
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _get(port: int, timeout: float) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    return data


def test_the_config_selects_the_project_worker():
    namespace: dict = {}
    exec(compile((ROOT / "config" / "gunicorn.conf.py").read_text(), "gunicorn.conf.py",  # noqa: S102
                 "exec"), namespace)
    assert namespace["worker_class"] == "config.gunicorn_worker.ThreadWorker"
    assert namespace["keepalive"] >= 5
    from config.gunicorn_worker import ThreadWorker  # imports against the installed gunicorn

    assert ThreadWorker.handle


def test_idle_new_connections_do_not_hold_the_threads(server):
    # Four connections that send nothing (twice the threads), then a real request. With
    # gunicorn's own worker both threads sit in a 5 s wait on the idle ones and the request is
    # not answered within 3 s; here the idle ones wait in the poller.
    idle = [socket.create_connection(("127.0.0.1", server), timeout=5) for _ in range(4)]
    try:
        time.sleep(0.3)  # the worker has accepted them all
        response = _get(server, timeout=3)
        assert response.startswith(b"HTTP/1.1 200")
        assert response.endswith(b"ok")
        # The idle connections are still served once they do send a request.
        idle[0].sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        assert idle[0].recv(4096).startswith(b"HTTP/1.1 200")
    finally:
        for sock in idle:
            sock.close()
