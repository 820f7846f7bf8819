"""Signals other apps listen to (courses, assessments sit above the casebook)."""

from django.dispatch import Signal

# Sent (sender=ExerciseSubmission, submission=<ExerciseSubmission>) after commit when a
# submission is scored and again when a reviewer overrides its score. Receivers must be
# idempotent.
submission_scored = Signal()

# Sent (sender=ExerciseSubmission, submission=<ExerciseSubmission>, review=<SubmissionReview>)
# after commit once for every review a reviewer records (a comment, with or without a score
# change), so a listener can tell the learner; never for the automatic scoring at submission.
submission_reviewed = Signal()
