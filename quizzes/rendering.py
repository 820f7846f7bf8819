"""The attempt page's questions as HTML built in Python (issue 12).

On exam day the attempt page is the most requested page, and Django's template engine spent most
of its time on the 20 question fieldsets (one include, several loops and a localized lookup per
option). An unanswered-or-answered, not yet checked question without a figure is plain markup,
built here with the same classes, names and strings as `quizzes/_question.html`; everything else
(a checked practice question, feedback, a figure) still goes through the template.
tests/quizzes/test_fast_question_html.py renders both ways and compares them, so the two cannot
drift apart unnoticed.

Nothing here reveals an answer: the fast path takes only questions whose view shows no responses
and reveals nothing, and options carry their per-attempt tokens, never choice ids."""

from __future__ import annotations

from functools import lru_cache
from html import escape

from django.template.defaultfilters import floatformat
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from quizzes.models import Kind

# Markup is joined from pieces escaped once: the stem and option texts by
# quizzes.version_cache (per version, per process), labels here (per language), answers and ids
# below. format_html's per-argument escaping was most of the page's time (issue 12).


def fast_path_allowed(view) -> bool:
    """Plain markup is enough: no figure, nothing checked, shown or revealed."""
    return not (view.figure or view.checked or view.show_responses or view.reveal_answers
                or view.reveal_explanation)


@lru_cache(maxsize=64)
def _labels(language: str | None) -> dict[str, str]:
    return {"true": escape(_("True")), "false": escape(_("False")),
            "answer": escape(_("Your answer")), "check": escape(_("Check answer"))}


@lru_cache(maxsize=256)
def _points(points, language: str | None) -> str:
    return escape(_("%(points)s points") % {"points": floatformat(points, "-2")})


@lru_cache(maxsize=256)
def _blank_label(number: int, language: str | None) -> str:
    return escape(_("Blank %(n)s") % {"n": number})


def _stem(view, language) -> str:
    if view.kind != Kind.FILL:
        return view.text_html
    given = (view.answer or {}).get("blanks") or []
    parts = []
    for text, blank in view.segments_html:
        if blank is None:
            parts.append(text)
        else:
            value = escape(str(given[blank])) if blank < len(given) else ""
            parts.append(f'<input type="text" class="blank" name="q{view.id}_{blank}" '
                         f'maxlength="500" aria-label="{_blank_label(blank + 1, language)}" '
                         f'value="{value}">')
    return "".join(parts)


def _options(view, labels) -> str:
    if view.kind in (Kind.SINGLE, Kind.MULTIPLE):
        kind = "radio" if view.kind == Kind.SINGLE else "checkbox"
        name = f"q{view.id}"
        items = "".join(
            f'<li class="choice"><label><input type="{kind}" name="{name}" '
            f'value="{escape(c["value"])}"{" checked" if c["selected"] else ""}> '
            f'<span class="choice__letter">{c["letter"]}.</span> {c["html"]}</label></li>'
            for c in view.choices)
        return f'<ul class="choices">{items}</ul>'
    if view.kind == Kind.TRUE_FALSE:
        value = (view.answer or {}).get("value")
        return (f'<ul class="choices"><li class="choice"><label><input type="radio" '
                f'name="q{view.id}" value="true"{" checked" if value is True else ""}> '
                f'{labels["true"]}</label></li><li class="choice"><label><input type="radio" '
                f'name="q{view.id}" value="false"{" checked" if value is False else ""}> '
                f'{labels["false"]}</label></li></ul>')
    if view.kind == Kind.ESSAY:
        text = escape(str((view.answer or {}).get("text") or ""))
        return (f'<label class="visually-hidden" for="essay-{view.id}">{labels["answer"]}'
                f'</label><textarea id="essay-{view.id}" name="q{view.id}" rows="6" '
                f'maxlength="20000">{text}</textarea>')
    return ""


def question_html(view, *, check_button: bool) -> SafeString:
    """One question fieldset of the attempt page (see `fast_path_allowed`)."""
    language = get_language()
    labels = _labels(language)
    check = ""
    if check_button and view.kind != Kind.ESSAY:
        check = (f'<button type="submit" name="action" value="check:{view.id}" '
                 f'class="button button--secondary">{labels["check"]}</button>')
    return mark_safe(  # noqa: S308 (every piece is escaped above or in version_cache)
        f'<fieldset class="question card" id="q-{view.id}" data-question="{view.id}"><legend>'
        f'<span class="question__number">{view.number}.</span> <span class="badge">'
        f'{escape(str(view.kind_label))}</span> <span class="muted">'
        f'{_points(view.points, language)}</span></legend><p class="question__text">'
        f'{_stem(view, language)}</p>{_options(view, labels)}{check}</fieldset>')


def questions_html(views, *, check_button: bool) -> None:
    """Give each view that can take the fast path its `html` (others keep None)."""
    for view in views:
        view.html = (question_html(view, check_button=check_button)
                     if fast_path_allowed(view) else None)


@lru_cache(maxsize=64)
def _nav_labels(language: str | None) -> tuple[str, str]:
    return escape(_("answered")), escape(_("Questions"))


def nav_html(nav, *, per_page: bool) -> SafeString:
    """The question navigation above the form, as `quizzes/attempt_take.html` had it: one item
    per question, answered and current marked, a button per page (one question per page) or a
    link to the question (all on one page)."""
    answered_label, label = _nav_labels(get_language())
    items = []
    for n in nav:
        classes = "question-nav__item"
        if n["answered"]:
            classes += " is-answered"
        if n["current"]:
            classes += " is-current"
        number = n["number"]
        if per_page:
            target = (f'<button form="attempt-form" type="submit" name="action" '
                      f'value="goto:{number}" class="link-button">{number}</button>')
        else:
            target = f'<a href="#q-nav-{number}">{number}</a>'
        state = answered_label if n["answered"] else ""
        items.append(f'<span class="{classes}" data-nav-question="{n["id"]}">{target}'
                     f'<span class="visually-hidden nav-state" data-answered-label='
                     f'"{answered_label}">{state}</span></span>')
    return mark_safe(  # noqa: S308 (numbers and escaped labels only)
        f'<nav class="question-nav" aria-label="{label}">{"".join(items)}\n</nav>')


def questions_block(views, *, check_button: bool) -> SafeString:
    """Every question of the page with its navigation anchor: the fast markup where it applies,
    `quizzes/_question.html` for the rest (a figure, a checked practice question)."""
    from django.template.loader import render_to_string

    parts = []
    for view in views:
        html = view.html
        if html is None:
            html = render_to_string("quizzes/_question.html", {
                "q": view, "readonly": view.checked, "check_button": check_button})
        parts.append(f'<span id="q-nav-{view.number}"></span>{html}')
    return mark_safe("".join(parts))  # noqa: S308 (each part is escaped markup)
