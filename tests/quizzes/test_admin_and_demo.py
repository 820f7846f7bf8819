"""Admin snippets and viewsets, the QuizBlock, role permissions and the demo seeder."""

import pytest
from django.urls import reverse

from quizzes import demo, services
from quizzes.blocks import QuizBlock
from quizzes.models import Category, Question, QuestionBank, Quiz
from quizzes.types import KINDS

pytestmark = pytest.mark.django_db


def test_editor_admin_lists_render(client, editor, quiz):
    client.force_login(editor)
    for url in [reverse("wagtailsnippets_quizzes_quiz:list"),
                reverse("wagtailsnippets_quizzes_questionbank:list"),
                reverse("wagtailsnippets_quizzes_category:list"),
                reverse("quiz_questions:index"),
                reverse("wagtailsnippets_quizzes_quiz:edit", args=[quiz.pk])]:
        response = client.get(url)
        assert response.status_code == 200, url
    filtered = client.get(reverse("wagtailsnippets_quizzes_quiz:list"), {"mode": "exam",
                                                                         "q": "测验"})
    assert filtered.status_code == 200 and "测验" in filtered.content.decode()


def test_question_admin_form_creates_and_versions(client, editor, bank):
    client.force_login(editor)
    data = {"bank": bank.pk, "kind": "single", "difficulty": "easy", "name": "",
            "is_active": "on", "category_path": "事前评估/概念", "text": "题干一",
            "points": "3", "choices": "*对的\n错的", "answer_true": "", "blanks": "",
            "reference_answer": "", "explanation": "解析", "tags_text": "甲，乙"}
    response = client.post(reverse("quiz_questions:add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    question = Question.objects.get()
    assert question.current_version.text == "题干一" and question.tags == ["甲", "乙"]
    data.update(text="题干二", kind="single")
    response = client.post(reverse("quiz_questions:edit", args=[question.pk]), data)
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.versions.count() == 2 and question.current_version.text == "题干二"
    bad = client.post(reverse("quiz_questions:add"), {**data, "choices": "a\nb"})
    assert bad.status_code == 200 and Question.objects.count() == 1


def test_learner_cannot_open_the_admin_question_views(client, user):
    client.force_login(user)
    assert client.get(reverse("quiz_questions:index")).status_code in (302, 403)


def test_quiz_block_renders_a_link_to_the_quiz(quiz):
    block = QuizBlock()
    html = block.render(block.to_python({"quiz": quiz.pk, "intro": "小测<b>", "button_label": ""}))
    assert reverse("quizzes:detail", args=[quiz.pk]) in html and "小测&lt;b&gt;" in html
    assert block.meta.preview_value and block.meta.icon


def test_roles_grant_quiz_permissions(editor, reviewer):
    assert editor.has_perm("quizzes.change_quiz") and editor.has_perm("quizzes.add_question")
    assert reviewer.has_perm("quizzes.mark_attempt")
    assert not reviewer.has_perm("quizzes.change_quiz")


def test_demo_seed_builds_bank_practice_quizzes_and_annual_exam_idempotently():
    logs = []
    first = demo.seed(log=logs.append)
    counts = (Question.objects.count(), Quiz.objects.count(), Category.objects.count())
    demo.seed(log=logs.append)
    assert (Question.objects.count(), Quiz.objects.count(), Category.objects.count()) == counts
    bank = QuestionBank.objects.get(name=demo.BANK_NAME)
    if not bank.questions.exists():
        pytest.skip("quizzes.demo_questions is not written yet")
    assert first["questions"] == bank.questions.count()
    exam = Quiz.objects.get(title=demo.EXAM_TITLE)
    assert (exam.mode, exam.time_limit_minutes, exam.pass_mark) == ("exam", 30, 80)
    stages = [c.name for c in Category.objects.filter(parent=None)]
    for stage in stages:
        if stage in demo.STAGES:
            assert Quiz.objects.filter(title=f"{stage}练习", mode="practice").exists()
    assert set(bank.questions.values_list("kind", flat=True)) <= set(KINDS)


def test_demo_annual_exam_draws_twenty_questions_when_the_bank_is_complete(user):
    demo.seed(log=lambda message: None)
    exam = Quiz.objects.get(title=demo.EXAM_TITLE)
    if sum(rule.count for rule in exam.draw_rules.all()) < 20:
        pytest.skip("demo bank not complete yet")
    attempt = services.attempt_start(quiz=exam, user=user)
    assert attempt.attempt_questions.count() == 20


def test_demo_seed_creates_five_practice_quizzes_and_an_exam_covering_every_stage():
    demo.seed(log=lambda message: None)
    bank = QuestionBank.objects.get(name=demo.BANK_NAME)
    assert bank.questions.count() >= 150
    for stage in demo.STAGES:
        practice = Quiz.objects.get(title=f"{stage}练习", mode="practice")
        (rule,) = practice.draw_rules.all()
        assert rule.category.path == stage and rule.count == demo.PRACTICE_SIZE
    exam = Quiz.objects.get(title=demo.EXAM_TITLE)
    rules = list(exam.draw_rules.select_related("category"))
    assert {r.category.path for r in rules} == set(demo.STAGES)
    assert sum(r.count for r in rules) == 20
    assert {r.kind for r in rules} == {"single", "multiple", "truefalse", "fill"}


def test_demo_seed_updates_an_old_exam_rule_set_once_then_changes_nothing():
    from quizzes.models import DrawRule

    demo.seed(log=lambda message: None)
    exam = Quiz.objects.get(title=demo.EXAM_TITLE)
    bank = QuestionBank.objects.get(name=demo.BANK_NAME)
    # An exam left by an earlier seed: rules by kind only, no stages.
    services.quiz_draw_rules_set(quiz=exam, rules=[
        {"bank": bank, "kind": "single", "count": 10}, {"bank": bank, "kind": "multiple",
                                                          "count": 4}])
    logs = []
    demo.seed(log=logs.append)
    assert any("draw rules updated" in line for line in logs)
    rules = list(exam.draw_rules.values_list("pk", "category__path", "kind", "count"))
    assert {r[1] for r in rules} == set(demo.STAGES) and sum(r[3] for r in rules) == 20
    logs.clear()
    demo.seed(log=logs.append)
    assert list(exam.draw_rules.values_list("pk", "category__path", "kind", "count")) == rules
    assert not logs and DrawRule.objects.filter(quiz=exam).count() == len(rules)
    assert Quiz.objects.filter(title=demo.EXAM_TITLE).count() == 1
