"""Create or refresh the demo content of every app: `python manage.py seed_demo`.

Each project app may have a `demo` module with `ORDER` (int) and `seed(*, log) -> dict`; they run
in ORDER, so the organisation exists before content that refers to it. The command lives in the
lowest app and discovers the others by name, so no app imports one above it. Every seeder is
idempotent: running the command twice leaves the same rows.
"""

import time
from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

PROJECT_APPS = ("portal", "departments", "quizzes", "casebook", "courses", "assessments")


def demo_modules():
    """The `demo` modules of the project's apps, in their declared ORDER."""
    found = []
    for config in apps.get_app_configs():
        if config.name not in PROJECT_APPS:
            continue
        try:
            module = import_module(f"{config.name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo":
                raise
            continue
        found.append(module)
    return sorted(found, key=lambda m: getattr(m, "ORDER", 100))


class Command(BaseCommand):
    help = "Create or refresh demo content (organisation, accounts, policies, …); idempotent."

    def handle(self, *args, **options):
        started = time.monotonic()
        for module in demo_modules():
            app_label = module.__name__.split(".")[0]
            self.stdout.write(f"[{app_label}] seeding …")
            try:
                counts = module.seed(log=lambda line, a=app_label: self.stdout.write(
                    f"[{a}] {line}"))
            except Exception as exc:
                raise CommandError(f"[{app_label}] {exc}") from exc
            summary = ", ".join(f"{name}: {value}" for name, value in (counts or {}).items())
            self.stdout.write(f"[{app_label}] {summary}")
        self.stdout.write(self.style.SUCCESS(
            f"demo content ready in {time.monotonic() - started:.1f} s"))
