"""Writes for in-app notifications."""

from __future__ import annotations

from django.utils import timezone

from courses.models import Notification

TITLE_MAX = 255


def notification_create(*, user, kind: str, title: str, body: str = "", url: str = ""
                        ) -> Notification:
    """A notification for one user (shown in the header count and on the notification list).
    `url` is a site-relative link (never an outside address)."""
    if url and not url.startswith("/"):
        raise ValueError("notification links are site-relative")
    return Notification.objects.create(user=user, kind=kind, title=title[:TITLE_MAX],
                                       body=body, url=url, created_at=timezone.now())
