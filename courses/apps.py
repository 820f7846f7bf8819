from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "courses"
    verbose_name = _("Courses and training")

    def ready(self):
        from courses import receivers  # noqa: F401 - connects the quiz and exercise receivers
        from courses.notifications import receivers as notification_receivers  # noqa: F401
