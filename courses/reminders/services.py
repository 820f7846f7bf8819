"""Send the day's reminders, digests and escalations exactly once.

Each message is claimed before anything is sent:

1. **Claim** (`reminders_claim`): `INSERT … ON CONFLICT DO NOTHING RETURNING` into
   `ReminderLog`, whose unique key (recipient, plan, kind, date) lets only one run win a row;
   the in-app notification is created for the rows won, in the same transaction. A second beat,
   a retried task or the command run twice claims nothing and notifies nobody again.
2. **Send** (`reminders_send`): per row, lock it (PostgreSQL: `SELECT … FOR UPDATE SKIP
   LOCKED`, held across the SMTP exchange), check it is still unmarked, send, set `emailed_at`
   (or `email_error` for a permanent failure), commit. A row being sent by another worker is
   skipped; a row whose worker died is unlocked at once (the database ends the dead session)
   and stays unmarked.
3. **Resend** (`reminders_unsent_ids`): rows claimed but neither e-mailed nor failed are sent
   again by the next run — the sweep that a restarted worker starts, the periodic sweep, or
   the next daily dispatch.

The one remaining window: a worker killed after the SMTP server accepted a message (250) and
before its `emailed_at` commit sends that one message again on resend (the same Message-ID, so
mail clients can tell). SMTP itself cannot close it; it is one UPDATE and COMMIT long.

SQLite (the single-machine default) has no row locks and takes a database-wide write lock per
transaction, so there the send is not wrapped in a transaction and only rows claimed more than
`REMINDERS_RESEND_AFTER_SECONDS` ago are resent: one worker per machine is assumed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import smtplib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.core.validators import validate_email
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from courses.models import Notification, ReminderLog
from courses.notifications.services import notifications_create_many
from courses.reminders import emails
from courses.reminders.selectors import Message, reminder_messages

logger = logging.getLogger(__name__)

# What `email_error` says when no e-mail was attempted (the row is settled, never resent).
NO_ADDRESS = "no e-mail address"
NOTHING_LEFT = "nothing left to remind when the e-mail was due"
CLAIM_CHUNK = 500
DEFAULT_BATCH_SIZE = 200
# Rows claimed on these many days back (today included) are still resent when unmarked; older
# ones are left (a reminder about last week's standing would mislead).
RESEND_DAYS = 3


class TransientSendError(Exception):
    """The mail server could not be reached or refused for now: retry later."""


@dataclass
class SendReport:
    emailed: int = 0
    failed: int = 0
    skipped: int = 0  # already sent, being sent elsewhere, no address, or nothing left


@dataclass
class DispatchReport:
    on_date: dt.date
    messages: int = 0
    claimed: int = 0
    without_email: int = 0
    to_send: list[int] = field(default_factory=list)
    send: SendReport | None = None


def _claim_sql(rows: int) -> str:
    table = db_connection.ops.quote_name(ReminderLog._meta.db_table)
    columns = ["user_id", "plan_id", "kind", "on_date", "created_at", "email_error"]
    names = ", ".join(db_connection.ops.quote_name(column) for column in columns)
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * rows)
    key = ", ".join(db_connection.ops.quote_name(column)
                    for column in ("user_id", "plan_id", "kind", "on_date"))
    return (f"INSERT INTO {table} ({names}) VALUES {values} "  # noqa: S608 - names from _meta
            f"ON CONFLICT ({key}) DO NOTHING RETURNING id, user_id, plan_id, kind")


def _claim_chunk(messages: list[Message], *, now: dt.datetime) -> dict[tuple, int]:
    """Insert the chunk's log rows; the keys this run won, mapped to their row id."""
    fields = {f.name: f for f in ReminderLog._meta.fields}
    params: list = []
    for message in messages:
        user_id, plan_id, kind, on_date = message.key
        params += [user_id, plan_id, kind,
                   fields["on_date"].get_db_prep_value(on_date, db_connection),
                   fields["created_at"].get_db_prep_value(now, db_connection),
                   "" if message.recipient.email else NO_ADDRESS]
    with db_connection.cursor() as cursor:
        cursor.execute(_claim_sql(len(messages)), params)
        won = cursor.fetchall()
    on_date = messages[0].on_date
    return {(user_id, plan_id, kind, on_date): pk for pk, user_id, plan_id, kind in won}


def reminders_claim(*, messages: list[Message], now: dt.datetime | None = None
                    ) -> tuple[list[int], int]:
    """Claim each message once and create its in-app notification (in the recipient's
    language); the ids of the rows won that have an address to e-mail, and how many rows were
    won in all. Chunks of CLAIM_CHUNK, each one transaction."""
    now = now or timezone.now()
    to_email: list[int] = []
    won_total = 0
    by_date: dict[dt.date, list[Message]] = defaultdict(list)
    for message in messages:
        by_date[message.on_date].append(message)
    for day_messages in by_date.values():
        for start in range(0, len(day_messages), CLAIM_CHUNK):
            chunk = day_messages[start:start + CLAIM_CHUNK]
            with transaction.atomic():
                won = _claim_chunk(chunk, now=now)
                if not won:
                    continue
                winners = [message for message in chunk if message.key in won]
                notifications = []
                for message in winners:
                    rendered = emails.render_message(message, email=False)
                    notifications.append(Notification(
                        user_id=message.recipient.user_id, kind=message.kind,
                        title=rendered.subject, body=rendered.text, url=rendered.url,
                        created_at=now))
                notifications_create_many(notifications)
                ReminderLog.objects.bulk_update(
                    [ReminderLog(pk=won[message.key], notification_id=notification.pk)
                     for message, notification in zip(winners, notifications, strict=True)],
                    ["notification"])
            won_total += len(winners)
            to_email += [won[message.key] for message in winners if message.recipient.email]
    return sorted(to_email), won_total


def _rows_lock() -> bool:
    return db_connection.features.has_select_for_update_skip_locked


@contextlib.contextmanager
def _locked_row(log_id: int):
    """The log row, still unmarked and now ours, or None (sent, failed, or being sent by
    another worker). PostgreSQL holds the row lock until the block ends."""
    rows = ReminderLog.objects.filter(pk=log_id, emailed_at__isnull=True, email_error="")
    if _rows_lock():
        with transaction.atomic():
            yield rows.select_for_update(skip_locked=True, of=("self",)).first()
    else:
        yield rows.first()


def _permanent(exc: Exception) -> bool:
    """A refusal that retrying will not change: the address (or this message) is refused."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused | ValidationError | ValueError
                  | UnicodeError):
        return True
    return (isinstance(exc, smtplib.SMTPDataError) and 500 <= exc.smtp_code < 600)


def _mark(log_id: int, **values) -> None:
    ReminderLog.objects.filter(pk=log_id).update(**values)


def _messages_for(logs: list[ReminderLog]) -> dict[tuple, Message]:
    """The messages of these rows, built afresh (a constant number of queries per plan and
    date, whatever the number of rows)."""
    groups: dict[tuple[int, dt.date], tuple[set, set]] = defaultdict(lambda: (set(), set()))
    for log in logs:
        kinds, users = groups[(log.plan_id, log.on_date)]
        kinds.add(log.kind)
        users.add(log.user_id)
    found: dict[tuple, Message] = {}
    for (plan_id, on_date), (kinds, users) in groups.items():
        for message in reminder_messages(on_date=on_date, plan_ids=[plan_id], kinds=kinds,
                                         user_ids=users):
            found[message.key] = message
    return found


def reminders_send(*, log_ids: Iterable[int]) -> SendReport:
    """E-mail the claimed, unmarked rows among `log_ids` (see the module's exactly-once notes).

    Raises TransientSendError when the mail server is unreachable or answers "try later": the
    rows sent so far are marked, the rest stay unmarked for the retry."""
    report = SendReport()
    logs = list(ReminderLog.objects.filter(pk__in=list(log_ids), emailed_at__isnull=True,
                                           email_error="").order_by("pk"))
    if not logs:
        return report
    messages = _messages_for(logs)
    mail = get_connection()
    try:
        # One SMTP session for the batch (send_messages would otherwise open and close one per
        # message).
        mail.open()
    except Exception as exc:
        raise TransientSendError(f"{type(exc).__name__}: {exc}") from exc
    try:
        for log in logs:
            with _locked_row(log.pk) as row:
                if row is None:
                    report.skipped += 1
                    continue
                message = messages.get((row.user_id, row.plan_id, row.kind, row.on_date))
                if message is None or not message.recipient.email:
                    _mark(row.pk, email_error=NOTHING_LEFT if message is None else NO_ADDRESS)
                    report.skipped += 1
                    continue
                try:
                    # One plain address or nothing: a stored "a@x, b@y" or a header injection
                    # never reaches the mail server (whatever the backend checks itself).
                    validate_email(message.recipient.email)
                    email = emails.build_email(message, emails.render_message(message),
                                               connection=mail)
                    email.send()
                except Exception as exc:
                    if not _permanent(exc):
                        raise TransientSendError(f"{type(exc).__name__}: {exc}") from exc
                    logger.warning("reminder %s to user %s refused: %s", row.pk, row.user_id,
                                   exc)
                    _mark(row.pk, email_error=f"{type(exc).__name__}: {exc}"[:1000])
                    report.failed += 1
                    continue
                _mark(row.pk, emailed_at=timezone.now())
                report.emailed += 1
    finally:
        with contextlib.suppress(Exception):
            mail.close()
    return report


def reminders_unsent_ids(*, now: dt.datetime | None = None,
                         older_than_seconds: int | None = None,
                         on_date: dt.date | None = None) -> list[int]:
    """Rows claimed but neither e-mailed nor failed, claimed at least `older_than_seconds` ago
    (default REMINDERS_RESEND_AFTER_SECONDS): those of the last RESEND_DAYS days, and those of
    `on_date` (a run for a given day finishes that day's rows)."""
    now = now or timezone.now()
    if older_than_seconds is None:
        older_than_seconds = settings.REMINDERS_RESEND_AFTER_SECONDS
    since = timezone.localdate(now) - dt.timedelta(days=RESEND_DAYS - 1)
    days = Q(on_date__gte=since) if on_date is None else Q(on_date__gte=since) | Q(
        on_date=on_date)
    return list(ReminderLog.objects.filter(
        days, emailed_at__isnull=True, email_error="",
        created_at__lte=now - dt.timedelta(seconds=older_than_seconds))
        .order_by("pk").values_list("pk", flat=True))


def batches(ids: list[int], size: int | None = None) -> list[list[int]]:
    size = size or settings.REMINDERS_BATCH_SIZE or DEFAULT_BATCH_SIZE
    return [ids[start:start + size] for start in range(0, len(ids), size)]


def reminders_enqueue(*, log_ids: list[int]) -> int:
    """Queue the rows' e-mails for the workers, in batches, once the claims are committed."""
    from courses.tasks import reminders_send_batch

    chunks = batches(log_ids)
    transaction.on_commit(lambda: [reminders_send_batch.delay(chunk) for chunk in chunks])
    return len(chunks)


def reminders_dispatch(*, on_date: dt.date, enqueue: bool = True,
                       now: dt.datetime | None = None) -> DispatchReport:
    """The day's run: build the messages due on `on_date`, claim them, then send the new rows
    and any earlier rows left unsent — through the workers (`enqueue`) or here and now."""
    now = now or timezone.now()
    messages = reminder_messages(on_date=on_date)
    report = DispatchReport(on_date=on_date, messages=len(messages))
    claimed_ids, report.claimed = reminders_claim(messages=messages, now=now)
    report.without_email = report.claimed - len(claimed_ids)
    report.to_send = sorted(set(claimed_ids) | set(reminders_unsent_ids(now=now, on_date=on_date)))
    if enqueue:
        reminders_enqueue(log_ids=report.to_send)
    else:
        report.send = reminders_send(log_ids=report.to_send)
    return report


def reminders_preview(*, on_date: dt.date) -> list[Message]:
    """The messages a run on `on_date` would claim now (those not in the log yet); writes
    nothing."""
    claimed = set(ReminderLog.objects.filter(on_date=on_date)
                  .values_list("user_id", "plan_id", "kind", "on_date"))
    return [message for message in reminder_messages(on_date=on_date)
            if message.key not in claimed]
