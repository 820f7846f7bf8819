"""The development console logs a 403 as one line, without a traceback (issue 9 §5)."""

import io
import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseForbidden
from django.utils.log import log_response
from django.utils.module_loading import import_string

from config.settings import base


@pytest.fixture
def console():
    """A handler built as base.LOGGING builds the console one, on django.request."""
    handler_config = base.LOGGING["handlers"]["console"]
    handler = logging.StreamHandler(io.StringIO())
    for name in handler_config["filters"]:
        handler.addFilter(import_string(base.LOGGING["filters"][name]["()"])())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        yield handler.stream
    finally:
        logger.removeHandler(handler)


def test_a_refused_request_is_logged_as_one_line_without_a_traceback(rf, console):
    # What django.core.handlers.exception does for a view that raises PermissionDenied.
    request = rf.get("/admin/organisation/roster/")
    try:
        raise PermissionDenied
    except PermissionDenied as refusal:
        log_response("Forbidden (Permission denied): %s", request.path,
                     response=HttpResponseForbidden(), request=request, exception=refusal)

    lines = console.getvalue().strip().splitlines()
    assert lines == ["Forbidden (Permission denied): /admin/organisation/roster/"]
    assert "Traceback" not in console.getvalue()


def test_a_server_error_still_logs_its_traceback(console):
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "boom", None,
                               (ValueError, ValueError("boom"), None))
    handler = logging.getLogger("django.request").handlers[-1]
    handler.handle(record)
    assert "ValueError: boom" in console.getvalue()
