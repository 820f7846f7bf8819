"""The learner's notification list: open one (marks it read, then follows its link on this site
only) or mark them all read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views.decorators.http import require_GET, require_POST

from courses.notifications.selectors import (
    notification_of_user,
    notifications_page,
    site_relative_url,
)
from courses.notifications.services import notification_mark_read, notifications_mark_all_read

MSG_LINK_REFUSED = gettext_noop("The link of this notification does not lead to a page of this "
                                 "site and was not opened.")


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """消息通知: the user's notifications, newest first, 20 a page, unread ones highlighted."""
    page = notifications_page(user=request.user, page=request.GET.get("page"))
    page.object_list = list(page.object_list)
    for item in page.object_list:
        item.link = site_relative_url(item.url)  # only links on this site become buttons
    return render(request, "courses/notifications/list.html", {
        "page_obj": page, "notifications": page.object_list,
    })


@login_required
@require_POST
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark the notification read and go to its page; a link that does not stay on this site is
    never followed (back to the list instead)."""
    notification = notification_of_user(user=request.user, notification_id=notification_id)
    if notification is None:
        raise Http404
    notification_mark_read(notification=notification)
    target = site_relative_url(notification.url)
    if target is None:
        if notification.url:
            messages.error(request, _(MSG_LINK_REFUSED))
        return redirect(f"{reverse('notifications:list')}#notification-{notification.pk}")
    return redirect(target)


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    """全部标为已读."""
    count = notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, ngettext("%(count)d notification marked as read.",
                                           "%(count)d notifications marked as read.",
                                           count) % {"count": count})
    return redirect("notifications:list")
