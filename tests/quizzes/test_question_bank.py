"""Question bank services: validation, all-or-nothing import, categories, versions, export."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from quizzes import services, types
from quizzes.models import Category, Choice, Question, QuestionVersion
from quizzes.types import ChoiceData, QuestionData

from .conftest import essay, fill, multiple, single, true_false

pytestmark = pytest.mark.django_db


def test_import_creates_questions_categories_and_counts_by_kind(bank):
    data = [single(source="第 2 行"), multiple(), true_false(), fill(), essay(),
            single(text="另一道", category="事前评估/基础/进阶")]
    report = services.questions_import(bank=bank, questions=data)
    assert report.ok and report.created == 6
    assert report.by_kind == {"single": 2, "multiple": 1, "truefalse": 1, "fill": 1, "essay": 1}
    assert Question.objects.filter(bank=bank).count() == 6
    deep = Category.objects.get(path="事前评估/基础/进阶")
    assert deep.parent.path == "事前评估/基础" and deep.parent.parent.parent is None
    assert report.categories_created == Category.objects.count()


@pytest.mark.parametrize(("data", "message"), [
    (QuestionData(kind=types.SINGLE, text="x", choices=[ChoiceData("a", True),
                                                        ChoiceData("b", True)]),
     services.IMPORT_SINGLE_CORRECT),
    (QuestionData(kind=types.MULTIPLE, text="x", choices=[ChoiceData("a"), ChoiceData("b")]),
     services.IMPORT_MULTIPLE_CORRECT),
    (QuestionData(kind=types.FILL, text="x"), services.IMPORT_FILL_BLANKS),
    (QuestionData(kind=types.FILL, text="x", blanks=[["", " "]]), services.IMPORT_FILL_BLANKS),
    (QuestionData(kind=types.FILL, text="{{1}}{{2}}", blanks=[["a"]]), services.IMPORT_FILL_MARKS),
    (QuestionData(kind=types.TRUE_FALSE, text="x"), services.IMPORT_TRUE_FALSE),
    (true_false(points=Decimal("0")), services.IMPORT_POINTS),
    (true_false(points=Decimal("-3")), services.IMPORT_POINTS),
    (true_false(points=Decimal("100.01")), services.IMPORT_POINTS),
    (true_false(points=Decimal("1e9")), services.IMPORT_POINTS),
    (true_false(points=Decimal("NaN")), services.IMPORT_POINTS),
    (true_false(text="   "), services.IMPORT_EMPTY_TEXT),
    (QuestionData(kind="matching", text="x"), services.IMPORT_UNKNOWN_KIND),
    (true_false(difficulty="extreme"), services.IMPORT_DIFFICULTY),
    (true_false(text="x" * 20001), services.IMPORT_TOO_LONG),
])
def test_import_with_one_bad_question_imports_nothing_and_names_it(bank, data, message):
    data.source = "第 7 行"
    report = services.questions_import(bank=bank, questions=[single(), data])
    assert not report.ok and report.created == 0
    assert any(e.startswith("第 7 行") for e in report.errors), report.errors
    prefix = str(message).split("{source}")[1][:12]
    assert any(prefix in e for e in report.errors), report.errors
    assert Question.objects.count() == 0 and Category.objects.count() == 0


def test_import_reports_every_bad_question(bank):
    bad = [true_false(points=Decimal("0"), source="第 3 行"),
           QuestionData(kind=types.FILL, text="x", source="第 9 行")]
    report = services.questions_import(bank=bank, questions=bad)
    assert [e[:5] for e in report.errors] == ["第 3 行", "第 9 行"]


def test_dry_run_validates_and_counts_but_writes_nothing(bank):
    report = services.questions_import(bank=bank, questions=[single(), essay()], dry_run=True)
    assert report.ok and report.created == 2 and report.dry_run
    assert Question.objects.count() == 0 and Category.objects.count() == 0


def test_question_bank_get_or_create_is_idempotent(db):
    first = services.question_bank_get_or_create(name="题库")
    assert services.question_bank_get_or_create(name="题库") == first


def test_editing_creates_a_new_version_and_keeps_the_old(bank):
    question = services.question_create(bank=bank, data=single())
    first = question.current_version
    changed = single(text="修改后的题干", points="5")
    changed.choices[0].correct, changed.choices[1].correct = False, True
    version = services.question_update(question=question, data=changed)
    question.refresh_from_db()
    assert question.current_version == version and version.number == 2
    first.refresh_from_db()
    assert first.text == "预算绩效管理的核心是什么？" and first.points == Decimal("2")
    assert Choice.objects.get(version=first, order=1).is_correct
    assert QuestionVersion.objects.filter(question=question).count() == 2


def test_kind_cannot_change_on_edit(bank):
    question = services.question_create(bank=bank, data=single())
    with pytest.raises(ValidationError):
        services.question_update(question=question, data=true_false())
    assert question.versions.count() == 1


def test_round_trip_as_data_is_stable(bank):
    originals = [single(tags=["目标", "指标"]), multiple(), true_false(answer=False), fill(),
                 essay(difficulty=types.HARD)]
    services.questions_import(bank=bank, questions=originals)
    exported = services.questions_as_data(bank=bank)
    other = services.question_bank_get_or_create(name="副本")
    services.questions_import(bank=other, questions=exported)
    again = services.questions_as_data(bank=other)
    assert again == exported
    assert [(q.kind, q.text, q.category, q.points, q.tags) for q in exported] == [
        (o.kind, o.text, o.category, o.points, o.tags) for o in originals]


def test_as_data_filters_by_category_subtree(bank):
    services.questions_import(bank=bank, questions=[single(category="事前评估/基础"),
                                                    essay(category="运行监控")])
    assert [q.kind for q in services.questions_as_data(category="事前评估")] == ["single"]


def test_database_rejects_points_out_of_range(bank):
    question = services.question_create(bank=bank, data=single())
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionVersion.objects.filter(pk=question.current_version_id).update(points=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionVersion.objects.filter(pk=question.current_version_id).update(points=101)


def test_a_question_can_belong_to_several_quizzes(questions):
    from .conftest import make_quiz

    q = questions["single"]
    first, second = make_quiz([q], title="一"), make_quiz([q], title="二")
    assert set(q.quiz_links.values_list("quiz_id", flat=True)) == {first.pk, second.pk}
