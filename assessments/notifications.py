"""Tell both sides of an appeal (申诉) what happened, in the app and by e-mail.

Filing notifies every bureau account that may answer it (linking to the year's appeals inbox,
pending ones); answering notifies the department's current admins (the filer among them),
linking to the appeal's entry on the department's score sheet. The notices are written after
the appeal's transaction commits (`appeal_filed_on_commit`, `appeal_answered_on_commit`), never
for a refused write, in bulk and in a constant number of queries; each is written in its
recipient's language (`courses.notifications.selectors.recipient_languages`). The e-mails go
out from a worker (`assessments.tasks.appeal_notices_email`) to the recipients with an address.
"""

from __future__ import annotations

import contextlib
import logging
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

logger = logging.getLogger(__name__)

TEXT_MAX = 500  # the reason or reply quoted in a notice (the sheet shows it in full)

FILED_TITLE = gettext_noop("New appeal: {department} · {item}")
FILED_BODY = gettext_noop("{person} appealed the points of “{item}” in the {year} assessment of "
                          "{department}.")
FILED_POINTS = gettext_noop("Points when filed: {points}.")
FILED_REASON = gettext_noop("Reason: {reason}")
ACCEPTED_TITLE = gettext_noop("Appeal accepted: {item}")
ACCEPTED_BODY = gettext_noop("The bureau accepted the appeal of {department} on “{item}” "
                             "({year} assessment): the points are now {points}.")
REJECTED_TITLE = gettext_noop("Appeal rejected: {item}")
REJECTED_BODY = gettext_noop("The bureau rejected the appeal of {department} on “{item}” "
                             "({year} assessment): the points stay as they were.")
ANSWER_REPLY = gettext_noop("Reply: {reply}")


def _number(value) -> str:
    """Points as people write them: 2.5, not 2.50."""
    if value is None:
        return "—"
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _quoted(text: str) -> str:
    """User text on one line, cut at TEXT_MAX characters."""
    text = " ".join((text or "").split())
    return text if len(text) <= TEXT_MAX else text[:TEXT_MAX - 1].rstrip() + "…"


def _joined(parts: list[str]) -> str:
    # Chinese sentences follow each other without a space.
    return ("" if translation.get_language().startswith("zh") else " ").join(parts)


def _person(user) -> str:
    if user is None:
        return "—"
    return user.first_name or user.username


def _appeal(appeal_id: int):
    from assessments.models import Appeal

    return (Appeal.objects.select_related("scheme", "department", "item", "filed_by")
            .filter(pk=appeal_id).first())


def _notify(appeal, recipients: list, kind: str, render) -> list[int]:
    """One notification per recipient, rendered in their language; bulk-inserted; the e-mails
    queued for those with an address. The ids of the notifications."""
    from courses.models import Notification
    from courses.notifications.selectors import recipient_languages
    from courses.notifications.services import notifications_create_many

    if not recipients:
        return []
    languages = recipient_languages(user_ids=[user.pk for user in recipients])
    rendered: dict[str, tuple[str, str, str]] = {}
    notices = []
    now = timezone.now()
    for user in recipients:
        language = languages[user.pk]
        if language not in rendered:
            with translation.override(language):
                rendered[language] = render(appeal)
        title, body, url = rendered[language]
        notices.append(Notification(user=user, kind=kind, title=title, body=body, url=url,
                                    created_at=now))
    created = notifications_create_many(notices)
    ids = [notice.pk for notice in created
           if notice.pk is not None and (notice.user.email or "").strip()]
    if ids:
        from assessments.tasks import appeal_notices_email

        appeal_notices_email.delay(ids)
    return [notice.pk for notice in created]


def _filed(appeal) -> tuple[str, str, str]:
    department, item = appeal.department.name, appeal.item.name
    parts = [_(FILED_BODY).format(person=_person(appeal.filed_by), item=item,
                                  year=appeal.scheme.year, department=department)]
    if appeal.points_when_filed is not None:
        parts.append(_(FILED_POINTS).format(points=_number(appeal.points_when_filed)))
    parts.append(_(FILED_REASON).format(reason=_quoted(appeal.reason)))
    url = reverse("assessment_scoring:appeals", args=[appeal.scheme.year]) + "?status=pending"
    return (_(FILED_TITLE).format(department=department, item=item), _joined(parts), url)


def _answered(appeal) -> tuple[str, str, str]:
    from assessments.models import AppealStatus

    department, item, year = appeal.department.name, appeal.item.name, appeal.scheme.year
    if appeal.status == AppealStatus.ACCEPTED:
        title = _(ACCEPTED_TITLE).format(item=item)
        parts = [_(ACCEPTED_BODY).format(department=department, item=item, year=year,
                                         points=_number(appeal.new_points))]
    else:
        title = _(REJECTED_TITLE).format(item=item)
        parts = [_(REJECTED_BODY).format(department=department, item=item, year=year)]
    reply = _quoted(appeal.reply)
    if reply:
        parts.append(_(ANSWER_REPLY).format(reply=reply))
    url = (reverse("assessment_scoring:sheet", args=[year, appeal.department_id])
           + f"#appeal-entry-{appeal.pk}")
    return title, _joined(parts), url


def appeal_filed_notify(*, appeal_id: int) -> list[int]:
    """Notify the bureau (every account that may answer appeals, not the filer) of a new
    appeal. The ids of the notifications."""
    from courses.models import NotificationKind
    from departments.selectors import bureau_users

    appeal = _appeal(appeal_id)
    if appeal is None:
        return []
    recipients = list(bureau_users().exclude(pk=appeal.filed_by_id)
                      .only("pk", "email", "first_name", "username"))
    return _notify(appeal, recipients, NotificationKind.APPEAL_FILED, _filed)


def appeal_answered_notify(*, appeal_id: int) -> list[int]:
    """Notify the department's current admins (the filer among them, unless they no longer
    administer it) of the answer; not the person who answered. The ids of the notifications."""
    from assessments.models import AppealStatus
    from courses.models import NotificationKind
    from departments.selectors import department_admin_users

    appeal = _appeal(appeal_id)
    if appeal is None or appeal.status == AppealStatus.PENDING:
        return []
    recipients = list(department_admin_users(department_id=appeal.department_id)
                      .exclude(pk=appeal.answered_by_id)
                      .only("pk", "email", "first_name", "username"))
    return _notify(appeal, recipients, NotificationKind.APPEAL_ANSWERED, _answered)


def appeal_filed_on_commit(appeal) -> None:
    """Once the filing commits (a rolled-back filing notifies nobody). A failure to notify is
    logged and never undoes or fails the appeal."""
    appeal_id = appeal.pk
    transaction.on_commit(lambda: appeal_filed_notify(appeal_id=appeal_id), robust=True)


def appeal_answered_on_commit(appeal) -> None:
    appeal_id = appeal.pk
    transaction.on_commit(lambda: appeal_answered_notify(appeal_id=appeal_id), robust=True)


# --- E-mail ----------------------------------------------------------------------------------


def _email(notice, *, language: str, connection) -> EmailMultiAlternatives:
    from courses.reminders.emails import site_base_url, tidy_text

    user = notice.user
    with translation.override(language):
        link = site_base_url() + notice.url
        context = {
            "subject": notice.title, "body": notice.body, "link": link, "for_email": True,
            "site_name": settings.WAGTAIL_SITE_NAME,
            "recipient": {"display_name": user.first_name or user.username,
                          "language": language},
        }
        text = tidy_text(render_to_string("assessments/email/appeal.txt", context))
        html = render_to_string("assessments/email/appeal.html", context)
    email = EmailMultiAlternatives(
        subject=" ".join(notice.title.split()), body=text,
        from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email.strip()], connection=connection,
        headers={"Content-Language": language, "Auto-Submitted": "auto-generated"})
    email.attach_alternative(html, "text/html")
    return email


def appeal_notices_send(*, notification_ids: list[int]) -> int:
    """E-mail these appeal notifications to their recipients (the way reminders are e-mailed:
    the recipient's language, subject = the notice's title, text and HTML with the absolute
    link); recipients without a valid address are skipped. The number sent."""
    from courses.models import Notification, NotificationKind
    from courses.notifications.selectors import recipient_languages
    from courses.reminders.services import TransientSendError

    notices = list(Notification.objects.select_related("user").filter(
        pk__in=list(notification_ids), kind__in=[NotificationKind.APPEAL_FILED,
                                                 NotificationKind.APPEAL_ANSWERED],
        user__is_active=True).order_by("pk"))
    notices = [notice for notice in notices if (notice.user.email or "").strip()]
    if not notices:
        return 0
    languages = recipient_languages(user_ids={notice.user_id for notice in notices})
    connection = get_connection()
    try:
        connection.open()
    except Exception as exc:
        raise TransientSendError(f"{type(exc).__name__}: {exc}") from exc
    sent = 0
    try:
        for notice in notices:
            try:
                # One plain address or nothing (no "a@x, b@y", no header injection).
                validate_email(notice.user.email.strip())
                _email(notice, language=languages[notice.user_id], connection=connection).send()
            except Exception as exc:
                logger.warning("appeal notice %s to user %s not e-mailed: %s", notice.pk,
                               notice.user_id, exc)
                continue
            sent += 1
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    return sent
