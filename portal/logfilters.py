"""Logging filters for the console: expected refusals are one line, not a traceback."""

import logging

from django.core.exceptions import PermissionDenied


class PermissionDeniedOneLine(logging.Filter):
    """Keep django.request's "Forbidden (Permission denied): /path" line, drop its traceback.

    A 403 is an answer the site meant to give (a role without the permission, an object out
    of scope); its traceback says nothing and buried the real errors in the `make run` console.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
