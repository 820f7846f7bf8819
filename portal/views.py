"""Views of the public site that are not Wagtail pages."""

from urllib.parse import urlencode

from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app as celery_app
from portal.search import QUERY_MAX_LENGTH
from portal.selectors import site_search


@never_cache
@require_GET
def healthz(request):
    """Load-balancer health check: 200 when the database and the Celery broker answer, else 503."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not healthy"; report the class, not secrets
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks},
                        status=200 if healthy else 503)


@require_GET
def favicon(request):
    """/favicon.ico for browsers and tools that ask for it without reading the page's <link>."""
    # A temporary redirect: the hashed static name changes whenever the icon does.
    response = HttpResponseRedirect(static("img/favicon.ico"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_GET
def search(request):
    """Site search (policies now; courses and cases later) for Chinese substrings."""
    query = (request.GET.get("q") or "").strip()[:QUERY_MAX_LENGTH]
    kind = (request.GET.get("kind") or "").strip()[:32] or None
    results = site_search(query=query, user=request.user, kind=kind,
                          page=request.GET.get("page"), request=request)
    params = {"q": query, **({"kind": kind} if kind else {})}
    return render(request, "portal/search.html", {
        "search_query": query,
        "results": results,
        "querystring": urlencode(params),
        "max_length": QUERY_MAX_LENGTH,
    })
