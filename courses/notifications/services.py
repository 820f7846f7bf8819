"""Writes for in-app notifications."""

from __future__ import annotations

from django.utils import timezone

from courses.models import Notification
from courses.notifications.selectors import site_relative_url

TITLE_MAX = 255
BODY_MAX = 4000


def notification_create(*, user, kind: str, title: str, body: str = "", url: str = ""
                        ) -> Notification:
    """A notification for one user (shown in the header count and on the notification list).
    `url` is a site-relative link (never an outside address)."""
    if url and site_relative_url(url) is None:
        raise ValueError("notification links are site-relative")
    return Notification.objects.create(user=user, kind=kind, title=title[:TITLE_MAX],
                                       body=body[:BODY_MAX], url=url, created_at=timezone.now())


def notification_mark_read(*, notification: Notification, now=None) -> bool:
    """Mark one notification read; a conditional UPDATE, so opening it twice keeps the first
    time. Returns whether it was unread."""
    now = now or timezone.now()
    changed = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=now)
    if changed:
        notification.read_at = now
    return bool(changed)


def notifications_mark_all_read(*, user, now=None) -> int:
    """Mark every unread notification of `user` read (one UPDATE); returns how many."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=now or timezone.now())
