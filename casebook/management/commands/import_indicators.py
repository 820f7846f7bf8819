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
        # Like the other CLIs: the command's own lines are bilingual; the service's row errors
        # come in the site language (zh-hans unless LANGUAGE_CODE says otherwise).
        if template:
            indicator_template_write(path=path)
            self.stdout.write(f"模板已写入 / template written to {path}")
            return
        result = indicators_import(path=path, dry_run=dry_run)
        for error in result.errors:
            self.stderr.write(error)
        if result.errors:
            raise CommandError(f"{len(result.errors)} 处错误，未导入任何指标 / "
                               f"{len(result.errors)} error(s); nothing was imported.")
        prefix = "[试运行 / dry run] " if dry_run else ""
        verb = "would be created" if dry_run else "created"
        new_subclasses = ", ".join(result.new_subclasses)
        self.stdout.write(
            f"{prefix}行数 rows: {result.rows}; 新增指标 {result.created} "
            f"indicators {verb}; 库中已有 already in the library: {result.skipped}"
            + (f"; 新增款 new 款: {new_subclasses}" if new_subclasses else "") + "."
        )
