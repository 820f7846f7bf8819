"""Issue 12: attempt start draws from a cached draw plan per quiz, invalidated by the
question-bank generation (quizzes.draw_cache). A stale plan would draw a deactivated, deleted or
outdated question: after every kind of change, a new draw sees only what is valid now."""

import random
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quizzes import draw_cache, services, types
from quizzes.models import Category, Question, QuizQuestion
from tests.departments.factories import LearnerFactory

from .conftest import make_quiz, single

pytestmark = pytest.mark.django_db


def add(bank, count, category, prefix="题"):
    return [services.question_create(bank=bank, data=single(
        text=f"{prefix}{category}{i}", category=category)) for i in range(count)]


def rule_quiz(rules, **settings):
    settings.setdefault("is_draft", False)
    settings.setdefault("mode", "exam")
    settings.setdefault("max_attempts", 0)
    return services.quiz_create(title=settings.pop("title", "缓存组卷"), draw_rules=rules,
                                **settings)


def category(path):
    return Category.objects.get(path=path)


def drawn_ids(quiz, rng=None) -> set[int]:
    return {q.question_id for q in services.quiz_paper_draw(quiz=quiz, rng=rng)}


def start(quiz, rng=None) -> dict[int, tuple]:
    """A new learner's paper: per question id, (version id, points, choice order)."""
    attempt = services.attempt_start(quiz=quiz, user=LearnerFactory().user, rng=rng)
    return {row[0]: row[1:] for row in attempt.attempt_questions.order_by("order").values_list(
        "version__question_id", "version_id", "points", "choice_order")}


def test_a_deactivated_question_is_never_drawn_again(bank):
    questions = add(bank, 4, "缓存/甲")
    quiz = rule_quiz([{"category": category("缓存/甲"), "count": 3}])
    assert len(start(quiz)) == 3  # the plan is cached now
    first = questions[0]
    first.is_active = False
    first.save(update_fields=["is_active", "bank"])  # as the question editor saves it
    for seed in range(6):
        assert set(start(quiz, rng=random.Random(seed))) == {q.pk for q in questions[1:]}
    first.is_active = True
    first.save()
    assert first.pk in set().union(*(drawn_ids(quiz, random.Random(s)) for s in range(12)))


def test_an_edited_question_is_drawn_with_its_new_version_and_points(bank):
    questions = add(bank, 2, "缓存/甲")
    quiz = rule_quiz([{"category": category("缓存/甲"), "count": 2}])
    before = start(quiz)
    edited = questions[0]
    old_version = edited.current_version_id
    assert before[edited.pk][0] == old_version
    services.question_update(question=edited, data=single(
        text="改过的题", points="5", category="缓存/甲"))
    edited.refresh_from_db()
    assert edited.current_version_id != old_version
    after = start(quiz)
    version_id, points, choice_order = after[edited.pk]
    assert version_id == edited.current_version_id and points == Decimal("5")
    assert sorted(choice_order) == sorted(
        edited.current_version.choices.values_list("pk", flat=True))
    assert after[questions[1].pk] == (questions[1].current_version_id, Decimal("2"),
                                      after[questions[1].pk][2])


def test_moving_a_category_moves_its_questions_between_rules(bank):
    moving = add(bank, 2, "缓存/甲")
    staying = add(bank, 2, "缓存/乙")
    services.category_get_or_create(path="其他")
    whole = rule_quiz([{"category": category("缓存"), "count": 4}], title="整棵")
    other = rule_quiz([{"category": category("其他"), "count": 2}], title="其他")
    assert set(start(whole)) == {q.pk for q in moving + staying}
    with pytest.raises(ValidationError):
        start(other)  # nothing under 其他 yet (and that plan is cached too)
    node = category("缓存/甲")
    node.parent = category("其他")
    node.save()
    assert node.path == "其他/甲"
    with pytest.raises(ValidationError):
        start(whole)  # only two questions left under 缓存
    assert set(start(other)) == {q.pk for q in moving}


def test_a_question_moved_to_another_bank_follows_the_bank_rule(bank):
    questions = add(bank, 2, "缓存/甲")
    second = services.question_bank_get_or_create(name="第二题库")
    quiz = rule_quiz([{"bank": second, "count": 1}])
    with pytest.raises(ValidationError):
        drawn_ids(quiz)
    questions[1].bank = second
    questions[1].save(update_fields=["is_active", "bank"])
    assert drawn_ids(quiz) == {questions[1].pk}


def test_added_questions_are_drawn_one_by_one_or_imported_in_bulk(bank):
    existing = add(bank, 2, "缓存/甲")
    three = rule_quiz([{"category": category("缓存/甲"), "count": 3}], title="三")
    four = rule_quiz([{"category": category("缓存/甲"), "count": 4}], title="四")
    for quiz in (three, four):
        with pytest.raises(ValidationError):
            start(quiz)
    created = services.question_create(bank=bank, data=single(text="新题", category="缓存/甲"))
    assert set(start(three)) == {q.pk for q in existing} | {created.pk}
    with pytest.raises(ValidationError):
        start(four)
    # The bulk import writes with bulk_create and update(): no model signal, an explicit bump.
    report = services.questions_import(bank=bank, questions=[
        single(text="导入的题", category="缓存/甲/子类")])
    assert report.ok and report.created == 1
    imported = Question.objects.get(current_version__text="导入的题")
    assert set(start(four)) == {q.pk for q in existing} | {created.pk, imported.pk}


def test_a_deleted_question_is_never_drawn(bank):
    questions = add(bank, 3, "缓存/甲")
    quiz = rule_quiz([{"category": category("缓存/甲"), "count": 2}])
    drawn_ids(quiz)  # the plan (all three) is cached; no attempt protects any version
    questions[0].delete()
    for seed in range(6):
        assert set(start(quiz, rng=random.Random(seed))) == {q.pk for q in questions[1:]}


def test_edited_and_deleted_rules_draw_what_the_rules_say_now(bank):
    first = add(bank, 3, "缓存/甲")
    second = add(bank, 3, "缓存/乙")
    quiz = rule_quiz([{"category": category("缓存/甲"), "count": 1},
                      {"category": category("缓存/乙"), "count": 1}])
    paper = start(quiz)
    assert len(paper) == 2
    rule = quiz.draw_rules.get(category=category("缓存/甲"))
    rule.count = 3
    rule.save()
    paper = set(start(quiz))
    assert {q.pk for q in first} <= paper and len(paper) == 4
    rule.delete()
    paper = set(start(quiz))
    assert len(paper) == 1 and paper <= {q.pk for q in second}
    services.quiz_draw_rules_set(quiz=quiz, rules=[
        {"category": category("缓存/乙"), "kind": types.SINGLE, "count": 3}])
    assert set(start(quiz)) == {q.pk for q in second}


def test_fixed_questions_follow_activation_versions_and_links(bank):
    questions = add(bank, 3, "缓存/甲")
    quiz = make_quiz(questions, max_attempts=0)
    assert set(start(quiz)) == {q.pk for q in questions}
    questions[0].is_active = False
    questions[0].save()
    services.question_update(question=questions[1], data=single(
        text="新版本", points="3", category="缓存/甲"))
    questions[1].refresh_from_db()
    paper = start(quiz)
    assert set(paper) == {questions[1].pk, questions[2].pk}
    assert paper[questions[1].pk][:2] == (questions[1].current_version_id, Decimal("3"))
    QuizQuestion.objects.filter(quiz=quiz, question=questions[2]).delete()
    assert set(start(quiz)) == {questions[1].pk}


def test_the_cache_is_used_and_gives_the_same_seeded_paper(bank):
    add(bank, 6, "缓存/甲")
    add(bank, 6, "缓存/乙")
    quiz = rule_quiz([{"category": category("缓存/甲"), "count": 3},
                      {"category": category("缓存"), "count": 4}], random_order=True)
    learners = [LearnerFactory().user for _ in range(3)]
    cache.clear()  # nothing cached, not even the generation

    def timed_start(user):
        with CaptureQueriesContext(connection) as queries:
            attempt = services.attempt_start(quiz=quiz, user=user, rng=random.Random(5))
        return queries, list(attempt.attempt_questions.order_by("order").values_list(
            "version_id", "choice_order"))

    cold, cold_paper = timed_start(learners[0])
    warm, warm_paper = timed_start(learners[1])
    assert len(warm) < len(cold)
    assert len(cold) - len(warm) >= 4  # fixed questions, rules, candidates, choice ids
    assert not any(table in q["sql"] for q in warm.captured_queries
                   for table in ('"quizzes_question"', '"quizzes_drawrule"',
                                 '"quizzes_choice"', '"quizzes_quizquestion"'))
    # The same seed draws the same paper (order and option orders), cached or not.
    assert warm_paper == cold_paper
    again, again_paper = timed_start(learners[2])
    assert len(again) == len(warm) and again_paper == cold_paper


def test_a_plan_computed_under_an_older_generation_is_not_used(bank):
    add(bank, 2, "缓存/甲")
    quiz = rule_quiz([{"category": category("缓存/甲"), "count": 1}])
    key = draw_cache.plan_key(quiz)
    generation, _plan = draw_cache.plan_get(key)
    # A start read the generation, then a writer committed and bumped, then the start stored
    # the plan it computed from the rows it had read before the commit.
    draw_cache.generation_bump()
    draw_cache.plan_set(key, generation, ((), ((1, (999999,)),), {}))
    assert draw_cache.plan_get(key)[1] is None
    assert len(drawn_ids(quiz)) == 1  # computed again, not the stale plan


def test_writers_bump_again_after_their_transaction_commits(bank,
                                                           django_capture_on_commit_callbacks):
    """The bump after commit is what makes the cache safe against a start that read the rows
    just before the commit; every kind of write registers it."""
    question = add(bank, 1, "缓存/甲")[0]
    quiz = rule_quiz([{"category": category("缓存/甲"), "count": 1}])
    writes = {
        "question save": lambda: question.save(),
        "question update": lambda: services.question_update(
            question=question, data=single(text="再改", category="缓存/甲")),
        "category save": lambda: category("缓存/甲").save(),
        "rule save": lambda: quiz.draw_rules.first().save(),
        "bulk import": lambda: services.questions_import(
            bank=bank, questions=[single(text="批量", category="缓存/丙")]),
    }
    for name, write in writes.items():
        with django_capture_on_commit_callbacks() as callbacks:
            write()
        assert any(callback is draw_cache._bump for callback in callbacks), name


def test_start_query_budget_with_a_warm_plan(bank, django_assert_max_num_queries):
    """The learner's attempts, then the attempt and paper inserts in one transaction (a
    savepoint and its release inside the test's transaction): nothing for the rules, the fixed
    questions, the candidates or the choices."""
    add(bank, 5, "缓存/甲")
    quiz = rule_quiz([{"category": category("缓存/甲"), "count": 1}, {"count": 2},
                      {"kind": types.SINGLE, "count": 1}])
    learners = [LearnerFactory().user for _ in range(2)]
    services.attempt_start(quiz=quiz, user=learners[0])
    # On PostgreSQL the attempt and its paper are one statement (services._attempt_write).
    with django_assert_max_num_queries(4 if connection.vendor == "postgresql" else 5):
        services.attempt_start(quiz=quiz, user=learners[1])
