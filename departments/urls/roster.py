"""/roster/: the address home pages seeded before 2026-12 link to; it is the learner list in
the admin (department admins see their own department there, the bureau all)."""

from django.urls import path
from django.views.generic import RedirectView

app_name = "roster"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="org_learners:index"), name="index"),
]
