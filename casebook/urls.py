"""URLs of the casebook under /casebook/ (case pages themselves are served by Wagtail)."""

from django.urls import path

from casebook import views

app_name = "casebook"

urlpatterns = [
    path("indicators/", views.indicator_library, name="indicator_library"),
    path("indicators/autocomplete", views.indicator_autocomplete,
         name="indicator_autocomplete"),
]
