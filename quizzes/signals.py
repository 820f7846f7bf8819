"""Signals other apps listen to (they sit above quizzes and must not be imported here)."""

from django.dispatch import Signal

# Sent (sender=Attempt, attempt=<Attempt>, marked_by=<User or None>, result_changed=<bool>)
# after commit whenever an attempt becomes graded: at submission when nothing needs marking
# (marked_by=None: automatic grading), or when the last essay is marked (and again if a marker
# changes a mark; marked_by is the marker, result_changed says whether the status, score or
# pass changed with this marking). Receivers must be idempotent.
attempt_graded = Signal()
