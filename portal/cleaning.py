"""One rule for text that may reach the database, shared by the request guard and services.

Refused: C0 control characters other than tab, newline and carriage return (PostgreSQL text and
jsonb cannot hold NUL, XML 1.0 exports cannot hold any of them) and lone UTF-16 surrogates
(a JSON `\\ud800` escape decodes to one, and psycopg cannot encode it). JSON is parsed only
after a cheap bracket scan proves it is not nested deeper than `JSON_MAX_DEPTH`, so a hostile
document is refused before `json.loads` can recurse into a RecursionError.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

JSON_MAX_DEPTH = 64
JSON_MAX_BYTES = 2 * 1024 * 1024

TEXT_FORBIDDEN = _("The text contains control characters (such as a NUL byte) that cannot be "
                   "stored. Remove them and try again.")
JSON_TOO_DEEP = _("The JSON data is nested more than %(limit)s levels deep.")
JSON_TOO_LARGE = _("The JSON data is larger than %(limit)s.")
JSON_INVALID = _("The data is not valid JSON.")

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# A JSON string literal (unrolled loop: linear time); brackets inside strings do not nest.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
# \u0000-\u001f and surrogate escapes (paired ones are fine, but then the walk decides).
_SUSPECT_ESCAPE = re.compile(r"\\u(?:00[01]|[dD][89a-fA-F])")


def text_has_forbidden_chars(value: str) -> bool:
    """Whether `value` holds a character the database or an XML export cannot store."""
    return _FORBIDDEN.search(value) is not None


def text_clean(*, value: str) -> str:
    """`value` unchanged, or a ValidationError (code "control_characters") naming the problem."""
    if text_has_forbidden_chars(value):
        raise ValidationError(TEXT_FORBIDDEN, code="control_characters")
    return value


def data_clean(*, value: Any) -> Any:
    """`value` (parsed JSON: dicts, lists, scalars) unchanged, after checking every string in it,
    keys included; walked with a stack, so a deep value cannot exhaust the recursion limit."""
    texts = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    text_clean(value="\n".join(texts))  # one regex pass instead of one per string
    return value


def json_depth_exceeds(text: str, *, limit: int = JSON_MAX_DEPTH) -> bool:
    """Whether the brackets of `text` (outside string literals) nest deeper than `limit`.

    Text with at most `limit` opening brackets is answered by counting; otherwise two regex
    passes leave only the brackets, and the loop stops at the first one past the limit.
    Unbalanced input only makes the count larger; `json.loads` refuses it afterwards anyway.
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for char in _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)):
        if char in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def json_loads_limited(data: str | bytes, *, max_depth: int = JSON_MAX_DEPTH,
                       max_bytes: int = JSON_MAX_BYTES) -> Any:
    """Parse JSON from untrusted input: size, nesting depth and stored characters checked.

    Raises ValidationError with code "too_large", "too_deep", "invalid" or "control_characters".
    Bytes are read as UTF-8 (a byte-order mark is allowed).
    """
    if len(data) > max_bytes:
        raise ValidationError(JSON_TOO_LARGE, code="too_large",
                              params={"limit": filesizeformat(max_bytes)})
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError(JSON_INVALID, code="invalid") from exc
    text_clean(value=data)  # raw control characters, which json.loads would call "invalid"
    if json_depth_exceeds(data, limit=max_depth):
        raise ValidationError(JSON_TOO_DEEP, code="too_deep", params={"limit": max_depth})
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError) as exc:  # RecursionError: belt and braces
        raise ValidationError(JSON_INVALID, code="invalid") from exc
    # Raw control characters were refused above, so only \u escapes can still produce one:
    # walk the parsed value only when the text holds an escape that might.
    return data_clean(value=parsed) if _SUSPECT_ESCAPE.search(data) else parsed


def texts_problem(values: Iterable[str], *, json_limit: int = JSON_MAX_DEPTH
                  ) -> ValidationError | None:
    """The first problem among request texts (form fields, parameters, cookies), else None.

    A value that starts like JSON (`{` or `[`) is also checked for depth: editors post JSON in
    form fields (rich text, StreamField), and a view parsing it must not recurse without end.
    """
    for value in values:
        if text_has_forbidden_chars(value):
            return ValidationError(TEXT_FORBIDDEN, code="control_characters")
        if value.lstrip()[:1] in ("[", "{") and json_depth_exceeds(value, limit=json_limit):
            return ValidationError(JSON_TOO_DEEP, code="too_deep", params={"limit": json_limit})
    return None
