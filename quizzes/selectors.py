"""Reads: quizzes a learner can take, attempt pages without answers, results other apps use,
progress, the wrong-answer book, previous papers and the marking queue."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet

from departments.selectors import departments_visible_to, user_is_bureau
from quizzes import grading
from quizzes.models import (
    Attempt,
    AttemptQuestion,
    AttemptStatus,
    Choice,
    GradingMethod,
    Kind,
    Question,
    Quiz,
)


def questions_current() -> QuerySet[Question]:
    """Active questions with their current version, choices and category."""
    return (Question.objects.filter(is_active=True, current_version__isnull=False)
            .select_related("current_version", "category", "bank")
            .prefetch_related("current_version__choices").order_by("pk"))


def quizzes_available(*, user) -> QuerySet[Quiz]:
    """Published quizzes (drafts too for editors), newest first."""
    qs = Quiz.objects.all()
    if not user.has_perm("quizzes.change_quiz"):
        qs = qs.filter(is_draft=False)
    return qs.order_by("mode", "-created_at")


def attempts_of(*, user) -> QuerySet[Attempt]:
    """A learner's own attempts: nobody else's are ever reachable through this."""
    if not getattr(user, "is_authenticated", False):
        return Attempt.objects.none()
    return Attempt.objects.filter(user=user).select_related("quiz")


def attempt_open_for(*, user, quiz: Quiz) -> Attempt | None:
    """The learner's unfinished attempt at this quiz, if any."""
    return attempts_of(user=user).filter(quiz=quiz, status=AttemptStatus.IN_PROGRESS).first()


def attempt_questions(*, attempt: Attempt) -> list[AttemptQuestion]:
    """The rows of an attempt with their versions and choices, in paper order (2 queries)."""
    return list(attempt.attempt_questions.select_related("version__figure").prefetch_related(
        Prefetch("version__choices", queryset=Choice.objects.order_by("order"))))


@dataclass
class QuestionView:
    """What an attempt page may show of a question: never correct flags or accepted answers,
    unless `reveal` is set (after grading, as the review options allow)."""

    id: int
    number: int
    kind: str
    kind_label: str
    text: str
    segments: list
    points: Decimal
    figure: object
    choices: list[dict]
    blank_count: int
    answer: dict | None
    answered: bool
    checked: bool = False
    is_correct: bool | None = None
    awarded: Decimal | None = None
    correct_text: str = ""
    explanation: str = ""
    feedback: str = ""
    reveal_answers: bool = False
    reveal_explanation: bool = False
    show_responses: bool = False


def display_choices(aq: AttemptQuestion) -> list[Choice]:
    """The version's choices in the order this attempt shows them (its stored shuffle)."""
    choices = list(aq.version.choices.all())
    if aq.choice_order:
        position = {choice_id: index for index, choice_id in enumerate(aq.choice_order)}
        choices.sort(key=lambda c: (position.get(c.pk, len(position)), c.order))
    return choices


def _correct_text(aq: AttemptQuestion) -> str:
    version = aq.version
    if aq.kind in (Kind.SINGLE, Kind.MULTIPLE):
        return "；".join(
            f"{chr(64 + i)}. {c.text}" for i, c in enumerate(display_choices(aq), start=1)
            if c.is_correct)
    if aq.kind == Kind.TRUE_FALSE:
        return "✓" if version.answer_true else "✗"
    if aq.kind == Kind.FILL:
        return " | ".join(" / ".join(b) for b in version.blanks)
    return version.reference_answer


def question_views(*, rows: list[AttemptQuestion], responses: bool = False,
                   answers: bool = False, explanations: bool = False) -> list[QuestionView]:
    """Safe view models of attempt rows; per-question checked answers (practice) reveal their
    own feedback only."""
    views = []
    for aq in rows:
        version = aq.version
        show = responses or aq.checked
        reveal = answers or aq.checked
        views.append(QuestionView(
            id=aq.pk, number=aq.order, kind=aq.kind, kind_label=Kind(aq.kind).label,
            text=version.text,
            segments=grading.stem_segments(version.text, len(version.blanks))
            if aq.kind == Kind.FILL else [],
            points=aq.points, figure=version.figure,
            choices=[{"id": c.pk, "text": c.text, "letter": chr(64 + i),
                      "selected": c.pk in ((aq.answer or {}).get("choices") or []),
                      **({"correct": c.is_correct} if reveal else {})}
                     for i, c in enumerate(display_choices(aq), start=1)],
            blank_count=len(version.blanks), answer=aq.answer, answered=aq.is_answered,
            checked=aq.checked,
            is_correct=aq.is_correct if show else None,
            awarded=aq.awarded if show else None,
            correct_text=_correct_text(aq) if reveal else "",
            explanation=version.explanation if (explanations or aq.checked) else "",
            feedback=aq.feedback if show else "",
            reveal_answers=reveal, reveal_explanation=explanations or aq.checked,
            show_responses=show,
        ))
    return views


@dataclass
class ReviewOptions:
    score: bool
    responses: bool
    answers: bool
    explanations: bool


def review_options(*, attempt: Attempt, now=None) -> ReviewOptions:
    """What the result page shows: the quiz's after-submission or after-close options."""
    quiz = attempt.quiz
    if attempt.is_in_progress:
        return ReviewOptions(False, False, False, False)
    if quiz.is_closed(now):
        return ReviewOptions(quiz.review_score_after_close, quiz.review_responses_after_close,
                             quiz.review_answers_after_close,
                             quiz.review_explanations_after_close)
    return ReviewOptions(quiz.review_score_after_submit, quiz.review_responses_after_submit,
                         quiz.review_answers_after_submit,
                         quiz.review_explanations_after_submit)


def mark_score_visibility(attempts, now=None) -> list[Attempt]:
    """Set `score_visible` on each attempt (its quiz selected already): whether the quiz's
    review options let the learner see its score now; no queries."""
    attempts = list(attempts)
    for attempt in attempts:
        attempt.score_visible = review_options(attempt=attempt, now=now).score
    return attempts


# ------------------------------------------------------------ results for other apps


def attempts_graded(*, user, quiz: Quiz) -> QuerySet[Attempt]:
    return Attempt.objects.filter(user=user, quiz=quiz, status=AttemptStatus.GRADED)


def attempt_best(*, user, quiz: Quiz) -> Attempt | None:
    """The learner's highest graded attempt (earliest on ties)."""
    return attempts_graded(user=user, quiz=quiz).order_by("-percent", "submitted_at").first()


def attempt_latest(*, user, quiz: Quiz) -> Attempt | None:
    """The learner's most recently submitted graded attempt."""
    return attempts_graded(user=user, quiz=quiz).order_by("-submitted_at", "-pk").first()


def attempt_result(*, user, quiz: Quiz) -> Attempt | None:
    """The attempt that counts, by the quiz's grading method (highest or latest)."""
    if quiz.grading_method == GradingMethod.LATEST:
        return attempt_latest(user=user, quiz=quiz)
    return attempt_best(user=user, quiz=quiz)


def quiz_passed(*, user, quiz: Quiz) -> bool | None:
    """Pass/fail by the counting attempt; None when nothing is graded yet."""
    result = attempt_result(user=user, quiz=quiz)
    return None if result is None else bool(result.passed)


def quiz_score(*, user, quiz: Quiz) -> Decimal | None:
    """Percent score of the counting attempt, or None."""
    result = attempt_result(user=user, quiz=quiz)
    return None if result is None else result.percent


def attempts_best_per_learner(*, quiz: Quiz) -> dict[int, Attempt]:
    """Best graded attempt per user id for one quiz, in one query."""
    best: dict[int, Attempt] = {}
    for attempt in Attempt.objects.filter(quiz=quiz, status=AttemptStatus.GRADED).order_by(
            "user_id", "-percent", "submitted_at"):
        best.setdefault(attempt.user_id, attempt)
    return best


# ------------------------------------------------------------ learner pages


@dataclass
class CategoryProgress:
    category: str
    answered: int
    correct: int

    @property
    def percent(self) -> int:
        return round(100 * self.correct / self.answered) if self.answered else 0


def progress_by_category(*, user) -> list[CategoryProgress]:
    """Auto-graded questions answered and answered right, per top-level category (one query)."""
    rows = (AttemptQuestion.objects
            .filter(attempt__user=user, is_correct__isnull=False)
            .exclude(attempt__status=AttemptStatus.IN_PROGRESS, checked=False)
            .values("version__question__category__path")
            .annotate(answered=Count("pk"), correct=Count("pk", filter=Q(is_correct=True))))
    totals: dict[str, CategoryProgress] = {}
    for row in rows:
        path = row["version__question__category__path"] or "—"
        root = path.split("/", 1)[0]
        item = totals.setdefault(root, CategoryProgress(root, 0, 0))
        item.answered += row["answered"]
        item.correct += row["correct"]
    return sorted(totals.values(), key=lambda item: item.category)


def wrong_answers(*, user, limit: int = 200) -> list[AttemptQuestion]:
    """错题本: the latest wrong answer to each question the learner got wrong and has not
    answered right since (graded or checked answers only)."""
    rows = (AttemptQuestion.objects
            .filter(attempt__user=user, is_correct__isnull=False)
            .filter(Q(attempt__status=AttemptStatus.GRADED) | Q(checked=True))
            .select_related("version__question__category", "attempt__quiz")
            .prefetch_related(Prefetch("version__choices", queryset=Choice.objects.order_by(
                "order")))
            .order_by("-attempt__started_at", "-pk"))
    latest: dict[int, AttemptQuestion] = {}
    for aq in rows[: limit * 5]:
        latest.setdefault(aq.version.question_id, aq)
    return [aq for aq in latest.values() if aq.is_correct is False][:limit]


def papers_of(*, user) -> QuerySet[Attempt]:
    """Previous exam papers: the learner's finished attempts of quizzes that keep papers."""
    return (attempts_of(user=user).filter(quiz__exam_paper=True)
            .exclude(status=AttemptStatus.IN_PROGRESS).order_by("-submitted_at"))


# ------------------------------------------------------------ marking


def user_can_mark(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_perm(
        "quizzes.mark_attempt"))


def attempts_markable_by(*, user) -> QuerySet[Attempt]:
    """Submitted attempts this marker may see: reviewers and bureau staff all, department
    admins (if given the permission) only their departments' learners."""
    if not user_can_mark(user):
        return Attempt.objects.none()
    qs = Attempt.objects.exclude(status=AttemptStatus.IN_PROGRESS)
    from departments import roles

    if user.is_superuser or user_is_bureau(user) or user.groups.filter(
            name=roles.REVIEWER).exists():
        return qs
    return qs.filter(user__learner__office__unit__department__in=departments_visible_to(user))


def marking_list(*, user, quiz_id=None, department_id=None, learner_user_id=None,
                 date_from=None, date_to=None, pending_only: bool = True) -> QuerySet[Attempt]:
    """The marking queue: attempts with essays (pending ones by default), filterable by quiz,
    department, learner and submission date, annotated with their pending essay count."""
    qs = (attempts_markable_by(user=user)
          .annotate(
              essays=Count("attempt_questions", filter=Q(attempt_questions__kind=Kind.ESSAY)),
              pending=Count("attempt_questions", filter=Q(
                  attempt_questions__kind=Kind.ESSAY, attempt_questions__awarded__isnull=True)))
          .filter(essays__gt=0)
          .select_related("quiz", "user", "user__learner__office__unit__department")
          .order_by("submitted_at", "pk"))
    if pending_only:
        qs = qs.filter(status=AttemptStatus.SUBMITTED)
    if quiz_id:
        qs = qs.filter(quiz_id=quiz_id)
    if department_id:
        qs = qs.filter(user__learner__office__unit__department_id=department_id)
    if learner_user_id:
        qs = qs.filter(user_id=learner_user_id)
    if date_from:
        qs = qs.filter(submitted_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(submitted_at__date__lte=date_to)
    return qs


def marking_records(*, attempt: Attempt):
    from quizzes.models import MarkingRecord

    return (MarkingRecord.objects.filter(attempt_question__attempt=attempt)
            .select_related("marker", "attempt_question"))


# ------------------------------------------------------------ question versions


@dataclass
class VersionHistoryRow:
    """One version of a question and the attempts that showed it (the latest few)."""

    version: object
    attempt_count: int
    attempts: list


def question_version_history(*, question: Question, attempts_per_version: int = 10
                             ) -> list[VersionHistoryRow]:
    """Every version of a question, newest first, with its author, how many attempts used it
    and the latest of those attempts (two queries)."""
    from quizzes.models import QuestionVersion

    versions = list(QuestionVersion.objects.filter(question=question)
                    .select_related("created_by")
                    .annotate(attempt_count=Count("attempt_questions"))
                    .order_by("-number"))
    used = [v.pk for v in versions if v.attempt_count]
    attempts: dict[int, list[Attempt]] = {}
    if used:
        rows = (AttemptQuestion.objects.filter(version_id__in=used)
                .select_related("attempt__quiz", "attempt__user")
                .order_by("-attempt__started_at", "-pk")[: attempts_per_version * len(used)])
        for aq in rows:
            bucket = attempts.setdefault(aq.version_id, [])
            if len(bucket) < attempts_per_version:
                bucket.append(aq.attempt)
    return [VersionHistoryRow(v, v.attempt_count, attempts.get(v.pk, [])) for v in versions]
