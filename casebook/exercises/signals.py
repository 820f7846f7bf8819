"""Signals other apps listen to (courses, assessments sit above the casebook)."""

from django.dispatch import Signal

# Sent (sender=ExerciseSubmission, submission=<ExerciseSubmission>) after commit when a
# submission is scored and again when a reviewer overrides its score. Receivers must be
# idempotent.
submission_scored = Signal()
