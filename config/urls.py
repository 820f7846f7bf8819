from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from courses import views as courses_views
from portal import views as portal_views

urlpatterns = [
    path("healthz", portal_views.healthz, name="healthz"),
    path("favicon.ico", portal_views.favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("departments.urls.accounts")),
    path("roster/", include("departments.urls.roster")),
    # Before Wagtail's admin: the site history scoped to what the user may see.
    path("admin/reports/", include("departments.urls.admin_reports")),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("search/", portal_views.search, name="search"),
    path("casebook/", include("casebook.urls")),
    path("quizzes/", include("quizzes.urls")),
    path("courses/", include("courses.urls")),
    path("my/training/", courses_views.my_training, name="my_training"),
    path("certificates/", include("courses.certificates.urls")),
    path("my/notifications/", include("courses.notifications.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
