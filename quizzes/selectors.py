"""Reads: quizzes a learner can take, attempt pages without answers, results other apps use,
progress, the wrong-answer book, previous papers and the marking queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.images import get_image_model

from departments.selectors import departments_visible_to, user_is_bureau
from quizzes import choice_tokens, grading, rowload, version_cache
from quizzes.models import (
    Attempt,
    AttemptQuestion,
    AttemptStatus,
    Choice,
    GradingMethod,
    Kind,
    Mode,
    Question,
    QuestionVersion,
    Quiz,
    answer_given,
)

PARTIAL_KINDS = frozenset({Kind.MULTIPLE, Kind.FILL, Kind.ESSAY})
CHOICE_KINDS = frozenset({Kind.SINGLE, Kind.MULTIPLE})
TRUE_LABEL = _("True")
FALSE_LABEL = _("False")


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


@dataclass(frozen=True)
class TrainingWindow:
    """This year's training days as the home page announces them (either end may be open)."""

    start: date | None
    end: date | None


def training_window() -> TrainingWindow | None:
    """The training window announced on the live home page, or None when it names no dates."""
    from portal.models import HomePage

    home = HomePage.objects.live().only("training_window_start", "training_window_end").first()
    if home is None or not (home.training_window_start or home.training_window_end):
        return None
    return TrainingWindow(home.training_window_start, home.training_window_end)


def training_window_bounds(*, start: date | None, end: date | None
                           ) -> tuple[datetime | None, datetime | None]:
    """The announced training days as a quiz's opens/closes: from the first day's midnight to
    the last day's 23:59:59 in the site's time zone, so both pages show the same dates (a
    closing time of the next midnight would read as one day later)."""
    opens = timezone.make_aware(datetime.combine(start, time.min)) if start else None
    closes = timezone.make_aware(datetime.combine(end, time(23, 59, 59))) if end else None
    return opens, closes


def exams_outside_training_window(*, window: TrainingWindow) -> list[Quiz]:
    """Published exams whose availability is not the announced training window (the home page
    and the exam would tell learners different dates)."""
    bounds = training_window_bounds(start=window.start, end=window.end)
    return [quiz for quiz in Quiz.objects.filter(mode=Mode.EXAM, is_draft=False).order_by("title")
            if (quiz.opens_at, quiz.closes_at) != bounds]


def attempts_of(*, user) -> QuerySet[Attempt]:
    """A learner's own attempts: nobody else's are ever reachable through this."""
    if not getattr(user, "is_authenticated", False):
        return Attempt.objects.none()
    return Attempt.objects.filter(user=user).select_related("quiz")


def attempt_open_for(*, user, quiz: Quiz) -> Attempt | None:
    """The learner's unfinished attempt at this quiz, if any."""
    return attempts_of(user=user).filter(quiz=quiz, status=AttemptStatus.IN_PROGRESS).first()


_AUTOSAVE_SQL = (
    "SELECT aq.kind, aq.checked, aq.version_id, v.created_at, a.quiz_id, a.status, a.deadline "
    "FROM quizzes_attemptquestion aq "
    "JOIN quizzes_attempt a ON a.id = aq.attempt_id "
    "JOIN quizzes_questionversion v ON v.id = aq.version_id "
    "WHERE aq.id = %s AND aq.attempt_id = %s AND a.user_id = %s")


@cache
def _autosave_fields() -> tuple:
    """The model field of each column of _AUTOSAVE_SQL, for `rowload.rows_converted`."""
    aq, attempt = AttemptQuestion._meta.get_field, Attempt._meta.get_field
    return (aq("kind"), aq("checked"), aq("version"), QuestionVersion._meta.get_field(
        "created_at"), attempt("quiz"), attempt("status"), attempt("deadline"))


def attempt_question_of(*, user, attempt_id: int, attempt_question_id: int
                        ) -> AttemptQuestion | None:
    """One question of one of the user's own attempts in one written-out query (the autosave's
    only read; the ORM's building of it was half an autosave, issue 12): an AttemptQuestion
    with `version_created_at` and an `attempt` that carry only what saving an answer reads
    (kind, checked, version; the attempt's quiz, status and deadline). None when it is not
    theirs or does not exist. Anything beyond saving an answer needs the full rows."""
    if not getattr(user, "is_authenticated", False):
        return None
    with rowload.cursor(connection) as cursor:
        cursor.execute(_AUTOSAVE_SQL, [attempt_question_id, attempt_id, user.pk])
        row = cursor.fetchone()
    if row is None:
        return None
    ((kind, checked, version_id, created_at, quiz_id, status, deadline),) = (
        rowload.rows_converted([row], _autosave_fields(), connection=connection))
    attempt = Attempt(pk=attempt_id, user_id=user.pk, quiz_id=quiz_id, status=status,
                      deadline=deadline)
    aq = AttemptQuestion(pk=attempt_question_id, attempt=attempt, kind=kind,
                         checked=checked, version_id=version_id)
    aq.version_created_at = created_at
    return aq


def attempt_questions(*, attempt: Attempt) -> list[AttemptQuestion]:
    """The rows of an attempt with their versions, in paper order (1 query); `question_views`
    takes the versions' choices from `quizzes.version_cache`."""
    return list(attempt.attempt_questions.select_related("version__figure"))


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
    # The fieldset as built by quizzes.rendering on the attempt page; None: use the template.
    html: str | None = None
    # The stem escaped with its line breaks, and a fill-in stem's pieces escaped the same way
    # (quizzes.version_cache keeps both per version): what quizzes.rendering writes.
    text_html: str = ""
    segments_html: tuple = ()

    @property
    def outcome(self) -> str:
        """'pending', 'correct', 'partial' or 'wrong'. Partial exists only where the grading
        gives part of the points (multiple choice, several blanks, a marked essay); a single
        choice or true/false answer is right or wrong."""
        if self.awarded is None and self.is_correct is None:
            return "pending"
        if self.is_correct:
            return "correct"
        if self.kind in PARTIAL_KINDS and self.awarded:
            return "partial"
        return "wrong"


def display_choices(aq: AttemptQuestion) -> list[Choice]:
    """The version's choices in the order this attempt shows them (its stored shuffle)."""
    choices = list(aq.version.choices.all())
    if aq.choice_order:
        position = {choice_id: index for index, choice_id in enumerate(aq.choice_order)}
        choices.sort(key=lambda c: (position.get(c.pk, len(position)), c.order))
    return choices


@dataclass(slots=True)
class PaperRow:
    """One question of an attempt as the attempt page needs it: the row's own values without
    a model instance (20 of them per page view on exam day), same attribute names."""

    pk: int
    version_id: int
    kind: str
    order: int
    points: Decimal
    choice_order: list
    answer: dict | None
    checked: bool
    is_correct: bool | None
    awarded: Decimal | None
    feedback: str
    # The version's creation time: a datetime, or a POSIX timestamp on PostgreSQL.
    version_created_at: datetime | float

    @property
    def is_answered(self) -> bool:
        return answer_given(self.answer)


# The attempt page's one read, written out: the ORM's compiling of this query and turning
# the rows into values took three times as long as running it (issue 12: the page is the
# exam's most requested). Columns in PaperRow's order; values converted as their fields would
# (`rowload.rows_converted`). The version's creation time is only the version cache's check
# (`version_cache.versions_get` takes a datetime or a POSIX timestamp): PostgreSQL sends it as
# a number, a third of the statement's cost less than 20 time stamps with their time zone.
_PAPER_SQL = (
    'SELECT aq.id, aq.version_id, aq.kind, aq."order", aq.points, aq.choice_order, aq.answer, '
    "aq.checked, aq.is_correct, aq.awarded, aq.feedback, {stamp} "
    "FROM quizzes_attemptquestion aq "
    "JOIN quizzes_questionversion v ON v.id = aq.version_id "
    'WHERE aq.attempt_id = %s ORDER BY aq."order"')
_EPOCH = {"postgresql": "EXTRACT(EPOCH FROM v.created_at)::float8"}


@cache
def paper_sql(vendor: str) -> str:
    """The paper's statement on this database vendor."""
    return _PAPER_SQL.format(stamp=_EPOCH.get(vendor, "v.created_at"))


@cache
def _paper_fields(vendor: str) -> tuple:
    """The model field of each column of the paper's statement (None: the value as it came)."""
    field = AttemptQuestion._meta.get_field
    return (*(field(name) for name in ("id", "version", "kind", "order", "points",
                                       "choice_order", "answer", "checked", "is_correct",
                                       "awarded", "feedback")),
            None if vendor in _EPOCH else QuestionVersion._meta.get_field("created_at"))


def attempt_paper(*, attempt: Attempt) -> list[PaperRow]:
    """The rows of an attempt in paper order without their versions (1 query), for the
    attempt page (`rendering.questions_block`) and a submit's grading, which take the versions
    from `quizzes.version_cache`."""
    vendor = connection.vendor
    with rowload.cursor(connection) as cursor:
        cursor.execute(paper_sql(vendor), [attempt.pk])
        fetched = cursor.fetchall()
    rows = rowload.rows_converted(fetched, _paper_fields(vendor), connection=connection)
    for row in rows:
        row[5] = row[5] or []  # choice_order: none for questions without options
    return [PaperRow(*row) for row in rows]


def versions_of(rows: list[AttemptQuestion]) -> dict[int, version_cache.VersionData]:
    """Per version id of the rows, its cached data (`quizzes.version_cache`: no query when
    every version is in memory)."""
    stamps = {}
    for aq in rows:
        created_at = getattr(aq, "version_created_at", None)
        if created_at is None:
            created_at = aq.version.created_at
        stamps[aq.version_id] = created_at
    return version_cache.versions_get(stamps)


def _loaded_version(aq):
    state = getattr(aq, "_state", None)
    return aq.version if state is not None and "version" in state.fields_cache else None


def _figures_of(rows, versions) -> dict[int, object]:
    """The figures of the rows' versions (one query, none when no version has one); a loaded
    version's own figure is used as it is."""
    figures = {}
    for aq in rows:
        version = _loaded_version(aq)
        if version is not None and version.figure_id:
            figures[version.figure_id] = version.figure
    wanted = {versions[aq.version_id].figure_id for aq in rows} - {None} - set(figures)
    if wanted:
        figures.update(get_image_model().objects.in_bulk(wanted))
    return figures


def _correct_text(aq: AttemptQuestion, version: version_cache.VersionData) -> str:
    if aq.kind in (Kind.SINGLE, Kind.MULTIPLE):
        return "；".join(
            f"{chr(64 + i)}. {c.text}"
            for i, c in enumerate(version.choices_in(aq.choice_order), start=1) if c.is_correct)
    if aq.kind == Kind.TRUE_FALSE:
        # Words, not ✓/✗: a tick reads as "the statement is marked" rather than "it is true".
        return str(TRUE_LABEL if version.answer_true else FALSE_LABEL)
    if aq.kind == Kind.FILL:
        return " | ".join(" / ".join(b) for b in version.blanks)
    return version.reference_answer


def _choice_items(aq, version, chosen, reveal: bool) -> list[dict]:
    choices = version.choices_in(aq.choice_order)
    # Pages get the option's per-attempt token, never its id (ids follow authoring order and so
    # hint at the right option).
    tokens = choice_tokens.choice_token_list(attempt_question_id=aq.pk,
                                             choice_ids=[c.id for c in choices])
    return [{"value": token, "text": c.text, "html": c.html, "letter": chr(64 + i),
             "selected": c.id in chosen, **({"correct": c.is_correct} if reveal else {})}
            for i, (c, token) in enumerate(zip(choices, tokens, strict=True), start=1)]


def question_views(*, rows: list[AttemptQuestion], responses: bool = False,
                   answers: bool = False, explanations: bool = False) -> list[QuestionView]:
    """Safe view models of attempt rows; per-question checked answers (practice) reveal their
    own feedback only. Versions come from `quizzes.version_cache` (no query when they are in
    memory), whether or not the rows carry them."""
    versions = versions_of(rows)
    figures = _figures_of(rows, versions)
    views = []
    for aq in rows:
        version = versions[aq.version_id]
        show = responses or aq.checked
        reveal = answers or aq.checked
        chosen = set((aq.answer or {}).get("choices") or []) if aq.kind in CHOICE_KINDS else ()
        views.append(QuestionView(
            id=aq.pk, number=aq.order, kind=aq.kind, kind_label=Kind(aq.kind).label,
            text=version.text,
            segments=[(text, blank) for text, blank in grading.stem_segments(
                version.text, len(version.blanks))] if aq.kind == Kind.FILL else [],
            points=aq.points, figure=figures.get(version.figure_id),
            choices=_choice_items(aq, version, chosen, reveal) if aq.kind in CHOICE_KINDS
            else [],
            blank_count=len(version.blanks), answer=aq.answer, answered=aq.is_answered,
            checked=aq.checked,
            is_correct=aq.is_correct if show else None,
            awarded=aq.awarded if show else None,
            correct_text=_correct_text(aq, version) if reveal else "",
            explanation=version.explanation if (explanations or aq.checked) else "",
            feedback=aq.feedback if show else "",
            reveal_answers=reveal, reveal_explanation=explanations or aq.checked,
            show_responses=show, text_html=version.text_html,
            segments_html=version.segments,
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


@dataclass(frozen=True)
class QuizResult:
    """The counting attempt's outcome, as `quiz_passed` and `quiz_score` report it."""

    passed: bool
    percent: Decimal | None


def quiz_results_by_users(*, quiz: Quiz, user_ids) -> dict[int, QuizResult]:
    """The counting attempt (as `attempt_result` picks it) of each learner in `user_ids` (ids,
    or a `values` queryset of user ids) who has a graded one, in one query: the bulk form of
    `quiz_passed` / `quiz_score`."""
    # The same ORDER BY as attempt_best / attempt_latest behind a leading user_id, so each
    # learner's first row is the attempt `.first()` would return (NULLs sort as the database
    # sorts them there too).
    order = (("-submitted_at", "-pk") if quiz.grading_method == GradingMethod.LATEST
             else ("-percent", "submitted_at"))
    results: dict[int, QuizResult] = {}
    if not isinstance(user_ids, QuerySet):
        user_ids = list(user_ids)
    rows = (Attempt.objects.filter(quiz=quiz, status=AttemptStatus.GRADED, user_id__in=user_ids)
            .order_by("user_id", *order).values_list("user_id", "passed", "percent"))
    for user_id, passed, percent in rows:
        if user_id not in results:
            results[user_id] = QuizResult(passed=bool(passed), percent=percent)
    return results


def quiz_passed_by_users(*, quiz: Quiz, user_ids) -> dict[int, bool | None]:
    """`quiz_passed` for many learners in one query: every id in `user_ids` is a key."""
    user_ids = list(user_ids)
    results = quiz_results_by_users(quiz=quiz, user_ids=user_ids)
    return {pk: (results[pk].passed if pk in results else None) for pk in user_ids}


def quiz_score_by_users(*, quiz: Quiz, user_ids) -> dict[int, Decimal | None]:
    """`quiz_score` for many learners in one query: every id in `user_ids` is a key."""
    user_ids = list(user_ids)
    results = quiz_results_by_users(quiz=quiz, user_ids=user_ids)
    return {pk: (results[pk].percent if pk in results else None) for pk in user_ids}


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
            .select_related("version__question__category", "version__figure", "attempt__quiz")
            .order_by("-attempt__started_at", "-pk"))
    latest: dict[int, AttemptQuestion] = {}
    for aq in rows[: limit * 5]:
        latest.setdefault(aq.version.question_id, aq)
    wrong = [aq for aq in latest.values() if aq.is_correct is False][:limit]
    # The page builds one view per row: the versions' choices are read here, all at once (one
    # query for those not in memory yet), not once per row.
    version_cache.versions_get({aq.version_id: aq.version.created_at for aq in wrong})
    return wrong


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


# ------------------------------------------------------------ authoring warnings


def _rule_can_draw(rule, question: Question) -> bool:
    """Whether a draw rule's bank, category (with sub-categories), kind and difficulty admit
    the question (the same filters the paper draw applies)."""
    path = question.category.path if question.category_id else None
    return ((not rule.bank_id or rule.bank_id == question.bank_id)
            and (not rule.category_id or (path is not None and (
                path == rule.category.path or path.startswith(f"{rule.category.path}/"))))
            and (not rule.kind or rule.kind == question.kind)
            and (not rule.difficulty or rule.difficulty == question.difficulty))


def quizzes_shuffling_question(*, question: Question) -> list[Quiz]:
    """Quizzes that show this question with its options shuffled: as a fixed question or
    through a draw rule that can pick it (two queries)."""
    from quizzes.models import DrawRule

    quizzes = {quiz.pk: quiz for quiz in Quiz.objects.filter(
        shuffle_choices=True, quiz_questions__question=question)}
    for rule in DrawRule.objects.filter(quiz__shuffle_choices=True).select_related(
            "quiz", "category"):
        if rule.quiz_id not in quizzes and _rule_can_draw(rule, question):
            quizzes[rule.quiz_id] = rule.quiz
    return sorted(quizzes.values(), key=lambda quiz: quiz.title)


def quiz_questions_naming_option_letters(*, quiz: Quiz) -> list[Question]:
    """The choice questions a shuffling quiz can show whose explanations name option letters
    (fixed questions and every question its draw rules can pick); [] if it keeps the order."""
    from quizzes.authoring import explanation_option_letters

    if not quiz.shuffle_choices:
        return []
    candidates = Q(quiz_links__quiz=quiz)
    for rule in quiz.draw_rules.select_related("category"):
        rule_q = Q()
        if rule.bank_id:
            rule_q &= Q(bank_id=rule.bank_id)
        if rule.category_id:
            path = rule.category.path
            rule_q &= Q(category__path=path) | Q(category__path__startswith=f"{path}/")
        if rule.kind:
            rule_q &= Q(kind=rule.kind)
        if rule.difficulty:
            rule_q &= Q(difficulty=rule.difficulty)
        if not rule_q:  # a rule without filters draws from every question
            candidates = Q(pk__isnull=False)
            break
        candidates |= rule_q
    questions = (Question.objects.filter(candidates, is_active=True,
                                         kind__in=[Kind.SINGLE, Kind.MULTIPLE],
                                         current_version__isnull=False)
                 .distinct().select_related("current_version")
                 .annotate(choice_count=Count("current_version__choices", distinct=True))
                 .order_by("pk"))
    return [question for question in questions if explanation_option_letters(
        explanation=question.current_version.explanation,
        choice_count=question.choice_count)]


# ------------------------------------------------------------ results report (admin)


def user_can_see_quiz_results(user) -> bool:
    """Who opens the results report: bureau staff and superusers, department admins (their
    own people), editors and reviewers (every learner: they mend and mark the questions)."""
    from departments import roles
    from departments.selectors import user_is_department_admin

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return (user_is_bureau(user) or user_is_department_admin(user)
            or user.has_perm("quizzes.change_quiz")
            or user.groups.filter(name=roles.REVIEWER).exists())


def quiz_results_learners(*, user):
    """The learners whose attempts the report counts, or None for every learner. Department
    admins are scoped through `learners_visible_to` even if they also hold an editor's
    permissions (the narrower scope wins); others who may open the report see everyone."""
    from departments.selectors import learners_visible_to, user_is_department_admin

    if not user_can_see_quiz_results(user):
        return Attempt.objects.none().values("user_id")
    if user_is_bureau(user) or not user_is_department_admin(user):
        return None
    return learners_visible_to(user).values("user_id")


def quiz_results_attempts(*, user, quiz: Quiz, selection: str = "all",
                          department_id: int | None = None) -> QuerySet[Attempt]:
    """Graded attempts of learners (accounts with a roster record: staff trial runs are left
    out) in the user's scope, optionally of one department; `first` keeps each learner's
    first graded attempt."""
    from django.db.models import OuterRef, Subquery

    from quizzes import statistics

    if selection not in statistics.ATTEMPT_SELECTIONS:
        selection = statistics.ALL_GRADED
    qs = Attempt.objects.filter(quiz=quiz, status=AttemptStatus.GRADED,
                                user__learner__isnull=False)
    learners = quiz_results_learners(user=user)
    if learners is not None:
        qs = qs.filter(user_id__in=learners)
    if department_id:
        qs = qs.filter(user__learner__office__unit__department_id=department_id)
    if selection == statistics.FIRST_GRADED:
        first = (Attempt.objects.filter(quiz=quiz, status=AttemptStatus.GRADED,
                                        user=OuterRef("user"))
                 .order_by("number").values("number")[:1])
        qs = qs.filter(number=Subquery(first))
    return qs


@dataclass
class QuizStatisticsRows:
    """What `quizzes.statistics.quiz_statistics` needs, read from the database."""

    attempts: list
    responses: list
    items: list


def quiz_statistics_rows(*, user, quiz: Quiz, selection: str = "all",
                         department_id: int | None = None) -> QuizStatisticsRows:
    """The graded attempts in scope, their question rows and the questions with their options,
    in four queries whatever the number of learners or questions (the attempts are read as a
    subquery, never as a list of ids)."""
    from quizzes import statistics
    from quizzes.models import QuestionVersion, answer_given

    attempts_qs = quiz_results_attempts(user=user, quiz=quiz, selection=selection,
                                        department_id=department_id)
    attempts = [statistics.AttemptRow(
        attempt_id=pk, learner_id=user_id, number=number, submitted_at=submitted_at,
        percent=float(percent or 0), passed=bool(passed))
        for pk, user_id, number, submitted_at, percent, passed in attempts_qs.values_list(
            "pk", "user_id", "number", "submitted_at", "percent", "passed")]
    rows = AttemptQuestion.objects.filter(attempt__in=attempts_qs.values("pk")).values_list(
        "attempt_id", "version_id", "version__question_id", "kind", "awarded", "points",
        "answer", "order")
    responses = []
    first_position: dict[int, tuple[int, int]] = {}
    version_ids: set[int] = set()
    for attempt_id, version_id, question_id, kind, awarded, points, answer, order in rows:
        version_ids.add(version_id)
        first_position[question_id] = min(first_position.get(question_id, (order, question_id)),
                                          (order, question_id))
        chosen: frozenset[str] = frozenset()
        if isinstance(answer, dict) and kind in (Kind.SINGLE, Kind.MULTIPLE):
            chosen = frozenset(f"v{version_id}:{choice_id}"
                               for choice_id in answer.get("choices") or [])
        elif isinstance(answer, dict) and kind == Kind.TRUE_FALSE and isinstance(
                answer.get("value"), bool):
            chosen = frozenset({f"v{version_id}:{str(answer['value']).lower()}"})
        responses.append(statistics.ResponseRow(
            attempt_id=attempt_id, item_id=question_id, mark=float(awarded or 0),
            max_mark=float(points), answered=answer_given(answer), chosen=chosen))
    versions = list(QuestionVersion.objects.filter(pk__in=version_ids)
                    .select_related("question__current_version")
                    .prefetch_related(Prefetch("choices", queryset=Choice.objects.order_by(
                        "order"))).order_by("question_id", "number"))
    by_question: dict[int, list] = {}
    for version in versions:
        by_question.setdefault(version.question_id, []).append(version)
    items = []
    for question_id in sorted(first_position, key=first_position.__getitem__):
        shown = by_question.get(question_id, [])
        if not shown:
            continue
        question = shown[0].question
        several = len(shown) > 1
        options = []
        for version in shown:
            prefix = f"v{version.number} " if several else ""
            if question.kind in (Kind.SINGLE, Kind.MULTIPLE):
                options += [statistics.OptionInfo(
                    f"v{version.pk}:{choice.pk}", f"{prefix}{chr(65 + index)}. {choice.text}",
                    choice.is_correct) for index, choice in enumerate(version.choices.all())]
            elif question.kind == Kind.TRUE_FALSE:
                options += [
                    statistics.OptionInfo(f"v{version.pk}:true", f"{prefix}{TRUE_LABEL}",
                                          version.answer_true is True),
                    statistics.OptionInfo(f"v{version.pk}:false", f"{prefix}{FALSE_LABEL}",
                                          version.answer_true is False)]
        current = question.current_version or shown[-1]
        items.append(statistics.ItemInfo(item_id=question_id, text=current.text,
                                         kind=question.kind, options=tuple(options)))
    return QuizStatisticsRows(attempts=attempts, responses=responses, items=items)


def quizzes_with_results(*, user) -> QuerySet[Quiz]:
    """Quizzes with the number of graded attempts and learners in the user's scope (one
    query), for the results index."""
    learners = quiz_results_learners(user=user)
    graded = Q(attempts__status=AttemptStatus.GRADED, attempts__user__learner__isnull=False)
    if learners is not None:
        graded &= Q(attempts__user_id__in=learners)
    return (Quiz.objects.annotate(graded_attempts=Count("attempts", filter=graded),
                                  participants=Count("attempts__user", filter=graded,
                                                     distinct=True))
            .order_by("-created_at", "-pk"))


def user_marks_everyone(user) -> bool:
    """Superusers, bureau staff and reviewers mark every learner's attempts (as in
    `attempts_markable_by`); department admins with the permission only their own."""
    from departments import roles

    return user_can_mark(user) and (user.is_superuser or user_is_bureau(user) or user.groups.filter(
        name=roles.REVIEWER).exists())


def learners_markable_by(*, user):
    """Learners the marking queue's picker offers: everyone for those who mark every attempt,
    `learners_visible_to` for department admins (the same scope as `attempts_markable_by`)."""
    from departments.models import Learner
    from departments.selectors import learners_visible_to

    if not user_can_mark(user):
        return Learner.objects.none()
    if user_marks_everyone(user):
        return Learner.objects.select_related("user", "office__unit__department")
    return learners_visible_to(user)


def attempts_of_learners_matching(*, attempts: QuerySet[Attempt], text: str
                                  ) -> QuerySet[Attempt]:
    """Narrow attempts to learners whose name or 工号 contains the text (the picker's typed
    text when no learner was chosen from its list)."""
    from departments.selectors import learner_match_q

    match = learner_match_q(text=text, prefix="user__learner__")
    return attempts if match is None else attempts.filter(match)


def marking_departments(*, user):
    """Departments the marking queue can be narrowed to: those of the learners it shows."""
    from departments.models import Department

    if not user_can_mark(user):
        return Department.objects.none()
    if user_marks_everyone(user):
        return Department.objects.only("pk", "code", "name").order_by("sort_order", "code")
    return departments_visible_to(user).only("pk", "code", "name").order_by("sort_order", "code")
