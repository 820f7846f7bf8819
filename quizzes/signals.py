"""Signals other apps listen to (they sit above quizzes and must not be imported here)."""

from django.dispatch import Signal

# Sent (sender=Attempt, attempt=<Attempt>) after commit whenever an attempt becomes graded:
# at submission when nothing needs marking, or when the last essay is marked (and again if a
# marker changes a mark). Receivers must be idempotent.
attempt_graded = Signal()
