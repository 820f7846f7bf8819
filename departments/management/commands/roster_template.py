from pathlib import Path

from django.core.management.base import BaseCommand

from departments.exports import roster_template_workbook


class Command(BaseCommand):
    help = "Write the roster import template (.xlsx) with instructions and drop-downs."

    def add_arguments(self, parser):
        parser.add_argument(
            "-o", "--output", default="roster_template.xlsx", help="Where to write the workbook."
        )

    def handle(self, *args, output, **options):
        path = Path(output)
        path.write_bytes(roster_template_workbook())
        self.stdout.write(f"写入模板 / template written: {path}")
