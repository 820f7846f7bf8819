"""Baselines for the exam endpoints, served through the same middleware as the real views:
what a logged-in request costs before any quiz code runs."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.template import engines
from django.views.decorators.http import require_POST, require_safe

BASELINE_TABLE = "bench_loadtest_insert"
MAX_VALUE = 50

TRIVIAL_TEMPLATE = engines["django"].from_string(
    "<!doctype html><html lang=\"zh-hans\"><head><meta charset=\"utf-8\">"
    "<title>基准页</title></head><body><p>{{ user.get_username }}</p></body></html>")


def baseline_table_create() -> None:
    """The table the INSERT baseline writes to (no model: it exists only in benchmark runs)."""
    key = "BIGSERIAL PRIMARY KEY" if connection.vendor == "postgresql" else \
        "INTEGER PRIMARY KEY AUTOINCREMENT"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {BASELINE_TABLE} (id {key}, "
                       f"user_id BIGINT NOT NULL, value VARCHAR({MAX_VALUE}) NOT NULL)")


@login_required
@require_POST
def baseline_insert(request):
    """Baseline of autosave, start and submit: a login-required POST doing one INSERT."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {BASELINE_TABLE} (user_id, value) VALUES (%s, %s)",  # noqa: S608
                       [request.user.pk, request.POST.get("value", "")[:MAX_VALUE]])
    return JsonResponse({"saved": True})


@login_required
@require_safe
def baseline_page(request):
    """Baseline of the attempt page: a login-required GET rendering a trivial template."""
    return HttpResponse(TRIVIAL_TEMPLATE.render({}, request))
