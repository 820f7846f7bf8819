from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from departments.services import roster_import_file


class Command(BaseCommand):
    help = (
        "Import a roster (.xlsx or CSV). Exits non-zero and writes nothing if any row has an error."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Roster file (.xlsx, or CSV in UTF-8 or GBK).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate and report, write nothing."
        )
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help="Mark active learners of the file's departments who are not in "
            "the file as inactive.",
        )

    def handle(self, *args, file, dry_run, deactivate_missing, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在 / no such file: {path}")
        report = roster_import_file(
            data=path.read_bytes(),
            filename=path.name,
            deactivate_missing=deactivate_missing,
            dry_run=dry_run,
        )
        if report.errors:
            for error in report.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(report.errors)} 处错误，未写入任何数据 / "
                f"{len(report.errors)} error(s), nothing written"
            )
        prefix = "[试运行 / dry run] " if dry_run else ""
        self.stdout.write(
            f"{prefix}行数 rows: {report.rows_total}; 新增 created: {report.created}; "
            f"更新 updated: {report.updated}; 未变 unchanged: {report.unchanged}; "
            f"名单外 missing: {len(report.missing)}; 停用 deactivated: {report.deactivated}"
        )
        for person in report.missing:
            self.stdout.write(f"  名单外 missing: {person['staff_number']} {person['name']}")
