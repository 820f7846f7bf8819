"""Views of the casebook outside the pages: the indicator library, its autocomplete for the
goal-table editor, and the learner's list of exercises."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from casebook import selectors
from casebook.forms import IndicatorFilterForm

AUTOCOMPLETE_RATE_LIMIT = 120  # requests per user per minute
AUTOCOMPLETE_RATE_WINDOW = 60
PER_PAGE = 25
ERROR_QUERY_TOO_LONG = "The query is too long (at most {limit} characters)."
ERROR_RATE_LIMITED = "Too many requests; wait a minute and try again."
ERROR_LOGIN_REQUIRED = "Log in to use the indicator library."
_CLASS_CODE = re.compile(r"^\d{3}$")
_MAX_FILTER = 50


@login_required
@require_GET
def indicator_library(request):
    """The indicator library: substring search with filters by class, levels and source."""
    form = IndicatorFilterForm(
        request.GET or None,
        func_classes=selectors.functional_classes_current(),
        level2_values=selectors.indicator_level2_values(),
    )
    filters = form.valid_filters()
    indicators = selectors.indicators_search(**filters)
    page = Paginator(indicators, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "casebook/indicator_library.html", {
        "filter_form": form, "filters_active": bool(filters), "indicators": page,
        "filter_querystring": form.querystring(filters),
        "query_terms": selectors.indicator_query_terms(filters.get("q")),
    })


def _rate_limited(user_id: int) -> bool:
    key = f"casebook:autocomplete:{user_id}"
    if cache.add(key, 1, AUTOCOMPLETE_RATE_WINDOW):
        return False
    try:
        return cache.incr(key) > AUTOCOMPLETE_RATE_LIMIT
    except ValueError:  # expired between add and incr
        cache.add(key, 1, AUTOCOMPLETE_RATE_WINDOW)
        return False


def _short(value: str | None) -> str:
    return re.sub(r"[\x00-\x1f\x7f]", "", value or "").strip()[:_MAX_FILTER]


@never_cache
@login_required
@require_GET
def my_exercises(request):
    """我的练习: every exercise open to the learner with their best score, attempts and pass."""
    items = selectors.exercises_of_learner(user=request.user)
    return render(request, "casebook/my_exercises.html", {
        "items": items, "statuses": selectors.ExerciseStatus,
        "passed_count": sum(1 for item in items if item.passed),
    })


@never_cache
@require_GET
def indicator_autocomplete(request):
    """JSON suggestions for the goal-table editor: ≤ 20 indicators matching q and filters."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": _(ERROR_LOGIN_REQUIRED)}, status=401)
    q = request.GET.get("q", "")
    if len(q) > selectors.QUERY_MAX_LENGTH:
        return JsonResponse({"error": _(ERROR_QUERY_TOO_LONG).format(
            limit=selectors.QUERY_MAX_LENGTH)}, status=400)
    if _rate_limited(request.user.pk):
        return JsonResponse({"error": _(ERROR_RATE_LIMITED)}, status=429)
    func_class = _short(request.GET.get("class"))
    if not _CLASS_CODE.match(func_class):
        func_class = ""  # a bad class filter is ignored
    level1 = _short(request.GET.get("level1"))
    level2 = _short(request.GET.get("level2"))
    if not (selectors.indicator_query_terms(q) or func_class or level1 or level2):
        return JsonResponse({"results": []})
    results = selectors.indicators_autocomplete(q=q, func_class=func_class or None,
                                                level1=level1 or None, level2=level2 or None)
    return JsonResponse({"results": results})
