"""The site-history report, scoped (departments.admin_reports), at Wagtail's own URLs.

config/urls.py includes these before Wagtail's admin URLs, so /admin/reports/site-history/ and its
results URL resolve here and every reverse("wagtailadmin_reports:site_history...") still works.
The views get the decorators Wagtail puts on its admin URLs.
"""

from django.urls import path
from django.views.decorators.cache import never_cache
from wagtail.admin.auth import require_admin_access

from departments.admin_reports import SiteHistoryView

app_name = "departments_reports"


def _admin_view(view):
    return never_cache(require_admin_access(view))


urlpatterns = [
    path("site-history/", _admin_view(SiteHistoryView.as_view()), name="site_history"),
    path(
        "site-history/results/",
        _admin_view(SiteHistoryView.as_view(results_only=True)),
        name="site_history_results",
    ),
]
