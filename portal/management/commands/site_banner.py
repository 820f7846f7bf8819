"""Wait until the site answers, then print its address and where the demo logins are."""

import time
import urllib.error
import urllib.request

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Wait until the site answers at --url, then print its address, the admin address and "
            "where the demo logins are documented (make run). Exit 1 if it never answers.")

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/")
        parser.add_argument("--wait", type=float, default=120.0,
                            help="Seconds to wait for the first answer (default 120).")

    def handle(self, *args, url: str, wait: float, **options):
        url = url.rstrip("/") + "/"
        deadline = time.monotonic() + wait
        while not _answers(url):
            if time.monotonic() >= deadline:
                raise CommandError(f"The site did not answer at {url} within {wait:g} s.")
            time.sleep(0.5)
        self.stdout.write(self.style.SUCCESS(
            f"绩效学堂 is up: {url}  (admin: {url}admin/)\n"
            "Demo logins (admin, czj_jixiao, jyj_admin, editor, reviewer ...): README.md, "
            "section “Demo accounts”."))


def _answers(url: str) -> bool:
    """True once the server sends any HTTP answer (a 4xx or 5xx page still means it is up)."""
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - a local http:// address
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False
