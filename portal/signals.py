"""Keep the site search table in step with publishing (see portal.search)."""

from django.dispatch import receiver
from wagtail.signals import page_published, page_unpublished

from portal.search import SearchablePageMixin
from portal.services import search_entry_delete, search_entry_update


@receiver(page_published, dispatch_uid="portal.search_entry_on_publish")
def index_published_page(sender, instance, **kwargs):
    if isinstance(instance, SearchablePageMixin):
        search_entry_update(page=instance)


@receiver(page_unpublished, dispatch_uid="portal.search_entry_on_unpublish")
def drop_unpublished_page(sender, instance, **kwargs):
    search_entry_delete(page_id=instance.pk)
