"""Import questions from a file into a question bank, all or nothing.

    python manage.py import_questions PATH --format {xlsx,gift,moodle-xml}
        [--bank NAME] [--category NAME] [--skip-unsupported] [--dry-run]

- ``--bank``: the question bank (created if missing; default "默认题库").
- ``--category``: a category path put in front of every question's category
  ("2025年度" + "绩效评价/方法" -> "2025年度/绩效评价/方法").
- ``--skip-unsupported``: GIFT/Moodle XML questions of unsupported types (matching, numerical,
  cloze with choices …) are skipped and listed instead of failing the import.
- ``--dry-run``: validate everything and print what would be imported; nothing is written.

Prints the number of questions by type (and the skipped ones). On any error it prints every
error (spreadsheet row and column, or the question's name) and exits with status 1 having
imported nothing. GIFT text may be UTF-8 (with or without BOM) or GBK.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from quizzes import formats
from quizzes.formats.common import KIND_LABELS

DEFAULT_BANK = "默认题库"


class Command(BaseCommand):
    help = "Import questions (xlsx, GIFT, Moodle XML) into a question bank; all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The file to import.")
        parser.add_argument("--format", required=True, choices=formats.IMPORT_FORMATS,
                            dest="file_format")
        parser.add_argument("--bank", default=DEFAULT_BANK,
                            help="Question bank name (created if missing).")
        parser.add_argument("--category", default="",
                            help="Category path put in front of every imported category.")
        parser.add_argument("--skip-unsupported", action="store_true",
                            help="Skip and list questions of unsupported types.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Validate and report; write nothing.")

    def handle(self, *args, path, file_format, bank, category, skip_unsupported, dry_run,
               **options):
        result = formats.parse(path, format=file_format, skip_unsupported=skip_unsupported)
        result = formats.with_category_prefix(result, category)
        for warning in result.warnings:
            self.stderr.write(f"警告 warning: {warning}")
        if result.errors:
            self._fail([str(e) for e in result.errors])

        from quizzes.services import question_bank_get_or_create, questions_import

        with transaction.atomic():
            question_bank = question_bank_get_or_create(name=bank)
            report = questions_import(bank=question_bank, questions=result.questions,
                                      dry_run=dry_run)
            if dry_run or report.errors:
                transaction.set_rollback(True)  # the bank too: a failed or dry run writes nothing
        if report.errors:
            self._fail([str(e) for e in report.errors])

        prefix = "[试运行 / dry run] " if dry_run else ""
        verb = "将导入 would import" if dry_run else "已导入 imported"
        self.stdout.write(f"{prefix}{verb} {len(result.questions)} 题 questions → {bank}")
        counts = result.counts_by_kind()
        for kind, label in KIND_LABELS.items():
            if counts.get(kind):
                self.stdout.write(f"  {label} {kind}: {counts[kind]}")
        if result.skipped:
            self.stdout.write(f"  跳过 skipped (unsupported): {len(result.skipped)}")
            for skipped in result.skipped:
                self.stdout.write(f"    {skipped}")

    def _fail(self, errors: list[str]):
        for error in errors:
            self.stderr.write(error)
        raise CommandError(
            f"{len(errors)} 处错误，未导入任何题目 / {len(errors)} error(s), nothing imported")
