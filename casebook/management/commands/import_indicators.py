"""python manage.py import_indicators PATH.xlsx [--dry-run] | --template PATH.xlsx"""

from django.core.management.base import BaseCommand, CommandError

from casebook.services import IMPORT_HEADERS, indicator_template_write, indicators_import


class Command(BaseCommand):
    help = ("Import indicators into the library from .xlsx with the columns "
            + " | ".join(IMPORT_HEADERS) + ". All rows are validated first; on any error "
            "nothing is written and the exit code is 1. --template writes an empty template.")

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--dry-run", action="store_true",
                            help="Validate and report only; write nothing.")
        parser.add_argument("--template", action="store_true",
                            help="Write the import template to PATH instead of importing.")

    def handle(self, *args, path, dry_run=False, template=False, **options):
        if template:
            indicator_template_write(path=path)
            self.stdout.write(f"Template written to {path}")
            return
        result = indicators_import(path=path, dry_run=dry_run)
        for error in result.errors:
            self.stderr.write(error)
        if result.errors:
            raise CommandError(f"{len(result.errors)} error(s); nothing was imported.")
        verb = "would be created" if dry_run else "created"
        self.stdout.write(
            f"{result.rows} rows: {result.created} indicators {verb}, {result.skipped} already "
            f"in the library" + (f", new 款: {', '.join(result.new_subclasses)}"
                                 if result.new_subclasses else "") + "."
        )
