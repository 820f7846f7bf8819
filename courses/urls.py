from django.urls import path

from courses import views

app_name = "courses"

urlpatterns = [
    path("lessons/<int:lesson_id>/heartbeat/", views.heartbeat, name="heartbeat"),
    path("lessons/<int:lesson_id>/complete/", views.complete, name="complete"),
]
