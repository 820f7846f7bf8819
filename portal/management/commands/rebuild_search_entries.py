"""Rebuild the site search table from every live searchable page."""

from django.core.management.base import BaseCommand

from portal.services import search_entries_rebuild


class Command(BaseCommand):
    help = "Rebuild portal.SearchEntry (site search) from all live searchable pages."

    def handle(self, *args, **options):
        indexed, removed = search_entries_rebuild()
        self.stdout.write(f"indexed {indexed} pages, removed {removed} stale entries")
