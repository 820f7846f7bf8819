"""Fixtures for the quiz tests: a bank with one question of each kind, quizzes, learners."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from departments import roles
from departments.services import roles_ensure
from quizzes import choice_tokens, services, types
from quizzes.models import Choice
from quizzes.types import ChoiceData, QuestionData
from tests.departments.factories import LearnerFactory, UserFactory


def single(text="预算绩效管理的核心是什么？", category="事前评估/基础", points="2", **kw):
    return QuestionData(kind=types.SINGLE, text=text, choices=[
        ChoiceData("花钱必问效", correct=True), ChoiceData("多花钱"), ChoiceData("少花钱")],
        points=Decimal(points), category=category, explanation="解析：全过程绩效管理。", **kw)


def multiple(text="绩效目标包括哪些指标？", category="目标管理", points="4", **kw):
    return QuestionData(kind=types.MULTIPLE, text=text, choices=[
        ChoiceData("产出指标", correct=True), ChoiceData("效益指标", correct=True),
        ChoiceData("满意度指标", correct=True), ChoiceData("身高指标")],
        points=Decimal(points), category=category, explanation="解析：三类指标。", **kw)


def true_false(text="绩效目标应当可衡量。", answer=True, category="目标管理", **kw):
    kw.setdefault("points", Decimal("2"))
    return QuestionData(kind=types.TRUE_FALSE, text=text, answer_true=answer,
                        category=category, explanation="解析：SMART。", **kw)


def fill(text="预算绩效管理要做到“花钱必问效、{{1}}必问责”，覆盖{{2}}全过程。", **kw):
    kw.setdefault("category", "运行监控")
    return QuestionData(kind=types.FILL, text=text, blanks=[["无效", "低效"], ["预算"]],
                        points=Decimal("2"), explanation="解析：中发〔2018〕34号。", **kw)


def essay(text="简述绩效运行监控的“双监控”。", **kw):
    kw.setdefault("category", "运行监控")
    return QuestionData(kind=types.ESSAY, text=text, reference_answer="参考：进度与目标双监控。",
                        points=Decimal("10"), explanation="解析：财预〔2019〕136号。", **kw)


@pytest.fixture
def role_groups(db):
    return roles_ensure()


@pytest.fixture
def bank(db):
    return services.question_bank_get_or_create(name="测试题库")


@pytest.fixture
def questions(bank):
    """One question of each kind, keyed by kind."""
    return {data.kind: services.question_create(bank=bank, data=data)
            for data in (single(), multiple(), true_false(), fill(), essay())}


def make_quiz(questions, **settings):
    settings.setdefault("is_draft", False)
    settings.setdefault("mode", "exam")
    return services.quiz_create(title=settings.pop("title", "测验"),
                                questions=list(questions), **settings)


@pytest.fixture
def quiz(questions):
    """An exam with all five kinds (20 points), feedback at the end, answers revealed."""
    return make_quiz(questions.values(), review_answers_after_submit=True,
                     review_explanations_after_submit=True)


@pytest.fixture
def auto_quiz(questions):
    """An exam without essays: graded on submission."""
    return make_quiz([q for k, q in questions.items() if k != types.ESSAY], title="自动评分")


@pytest.fixture
def learner(db):
    return LearnerFactory(staff_number="L0001", position="head")


@pytest.fixture
def user(learner):
    return learner.user


@pytest.fixture
def other_user(db):
    return LearnerFactory(staff_number="L0002").user


@pytest.fixture
def learner_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def reviewer(role_groups):
    user = UserFactory(username="reviewer1")
    user.groups.add(Group.objects.get(name=roles.REVIEWER))
    return user


@pytest.fixture
def editor(role_groups):
    user = UserFactory(username="editor1")
    user.groups.add(Group.objects.get(name=roles.EDITOR))
    return user


def rows_by_kind(attempt):
    return {aq.kind: aq for aq in attempt.attempt_questions.select_related("version")}


def token(aq, choice) -> str:
    """The value the take page posts for this option of this attempt question."""
    return choice_tokens.choice_token(attempt_question_id=aq.pk, choice_id=choice.pk)


def posted_choice_ids(html: str, aq) -> list[int]:
    """The options of one attempt question as the page offers them (in display order),
    mapped back from their posted values to choice ids."""
    values = re.findall(rf'name="q{aq.pk}" value="([^"]*)"', html)
    tokens = choice_tokens.choice_tokens(
        attempt_question_id=aq.pk,
        choice_ids=Choice.objects.filter(version_id=aq.version_id).values_list("pk", flat=True))
    return [tokens[value] for value in values]


def correct_answers(attempt) -> dict:
    """The right raw answer for each row of the attempt (what a perfect learner submits)."""
    answers = {}
    for aq in attempt.attempt_questions.select_related("version").prefetch_related(
            "version__choices"):
        if aq.kind in (types.SINGLE, types.MULTIPLE):
            answers[aq.pk] = [token(aq, c) for c in aq.version.choices.all() if c.is_correct]
        elif aq.kind == types.TRUE_FALSE:
            answers[aq.pk] = ["true" if aq.version.answer_true else "false"]
        elif aq.kind == types.FILL:
            answers[aq.pk] = [b[0] for b in aq.version.blanks]
        else:
            answers[aq.pk] = ["我的论述答案"]
    return answers


def answer_all(attempt, answers=None):
    for aq_id, raw in (answers or correct_answers(attempt)).items():
        services.attempt_answer_save(attempt=attempt, attempt_question_id=aq_id, raw=raw)
