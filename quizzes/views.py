"""Learner and marker pages under /quizzes/: thin views over the services and selectors.

Every attempt URL looks the attempt up among the request user's own attempts, so another
learner's attempt id is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from quizzes import exam_frame, rendering, rowload, selectors, services
from quizzes.models import Kind, Layout, Quiz

MAX_FIELD_VALUES = 20


def _pk_or_none(value) -> int | None:
    """A query or form value as a row id, or None for anything else (text, superscript
    digits, numbers beyond what the database can hold)."""
    value = str(value or "")
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 1 <= number <= services.MAX_PK else None


def _own_attempt_row(request, pk):
    """The user's attempt with its quiz, as stored (404 for anyone else's)."""
    attempt_id = _pk_or_none(pk)
    attempt = (rowload.attempt_with_quiz(attempt_id=attempt_id, user_id=request.user.pk)
               if attempt_id and request.user.is_authenticated else None)
    if attempt is None:
        raise Http404
    return attempt


def _own_attempt(request, pk):
    """The user's attempt (404 for anyone else's), submitted now if its time ran out."""
    attempt = _own_attempt_row(request, pk)
    attempt.user = request.user  # it is theirs: the graded signal's receivers need not read it
    return services.attempt_refresh_if_expired(attempt=attempt)


def _raw_answer(post, aq_id) -> object:
    """The submitted value(s) of one question: `q<id>` (options, true/false, essay) or
    `q<id>_<i>` for each blank; None when the question was cleared."""
    key = f"q{aq_id}"
    if key in post:
        values = post.getlist(key)[:MAX_FIELD_VALUES]
        return values
    blanks = []
    while f"{key}_{len(blanks)}" in post and len(blanks) < MAX_FIELD_VALUES:
        blanks.append(post.get(f"{key}_{len(blanks)}"))
    return blanks if blanks else None


@login_required
def quiz_index(request):
    """Quizzes the learner can take, with their own standing in each."""
    quizzes = list(selectors.quizzes_available(user=request.user))
    attempts = {}
    for attempt in selectors.attempts_of(user=request.user).filter(
            quiz__in=quizzes).order_by("started_at"):
        attempts.setdefault(attempt.quiz_id, []).append(attempt)
    rows = [{"quiz": quiz, "attempts": attempts.get(quiz.pk, []),
             "open": next((a for a in attempts.get(quiz.pk, []) if a.is_in_progress), None)}
            for quiz in quizzes]
    return render(request, "quizzes/quiz_index.html", {"rows": rows})


@login_required
def quiz_detail(request, pk):
    """A quiz's settings, the learner's previous attempts and the start/resume button."""
    quiz = get_object_or_404(Quiz, pk=pk)
    if not services.quiz_can_open(quiz=quiz, user=request.user):
        raise Http404
    attempts = selectors.mark_score_visibility(
        selectors.attempts_of(user=request.user).filter(quiz=quiz))
    result = selectors.attempt_result(user=request.user, quiz=quiz)
    if result is not None:
        result.quiz = quiz
        result.score_visible = selectors.review_options(attempt=result).score
    open_attempt = next((a for a in attempts if a.is_in_progress), None)
    used = len(attempts)
    can_start = open_attempt is not None or (quiz.is_open() and (
        quiz.is_practice or not quiz.max_attempts or used < quiz.max_attempts))
    return render(request, "quizzes/quiz_detail.html", {
        "quiz": quiz, "attempts": attempts, "open_attempt": open_attempt,
        "can_start": can_start, "result": result,
        "unavailable_reason": services.quiz_unavailable_reason(quiz=quiz),
    })


@login_required
@require_POST
def quiz_start(request, pk):
    """Start a new attempt or resume the unfinished one."""
    # The exam's busiest POST reads its quiz with a prepared statement (quizzes.rowload).
    quiz = rowload.instance_get(Quiz, pk=pk) if _pk_or_none(pk) else None
    if quiz is None:
        raise Http404
    if not services.quiz_can_open(quiz=quiz, user=request.user):
        raise Http404
    try:
        attempt = services.attempt_start(quiz=quiz, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("quizzes:detail", pk=quiz.pk)
    return redirect("quizzes:take", pk=attempt.pk)


def _page_rows(attempt, rows, page_number):
    if attempt.quiz.layout == Layout.PER_PAGE:
        page_number = min(max(page_number, 1), max(len(rows), 1))
        return rows[page_number - 1:page_number], page_number, len(rows)
    return rows, 1, 1


@login_required
def attempt_take(request, pk):
    """Answer the questions of an open attempt: one page or one question per page; a POST
    saves the page's answers, then checks one (practice), moves, or goes to the summary."""
    attempt = _own_attempt(request, pk)
    if not attempt.is_in_progress:
        if attempt.auto_submitted:
            messages.warning(request, services.ATTEMPT_EXPIRED)
        return redirect("quizzes:result", pk=attempt.pk)
    try:
        page_number = int(request.GET.get("page") or request.POST.get("page") or 1)
    except ValueError:
        page_number = 1
    rows = selectors.attempt_paper(attempt=attempt)
    page_rows, page_number, page_count = _page_rows(attempt, rows, page_number)
    if request.method == "POST":
        errors = []
        for aq in page_rows:
            if aq.checked:
                continue
            try:
                services.attempt_answer_save(
                    attempt=attempt, attempt_question_id=aq.pk,
                    raw=_raw_answer(request.POST, aq.pk))
            except ValidationError as error:
                if error.messages == [str(services.ATTEMPT_EXPIRED)]:
                    messages.warning(request, services.ATTEMPT_EXPIRED)
                    return redirect("quizzes:result", pk=attempt.pk)
                errors.append(_("Question %(number)s: %(error)s") % {
                    "number": aq.order, "error": " ".join(error.messages)})
        for error in errors:
            messages.error(request, error)
        action = request.POST.get("action", "")
        if action.startswith("check:") and not errors:
            try:
                services.attempt_question_check(attempt=attempt,
                                                attempt_question_id=action[6:])
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            # Back to the checked question, not the top of the page: the learner reads the
            # feedback where they answered.
            anchor = f"#q-{_pk_or_none(action[6:])}" if _pk_or_none(action[6:]) else ""
            return redirect(
                f"{reverse('quizzes:take', args=[attempt.pk])}?page={page_number}{anchor}")
        if action == "finish" and not errors:
            return redirect("quizzes:summary", pk=attempt.pk)
        target = page_number
        if action == "next":
            target += 1
        elif action == "prev":
            target -= 1
        elif action.startswith("goto:") and _pk_or_none(action[5:]):
            target = _pk_or_none(action[5:])
        return redirect(f"{reverse('quizzes:take', args=[attempt.pk])}?page={target}")
    per_page = attempt.quiz.layout == Layout.PER_PAGE
    current = {aq.pk for aq in page_rows}
    nav = [{"id": aq.pk, "number": aq.order, "answered": aq.is_answered,
            "current": aq.pk in current} for aq in rows]
    remaining = None
    if attempt.deadline:
        remaining = max(0, int((attempt.deadline - timezone.now()).total_seconds()))
    return exam_frame.response(request, exam_frame.context(
        attempt=attempt, take_url=reverse("quizzes:take", args=[attempt.pk]),
        autosave_url=reverse("quizzes:autosave", args=[attempt.pk]),
        page_number=page_number, page_count=page_count, per_page=per_page,
        remaining_seconds=remaining, nav_html=rendering.nav_html(nav, per_page=per_page),
        questions_html=rendering.questions_block(
            page_rows, check_button=attempt.quiz.immediate_feedback)))


@login_required
@require_POST
def attempt_autosave(request, pk):
    """Save one answer as it is given; JSON says saved or why not (never whether it is right)."""
    aq_id = request.POST.get("question", "")
    # The usual case in one read: the question with its attempt, among the user's own; anything
    # else goes the long way (404 for another's attempt, then the service's own messages).
    row = None
    if _pk_or_none(aq_id) and _pk_or_none(pk):
        row = selectors.attempt_question_of(user=request.user, attempt_id=_pk_or_none(pk),
                                            attempt_question_id=_pk_or_none(aq_id))
    if row is not None and row.attempt.is_in_progress and not row.attempt.is_expired():
        attempt = row.attempt
    else:
        # Closed, past its deadline (submitted now by the service) or not found: the full
        # attempt, or 404 for another learner's.
        row = None
        attempt = _own_attempt_row(request, pk)
    try:
        services.attempt_answer_save(attempt=attempt, attempt_question_id=aq_id,
                                     attempt_question=row,
                                     raw=_raw_answer(request.POST, aq_id))
    except ValidationError as error:
        expired = error.messages == [str(services.ATTEMPT_EXPIRED)]
        status = 409 if expired or error.messages == [
            str(services.ATTEMPT_NOT_IN_PROGRESS)] else 400
        return JsonResponse({"saved": False, "error": " ".join(error.messages),
                             "expired": expired}, status=status)
    return JsonResponse({"saved": True, "question": int(aq_id)})


@login_required
def attempt_summary(request, pk):
    """Confirm submission, listing unanswered questions; POST submits the attempt."""
    attempt = _own_attempt(request, pk)
    if not attempt.is_in_progress:
        return redirect("quizzes:result", pk=attempt.pk)
    if request.method == "POST":
        attempt = services.attempt_submit(attempt=attempt)
        if attempt.auto_submitted:
            messages.warning(request, services.ATTEMPT_EXPIRED)
        return redirect("quizzes:result", pk=attempt.pk)
    rows = list(attempt.attempt_questions.only("pk", "order", "answer", "attempt_id"))
    unanswered = [aq.order for aq in rows if not aq.is_answered]
    return render(request, "quizzes/attempt_summary.html", {
        "attempt": attempt, "quiz": attempt.quiz, "unanswered": unanswered,
        "total": len(rows), "per_page": attempt.quiz.layout == Layout.PER_PAGE,
    })


@login_required
def attempt_result(request, pk):
    """The result of a submitted attempt, showing what the quiz's review options allow."""
    attempt = _own_attempt(request, pk)
    if attempt.is_in_progress:
        return redirect("quizzes:take", pk=attempt.pk)
    options = selectors.review_options(attempt=attempt)
    graded = attempt.is_graded
    views = selectors.question_views(
        rows=selectors.attempt_questions(attempt=attempt),
        responses=options.responses, answers=options.answers and graded,
        explanations=options.explanations and graded)
    return render(request, "quizzes/attempt_result.html", {
        "attempt": attempt, "quiz": attempt.quiz, "questions": views, "options": options,
        "pending": sum(1 for v in views if v.kind == Kind.ESSAY and v.awarded is None
                       and options.responses),
    })


@login_required
def wrong_answer_book(request):
    """错题本: questions the learner last answered wrong, with the right answer and 解析
    where the quiz's review options (or a practice check) allow."""
    rows = selectors.wrong_answers(user=request.user)
    views = []
    for aq in rows:
        options = selectors.review_options(attempt=aq.attempt)
        graded = aq.attempt.is_graded
        views += selectors.question_views(
            rows=[aq], responses=True, answers=options.answers and graded,
            explanations=options.explanations and graded)
    items = [{"view": view, "quiz": aq.attempt.quiz,
              "category": aq.version.question.category} for view, aq in zip(views, rows,
                                                                            strict=True)]
    return render(request, "quizzes/wrong_answers.html", {"items": items})


@login_required
def progress(request):
    """Per-user progress by category: questions answered and answered right."""
    return render(request, "quizzes/progress.html", {
        "categories": selectors.progress_by_category(user=request.user)})


@login_required
def papers(request):
    """Previous exam papers of the learner."""
    page = Paginator(selectors.papers_of(user=request.user), 30).get_page(request.GET.get("page"))
    page.object_list = selectors.mark_score_visibility(page.object_list)
    return render(request, "quizzes/papers.html", {"page": page})


def _require_marker(request):
    if not selectors.user_can_mark(request.user):
        raise PermissionDenied


# The marking queue lives in the admin (quizzes.admin_views); these addresses stay for old
# links and bookmarks, checking the permission first so a learner still gets 403, not a login.
LEGACY_MARKING_FILTERS = {"user": "learner"}


@login_required
@require_safe
def marking_list(request):
    """Old address of the marking queue: on to the admin's, with the filters."""
    _require_marker(request)
    query = request.GET.copy()
    for old, new in LEGACY_MARKING_FILTERS.items():
        if old in query:
            query.setlist(new, query.pop(old))
    url = reverse("quiz_marking:index")
    return redirect(f"{url}?{query.urlencode()}" if query else url)


@login_required
@require_safe
def marking_detail(request, pk):
    """Old address of one attempt's marking page: on to the admin's."""
    _require_marker(request)
    return redirect("quiz_marking:detail", pk=pk)
