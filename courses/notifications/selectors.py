"""Reads for in-app notifications: the learner's list, one of their own, the unread count."""

from __future__ import annotations

import re

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.http import url_has_allowed_host_and_scheme

from courses.models import Notification

PAGE_SIZE = 20

# A path on this site: one leading slash, then no second slash or backslash (browsers read
# "//host" and "/\host" as another host) and no whitespace or control characters (browsers drop
# tabs and newlines, so "/\t/evil.example" would become "//evil.example").
_SITE_PATH = re.compile(r"/(?![/\\])[^\s\x00-\x1f\x7f\\]*\Z")


def site_relative_url(url: str | None) -> str | None:
    """`url` if it is a path on this site, else None: notification links are only ever followed
    inside the site, whatever was stored."""
    if not url or len(url) > 500 or not _SITE_PATH.match(url):
        return None
    if not url_has_allowed_host_and_scheme(url, allowed_hosts=set(), require_https=False):
        return None
    return url


def notifications_of_user(*, user) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def notifications_page(*, user, page: str | int | None) -> Page:
    """One page (20) of the user's notifications, newest first; a bad or too large page number
    gives the nearest page instead of an error."""
    return Paginator(notifications_of_user(user=user), PAGE_SIZE).get_page(page)


def notification_of_user(*, user, notification_id: int) -> Notification | None:
    """One notification if it belongs to `user` (someone else's id is the same as no id)."""
    return Notification.objects.filter(user=user, pk=notification_id).first()


def notification_unread_count(*, user) -> int:
    """How many of the user's notifications are unread (uses the (user, read_at) index)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def language_chosen(chosen: str | None) -> str:
    """The rule for stored messages: the recipient's chosen (admin profile) language when the
    site offers it, else the site's (Chinese) — never the sender's."""
    from django.conf import settings

    offered = {code for code, _name in settings.LANGUAGES}
    return chosen if chosen in offered else settings.LANGUAGE_CODE


def recipient_languages(*, user_ids) -> dict[int, str]:
    """`language_chosen` for many recipients in one query: user id -> language code (every id
    given, with or without a profile)."""
    from wagtail.users.models import UserProfile

    chosen = dict(UserProfile.objects.filter(user_id__in=list(user_ids))
                  .values_list("user_id", "preferred_language"))
    return {user_id: language_chosen(chosen.get(user_id)) for user_id in user_ids}


def recipient_language(*, user) -> str:
    """The language a stored message to `user` is written in (see `language_chosen`)."""
    return recipient_languages(user_ids=[user.pk])[user.pk]
