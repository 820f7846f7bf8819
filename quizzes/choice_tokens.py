"""Opaque per-attempt values that pages post for the options of choice questions.

Choice ids follow authoring order, and authors tend to write the right option first, so posting
ids let a learner guess the answer from the lowest value however the options were shuffled.
A token is an HMAC of the attempt question and the choice under the site's secret key: the same
on every reload of the attempt, different in every other attempt, unguessable, and stored
nowhere. Stored answers keep choice ids: grading and review work on ids, only the browser sees
tokens. No Django models here, so selectors and services can both use it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings

SALT = "quizzes.choice_tokens"
# 64 bits: far beyond guessing within an attempt, short enough for a form value.
LENGTH = 16


@lru_cache(maxsize=8)
def _key(secret: str) -> tuple:
    """HMAC-SHA256 under salted_hmac's derived key for this salt and secret, as its two hash
    states with the padded key already absorbed (RFC 2104): each token then hashes only its
    own message. The same bytes as `salted_hmac`, which sets the key up again on every call (an
    attempt page makes ~60 tokens)."""
    key = hashlib.sha256(f"{SALT}{secret}".encode()).digest().ljust(64, b"\0")
    return (hashlib.sha256(bytes(b ^ 0x36 for b in key)),
            hashlib.sha256(bytes(b ^ 0x5C for b in key)))


def _token(*, attempt_question_id: int, choice_id: int, secret: str | None = None) -> str:
    """salted_hmac(SALT, "<aq>:<choice>", secret, sha256), cut to LENGTH hex digits."""
    key = _key(settings.SECRET_KEY if secret is None else secret)
    return _digest(key, f"{attempt_question_id}:{choice_id}")


def _digest(key: tuple, message: str) -> str:
    inner, outer = key[0].copy(), key[1].copy()
    inner.update(message.encode())
    outer.update(inner.digest())
    return outer.hexdigest()[:LENGTH]


def choice_token(*, attempt_question_id: int, choice_id: int) -> str:
    """The value a page posts for one option of one question of one attempt."""
    return _token(attempt_question_id=attempt_question_id, choice_id=choice_id)


def choice_token_list(*, attempt_question_id: int, choice_ids: Iterable[int]) -> list[str]:
    """`choice_token` of each choice, in order: the key and settings looked up once per
    question instead of once per option (the attempt page makes ~60)."""
    return _token_list(_key(settings.SECRET_KEY), attempt_question_id, choice_ids)


def _token_list(key: tuple, attempt_question_id: int, choice_ids: Iterable[int]) -> list[str]:
    return [_digest(key, f"{attempt_question_id}:{choice_id}") for choice_id in choice_ids]


def choice_tokens(*, attempt_question_id: int, choice_ids: Iterable[int]) -> dict[str, int]:
    """Posted value -> choice id for the options of one attempt question.

    Tokens made with a key listed in SECRET_KEY_FALLBACKS are accepted too, so a page rendered
    before a key rotation can still save its answers."""
    choice_ids = list(choice_ids)
    tokens: dict[str, int] = {}
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        for token, choice_id in zip(_token_list(_key(secret), attempt_question_id, choice_ids),
                                    choice_ids, strict=True):
            tokens.setdefault(token, choice_id)
    return tokens
