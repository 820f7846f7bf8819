"""questions_import in bulk: the query count does not grow with the number of questions."""

import math
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quizzes import services, types
from quizzes.models import Category, Choice, Question

from .conftest import essay, fill, multiple, single, true_false

pytestmark = pytest.mark.django_db

MAKERS = [single, multiple, true_false, fill, essay]


def batch(count, offset=0):
    return [MAKERS[i % 5](text=f"第{offset + i}题", category=f"阶段{offset}-{i % 5}/小类{i % 3}")
            for i in range(count)]


def run_import(bank, questions):
    with CaptureQueriesContext(connection) as ctx:
        report = services.questions_import(bank=bank, questions=questions)
    assert report.ok, report.errors
    return [q["sql"] for q in ctx.captured_queries]


def insert_batches(count: int) -> int:
    """Upper bound of extra INSERT statements the backend's batch size causes for `count`
    questions (SQLite binds at most 999 parameters per statement; PostgreSQL 65535)."""
    limit = connection.features.max_query_params or 65535
    rows = {"question": (count, 8), "version": (count, 12), "choice": (count * 4 // 5 * 4, 6)}
    return sum(math.ceil(n / max(limit // fields, 1)) for n, fields in rows.values())


def test_query_count_does_not_grow_with_the_number_of_questions(bank):
    small = run_import(bank, batch(10))
    large = run_import(bank, batch(200, offset=1000))  # new categories again, two levels
    assert Question.objects.count() == 210

    def others(queries):
        return [q for q in queries if not q.lstrip().upper().startswith("INSERT")]

    # Every statement but the inserts is the same for 10 and 200 questions…
    assert abs(len(others(large)) - len(others(small))) <= 2
    # …and inserts grow only by the database's batch size (not at all on PostgreSQL).
    assert len(large) - len(small) <= insert_batches(200)
    if connection.vendor == "postgresql":
        assert abs(len(large) - len(small)) <= 2
    assert len(small) <= 15
    print(f"\nquestions_import queries: 10 questions {len(small)}, 200 questions {len(large)}")


def test_bulk_import_writes_the_same_rows_as_question_create(bank):
    data = [single(tags=["目标", " ", "指标"]), multiple(), true_false(answer=False), fill(),
            essay(), single(text="无分类", category="")]
    report = services.questions_import(bank=bank, questions=data)
    assert report.created == 6 and report.categories_created == 4
    assert set(Category.objects.values_list("path", flat=True)) == {
        "事前评估", "事前评估/基础", "目标管理", "运行监控"}
    assert Category.objects.get(path="事前评估/基础").parent.path == "事前评估"
    for question, source in zip(Question.objects.order_by("pk"), data, strict=True):
        version = question.current_version
        assert version.question_id == question.pk and version.number == 1
        assert version.text == source.text and version.points == Decimal(str(source.points))
        assert question.kind == source.kind
        assert (question.category.path if question.category else "") == source.category
        assert version.explanation == source.explanation
    first = Question.objects.order_by("pk").first()
    assert first.tags == ["目标", "指标"]
    assert [(c.order, c.is_correct) for c in first.current_version.choices.all()] == [
        (1, True), (2, False), (3, False)]
    tf = Question.objects.get(kind=types.TRUE_FALSE)
    assert tf.current_version.answer_true is False
    assert Question.objects.get(kind=types.FILL).current_version.blanks == [["无效", "低效"],
                                                                           ["预算"]]
    # Existing categories are reused, not duplicated.
    services.questions_import(bank=bank, questions=[single(text="再来一题")])
    assert Category.objects.filter(path="事前评估/基础").count() == 1


def test_bulk_import_is_all_or_nothing_and_dry_run_writes_nothing(bank):
    report = services.questions_import(bank=bank, questions=batch(20), dry_run=True)
    assert report.ok and report.created == 20
    assert not Question.objects.exists() and not Category.objects.exists()
    bad = [*batch(5), single(text="")]
    report = services.questions_import(bank=bank, questions=bad)
    assert report.errors and report.created == 0
    assert not Question.objects.exists() and not Choice.objects.exists()
