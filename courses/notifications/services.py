"""Writes for in-app notifications."""

from __future__ import annotations

from django.utils import timezone

from courses.models import Notification
from courses.notifications.selectors import site_relative_url

TITLE_MAX = 255
BODY_MAX = 4000


def _checked(notice: Notification) -> Notification:
    """The rules every stored notice follows: a site-relative link (never an outside address),
    title and text within their limits."""
    if notice.url and site_relative_url(notice.url) is None:
        raise ValueError("notification links are site-relative")
    notice.title, notice.body = notice.title[:TITLE_MAX], notice.body[:BODY_MAX]
    return notice


def notification_create(*, user, kind: str, title: str, body: str = "", url: str = ""
                        ) -> Notification:
    """A notification for one user (shown in the header count and on the notification list)."""
    notice = _checked(Notification(user=user, kind=kind, title=title, body=body, url=url,
                                   created_at=timezone.now()))
    notice.save()
    return notice


def notifications_create_many(notices: list[Notification], *, batch_size: int = 1000
                              ) -> list[Notification]:
    """Many notifications in bulk inserts (reminders, certificates), under the same rules as
    `notification_create`."""
    return Notification.objects.bulk_create([_checked(n) for n in notices],
                                            batch_size=batch_size)


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
