"""Pieces of every page's frame built in Python: the header's language switcher.

The switcher is on every page, the exam page included, and as a template (an include, three
i18n tags, a loop over the languages) it was a tenth of that page's rendering (issue 12). Its
markup depends only on the language, apart from the CSRF token and the page to come back to,
so it is built once per language and process, and those two are filled in per request."""

from __future__ import annotations

from functools import lru_cache
from html import escape

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext as _

register = template.Library()


@lru_cache(maxsize=16)
def _switcher_parts(language: str | None, action: str) -> tuple[str, str]:
    """The markup before the CSRF token and after the `next` value, for one language."""
    options = "".join(
        # Each language in its own name (简体中文 / English), as users look for their own.
        f'<option value="{escape(code)}" lang="{escape(code)}"'
        f'{" selected" if code == language else ""}>'
        f'{escape(get_language_info(code)["name_local"])}</option>'
        for code, _name in settings.LANGUAGES)
    head = f'<form class="language-switcher" action="{escape(action)}" method="post">'
    tail = (f'<label class="visually-hidden" for="language-select">{escape(_("Language"))}'
            f'</label><select id="language-select" name="language">{options}</select>'
            f'<button type="submit">{escape(_("Switch"))}</button></form>')
    return head, tail


@register.simple_tag(takes_context=True)
def language_switcher(context) -> SafeString:
    """The language form: POSTs to Django's set_language and comes back to this page."""
    request = context.get("request")
    head, tail = _switcher_parts(get_language(), reverse("set_language"))
    token = context.get("csrf_token")
    csrf = (f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(str(token))}">'
            if token and str(token) != "NOTPROVIDED" else "")
    back = escape(request.get_full_path()) if request is not None else ""
    return mark_safe(  # noqa: S308 (escaped above, per piece)
        f'{head}{csrf}<input name="next" type="hidden" value="{back}">{tail}')
