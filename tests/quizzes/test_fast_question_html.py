"""The attempt page's questions built in Python from paper rows (quizzes.rendering, issue 12) are
the same HTML as the view model through the template they replace, for every kind, unanswered
and answered, in both languages, and reveal nothing; questions the fast path does not take still
go through the template."""

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


def _rows(attempt):
    """The page's paper rows with their cached versions."""
    rows = selectors.attempt_paper(attempt=attempt)
    versions = selectors.versions_of(rows)
    return [(row, versions[row.version_id]) for row in rows]


def _template(view, *, check_button):
    return render_to_string("quizzes/_question.html", {
        "q": view, "readonly": view.checked, "check_button": check_button})


def _assert_same(attempt, *, check_button):
    views = {view.id: view for view in _views(attempt)}
    rows = _rows(attempt)
    assert len(rows) == len(views)
    for row, version in rows:
        assert rendering.fast_path_allowed(row, version)
        fast = rendering.question_html(row, version, check_button=check_button)
        template = _template(views[row.pk], check_button=check_button)
        assert parse_html(fast) == parse_html(template), (fast, template)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("check_button", [False, True])
def test_fast_html_equals_the_template_for_every_kind(quiz, user, language, check_button):
    attempt = services.attempt_start(quiz=quiz, user=user)
    with translation.override(language):
        _assert_same(attempt, check_button=check_button)  # unanswered
        answer_all(attempt)
        # Answered: checked options, typed blanks and text.
        _assert_same(attempt, check_button=check_button)


def test_fast_html_escapes_hostile_text_and_answers(bank, user):
    hostile = '<script>alert("x")</script> & "引号"\n第二行'
    questions = [services.question_create(bank=bank, data=single(text=hostile)),
                 services.question_create(bank=bank, data=essay(text=hostile))]
    attempt = services.attempt_start(quiz=make_quiz(questions), user=user)
    essay_row = attempt.attempt_questions.get(kind="essay")
    services.attempt_answer_save(attempt=attempt, attempt_question_id=essay_row.pk,
                                 raw=["</textarea><script>bad()</script>"])
    for row, version in _rows(attempt):
        assert "<script>" not in rendering.question_html(row, version, check_button=False)
    _assert_same(attempt, check_button=False)


def test_attempt_page_takes_the_fast_path_and_reveals_nothing(learner_client, quiz, user):
    attempt = services.attempt_start(quiz=quiz, user=user)
    html = learner_client.get(reverse("quizzes:take", args=[attempt.pk])).content.decode()
    for row, version in _rows(attempt):
        fast = rendering.question_html(row, version, check_button=False)
        assert parse_html(fast) in parse_html(html)
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
    paper = _rows(attempt)
    allowed = {r.pk for r, version in paper if rendering.fast_path_allowed(r, version)}
    assert allowed == set(views) - {row.pk}  # shows its outcome: the template renders it
    block = rendering.questions_block([r for r, _version in paper], check_button=True)
    checked = _template(views[row.pk], check_button=True)
    assert parse_html(checked) in parse_html(block)
    assert "question__outcome" in checked
    for r, version in paper:
        if r.pk != row.pk:
            fast = rendering.question_html(r, version, check_button=True)
            assert parse_html(fast) in parse_html(block)
