"""Reminders, department digests and escalations for published training plans (issue 10 §6).

`schedule` says which kinds of message a plan sends on a date (pure), `selectors` who gets what
on that date, `emails` renders a message in its recipient's language, and `services` claims each
message once in `ReminderLog` and sends it.
"""
