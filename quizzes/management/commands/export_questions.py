"""Export questions to a file.

    python manage.py export_questions --format {xlsx,moodle-xml} -o PATH
        [--bank NAME] [--category NAME]
    python manage.py export_questions --format xlsx --template -o PATH

- ``--bank``: only this question bank (it must exist); default: every bank.
- ``--category``: only this category path and its sub-categories.
- ``--template``: write the empty Excel import template (with its 填写说明 sheet) instead.

The current version of every active question is written; the xlsx file uses the import layout
(formula-safe cells) and the Moodle XML file imports into Moodle and back into this site. The
file is written only when the export succeeds.
"""

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quizzes import formats
from quizzes.formats.common import KIND_LABELS
from quizzes.formats.xlsx import ExportError


class Command(BaseCommand):
    help = "Export questions as an .xlsx workbook (import layout) or a Moodle XML file."

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=formats.EXPORT_FORMATS,
                            dest="file_format")
        parser.add_argument("-o", "--output", required=True, help="The file to write.")
        parser.add_argument("--bank", default="", help="Only this question bank.")
        parser.add_argument("--category", default="",
                            help="Only this category path and its sub-categories.")
        parser.add_argument("--template", action="store_true",
                            help="Write the empty Excel import template (xlsx only).")

    def handle(self, *args, file_format, output, bank, category, template, **options):
        if template:
            if file_format != "xlsx":
                raise CommandError("--template 仅适用于 xlsx / --template needs --format xlsx")
            self._write(output, formats.xlsx_template())
            self.stdout.write(f"模板 template → {output}")
            return

        from quizzes.models import QuestionBank
        from quizzes.services import questions_as_data

        question_bank = None
        if bank:
            question_bank = QuestionBank.objects.filter(name=bank.strip()).first()
            if question_bank is None:
                raise CommandError(f"题库不存在 / no such question bank: {bank}")
        questions = questions_as_data(bank=question_bank, category=category.strip() or None)
        try:
            data = formats.export(questions, format=file_format)
        except ExportError as exc:
            raise CommandError(str(exc)) from exc
        self._write(output, data)
        self.stdout.write(f"已导出 exported {len(questions)} 题 questions → {output}")
        counts = {}
        for question in questions:
            counts[question.kind] = counts.get(question.kind, 0) + 1
        for kind, label in KIND_LABELS.items():
            if counts.get(kind):
                self.stdout.write(f"  {label} {kind}: {counts[kind]}")

    def _write(self, output: str, data: bytes) -> None:
        """Write through a temporary file so a failed run never leaves a partial file."""
        path = Path(output)
        if not path.parent.is_dir():
            raise CommandError(f"目录不存在 / no such directory: {path.parent}")
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".export-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
