from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_roles_after_migrate(sender, app_config=None, using="default", **kwargs):
    # post_migrate is sent once per app; run after the last one, when the content types and
    # permissions of every app (Wagtail's included) exist.
    from django.apps import apps

    configs = list(apps.get_app_configs())
    if app_config is None or app_config.label != configs[-1].label:
        return
    from departments.services import roles_ensure

    roles_ensure()


class DepartmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "departments"
    verbose_name = _("Departments and learners")

    def ready(self):
        post_migrate.connect(_ensure_roles_after_migrate, dispatch_uid="departments.roles_ensure")
        from departments.exports import admin_exports_harden

        admin_exports_harden()
        from departments.signals import account_activity_receivers_connect

        account_activity_receivers_connect()
        from django.contrib.auth.signals import user_logged_in

        from departments.middleware import remember_flag_at_login

        user_logged_in.connect(remember_flag_at_login,
                               dispatch_uid="departments.password_flag_at_login")
