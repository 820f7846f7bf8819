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

from django.template.defaultfilters import floatformat, linebreaksbr
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from quizzes.models import Kind


def _join(parts) -> SafeString:
    """Concatenate escaped pieces, staying safe (format_html escapes anything that is not)."""
    parts = list(parts)
    return format_html("{}" * len(parts), *parts)


def fast_path_allowed(view) -> bool:
    """Plain markup is enough: no figure, nothing checked, shown or revealed."""
    return not (view.figure or view.checked or view.show_responses or view.reveal_answers
                or view.reveal_explanation)


def _stem(view) -> SafeString:
    if view.kind != Kind.FILL:
        return linebreaksbr(view.text, autoescape=True)
    given = (view.answer or {}).get("blanks") or []
    parts = []
    for text, blank in view.segments:
        if blank is None:
            parts.append(linebreaksbr(text, autoescape=True))
        else:
            parts.append(format_html(
                '<input type="text" class="blank" name="q{}_{}" maxlength="500" '
                'aria-label="{}" value="{}">', view.id, blank,
                _("Blank %(n)s") % {"n": blank + 1},
                given[blank] if blank < len(given) else ""))
    return _join(parts)


def _options(view) -> SafeString:
    if view.kind in (Kind.SINGLE, Kind.MULTIPLE):
        kind = "radio" if view.kind == Kind.SINGLE else "checkbox"
        items = _join(
            format_html('<li class="choice"><label><input type="{}" name="q{}" value="{}"{}> '
                        '<span class="choice__letter">{}.</span> {}</label></li>',
                        kind, view.id, c["value"], mark_safe(" checked") if c["selected"] else "",
                        c["letter"], c["text"])
            for c in view.choices)
        return format_html('<ul class="choices">{}</ul>', items)
    if view.kind == Kind.TRUE_FALSE:
        value = (view.answer or {}).get("value")
        return format_html(
            '<ul class="choices"><li class="choice"><label><input type="radio" name="q{}" '
            'value="true"{}> {}</label></li><li class="choice"><label><input type="radio" '
            'name="q{}" value="false"{}> {}</label></li></ul>',
            view.id, mark_safe(" checked") if value is True else "", _("True"),
            view.id, mark_safe(" checked") if value is False else "", _("False"))
    if view.kind == Kind.ESSAY:
        return format_html(
            '<label class="visually-hidden" for="essay-{}">{}</label><textarea id="essay-{}" '
            'name="q{}" rows="6" maxlength="20000">{}</textarea>',
            view.id, _("Your answer"), view.id, view.id, (view.answer or {}).get("text") or "")
    return SafeString("")


def question_html(view, *, check_button: bool) -> SafeString:
    """One question fieldset of the attempt page (see `fast_path_allowed`)."""
    points = _("%(points)s points") % {"points": floatformat(view.points, "-2")}
    check = ""
    if check_button and view.kind != Kind.ESSAY:
        check = format_html('<button type="submit" name="action" value="check:{}" '
                            'class="button button--secondary">{}</button>', view.id,
                            _("Check answer"))
    return format_html(
        '<fieldset class="question card" id="q-{}" data-question="{}"><legend>'
        '<span class="question__number">{}.</span> <span class="badge">{}</span> '
        '<span class="muted">{}</span></legend><p class="question__text">{}</p>{}{}</fieldset>',
        view.id, view.id, view.number, view.kind_label, points,
        _stem(view), _options(view), check)


def questions_html(views, *, check_button: bool) -> None:
    """Give each view that can take the fast path its `html` (others keep None)."""
    for view in views:
        view.html = (question_html(view, check_button=check_button)
                     if fast_path_allowed(view) else None)

