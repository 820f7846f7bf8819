"""Attempt services: paper assembly, settings, autosave, submission, expiry, results, signal."""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from quizzes import selectors, services, tasks, types
from quizzes.models import Attempt, AttemptQuestion, AttemptStatus, Category
from quizzes.signals import attempt_graded

from .conftest import (
    answer_all,
    correct_answers,
    essay,
    make_quiz,
    rows_by_kind,
    single,
    token,
)

pytestmark = pytest.mark.django_db


def test_start_draws_every_fixed_question_once_with_its_current_version(quiz, user, questions):
    attempt = services.attempt_start(quiz=quiz, user=user)
    rows = list(attempt.attempt_questions.all())
    assert [r.order for r in rows] == [1, 2, 3, 4, 5]
    assert {r.version_id for r in rows} == {q.current_version_id for q in questions.values()}
    assert attempt.max_score == Decimal("20") and attempt.status == AttemptStatus.IN_PROGRESS


def test_start_twice_resumes_the_unfinished_attempt(quiz, user):
    first = services.attempt_start(quiz=quiz, user=user)
    assert services.attempt_start(quiz=quiz, user=user) == first
    assert Attempt.objects.count() == 1


def test_database_allows_one_open_attempt_per_learner_and_quiz(quiz, user):
    services.attempt_start(quiz=quiz, user=user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Attempt.objects.create(quiz=quiz, user=user, number=2)


def test_random_order_and_max_questions_draw_a_random_subset(questions, user):
    quiz = make_quiz(questions.values(), random_order=True, max_questions=3)
    attempt = services.attempt_start(quiz=quiz, user=user, rng=random.Random(1))
    assert attempt.attempt_questions.count() == 3
    orders = set()
    for seed in range(8):
        services.attempt_submit(attempt=attempt)
        attempt = services.attempt_start(quiz=quiz, user=user, rng=random.Random(seed))
        orders.add(tuple(attempt.attempt_questions.values_list("version_id", flat=True)))
    assert len(orders) > 1


def test_draw_rules_pick_by_category_kind_and_difficulty_and_store_the_paper(bank, user):
    services.questions_import(bank=bank, questions=[
        single(text=f"事前{i}", category="事前评估/基础", difficulty=types.EASY)
        for i in range(6)] + [single(text=f"目标{i}", category="目标管理") for i in range(4)])
    category = Category.objects.get(path="事前评估")
    quiz = services.quiz_create(title="组卷", is_draft=False, mode="exam", draw_rules=[
        {"category": category, "kind": types.SINGLE, "difficulty": types.EASY, "count": 4},
        {"kind": types.SINGLE, "count": 3}])
    attempt = services.attempt_start(quiz=quiz, user=user)
    texts = list(attempt.attempt_questions.values_list("version__text", flat=True))
    assert len(texts) == 7 == len(set(texts))
    assert sum(t.startswith("事前") for t in texts[:4]) == 4
    # Drawn once and stored: reloading the attempt shows the same paper.
    assert list(services.attempt_start(quiz=quiz, user=user).attempt_questions.values_list(
        "version__text", flat=True)) == texts


def test_draw_rules_cost_one_query_whatever_their_number(bank, user, other_user):
    """Issue 12: every rule's candidates come from ONE query; a catch-all rule next to filtered
    ones still draws from everything, sub-categories count, and no question is drawn twice."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.questions_import(bank=bank, questions=[
        single(text=f"事前{i}", category="事前评估/基础", difficulty=types.EASY)
        for i in range(6)] + [single(text=f"目标{i}", category="目标管理") for i in range(4)]
        + [essay(text=f"论述{i}", category="事前评估") for i in range(3)])
    category = Category.objects.get(path="事前评估")

    def start(rules, learner):
        quiz = services.quiz_create(title=f"组卷{len(rules)}", is_draft=False, mode="exam",
                                    draw_rules=rules)
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            attempt = services.attempt_start(quiz=quiz, user=learner)
        return len(queries), list(attempt.attempt_questions.values_list(
            "version__text", flat=True))

    few, texts = start([{"category": category, "kind": types.SINGLE, "count": 2}], user)
    assert len(texts) == 2 and all(t.startswith("事前") for t in texts)
    many, texts = start([
        {"category": category, "kind": types.SINGLE, "difficulty": types.EASY, "count": 2},
        {"category": category, "kind": types.ESSAY, "count": 3},
        {"kind": types.SINGLE, "count": 4},
        {"count": 4},  # anything left
    ], other_user)
    assert many == few
    assert len(texts) == 13 == len(set(texts))  # every question once, none twice
    assert sum(t.startswith("论述") for t in texts[2:5]) == 3


def test_draw_rule_with_too_few_questions_fails_clearly(bank, user):
    services.question_create(bank=bank, data=single())
    quiz = services.quiz_create(title="不够", is_draft=False, draw_rules=[{"count": 5}])
    with pytest.raises(ValidationError) as error:
        services.attempt_start(quiz=quiz, user=user)
    assert error.value.messages == [str(services.QUIZ_NOT_ENOUGH_QUESTIONS)]
    assert Attempt.objects.count() == 0


def test_draft_quiz_opens_for_editors_only(questions, user, editor):
    quiz = make_quiz(questions.values(), is_draft=True)
    with pytest.raises(ValidationError) as error:
        services.attempt_start(quiz=quiz, user=user)
    assert error.value.messages == [str(services.QUIZ_DRAFT)]
    assert services.attempt_start(quiz=quiz, user=editor).pk


def test_availability_window(questions, user):
    now = timezone.now()
    quiz = make_quiz(questions.values(), opens_at=now + timedelta(hours=1),
                     closes_at=now + timedelta(hours=2))
    with pytest.raises(ValidationError) as error:
        services.attempt_start(quiz=quiz, user=user)
    assert error.value.messages == [services.quiz_unavailable_reason(quiz=quiz, now=now)]
    attempt = services.attempt_start(quiz=quiz, user=user, now=now + timedelta(minutes=70))
    assert attempt.deadline == quiz.closes_at  # an exam ends when the window closes


def test_single_attempt_and_max_attempts(auto_quiz, user):
    auto_quiz.max_attempts = 1
    auto_quiz.save()
    services.attempt_submit(attempt=services.attempt_start(quiz=auto_quiz, user=user))
    with pytest.raises(ValidationError) as error:
        services.attempt_start(quiz=auto_quiz, user=user)
    assert error.value.messages == [str(services.QUIZ_NO_ATTEMPTS_LEFT)]
    assert Attempt.objects.count() == 1


def test_practice_mode_allows_unlimited_attempts(questions, user):
    quiz = make_quiz(questions.values(), mode="practice", max_attempts=1)
    for _ in range(3):
        services.attempt_submit(attempt=services.attempt_start(quiz=quiz, user=user))
    assert Attempt.objects.filter(user=user).count() == 3


def test_perfect_answers_score_full_marks_except_pending_essay(quiz, user):
    attempt = services.attempt_start(quiz=quiz, user=user)
    answer_all(attempt)
    attempt = services.attempt_submit(attempt=attempt)
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.passed is None
    rows = rows_by_kind(attempt)
    assert rows["essay"].awarded is None
    assert all(rows[k].is_correct for k in ("single", "multiple", "truefalse", "fill"))
    assert attempt.score == Decimal("10")


def test_quiz_without_essays_is_graded_on_submit_and_signal_sent(auto_quiz, user,
                                                                 django_capture_on_commit_callbacks):
    received = []
    attempt_graded.connect(lambda sender, attempt, **kw: received.append(attempt.pk),
                           weak=False, dispatch_uid="t1")
    try:
        attempt = services.attempt_start(quiz=auto_quiz, user=user)
        answer_all(attempt)
        with django_capture_on_commit_callbacks(execute=True):
            attempt = services.attempt_submit(attempt=attempt)
    finally:
        attempt_graded.disconnect(dispatch_uid="t1")
    assert attempt.status == AttemptStatus.GRADED and attempt.passed
    assert attempt.score == attempt.max_score == Decimal("10") and attempt.percent == 100
    assert received == [attempt.pk]


def test_partial_scoring_policy_per_quiz(questions, user):
    quiz = make_quiz([questions["multiple"]], multiple_scoring="partial")
    attempt = services.attempt_start(quiz=quiz, user=user)
    aq = attempt.attempt_questions.get()
    right = [token(aq, c) for c in aq.version.choices.filter(is_correct=True)]
    services.attempt_answer_save(attempt=attempt, attempt_question_id=aq.pk, raw=right[:2])
    attempt = services.attempt_submit(attempt=attempt)
    assert attempt.score == Decimal("2.67")  # 2 of 3 right options of 4 points


def test_double_submit_grades_once(auto_quiz, user, django_capture_on_commit_callbacks):
    attempt = services.attempt_start(quiz=auto_quiz, user=user)
    with django_capture_on_commit_callbacks() as callbacks:
        services.attempt_submit(attempt=attempt)
        stale = Attempt.objects.get(pk=attempt.pk)
        stale.status = AttemptStatus.IN_PROGRESS  # a second tab still thinks it is open
        again = services.attempt_submit(attempt=stale)
    assert again.status == AttemptStatus.GRADED
    assert len(callbacks) == 1  # one graded signal


def test_autosave_rejects_tampering_and_writes_nothing(quiz, user, other_user, auto_quiz):
    attempt = services.attempt_start(quiz=quiz, user=user)
    rows = rows_by_kind(attempt)
    other = services.attempt_start(quiz=auto_quiz, user=other_user)
    foreign = other.attempt_questions.first()
    foreign_choice = rows["multiple"].version.choices.first()  # an option of another question
    cases = [
        (foreign.pk, ["1"], services.ANSWER_UNKNOWN_QUESTION),
        ("abc", ["1"], services.ANSWER_UNKNOWN_QUESTION),
        (999999, ["1"], services.ANSWER_UNKNOWN_QUESTION),
        (rows["single"].pk, ["999999"], services.ANSWER_UNKNOWN_OPTION),
        (rows["single"].pk, ["x"], services.ANSWER_UNKNOWN_OPTION),
        (rows["truefalse"].pk, ["maybe"], services.ANSWER_INVALID),
        (rows["fill"].pk, ["a", "b", "c"], services.ANSWER_INVALID),
        (rows["fill"].pk, ["a" * 501], services.ANSWER_TOO_LONG),
        (rows["essay"].pk, ["a" * 20001], services.ANSWER_TOO_LONG),
    ]
    # Another question's option, as its raw id and as its token in this attempt.
    cases.append((rows["single"].pk, [str(foreign_choice.pk)], services.ANSWER_UNKNOWN_OPTION))
    cases.append((rows["single"].pk, [token(rows["multiple"], foreign_choice)],
                  services.ANSWER_UNKNOWN_OPTION))
    single_choices = list(rows["single"].version.choices.all())
    cases.append((rows["single"].pk, [token(rows["single"], c) for c in single_choices[:2]],
                  services.ANSWER_INVALID))
    for aq_id, raw, message in cases:
        with pytest.raises(ValidationError) as error:
            services.attempt_answer_save(attempt=attempt, attempt_question_id=aq_id, raw=raw)
        assert error.value.messages == [str(message)], (aq_id, raw)
    assert not AttemptQuestion.objects.filter(answer__isnull=False).exists()


def test_answers_after_expiry_are_rejected_and_the_attempt_submitted(questions, user):
    quiz = make_quiz(questions.values(), time_limit_minutes=1)
    start = timezone.now()
    attempt = services.attempt_start(quiz=quiz, user=user, now=start)
    aq = rows_by_kind(attempt)["truefalse"]
    services.attempt_answer_save(attempt=attempt, attempt_question_id=aq.pk, raw=["true"],
                                 now=start + timedelta(seconds=30))
    with pytest.raises(ValidationError) as error:
        services.attempt_answer_save(attempt=attempt, attempt_question_id=aq.pk, raw=["false"],
                                     now=start + timedelta(seconds=61))
    assert error.value.messages == [str(services.ATTEMPT_EXPIRED)]
    aq.refresh_from_db()
    assert aq.answer == {"value": True}
    attempt.refresh_from_db()
    assert attempt.status != AttemptStatus.IN_PROGRESS and attempt.auto_submitted
    assert attempt.submitted_at == attempt.deadline


def test_answers_after_submission_are_rejected(auto_quiz, user):
    attempt = services.attempt_start(quiz=auto_quiz, user=user)
    services.attempt_submit(attempt=attempt)
    aq = attempt.attempt_questions.first()
    with pytest.raises(ValidationError) as error:
        services.attempt_answer_save(attempt=attempt, attempt_question_id=aq.pk, raw=["true"])
    assert error.value.messages == [str(services.ATTEMPT_NOT_IN_PROGRESS)]
    aq.refresh_from_db()
    assert aq.answer is None


def test_start_schedules_expiry_task_at_the_deadline(questions, user, monkeypatch,
                                                     django_capture_on_commit_callbacks):
    calls = []
    monkeypatch.setattr(tasks.attempt_expire, "apply_async",
                        lambda args, eta: calls.append((args, eta)))
    quiz = make_quiz(questions.values(), time_limit_minutes=30)
    with django_capture_on_commit_callbacks(execute=True):
        attempt = services.attempt_start(quiz=quiz, user=user)
    assert calls == [([attempt.pk], attempt.deadline)]
    assert attempt.deadline - attempt.started_at == timedelta(minutes=30)


def test_expiry_task_before_deadline_is_a_no_op_and_after_submits(questions, user):
    quiz = make_quiz(questions.values(), time_limit_minutes=1)
    attempt = services.attempt_start(quiz=quiz, user=user)
    tasks.attempt_expire(attempt.pk)
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.IN_PROGRESS
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    tasks.attempt_expire(attempt.pk)
    tasks.attempt_expire(attempt.pk)  # redelivered: harmless
    tasks.attempt_expire(987654)  # gone: quiet
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.auto_submitted


def test_sweep_submits_overdue_attempts_only(questions, user, other_user):
    quiz = make_quiz(questions.values(), time_limit_minutes=10)
    overdue = services.attempt_start(quiz=quiz, user=user)
    fresh = services.attempt_start(quiz=quiz, user=other_user)
    Attempt.objects.filter(pk=overdue.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    assert tasks.attempts_expire_overdue() == 1
    assert Attempt.objects.get(pk=overdue.pk).auto_submitted
    assert Attempt.objects.get(pk=fresh.pk).status == AttemptStatus.IN_PROGRESS


def test_beat_schedule_declares_the_sweep(settings):
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "quizzes.tasks.attempts_expire_overdue" in tasks_scheduled


def test_versioning_keeps_past_results(auto_quiz, user, questions):
    attempt = services.attempt_start(quiz=auto_quiz, user=user)
    answer_all(attempt)
    attempt = services.attempt_submit(attempt=attempt)
    old_version = rows_by_kind(attempt)["single"].version_id
    changed = single(text="新题干", points="9")
    changed.choices[0].correct, changed.choices[2].correct = False, True
    services.question_update(question=questions["single"], data=changed)
    attempt.refresh_from_db()
    assert attempt.score == Decimal("10") and attempt.passed
    assert rows_by_kind(attempt)["single"].version_id == old_version
    new_attempt = services.attempt_start(quiz=auto_quiz, user=user)
    assert rows_by_kind(new_attempt)["single"].version.text == "新题干"
    assert new_attempt.max_score == Decimal("17")


def test_practice_check_grades_one_question_and_locks_it(questions, user):
    quiz = make_quiz(questions.values(), mode="practice", feedback_timing="each")
    attempt = services.attempt_start(quiz=quiz, user=user)
    aq = rows_by_kind(attempt)["truefalse"]
    services.attempt_answer_save(attempt=attempt, attempt_question_id=aq.pk, raw=["false"])
    checked = services.attempt_question_check(attempt=attempt, attempt_question_id=aq.pk)
    assert checked.checked and checked.is_correct is False and checked.awarded == 0
    with pytest.raises(ValidationError) as error:
        services.attempt_answer_save(attempt=attempt, attempt_question_id=aq.pk, raw=["true"])
    assert error.value.messages == [str(services.ANSWER_LOCKED)]
    attempt = services.attempt_submit(attempt=attempt)
    assert rows_by_kind(attempt)["truefalse"].is_correct is False


def test_exam_cannot_show_answers_after_each_question(questions):
    with pytest.raises(ValidationError):
        make_quiz(questions.values(), mode="exam", feedback_timing="each")


def test_grading_method_and_result_selectors(auto_quiz, user):
    def sit(perfect):
        attempt = services.attempt_start(quiz=auto_quiz, user=user)
        if perfect:
            answer_all(attempt)
        return services.attempt_submit(attempt=attempt)

    best = sit(True)
    latest = sit(False)
    assert selectors.attempt_best(user=user, quiz=auto_quiz) == best
    assert selectors.attempt_latest(user=user, quiz=auto_quiz) == latest
    assert selectors.attempt_result(user=user, quiz=auto_quiz) == best
    assert selectors.quiz_passed(user=user, quiz=auto_quiz) is True
    assert selectors.quiz_score(user=user, quiz=auto_quiz) == Decimal("100")
    auto_quiz.grading_method = "latest"
    auto_quiz.save()
    assert selectors.quiz_passed(user=user, quiz=auto_quiz) is False
    assert selectors.attempts_best_per_learner(quiz=auto_quiz) == {user.pk: best}


def test_progress_by_category_and_wrong_answer_book(auto_quiz, user):
    attempt = services.attempt_start(quiz=auto_quiz, user=user)
    answers = correct_answers(attempt)
    tf = rows_by_kind(attempt)["truefalse"]
    answers[tf.pk] = ["false"]
    answer_all(attempt, answers)
    services.attempt_submit(attempt=attempt)
    progress = {p.category: (p.answered, p.correct) for p in selectors.progress_by_category(
        user=user)}
    assert progress == {"事前评估": (1, 1), "目标管理": (2, 1), "运行监控": (1, 1)}
    assert [aq.pk for aq in selectors.wrong_answers(user=user)] == [tf.pk]
    # Answered right later: it leaves the book.
    again = services.attempt_start(quiz=auto_quiz, user=user)
    answer_all(again)
    services.attempt_submit(attempt=again)
    assert selectors.wrong_answers(user=user) == []


def test_previous_papers_only_for_exam_paper_quizzes(questions, auto_quiz, user):
    kept = services.attempt_submit(attempt=services.attempt_start(quiz=auto_quiz, user=user))
    throwaway = make_quiz(questions.values(), title="不留卷", exam_paper=False)
    services.attempt_submit(attempt=services.attempt_start(quiz=throwaway, user=user))
    assert list(selectors.papers_of(user=user)) == [kept]
