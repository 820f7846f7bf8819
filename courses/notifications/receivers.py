"""Tell the learner, in the notification list, when a person marked their essays or reviewed
their exercise. Automatic grading at submission tells nobody (the learner saw the result)."""

from __future__ import annotations

from django.dispatch import receiver
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from casebook.exercises.signals import submission_reviewed
from courses.models import NotificationKind
from courses.notifications.selectors import recipient_language
from courses.notifications.services import notification_create
from quizzes.selectors import review_options
from quizzes.signals import attempt_graded

COMMENT_MAX = 500

ESSAY_TITLE = gettext_noop("Essay marked: {quiz}")
ESSAY_TITLE_AGAIN = gettext_noop("Essay marking changed: {quiz}")
ESSAY_BODY = gettext_noop("The essay questions of your attempt {number} at {quiz} have been "
                          "marked.")
ESSAY_SCORE = gettext_noop("Score {score} of {max_score} ({percent}%): {outcome}.")
EXERCISE_TITLE = gettext_noop("Exercise reviewed: {exercise}")
EXERCISE_BODY = gettext_noop("A reviewer has looked at your attempt {number} at {exercise}.")
EXERCISE_SCORE = gettext_noop("Score changed from {old} to {new}: {outcome}.")
EXERCISE_COMMENT = gettext_noop("Reviewer's comment: {comment}")


def _outcome(passed: bool) -> str:
    return (pgettext("notification outcome", "passed") if passed
            else pgettext("notification outcome", "not passed"))


def _number(value) -> str:
    """A score as people write it: 17.5, not 17.50."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@receiver(attempt_graded, dispatch_uid="courses.notifications.attempt_graded")
def on_attempt_graded(sender, attempt, marked_by=None, result_changed=True, **kwargs):
    """One notification per marking that changed the result; none for automatic grading, for a
    re-marking that left score and pass as they were, or for marking one's own attempt."""
    if marked_by is None or not result_changed or marked_by.pk == attempt.user_id:
        return
    url = reverse("quizzes:result", args=[attempt.pk])
    again = attempt.user.notifications.filter(kind=NotificationKind.ESSAY_MARKED,
                                              url=url).exists()
    quiz = attempt.quiz
    with translation.override(recipient_language(user=attempt.user)):
        body = _(ESSAY_BODY).format(number=attempt.number, quiz=quiz.title)
        # The score only where the quiz's review options let the learner see it.
        if review_options(attempt=attempt).score:
            # Chinese sentences follow each other without a space.
            body += ("" if translation.get_language().startswith("zh") else " ") + _(
                ESSAY_SCORE).format(
                score=_number(attempt.score), max_score=_number(attempt.max_score),
                percent=_number(attempt.percent), outcome=_outcome(attempt.passed))
        notification_create(
            user=attempt.user, kind=NotificationKind.ESSAY_MARKED, url=url, body=body,
            title=_(ESSAY_TITLE_AGAIN if again else ESSAY_TITLE).format(quiz=quiz.title))


@receiver(submission_reviewed, dispatch_uid="courses.notifications.submission_reviewed")
def on_submission_reviewed(sender, submission, review, **kwargs):
    """One notification per review (each carries a comment or a score change); none when a
    reviewer reviews their own submission."""
    if review.reviewer_id == submission.user_id:
        return
    exercise = submission.exercise
    url = (reverse("casebook:exercise", args=[exercise.pk])
           + f"?attempt={submission.attempt_number}#result")
    with translation.override(recipient_language(user=submission.user)):
        parts = [_(EXERCISE_BODY).format(number=submission.attempt_number,
                                         exercise=exercise.title)]
        if review.new_score is not None:
            parts.append(_(EXERCISE_SCORE).format(
                old=_number(review.old_score), new=_number(review.new_score),
                outcome=_outcome(submission.passed)))
        comment = " ".join(review.comment.split())
        if comment:
            if len(comment) > COMMENT_MAX:
                comment = comment[:COMMENT_MAX - 1] + "…"
            parts.append(_(EXERCISE_COMMENT).format(comment=comment))
        notification_create(
            user=submission.user, kind=NotificationKind.EXERCISE_REVIEWED, url=url,
            body=" ".join(parts), title=_(EXERCISE_TITLE).format(exercise=exercise.title))
