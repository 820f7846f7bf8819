"""Does a service answer? Used by the Makefile, .ci/run and the test fixtures.

    python -m tests.services postgres postgres://postgres@127.0.0.1:5432/jixiao
    python -m tests.services redis redis://127.0.0.1:6379/0
Exit 0 when it answers, 1 when it does not.
"""

import socket
import sys
from urllib.parse import urlsplit

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/jixiao"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def postgres_answers(url: str = DEFAULT_POSTGRES_URL) -> bool:
    """True when PostgreSQL accepts a connection to its maintenance database."""
    try:
        import psycopg
    except ImportError:
        return False
    parts = urlsplit(url)
    try:
        with psycopg.connect(
            host=parts.hostname or "127.0.0.1", port=parts.port or 5432,
            user=parts.username or "postgres", password=parts.password or None,
            dbname="postgres", connect_timeout=3,
        ) as conn:
            conn.execute("SELECT 1")
        return True
    except Exception:
        return False


def redis_answers(url: str = DEFAULT_REDIS_URL) -> bool:
    """True when Redis answers PING."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379),
                                      timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


if __name__ == "__main__":
    kind = sys.argv[1]
    url = sys.argv[2] if len(sys.argv) > 2 else None
    check = {"postgres": postgres_answers, "redis": redis_answers}[kind]
    ok = check(url) if url else check()
    sys.exit(0 if ok else 1)
