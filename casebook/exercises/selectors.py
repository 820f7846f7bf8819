"""Reads of the exercises: what a learner may open, their attempts, best results, reviewer lists."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery

from casebook.models import Exercise, ExerciseSubmission, SubmissionReview
from departments.selectors import departments_visible_to, user_is_bureau


def exercises_published() -> QuerySet[Exercise]:
    """Published exercises on live cases, with their case."""
    return Exercise.objects.filter(published=True, case__live=True).select_related(
        "case", "case__func_class")


def exercises_for_case(*, case, user=None) -> list[Exercise]:
    """The case's published exercises (one query); for a logged-in user each carries
    `best_score` (None before any attempt), `attempts` and `has_passed`."""
    qs = Exercise.objects.filter(case=case, published=True).select_related("case")
    if user is not None and getattr(user, "is_authenticated", False):
        mine = Q(submissions__user=user)
        qs = qs.annotate(best_score=Max("submissions__score", filter=mine),
                         attempts=Count("submissions", filter=mine),
                         passed_count=Count("submissions", filter=mine & Q(
                             submissions__passed=True)))
    exercises = list(qs.order_by("kind", "title", "pk"))
    for exercise in exercises:
        exercise.has_passed = bool(getattr(exercise, "passed_count", 0))
    return exercises


def exercise_for_user(*, pk: int, user) -> Exercise | None:
    """The exercise if this user may open it (published, or an editor previewing it)."""
    qs = Exercise.objects.select_related("case", "case__func_class", "case__func_subclass")
    exercise = qs.filter(pk=pk).first()
    if exercise is None:
        return None
    if exercise.published and exercise.case.live:
        return exercise
    return exercise if user.has_perm("casebook.change_exercise") else None


def submissions_of(*, user, exercise: Exercise) -> list[ExerciseSubmission]:
    """The learner's attempts on the exercise, first to last."""
    return list(ExerciseSubmission.objects.filter(user=user, exercise=exercise)
                .order_by("attempt_number"))


def submission_best(*, user, exercise: Exercise) -> ExerciseSubmission | None:
    """The learner's highest-scoring submission (earliest on ties), or None."""
    return (ExerciseSubmission.objects.filter(user=user, exercise=exercise)
            .order_by("-score", "attempt_number").first())


def exercise_passed(*, user, exercise: Exercise) -> bool:
    """Whether any of the learner's submissions passed (after reviewer overrides)."""
    return ExerciseSubmission.objects.filter(user=user, exercise=exercise,
                                             passed=True).exists()


def exercises_passed_by_users(*, exercise_ids, user_ids) -> set[tuple[int, int]]:
    """`exercise_passed` for many learners (ids, or a `values` queryset of user ids) and
    exercises in one query: the (user id, exercise id) pairs with a passed submission."""
    if not isinstance(user_ids, QuerySet):
        user_ids = list(user_ids)
    return set(ExerciseSubmission.objects.filter(
        exercise_id__in=list(exercise_ids), user_id__in=user_ids, passed=True)
        .order_by().values_list("user_id", "exercise_id").distinct())


def submissions_best_per_learner(*, exercise: Exercise) -> QuerySet[ExerciseSubmission]:
    """One submission per learner: their best (highest score, earliest on ties)."""
    best = (ExerciseSubmission.objects.filter(exercise=exercise, user=OuterRef("user"))
            .order_by("-score", "attempt_number").values("pk")[:1])
    return (ExerciseSubmission.objects.filter(exercise=exercise, pk=Subquery(best))
            .select_related("user").order_by("user__username"))


def user_can_review(user) -> bool:
    """Reviewers (and superusers) may comment on and override scores."""
    return bool(getattr(user, "is_authenticated", False)) and user.has_perm(
        "casebook.review_submission")


def user_can_see_submissions(user) -> bool:
    """Reviewers, bureau staff and department admins (for their departments) see submissions."""
    return user_can_review(user) or (bool(getattr(user, "is_authenticated", False)) and \
        user.has_perm("casebook.view_exercisesubmission"))


def submissions_visible_to(user) -> QuerySet[ExerciseSubmission]:
    """Submissions this user may review or inspect: all for reviewers and bureau staff, the
    learners of their departments for department admins, none for anyone else."""
    qs = ExerciseSubmission.objects.select_related(
        "exercise", "exercise__case", "user", "user__learner__office__unit__department")
    if not user_can_see_submissions(user):
        return qs.none()
    if user_can_review(user) or user_is_bureau(user):
        return qs
    return qs.filter(user__learner__office__unit__department__in=departments_visible_to(user))


def submissions_for_review_list(*, user, exercise_id: int | None = None,
                                department_id: int | None = None,
                                date_from: dt.date | None = None,
                                date_to: dt.date | None = None) -> QuerySet[ExerciseSubmission]:
    """The reviewer list with its filters, newest first."""
    qs = submissions_visible_to(user)
    if exercise_id:
        qs = qs.filter(exercise_id=exercise_id)
    if department_id:
        qs = qs.filter(user__learner__office__unit__department_id=department_id)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs.order_by("-created_at", "-pk")


def submission_reviews(*, submission: ExerciseSubmission) -> list[SubmissionReview]:
    """The audit trail of a submission, oldest first, with the reviewers."""
    return list(submission.reviews.select_related("reviewer").order_by("created_at", "pk"))


def departments_for_filter(*, user):
    """Departments offered in the reviewer list filter (all for reviewers and bureau staff)."""
    from departments.models import Department

    if user_can_review(user) or user_is_bureau(user):
        return Department.objects.order_by("code")
    return departments_visible_to(user).order_by("code")


def exercises_for_filter(*, user) -> QuerySet[Exercise]:
    """Exercises offered in the reviewer list filter."""
    return Exercise.objects.select_related("case").order_by("title")


def learners_reviewable_by(*, user):
    """Learners the review queue's picker offers: every learner for reviewers and bureau staff,
    the learners of their departments for department admins (as `submissions_visible_to`)."""
    from departments.models import Learner
    from departments.selectors import learners_visible_to

    if not user_can_see_submissions(user):
        return Learner.objects.none()
    if user_can_review(user) or user_is_bureau(user):
        return Learner.objects.select_related("user", "office__unit__department")
    return learners_visible_to(user)


def submissions_for_review_queue(*, user, learner_user_id: int | None = None,
                                 learner_text: str = "", **filters
                                 ) -> QuerySet[ExerciseSubmission]:
    """The admin review queue: the reviewer list's filters plus one learner, chosen in the
    picker (account id) or typed (name or 工号 contains the text)."""
    from departments.selectors import learner_match_q

    qs = submissions_for_review_list(user=user, **filters)
    if learner_user_id:
        return qs.filter(user_id=learner_user_id)
    match = learner_match_q(text=learner_text, prefix="user__learner__")
    return qs if match is None else qs.filter(match)
