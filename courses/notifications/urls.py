"""/my/notifications/: the list, opening one (marks it read) and "全部标为已读"."""

from django.urls import path

from courses.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:notification_id>/open/", views.notification_open, name="open"),
    path("read-all/", views.notifications_read_all, name="read_all"),
]
