"""`site_banner` (make run): the site's address and where the demo logins are, once it is up."""

import io
import socket

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def test_site_banner_prints_the_address_and_the_demo_logins_once_the_site_answers(live_server):
    out = io.StringIO()
    call_command("site_banner", "--url", live_server.url, "--wait", "10", stdout=out)
    assert f"{live_server.url}/" in out.getvalue()
    assert f"{live_server.url}/admin/" in out.getvalue()
    assert "README.md" in out.getvalue() and "Demo accounts" in out.getvalue()


def test_site_banner_fails_when_nothing_answers():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(CommandError, match="did not answer"):
        call_command("site_banner", "--url", f"http://127.0.0.1:{port}/", "--wait", "0",
                     stdout=io.StringIO())
