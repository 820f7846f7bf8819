"""Send the training plan reminders, digests and escalations due on a date:
`manage.py send_reminders [--dry-run] [--date YYYY-MM-DD]` (a public contract: keep it stable).

Without --dry-run it runs the same services as the daily Celery task, synchronously: claims each
message once (a message already sent on that date is never sent again), creates the in-app
notifications, e-mails those with an address, then prints one summary line. Exit 0, or 1 when
any e-mail failed or the mail server could not be reached (unsent rows are retried by the next
run).

--dry-run prints one tab-separated line per message it would send and writes nothing:
    RECIPIENT<TAB>KIND<TAB>PLAN
RECIPIENT is the e-mail address, or "(无邮箱) USERNAME" for someone without one (in-app only);
KIND is reminder, digest or escalation; PLAN is the plan's title.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from courses.reminders import services

NO_ADDRESS = "(无邮箱)"


def _date(value: str) -> dt.date:
    try:
        if len(value) != 10:
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must be a date written YYYY-MM-DD, e.g. 2026-06-16, "
                           f"not {value[:40]!r}") from None


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class Command(BaseCommand):
    help = "Send the training plan reminders, digests and escalations due today (or --date)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true",
                            help="Print one line per message that would be sent; send nothing.")
        parser.add_argument("--date", help="The day to run for, YYYY-MM-DD (default: today in "
                                           "the site's time zone).")

    def handle(self, *args, dry_run=False, date=None, **options):
        on_date = _date(date) if date is not None else timezone.localdate()
        if dry_run:
            for message in services.reminders_preview(on_date=on_date):
                recipient = message.recipient
                address = recipient.email or f"{NO_ADDRESS} {recipient.username}"
                self.stdout.write(f"{_one_line(address)}\t{message.kind}\t"
                                  f"{_one_line(message.plan.title)}")
            return
        try:
            report = services.reminders_dispatch(on_date=on_date, enqueue=False)
        except services.TransientSendError as exc:
            raise CommandError(f"the mail server could not be reached ({exc}); the unsent "
                               f"e-mails are retried by the next run") from exc
        sent = report.send or services.SendReport()
        self.stdout.write(f"{on_date}: {report.claimed} messages claimed "
                          f"({report.without_email} without e-mail), {sent.emailed} e-mailed, "
                          f"{sent.failed} failed")
        if sent.failed:
            raise CommandError(f"{sent.failed} e-mails were refused; see ReminderLog.email_error")
