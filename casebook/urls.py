"""URLs of the casebook under /casebook/ (case pages themselves are served by Wagtail)."""

from django.urls import path

from casebook import views
from casebook.exercises import views as exercise_views

app_name = "casebook"

urlpatterns = [
    path("indicators/", views.indicator_library, name="indicator_library"),
    path("indicators/autocomplete", views.indicator_autocomplete,
         name="indicator_autocomplete"),
    path("exercises/mine/", views.my_exercises, name="my_exercises"),
    path("exercises/<int:pk>/", exercise_views.exercise_detail, name="exercise"),
    path("exercises/<int:pk>/upload/", exercise_views.exercise_upload, name="exercise_upload"),
    path("exercises/<int:pk>/export.xlsx", exercise_views.exercise_export,
         name="exercise_export"),
    # The review queue itself is in the admin (exercise_review:*); these forward old links.
    path("exercises/review/", exercise_views.review_list_legacy, name="review_list"),
    path("exercises/review/<int:pk>/", exercise_views.review_detail_legacy,
         name="review_detail"),
]
