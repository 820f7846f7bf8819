"""The header's unread-notification count, counted only when a template asks for it."""

from __future__ import annotations

from functools import cached_property

from courses.notifications.selectors import notification_unread_count

BADGE_MAX = 99


class UnreadNotifications:
    """Lazy: pages that never render the header (JSON, admin, files) run no query, anonymous
    visitors run none, and a page that reads it several times runs one."""

    def __init__(self, request):
        self._request = request

    @cached_property
    def count(self) -> int:
        user = getattr(self._request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        return notification_unread_count(user=user)

    @property
    def badge(self) -> str:
        """What the badge shows: the count, or "99+" beyond that."""
        return f"{BADGE_MAX}+" if self.count > BADGE_MAX else str(self.count)


def unread_notifications(request) -> dict:
    return {"unread_notifications": UnreadNotifications(request)}
