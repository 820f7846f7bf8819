from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "portal"
    verbose_name = _("Portal and policy library")

    def ready(self):
        from django.db.models.signals import post_migrate

        from portal import signals  # noqa: F401  (connects the search index handlers)

        # Sent once per app: dispatch_uid keeps one receiver, and the sender check runs it once.
        post_migrate.connect(cache_tables_create, sender=self, dispatch_uid="portal-cache-table")
        post_migrate.connect(wagtail_names_translate, sender=self,
                             dispatch_uid="portal-wagtail-names")


def cache_tables_create(sender, *, using="default", verbosity=1, **kwargs):
    """Create the database cache table with the other tables, so that the plain Django sequence
    (migrate, seed_demo, runserver) works without a separate `createcachetable`."""
    from django.core.management import call_command

    # Idempotent, and a no-op unless a cache uses the database backend.
    call_command("createcachetable", database=using, verbosity=max(verbosity - 1, 0))


def wagtail_names_translate(sender, *, apps=None, using="default", **kwargs):
    """Rename the English rows Wagtail's migrations create (tree root, default workflow and
    task) on every migrate, so a new install shows Chinese names; only exact defaults change."""
    from portal.services import wagtail_default_names_translate

    wagtail_default_names_translate(registry=apps, using=using)
