"""Which messages a training plan sends on a given date: pure date arithmetic, no models.

The rule (dates in the site's time zone):
- learner reminders on `due_on - d` for each d in the plan's reminder days (14, 7, 1 by
  default), never before the plan opens;
- a digest to each department admin every week on the due date's weekday, from the plan's
  opening up to and including the due date;
- when the plan reminds weekly after the due date: every 7 days after it (due + 7, due + 14, …)
  up to the make-up deadline, a learner reminder, a digest and an escalation to the heads.
Nothing is sent before `opens_on` or after `makeup_until`.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

REMINDER = "reminder"
DIGEST = "digest"
ESCALATION = "escalation"
KINDS = (REMINDER, DIGEST, ESCALATION)


class PlanDates(Protocol):
    opens_on: dt.date
    due_on: dt.date
    makeup_until: dt.date
    remind_weekly_after_due: bool


def kinds_due(plan: PlanDates, on_date: dt.date, *, reminder_days: list[int]) -> list[str]:
    """The kinds of message `plan` sends on `on_date`, in the order of `KINDS`."""
    if not plan.opens_on <= on_date <= plan.makeup_until:
        return []
    after_due = (on_date - plan.due_on).days
    weekly_after_due = (plan.remind_weekly_after_due and after_due > 0 and after_due % 7 == 0)
    kinds = []
    if weekly_after_due or (after_due < 0 and -after_due in reminder_days):
        kinds.append(REMINDER)
    if weekly_after_due or (after_due <= 0 and after_due % 7 == 0):
        kinds.append(DIGEST)
    if weekly_after_due:
        kinds.append(ESCALATION)
    return kinds
