"""A reminder, digest or escalation rendered in its recipient's language: the in-app
notification (title, text, site-relative link) and the e-mail (subject, plain text, HTML, with
an absolute link built from `SITE_BASE_URL`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from courses.models import NotificationKind
from courses.reminders.selectors import Message

# A digest of a large department lists this many unfinished people at most; the rest are
# counted ("and N more") and the full list is the roster in the admin.
DIGEST_MAX_PEOPLE = 200
TITLE_MAX = 255
# The in-app list keeps texts short (courses.notifications.services.BODY_MAX).
NOTIFICATION_BODY_MAX = 4000

TEMPLATES = {
    NotificationKind.REMINDER: "courses/email/reminder",
    NotificationKind.DIGEST: "courses/email/digest",
    NotificationKind.ESCALATION: "courses/email/escalation",
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    url: str  # site-relative
    absolute_url: str


def site_base_url() -> str:
    return str(getattr(settings, "SITE_BASE_URL", "") or settings.WAGTAILADMIN_BASE_URL
               ).rstrip("/")


def message_url(message: Message) -> str:
    """Where the message leads: 我的培训 for learners and heads, the department's roster
    against the plan (培训完成情况, unfinished people) for digests."""
    if message.kind == NotificationKind.DIGEST:
        return f"{reverse('plan_roster:index')}?plan={message.plan.pk}"
    return reverse("my_training")


def _subject(message: Message) -> str:
    plan, due = message.plan.title, date_format(message.plan.due_on, "DATE_FORMAT")
    if message.kind == NotificationKind.REMINDER:
        if message.overdue:
            return _("Overdue training: 《%(plan)s》 was due on %(due)s") % {
                "plan": plan, "due": due}
        days = message.days_to_due
        return ngettext("Training reminder: 《%(plan)s》 is due in %(days)s day",
                        "Training reminder: 《%(plan)s》 is due in %(days)s days", days) % {
            "plan": plan, "days": days}
    unfinished = sum(department.unfinished for department in message.departments)
    if message.kind == NotificationKind.DIGEST:
        return ngettext("Weekly training digest: 《%(plan)s》, %(count)s person unfinished",
                        "Weekly training digest: 《%(plan)s》, %(count)s people unfinished",
                        unfinished) % {"plan": plan, "count": unfinished}
    department = message.departments[0].name if message.departments else ""
    return ngettext("Training overdue in %(department)s: 《%(plan)s》, %(count)s person "
                    "unfinished",
                    "Training overdue in %(department)s: 《%(plan)s》, %(count)s people "
                    "unfinished", unfinished) % {
        "department": department, "plan": plan, "count": unfinished}


def _digest_listing(message: Message) -> tuple[list, int]:
    """The departments and offices the digest lists, cut at DIGEST_MAX_PEOPLE people; and how
    many people were left out."""
    budget, left_out, listing = DIGEST_MAX_PEOPLE, 0, []
    for department in message.departments:
        offices = []
        for office in department.offices_with_gaps:
            shown = office.unfinished[:max(budget, 0)]
            budget -= len(shown)
            left_out += office.unfinished_count - len(shown)
            if shown:
                offices.append((office, shown))
        listing.append((department, offices))
    return listing, left_out


_BLANK_LINES = re.compile(r"\n{3,}")


def tidy_text(text: str) -> str:
    """Template whitespace out of a plain-text body: no trailing spaces, at most one blank
    line in a row."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)) + "\n"


def render_message(message: Message, *, email: bool = True) -> Rendered:
    """The message in the recipient's language (their chosen language, else Chinese): for an
    e-mail, subject, text ending with the absolute link, and HTML; for the in-app notification
    (`email=False`), title and text only (the notification carries its link itself)."""
    with translation.override(message.recipient.language):
        url = message_url(message)
        absolute_url = site_base_url() + url
        listing, left_out = _digest_listing(message)
        context = {
            "message": message,
            "plan": message.plan,
            "recipient": message.recipient,
            "due": date_format(message.plan.due_on, "DATE_FORMAT"),
            "makeup": date_format(message.plan.makeup_until, "DATE_FORMAT"),
            "link": absolute_url,
            "for_email": email,
            "site_name": settings.WAGTAIL_SITE_NAME,
            "listing": listing,
            "left_out": left_out,
            "department": message.departments[0] if message.departments else None,
        }
        base = TEMPLATES[message.kind]
        subject = " ".join(_subject(message).split())[:TITLE_MAX]
        text = tidy_text(render_to_string(f"{base}.txt", context))
        html = render_to_string(f"{base}.html", {**context, "subject": subject}) if email else ""
    if not email and len(text) > NOTIFICATION_BODY_MAX:
        text = text[:NOTIFICATION_BODY_MAX - 1].rstrip() + "…"
    return Rendered(subject=subject, text=text, html=html, url=url, absolute_url=absolute_url)


def message_id(message: Message) -> str:
    """A Message-ID fixed by the ReminderLog key, so that the one copy a crash can duplicate
    (sent, then the worker died before recording it) is recognisable as the same message."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "localhost"
    user_id, plan_id, kind, on_date = message.key
    return f"<jixiao.{kind}.{plan_id}.{user_id}.{on_date:%Y%m%d}@{domain}>"


def build_email(message: Message, rendered: Rendered, *, connection=None
                ) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=rendered.subject, body=rendered.text, from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient.email], connection=connection,
        headers={"Message-ID": message_id(message),
                 "Content-Language": message.recipient.language,
                 "Auto-Submitted": "auto-generated"})
    email.attach_alternative(rendered.html, "text/html")
    return email
