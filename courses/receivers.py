"""Receivers of the lower apps' signals: a graded quiz or a scored exercise can finish a lesson
and a course. Both are idempotent (the signals are sent again on re-marking and overrides)."""

from __future__ import annotations

from django.dispatch import receiver

from casebook.exercises.signals import submission_scored
from courses.services import progress_follow_exercise, progress_follow_quiz
from quizzes.signals import attempt_graded


@receiver(attempt_graded, dispatch_uid="courses.attempt_graded")
def on_attempt_graded(sender, attempt, **kwargs):
    progress_follow_quiz(user=attempt.user, quiz_id=attempt.quiz_id)


@receiver(submission_scored, dispatch_uid="courses.submission_scored")
def on_submission_scored(sender, submission, **kwargs):
    progress_follow_exercise(user=submission.user, exercise_id=submission.exercise_id)
