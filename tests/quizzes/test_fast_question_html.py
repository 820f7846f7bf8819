"""The attempt page's questions built in Python (quizzes.rendering, issue 12) are the same HTML
as the template they replace, for every kind, unanswered and answered, in both languages, and
reveal nothing; questions the fast path does not take still go through the template."""

import re

import pytest
from django.template.loader import render_to_string
from django.test.html import parse_html
from django.urls import reverse
from django.utils import translation

from quizzes import rendering, selectors, services

from .conftest import answer_all, essay, make_quiz, single


def _views(attempt):
    return selectors.question_views(rows=selectors.attempt_questions(attempt=attempt))


def _assert_same(view, *, check_button):
    template = render_to_string("quizzes/_question.html", {
        "q": view, "readonly": view.checked, "check_button": check_button})
    fast = rendering.question_html(view, check_button=check_button)
    assert parse_html(fast) == parse_html(template), (fast, template)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("check_button", [False, True])
def test_fast_html_equals_the_template_for_every_kind(quiz, user, language, check_button):
    attempt = services.attempt_start(quiz=quiz, user=user)
    with translation.override(language):
        for view in _views(attempt):  # unanswered
            assert rendering.fast_path_allowed(view)
            _assert_same(view, check_button=check_button)
        answer_all(attempt)
        for view in _views(attempt):  # answered: checked options, typed blanks and text
            _assert_same(view, check_button=check_button)


def test_fast_html_escapes_hostile_text_and_answers(bank, user):
    hostile = '<script>alert("x")</script> & "引号"\n第二行'
    questions = [services.question_create(bank=bank, data=single(text=hostile)),
                 services.question_create(bank=bank, data=essay(text=hostile))]
    attempt = services.attempt_start(quiz=make_quiz(questions), user=user)
    essay_row = attempt.attempt_questions.get(kind="essay")
    services.attempt_answer_save(attempt=attempt, attempt_question_id=essay_row.pk,
                                 raw=["</textarea><script>bad()</script>"])
    for view in _views(attempt):
        html = rendering.question_html(view, check_button=False)
        assert "<script>" not in html
        _assert_same(view, check_button=False)


def test_attempt_page_takes_the_fast_path_and_reveals_nothing(learner_client, quiz, user):
    attempt = services.attempt_start(quiz=quiz, user=user)
    html = learner_client.get(reverse("quizzes:take", args=[attempt.pk])).content.decode()
    for view in _views(attempt):
        assert parse_html(rendering.question_html(view, check_button=False)) in parse_html(html)
    assert "choice--correct" not in html and "question__answer" not in html
    # Options are posted as per-attempt tokens, never as choice ids (other inputs, such as the
    # page number, may hold small numbers).
    posted = set(re.findall(r'<input type="(?:radio|checkbox)" name="q\d+" value="([^"]*)"',
                            html))
    assert posted
    for aq in attempt.attempt_questions.prefetch_related("version__choices"):
        for choice in aq.version.choices.all():
            assert str(choice.pk) not in posted


def test_checked_practice_question_still_uses_the_template(questions, user):
    practice = make_quiz(questions.values(), mode="practice", feedback_timing="each",
                         title="练习")
    attempt = services.attempt_start(quiz=practice, user=user)
    answer_all(attempt)
    row = attempt.attempt_questions.exclude(kind="essay").first()
    services.attempt_question_check(attempt=attempt, attempt_question_id=row.pk)
    views = {v.id: v for v in _views(attempt)}
    rendering.questions_html(views.values(), check_button=True)
    assert views[row.pk].html is None  # shows its outcome: the template renders it
    assert all(v.html for pk, v in views.items() if pk != row.pk)
