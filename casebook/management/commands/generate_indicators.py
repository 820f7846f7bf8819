"""python manage.py generate_indicators --count 100000 (synthetic library for benchmarks)"""

import time

from django.core.management.base import BaseCommand, CommandError

from casebook.services import indicators_generate

MAX_COUNT = 2_000_000


class Command(BaseCommand):
    help = "Add synthetic indicators (with their search index) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, count, seed, **options):
        if not 0 < count <= MAX_COUNT:
            raise CommandError(f"--count must be between 1 and {MAX_COUNT}.")
        started = time.perf_counter()
        created = indicators_generate(count=count, seed=seed)
        self.stdout.write(f"{created} indicators generated in "
                          f"{time.perf_counter() - started:.1f} s.")
