"""The benchmark's URLconf: the project's URLs plus the two baselines (mounted nowhere else)."""

from django.urls import path

from bench.loadtest import views
from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("bench/insert/", views.baseline_insert, name="loadtest_insert"),
    path("bench/page/", views.baseline_page, name="loadtest_page"),
    *project_urlpatterns,
]
