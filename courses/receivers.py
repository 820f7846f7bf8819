"""Receivers of the lower apps' signals: a graded quiz or a scored exercise can finish a lesson
and a course. Both are idempotent (the signals are sent again on re-marking and overrides).
A roster change (departments.signals.roster_changed) or a deleted learner record queues the
synchronisation of the people's plan assignments."""

from __future__ import annotations

from django.db.models.signals import post_delete
from django.dispatch import receiver

from casebook.exercises.signals import submission_scored
from courses.membership import plan_membership_sync_later
from courses.services import progress_follow_exercise, progress_follow_quiz
from departments.models import Learner
from departments.signals import roster_changed
from quizzes.signals import attempt_graded


@receiver(attempt_graded, dispatch_uid="courses.attempt_graded")
def on_attempt_graded(sender, attempt, **kwargs):
    progress_follow_quiz(user=attempt.user, quiz_id=attempt.quiz_id)


@receiver(submission_scored, dispatch_uid="courses.submission_scored")
def on_submission_scored(sender, submission, **kwargs):
    progress_follow_exercise(user=submission.user, exercise_id=submission.exercise_id)


@receiver(roster_changed, dispatch_uid="courses.roster_changed")
def on_roster_changed(sender, learner_ids, **kwargs):
    plan_membership_sync_later(learner_ids=learner_ids)


@receiver(post_delete, sender=Learner, dispatch_uid="courses.learner_deleted")
def on_learner_deleted(sender, instance, **kwargs):
    # The account stays (and with it the assignments): nothing matches it any more.
    plan_membership_sync_later(user_ids=[instance.user_id])
