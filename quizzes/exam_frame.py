"""The attempt page's frame rendered once per language and shape, filled in per request
(issue 12).

Once its questions are built in Python (`quizzes.rendering`), what is left of the attempt page
is the frame around them: `base.html`, the exam header, the status bar, the form and its
buttons. Django's template engine took a fifth of the page's time for it, on every request,
though all that differs between two takers is a handful of values: the quiz's title, the
attempt's number, URLs and time left, the CSRF token, the learner's name, the page's path and
the two blocks built in Python.

So `quizzes/attempt_take.html` stays the one source of the markup. It is rendered once per
language and shape (timer or not, previous/next buttons or not) with a marker in place of each
of those values, split at the markers, and kept for the life of the process. Each request then
joins the pieces with its own values, escaped as the template escapes them. A page with flash
messages, and every page under DEBUG (templates may change on disk), renders through the
template as before. tests/quizzes/test_exam_frame.py renders both ways and compares them.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

TEMPLATE = "quizzes/attempt_take.html"

# The values that differ between requests, in the order of `_values`. A marker is made of
# private-use characters and digits, which no escaping or filter in the template changes.
FIELDS = ("title", "attempt_number", "remaining_seconds", "take_url", "autosave_url",
          "csrf_token", "page_number", "user_name", "path", "nav_html", "questions_html")
_MARKER = re.compile("\ue000(\\d+)\ue001")


def _marker(name: str) -> SafeString:
    return mark_safe(f"\ue000{FIELDS.index(name)}\ue001")  # noqa: S308 (no markup)


class _MarkedUser:
    """What the header reads of the user: their name (`get_full_name|default:get_username`)."""

    def get_full_name(self) -> str:
        return _marker("user_name")

    def get_username(self) -> str:
        return _marker("user_name")


class _MarkedRequest:
    """What the header's language switcher reads of the request: the path to come back to."""

    def get_full_path(self) -> str:
        return _marker("path")


def context(*, attempt, take_url: str, autosave_url: str, page_number: int, page_count: int,
            per_page: bool, remaining_seconds: int | None, nav_html: SafeString,
            questions_html: SafeString) -> dict:
    """The template's context: the same for both ways of rendering it."""
    return {
        "attempt": attempt, "quiz": attempt.quiz, "take_url": take_url,
        "autosave_url": autosave_url, "nav_html": nav_html, "questions_html": questions_html,
        "page_number": page_number,
        "has_previous": per_page and page_number > 1,
        "has_next": per_page and page_number < page_count,
        "remaining_seconds": remaining_seconds,
        # The exam's own header: no site navigation, notifications or permission lookups
        # (includes/header.html; issue 12).
        "exam_focus": True,
    }


@lru_cache(maxsize=64)
def _pieces(language: str | None, timer: bool, has_previous: bool, has_next: bool
            ) -> tuple[tuple[str, int | None], ...]:
    """The page of one language and shape as (literal markup, index of the field after it)."""
    marked = {
        "attempt": {"number": _marker("attempt_number")},
        "quiz": {"title": _marker("title")},
        "take_url": _marker("take_url"), "autosave_url": _marker("autosave_url"),
        "nav_html": _marker("nav_html"), "questions_html": _marker("questions_html"),
        "page_number": _marker("page_number"), "has_previous": has_previous,
        "has_next": has_next,
        "remaining_seconds": _marker("remaining_seconds") if timer else None,
        "exam_focus": True, "csrf_token": _marker("csrf_token"), "user": _MarkedUser(),
        "request": _MarkedRequest(), "messages": (),
    }
    parts = _MARKER.split(render_to_string(TEMPLATE, marked))
    literals, indexes = parts[0::2], [int(i) for i in parts[1::2]]
    return tuple(zip(literals, [*indexes, None], strict=True))


def _values(request, ctx: dict) -> tuple[str, ...]:
    """Each field's text as the template would write it (escaped unless already markup)."""
    user = request.user
    return (
        escape(ctx["quiz"].title), escape(ctx["attempt"].number),
        escape(ctx["remaining_seconds"]), escape(ctx["take_url"]), escape(ctx["autosave_url"]),
        # As the csrf context processor does: a masked token, and the cookie kept fresh.
        escape(get_token(request)), escape(ctx["page_number"]),
        escape(user.get_full_name() or user.get_username()),
        escape(request.get_full_path()), ctx["nav_html"], ctx["questions_html"],
    )


def response(request, ctx: dict) -> HttpResponse:
    """The attempt page: the kept pieces filled in, or the template when there are messages
    to show (or under DEBUG)."""
    if settings.DEBUG or len(get_messages(request)):
        return render(request, TEMPLATE, ctx)
    pieces = _pieces(get_language(), ctx["remaining_seconds"] is not None,
                     ctx["has_previous"], ctx["has_next"])
    values = _values(request, ctx)
    return HttpResponse("".join(
        literal if index is None else literal + values[index] for literal, index in pieces))
