"""Writes of the exercises: submit a graded attempt, review (comment / override) a submission."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from casebook.exercises.grading import ExerciseInputError, Graded
from casebook.exercises.signals import submission_reviewed, submission_scored
from casebook.models import Exercise, ExerciseSubmission, SubmissionReview
from portal.cleaning import data_clean

ERR_NO_ATTEMPTS_LEFT = gettext_noop("You have used all {limit} attempts of this exercise.")
ERR_NOT_PUBLISHED = gettext_noop("This exercise is not open.")
ERR_REASON_REQUIRED = gettext_noop("Give a reason for changing the score.")
ERR_COMMENT_REQUIRED = gettext_noop("Write a comment or change the score.")
ERR_OVERRIDE_RANGE = gettext_noop("The score must be a number from 0 to 100.")
ERR_NOT_REVIEWER = gettext_noop("Only reviewers may change scores.")
ERR_CONCURRENT = gettext_noop("Another submission was saved at the same moment; submit again.")
MAX_COMMENT = 4000


def _send_scored(submission: ExerciseSubmission) -> None:
    transaction.on_commit(lambda: submission_scored.send(sender=ExerciseSubmission,
                                                         submission=submission))


def _announce_review(submission: ExerciseSubmission, review: SubmissionReview, *,
                     scored: bool) -> None:
    """After commit, once per review: a changed score first (progress), then the review itself
    (the learner's notification)."""
    if scored:
        submission_scored.send(sender=ExerciseSubmission, submission=submission)
    submission_reviewed.send(sender=ExerciseSubmission, submission=submission, review=review)


def _storable_check(value) -> None:
    """Refuse NUL and other control characters anywhere in `value`: PostgreSQL cannot store
    them (text or jsonb), and the web guard does not cover commands or other callers."""
    try:
        data_clean(value=value)
    except ValidationError as exc:
        raise ExerciseInputError(exc.messages) from exc


def attempts_used(*, exercise: Exercise, user) -> int:
    """How many submissions the learner has on this exercise."""
    return ExerciseSubmission.objects.filter(exercise=exercise, user=user).count()


def submission_create(*, exercise: Exercise, user, input_data: dict, graded: Graded
                      ) -> ExerciseSubmission:
    """Store a graded attempt with the next attempt number; refuse beyond the attempt limit."""
    if not exercise.published:
        raise ExerciseInputError([_(ERR_NOT_PUBLISHED)])
    _storable_check(input_data)
    with transaction.atomic():
        # Lock the learner's user row: two concurrent submits cannot both take the last
        # attempt or the same attempt number.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        used = attempts_used(exercise=exercise, user=user)
        if exercise.max_attempts and used >= exercise.max_attempts:
            raise ExerciseInputError([_(ERR_NO_ATTEMPTS_LEFT).format(
                limit=exercise.max_attempts)])
        submission = ExerciseSubmission(
            exercise=exercise, user=user, attempt_number=used + 1, input=input_data,
            result=graded.result, auto_score=graded.score, score=graded.score,
            passed=graded.passed)
        submission.full_clean()
        try:
            with transaction.atomic():
                submission.save()
        except IntegrityError as exc:  # a concurrent submit on a database without row locks
            raise ExerciseInputError([_(ERR_CONCURRENT)]) from exc
        _send_scored(submission)
    return submission


def _score(value) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ExerciseInputError([_(ERR_OVERRIDE_RANGE)]) from exc
    if not number.is_finite() or not 0 <= number <= 100 or math.isnan(float(number)):
        raise ExerciseInputError([_(ERR_OVERRIDE_RANGE)])
    return number.quantize(Decimal("0.01"))


def submission_review(*, submission: ExerciseSubmission, reviewer, comment: str = "",
                      new_score=None) -> SubmissionReview:
    """Record a reviewer's comment and, with a reason, override the score (audited)."""
    if not reviewer.has_perm("casebook.review_submission"):
        raise ExerciseInputError([_(ERR_NOT_REVIEWER)])
    comment = (comment or "").strip()[:MAX_COMMENT]
    _storable_check(comment)
    score = None if new_score in (None, "") else _score(new_score)
    if score is not None and not comment:
        raise ExerciseInputError([_(ERR_REASON_REQUIRED)])
    if score is None and not comment:
        raise ExerciseInputError([_(ERR_COMMENT_REQUIRED)])
    with transaction.atomic():
        locked = ExerciseSubmission.objects.select_for_update().select_related(
            "exercise").get(pk=submission.pk)
        review = SubmissionReview(submission=locked, reviewer=reviewer,
                                  old_score=locked.score, new_score=score, comment=comment)
        review.full_clean()
        review.save()
        if score is not None:
            locked.override_score = score
            locked.override_reason = comment
            locked.override_by = reviewer
            locked.override_at = timezone.now()
            locked.score = score
            # The reviewer's judgement replaces the automatic one (checker errors included).
            locked.passed = score >= locked.exercise.pass_mark
            locked.full_clean()
            locked.save(update_fields=["override_score", "override_reason", "override_by",
                                       "override_at", "score", "passed"])
        transaction.on_commit(lambda: _announce_review(locked, review,
                                                       scored=score is not None))
    submission.refresh_from_db()
    return review


def exercise_ensure(*, case, kind: str, title: str, instructions: str = "",
                    pass_mark: int = 60, max_attempts: int = 0, error_count: int = 3,
                    seed: int = 1, settings: dict | None = None,
                    published: bool = True) -> tuple[Exercise, bool]:
    """Create the exercise (case, kind, title) once; later calls leave it as editors left it."""
    existing = Exercise.objects.filter(case=case, kind=kind, title=title).first()
    if existing is not None:
        return existing, False
    exercise = Exercise(case=case, kind=kind, title=title, instructions=instructions,
                        pass_mark=pass_mark, max_attempts=max_attempts,
                        error_count=error_count, seed=seed, settings=settings or {},
                        published=published)
    exercise.full_clean()
    exercise.save()
    return exercise, True
