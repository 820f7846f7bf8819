"""`manage.py participation_report --year Y [--department CODE] --format {json,xlsx,table}
[-o FILE]`: the year's participation report (the JSON is a public interface, see README)."""

from __future__ import annotations

import json
import unicodedata

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from assessments.metrics import FLAG_LABELS
from assessments.report import ReportError, participation_report

CONTEXT = "participation report"
HEADERS = [pgettext_lazy(CONTEXT, "Code"), pgettext_lazy(CONTEXT, "Department"),
           pgettext_lazy(CONTEXT, "On the roster"), pgettext_lazy(CONTEXT, "Completed"),
           pgettext_lazy(CONTEXT, "Completion rate"),
           pgettext_lazy(CONTEXT, "Business staff completion rate"),
           pgettext_lazy(CONTEXT, "Weighted completion rate"),
           pgettext_lazy(CONTEXT, "Heads completed"),
           pgettext_lazy(CONTEXT, "Business-office coverage"),
           pgettext_lazy(CONTEXT, "Exam average"), pgettext_lazy(CONTEXT, "Exam pass rate"),
           pgettext_lazy(CONTEXT, "Goal-setting pass rate"),
           pgettext_lazy(CONTEXT, "Training points"), pgettext_lazy(CONTEXT, "Flags")]
ERROR_XLSX_NEEDS_FILE = gettext_lazy("The xlsx format needs an output file: add -o FILE.")


def _width(text: str) -> int:
    """Columns the text takes in a terminal (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int, *, right: bool) -> str:
    gap = " " * (width - _width(text))
    return gap + text if right else text + gap


def _percent(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _number(value) -> str:
    return "—" if value is None else f"{value:.1f}"


def report_table(report: dict) -> str:
    """The report as an aligned text table with Chinese headers."""
    headers = [str(label) for label in HEADERS]
    numeric = set(range(2, 13))
    rows = []
    for row in report["departments"]:
        business = row["offices"]["business"]
        rows.append([
            row["code"], row["name"], str(row["roster"]["total"]),
            str(row["completed"]["total"]), _percent(row["completion_rate"]),
            _percent(row["business_completion_rate"]), _percent(row["weighted_completion_rate"]),
            f"{row['heads']['completed']}/{row['heads']['required']}",
            _percent(business["coverage"]), _number(row["exam"]["average_best"]),
            _percent(row["exam"]["pass_rate"]),
            _percent(row["goal_setting"]["business_pass_rate"]),
            f"{row['training_points']:.2f}",
            "、".join(str(FLAG_LABELS.get(flag, flag)) for flag in row["flags"])])
    widths = [max([_width(headers[i])] + [_width(r[i]) for r in rows])
              for i in range(len(headers))]
    lines = [f"{report['year']} {report['plan']}"]
    for cells in [headers, *rows]:
        lines.append("  ".join(_pad(cell, widths[i], right=i in numeric and cells is not headers)
                               for i, cell in enumerate(cells)).rstrip())
        if cells is headers:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = "Print or save the year's participation report (JSON, XLSX or a text table)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--department", help="Only this department (its code).")
        parser.add_argument("--format", choices=["json", "xlsx", "table"], default="json")
        parser.add_argument("-o", "--output", help="Write to this file instead of stdout.")

    def handle(self, *args, year: int, department: str | None, format: str,
               output: str | None, **options):
        if format == "xlsx" and not output:
            raise CommandError(str(ERROR_XLSX_NEEDS_FILE))
        try:
            report = participation_report(year=year, department_code=department)
        except ReportError as error:
            raise CommandError(str(error)) from None
        if format == "xlsx":
            from assessments.exports import overview_workbook

            overview_workbook(report).save(output)
            self.stderr.write(_("Saved %(path)s.") % {"path": output})
            return
        text = (json.dumps(report, ensure_ascii=False, indent=2) + "\n" if format == "json"
                else report_table(report))
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stderr.write(_("Saved %(path)s.") % {"path": output})
        else:
            self.stdout.write(text, ending="")
