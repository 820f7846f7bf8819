"""The attempt page's questions as HTML built in Python (issue 12).

On exam day the attempt page is the most requested page. Django's template engine spent most
of its time on the 20 question fieldsets (one include, several loops and a localized lookup per
option), and building a view model per question (`selectors.question_views`) cost about as much
again. An unanswered-or-answered, not yet checked question without a figure is plain markup,
built here straight from its paper row (`selectors.attempt_paper`) and its cached version
(`quizzes.version_cache`), with the same classes, names and strings as `quizzes/_question.html`;
everything else (a checked practice question with its outcome, a figure) still goes through a
view model and the template. tests/quizzes/test_fast_question_html.py renders both ways and
compares them, so the two cannot drift apart unnoticed.

Nothing here reveals an answer: the fast path takes only questions that are not checked (so it
shows no outcome, correct option or explanation), and options carry their per-attempt tokens,
never choice ids."""

from __future__ import annotations

from functools import lru_cache
from html import escape

from django.template.defaultfilters import floatformat
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from quizzes import choice_tokens, selectors, version_cache
from quizzes.models import Kind

# Markup is joined from pieces escaped once: the stem and option texts by
# quizzes.version_cache (per version, per process), labels here (per language), answers and ids
# below. format_html's per-argument escaping was most of the page's time (issue 12).


def fast_path_allowed(row, version: version_cache.VersionData) -> bool:
    """Plain markup is enough: no figure, and not checked (a checked practice question shows
    its outcome, the correct answer and the explanation)."""
    return not (row.checked or version.figure_id)


@lru_cache(maxsize=64)
def _labels(language: str | None) -> dict[str, str]:
    return {"true": escape(_("True")), "false": escape(_("False")),
            "answer": escape(_("Your answer")), "check": escape(_("Check answer"))}


@lru_cache(maxsize=64)
def _kind_label(kind: str, language: str | None) -> str:
    return escape(str(Kind(kind).label))


@lru_cache(maxsize=256)
def _points(points, language: str | None) -> str:
    return escape(_("%(points)s points") % {"points": floatformat(points, "-2")})


@lru_cache(maxsize=256)
def _blank_label(number: int, language: str | None) -> str:
    return escape(_("Blank %(n)s") % {"n": number})


def _stem(row, version, language) -> str:
    if row.kind != Kind.FILL:
        return version.text_html
    given = (row.answer or {}).get("blanks") or []
    parts = []
    for text, blank in version.segments:
        if blank is None:
            parts.append(text)
        else:
            value = escape(str(given[blank])) if blank < len(given) else ""
            parts.append(f'<input type="text" class="blank" name="q{row.pk}_{blank}" '
                         f'maxlength="500" aria-label="{_blank_label(blank + 1, language)}" '
                         f'value="{value}">')
    return "".join(parts)


def _options(row, version, labels) -> str:
    if row.kind in (Kind.SINGLE, Kind.MULTIPLE):
        kind = "radio" if row.kind == Kind.SINGLE else "checkbox"
        name = f"q{row.pk}"
        choices = version.choices_in(row.choice_order)
        # Per-attempt tokens, never choice ids (see quizzes.choice_tokens).
        tokens = choice_tokens.choice_token_list(attempt_question_id=row.pk,
                                                 choice_ids=[c.id for c in choices])
        chosen = set((row.answer or {}).get("choices") or ())
        items = "".join(
            f'<li class="choice"><label><input type="{kind}" name="{name}" '
            f'value="{token}"{" checked" if c.id in chosen else ""}> '
            f'<span class="choice__letter">{chr(letter)}.</span> {c.html}</label></li>'
            for letter, c, token in zip(range(65, 65 + len(choices)), choices, tokens,
                                        strict=True))
        return f'<ul class="choices">{items}</ul>'
    if row.kind == Kind.TRUE_FALSE:
        value = (row.answer or {}).get("value")
        return (f'<ul class="choices"><li class="choice"><label><input type="radio" '
                f'name="q{row.pk}" value="true"{" checked" if value is True else ""}> '
                f'{labels["true"]}</label></li><li class="choice"><label><input type="radio" '
                f'name="q{row.pk}" value="false"{" checked" if value is False else ""}> '
                f'{labels["false"]}</label></li></ul>')
    if row.kind == Kind.ESSAY:
        text = escape(str((row.answer or {}).get("text") or ""))
        return (f'<label class="visually-hidden" for="essay-{row.pk}">{labels["answer"]}'
                f'</label><textarea id="essay-{row.pk}" name="q{row.pk}" rows="6" '
                f'maxlength="20000">{text}</textarea>')
    return ""


def question_html(row, version: version_cache.VersionData, *, check_button: bool,
                  language: str | None = None) -> SafeString:
    """One question fieldset of the attempt page from its paper row and its version (see
    `fast_path_allowed`), in the active language or the one given."""
    language = language or get_language()
    labels = _labels(language)
    check = ""
    if check_button and row.kind != Kind.ESSAY:
        check = (f'<button type="submit" name="action" value="check:{row.pk}" '
                 f'class="button button--secondary">{labels["check"]}</button>')
    return mark_safe(  # noqa: S308 (every piece is escaped above or in version_cache)
        f'<fieldset class="question card" id="q-{row.pk}" data-question="{row.pk}"><legend>'
        f'<span class="question__number">{row.order}.</span> <span class="badge">'
        f'{_kind_label(row.kind, language)}</span> <span class="muted">'
        f'{_points(row.points, language)}</span></legend><p class="question__text">'
        f'{_stem(row, version, language)}</p>{_options(row, version, labels)}{check}'
        f'</fieldset>')


def questions_block(rows, *, check_button: bool) -> SafeString:
    """Every question of the page (paper rows in order) with its navigation anchor: the fast
    markup where it applies, a view model and `quizzes/_question.html` for the rest (a figure,
    a checked practice question). Versions come from memory (no query when they are there);
    the figures' query only when a page has one."""
    from django.template.loader import render_to_string

    versions = selectors.versions_of(rows)
    language = get_language()
    html = {row.pk: question_html(row, versions[row.version_id], check_button=check_button,
                                  language=language)
            for row in rows if fast_path_allowed(row, versions[row.version_id])}
    others = [row for row in rows if row.pk not in html]
    for view in selectors.question_views(rows=others) if others else ():
        html[view.id] = render_to_string("quizzes/_question.html", {
            "q": view, "readonly": view.checked, "check_button": check_button})
    return mark_safe(  # noqa: S308 (each part is escaped markup)
        "".join(f'<span id="q-nav-{row.order}"></span>{html[row.pk]}' for row in rows))


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
