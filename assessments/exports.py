"""XLSX exports of participation and assessment: the overview, one department's detail and the
score sheets, built from the same dicts as the JSON report so that the command, the admin views
and the background task hand out the same numbers.

Workbooks are write-only (rows go straight to the file, so a province-scale overview stays small
in memory). Every text cell goes through `portal.spreadsheets.cell_safe` (no formula can be
smuggled in through a department or office name); rates are the report's fractions with a percent
format, so a cell read back gives the number in the JSON.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from assessments.models import ExportJob, ExportStatus
from departments.models import Department, DepartmentKind, Learner, OfficeKind, Position
from portal.spreadsheets import cell_safe

logger = logging.getLogger(__name__)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERCENT = "0.0%"
SCORE = "0.0"
POINTS = "0.00"
DATETIME = "yyyy-mm-dd hh:mm"
# Progress is reported (and saved by the background task) every this many departments/learners.
PROGRESS_EVERY_DEPARTMENTS = 25
PROGRESS_EVERY_LEARNERS = 500
CONTEXT = "assessment export"
# The background task's hard time limit (seconds); a job running longer was lost with its worker.
EXPORT_TIME_LIMIT = 30 * 60

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Column:
    header: str
    width: float = 14
    number_format: str | None = None
    wrap: bool = False


def workbook_bytes(workbook: Workbook) -> bytes:
    """The saved .xlsx (a write-only workbook can be saved once)."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text(value):
    """Plain cell values: lazy translations as text, formula-looking text neutralised."""
    if isinstance(value, Promise):
        value = str(value)
    return cell_safe(value)


def _yes_no(value: bool) -> str:
    return pgettext(CONTEXT, "Yes") if value else pgettext(CONTEXT, "No")


def _kind_label(kind: str) -> str:
    if kind == DepartmentKind.DISTRICT:
        return pgettext("department kind short", "District")
    if kind == DepartmentKind.CITY:
        return pgettext("department kind short", "City")
    return kind or ""


def _choice_label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or ""


def _sheet(workbook: Workbook, title: str, columns: list[Column]):
    """A write-only sheet with its column widths, a bold header row and the header frozen."""
    sheet = workbook.create_sheet(title=str(title)[:31])
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=_text(column.header))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    return sheet


def _append(sheet, columns: list[Column], values: Iterable) -> None:
    cells = []
    for column, value in zip(columns, values, strict=True):
        value = _text(value)
        numeric = isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
        if (column.number_format and numeric) or column.wrap:
            cell = WriteOnlyCell(sheet, value=value)
            if column.number_format and numeric:
                cell.number_format = column.number_format
            if column.wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            cells.append(cell)
        else:
            cells.append(value)
    sheet.append(cells)


def _flag_text(flags: Iterable[str]) -> str:
    from assessments.metrics import FLAG_LABELS

    return "、".join(str(FLAG_LABELS.get(flag, flag)) for flag in flags)


def definition_labels() -> dict[str, str]:
    """Short names of the keys of `assessments.metrics.DEFINITIONS`, for the 口径说明 sheet."""
    return {
        "roster": pgettext(CONTEXT, "Staff to train"),
        "completed_learner": pgettext(CONTEXT, "Learner who completed"),
        "requirement": pgettext(CONTEXT, "Per requirement"),
        "participating_office": pgettext(CONTEXT, "Office taking part"),
        "active_office": pgettext(CONTEXT, "Active office"),
        "business_office_coverage": pgettext(CONTEXT, "Business-office coverage"),
        "completion_rate": pgettext(CONTEXT, "Completion rate"),
        "business_completion_rate": pgettext(CONTEXT, "Business staff completion rate"),
        "finance_completion_rate": pgettext(CONTEXT, "Finance staff completion rate"),
        "weighted_completion_rate": pgettext(CONTEXT, "Weighted completion rate"),
        "heads": pgettext(CONTEXT, "Heads"),
        "exam": pgettext(CONTEXT, "Exam"),
        "practice": pgettext(CONTEXT, "Practice quizzes"),
        "goal_setting": pgettext(CONTEXT, "Goal-setting practice"),
        "flags": pgettext(CONTEXT, "Flags"),
    }


def _definitions_sheet(workbook: Workbook, *, definitions: dict, heading: list[tuple] = (),
                       extra: list[tuple] = ()) -> None:
    """The 口径说明 sheet: what the export is (year, plan, time), then one definition a row."""
    columns = [Column(pgettext(CONTEXT, "Term"), 24, wrap=True),
               Column(pgettext(CONTEXT, "Definition"), 100, wrap=True)]
    sheet = _sheet(workbook, pgettext(CONTEXT, "Definitions"), columns)
    for label, value in heading:
        _append(sheet, columns, [label, value])
    labels = definition_labels()
    for key, text in definitions.items():
        _append(sheet, columns, [labels.get(key, key), text])
    for label, value in extra:
        _append(sheet, columns, [label, value])


# --- The overview ------------------------------------------------------------------------------


def overview_columns() -> list[Column]:
    return [
        Column(pgettext(CONTEXT, "Department code"), 12),
        Column(pgettext(CONTEXT, "Department"), 26),
        Column(pgettext(CONTEXT, "Kind"), 8),
        Column(pgettext(CONTEXT, "Staff to train"), 10),
        Column(pgettext(CONTEXT, "Staff completed"), 10),
        Column(pgettext(CONTEXT, "Completion rate"), 11, PERCENT),
        Column(pgettext(CONTEXT, "Business staff completion rate"), 13, PERCENT),
        Column(pgettext(CONTEXT, "Weighted completion rate"), 11, PERCENT),
        Column(pgettext(CONTEXT, "Heads completed"), 10),
        Column(pgettext(CONTEXT, "Heads required"), 10),
        Column(pgettext(CONTEXT, "Business offices taking part"), 12),
        Column(pgettext(CONTEXT, "Business offices"), 10),
        Column(pgettext(CONTEXT, "Business-office coverage"), 12, PERCENT),
        Column(pgettext(CONTEXT, "Finance offices taking part"), 12),
        Column(pgettext(CONTEXT, "Finance offices"), 10),
        Column(pgettext(CONTEXT, "Exam participants"), 10),
        Column(pgettext(CONTEXT, "Exam average best score"), 12, SCORE),
        Column(pgettext(CONTEXT, "Exam pass rate"), 10, PERCENT),
        Column(pgettext(CONTEXT, "Business staff who passed goal setting"), 14),
        Column(pgettext(CONTEXT, "Goal-setting pass rate"), 12, PERCENT),
        Column(pgettext(CONTEXT, "Training points"), 10, POINTS),
        Column(pgettext(CONTEXT, "Flags"), 30),
    ]


def overview_row(department: dict) -> list:
    """One department of the JSON report as the 总览 row (same order as `overview_columns`)."""
    offices = department.get("offices") or {}
    business = offices.get("business") or {}
    finance = offices.get("finance") or {}
    heads = department.get("heads") or {}
    exam = department.get("exam") or {}
    goal = department.get("goal_setting") or {}
    return [
        department.get("code", ""),
        department.get("name", ""),
        _kind_label(department.get("kind", "")),
        (department.get("roster") or {}).get("total"),
        (department.get("completed") or {}).get("total"),
        department.get("completion_rate"),
        department.get("business_completion_rate"),
        department.get("weighted_completion_rate"),
        heads.get("completed"),
        heads.get("required"),
        business.get("participating"),
        business.get("total"),
        business.get("coverage"),
        finance.get("participating"),
        finance.get("total"),
        exam.get("participants"),
        exam.get("average_best"),
        exam.get("pass_rate"),
        goal.get("business_passed"),
        goal.get("business_pass_rate"),
        department.get("training_points"),
        _flag_text(department.get("flags") or []),
    ]


def _report_heading(report: dict) -> list[tuple]:
    return [
        (pgettext(CONTEXT, "Year"), report.get("year")),
        (pgettext(CONTEXT, "Training plan"), report.get("plan") or ""),
        (pgettext(CONTEXT, "Generated at"), report.get("generated_at") or ""),
    ]


def overview_workbook(report: dict, *, progress: Progress | None = None) -> Workbook:
    """The participation report of every department (总览), the business offices that took no
    part, the heads who have not finished, and the definitions."""
    departments = report.get("departments") or []
    total = len(departments)
    workbook = Workbook(write_only=True)

    columns = overview_columns()
    sheet = _sheet(workbook, pgettext(CONTEXT, "Overview"), columns)
    missing_columns = [
        Column(pgettext(CONTEXT, "Department code"), 12),
        Column(pgettext(CONTEXT, "Department"), 26),
        Column(pgettext(CONTEXT, "Budget unit"), 30),
        Column(pgettext(CONTEXT, "Office"), 24),
    ]
    missing = _sheet(workbook, pgettext(CONTEXT, "Business offices not taking part"),
                     missing_columns)
    heads_columns = [
        Column(pgettext(CONTEXT, "Department code"), 12),
        Column(pgettext(CONTEXT, "Department"), 26),
        Column(pgettext(CONTEXT, "Staff number"), 14),
        Column(pgettext(CONTEXT, "Name"), 14),
    ]
    heads = _sheet(workbook, pgettext(CONTEXT, "Heads not completed"), heads_columns)
    # Each write-only sheet streams to its own temporary file: one pass fills all three.
    for done, department in enumerate(departments, start=1):
        _append(sheet, columns, overview_row(department))
        code, name = department.get("code", ""), department.get("name", "")
        business = ((department.get("offices") or {}).get("business") or {})
        for office in business.get("missing") or []:
            _append(missing, missing_columns,
                    [code, name, office.get("unit", ""), office.get("office", "")])
        for head in (department.get("heads") or {}).get("missing") or []:
            _append(heads, heads_columns,
                    [code, name, head.get("staff_number", ""), head.get("name", "")])
        if progress and (done % PROGRESS_EVERY_DEPARTMENTS == 0 or done == total):
            progress(done, total)
    _definitions_sheet(workbook, definitions=report.get("definitions") or {},
                       heading=_report_heading(report))
    return workbook


# --- One department ----------------------------------------------------------------------------


def _summary_rows(department: dict) -> list[tuple]:
    """部门概况: (label, value, number format) rows of one department of the JSON report."""
    roster = department.get("roster") or {}
    completed = department.get("completed") or {}
    heads = department.get("heads") or {}
    offices = department.get("offices") or {}
    exam = department.get("exam") or {}
    goal = department.get("goal_setting") or {}
    rows = [
        (pgettext(CONTEXT, "Department code"), department.get("code", ""), None),
        (pgettext(CONTEXT, "Department"), department.get("name", ""), None),
        (pgettext(CONTEXT, "Kind"), _kind_label(department.get("kind", "")), None),
        (pgettext(CONTEXT, "Staff to train"), roster.get("total"), None),
    ]
    by_position = roster.get("by_position") or {}
    done_by_position = completed.get("by_position") or {}
    for position in Position:
        if position.value in by_position:
            rows.append((pgettext(CONTEXT, "Staff to train: %(position)s")
                         % {"position": position.label}, by_position[position.value], None))
    rows += [
        (pgettext(CONTEXT, "Exempt"), roster.get("exempt"), None),
        (pgettext(CONTEXT, "Staff completed"), completed.get("total"), None),
    ]
    for position in Position:
        if position.value in done_by_position:
            rows.append((pgettext(CONTEXT, "Staff completed: %(position)s")
                         % {"position": position.label}, done_by_position[position.value], None))
    rows += [
        (pgettext(CONTEXT, "Completion rate"), department.get("completion_rate"), PERCENT),
        (pgettext(CONTEXT, "Business staff completion rate"),
         department.get("business_completion_rate"), PERCENT),
        (pgettext(CONTEXT, "Weighted completion rate"),
         department.get("weighted_completion_rate"), PERCENT),
        (pgettext(CONTEXT, "Heads required"), heads.get("required"), None),
        (pgettext(CONTEXT, "Heads completed"), heads.get("completed"), None),
    ]
    for kind in OfficeKind:
        stats = offices.get(kind.value)
        if not stats:
            continue
        label = {"kind": kind.label}
        rows += [
            (pgettext(CONTEXT, "%(kind)s: offices") % label, stats.get("total"), None),
            (pgettext(CONTEXT, "%(kind)s: taking part") % label, stats.get("participating"),
             None),
            (pgettext(CONTEXT, "%(kind)s: active") % label, stats.get("active"), None),
            (pgettext(CONTEXT, "%(kind)s: coverage") % label, stats.get("coverage"), PERCENT),
        ]
    rows += [
        (pgettext(CONTEXT, "Exam participants"), exam.get("participants"), None),
        (pgettext(CONTEXT, "Exam average best score"), exam.get("average_best"), SCORE),
        (pgettext(CONTEXT, "Exam pass rate"), exam.get("pass_rate"), PERCENT),
        (pgettext(CONTEXT, "Business staff who passed goal setting"),
         goal.get("business_passed"), None),
        (pgettext(CONTEXT, "Goal-setting pass rate"), goal.get("business_pass_rate"), PERCENT),
        (pgettext(CONTEXT, "Goal-setting average best score"), goal.get("average_best"), SCORE),
        (pgettext(CONTEXT, "Training points"), department.get("training_points"), POINTS),
        (pgettext(CONTEXT, "Flags"), _flag_text(department.get("flags") or []), None),
    ]
    for item in department.get("training_items") or []:
        rows.append((pgettext(CONTEXT, "Training item: %(item)s") % {"item": item.get("item", "")},
                     item.get("points"), POINTS))
    return rows


def _office_rows(detail: dict) -> list[tuple[dict, dict]]:
    """(unit, office) pairs: the business offices that took no part first, then every other
    office unit by unit."""
    unit_of = {}
    ordered = []
    for unit in detail.get("units") or []:
        for office in unit.get("offices") or []:
            unit_of[office["office_id"]] = unit
            ordered.append((unit, office))
    first_ids = [office["office_id"] for office in detail.get("missing_business_offices") or []]
    first = [(unit_of[pk], office) for pk, office in zip(
        first_ids, detail.get("missing_business_offices") or [], strict=True) if pk in unit_of]
    listed = {office["office_id"] for _unit, office in first}
    return first + [(unit, office) for unit, office in ordered
                    if office["office_id"] not in listed]


def department_workbook(detail: dict, report_department: dict, *,
                        progress: Progress | None = None) -> Workbook:
    """One department: its figures (部门概况), its units and offices (missing business offices
    first), each learner's status per requirement, and the definitions."""
    from assessments.metrics import DEFINITIONS
    from courses.selectors import RequirementStatus

    workbook = Workbook(write_only=True)
    summary_columns = [Column(pgettext(CONTEXT, "Indicator"), 34),
                       Column(pgettext(CONTEXT, "Value"), 30)]
    summary = _sheet(workbook, pgettext(CONTEXT, "Department summary"), summary_columns)
    for label, value, number_format in _summary_rows(report_department):
        if number_format and isinstance(value, (int, float, Decimal)):
            cell = WriteOnlyCell(summary, value=value)
            cell.number_format = number_format
            summary.append([_text(label), cell])
        else:
            _append(summary, summary_columns, [label, value])

    office_columns = [
        Column(pgettext(CONTEXT, "Budget unit code"), 12),
        Column(pgettext(CONTEXT, "Budget unit"), 30),
        Column(pgettext(CONTEXT, "Office"), 24),
        Column(pgettext(CONTEXT, "Office kind"), 12),
        Column(pgettext(CONTEXT, "Staff to train"), 10),
        Column(pgettext(CONTEXT, "Staff completed"), 10),
        Column(pgettext(CONTEXT, "Taking part"), 10),
        Column(pgettext(CONTEXT, "Active"), 10),
    ]
    offices = _sheet(workbook, pgettext(CONTEXT, "Offices"), office_columns)
    for unit, office in _office_rows(detail):
        _append(offices, office_columns, [
            unit.get("code", ""), unit.get("name", ""), office.get("name", ""),
            _choice_label(OfficeKind, office.get("kind")), office.get("roster"),
            office.get("completed"), _yes_no(office.get("participating")),
            _yes_no(office.get("active")),
        ])

    participation = detail.get("participation")
    requirements = list(getattr(participation, "requirements", None) or [])
    learner_columns = [
        Column(pgettext(CONTEXT, "Staff number"), 14),
        Column(pgettext(CONTEXT, "Name"), 12),
        Column(pgettext(CONTEXT, "Position"), 10),
        Column(pgettext(CONTEXT, "Budget unit"), 26),
        Column(pgettext(CONTEXT, "Office"), 20),
        Column(pgettext(CONTEXT, "Office kind"), 10),
    ] + [
        Column(pgettext(CONTEXT, "%(course)s (%(position)s)") % {
            "course": requirement.get("course", ""),
            "position": _choice_label(Position, requirement.get("position"))}, 18)
        for requirement in requirements
    ] + [Column(pgettext(CONTEXT, "All completed"), 10)]
    learners_sheet = _sheet(workbook, pgettext(CONTEXT, "Learners"), learner_columns)
    requirement_ids = [requirement.get("requirement_id") for requirement in requirements]
    learners = detail.get("learners") or []
    total = len(learners)
    for done, learner in enumerate(learners, start=1):
        statuses = dict(learner.get("statuses") or [])
        _append(learners_sheet, learner_columns, [
            learner.get("staff_number", ""), learner.get("name", ""),
            _choice_label(Position, learner.get("position")), learner.get("unit", ""),
            learner.get("office", ""), _choice_label(OfficeKind, learner.get("office_kind")),
            *[_choice_label(RequirementStatus, statuses[pk]) if pk in statuses else ""
              for pk in requirement_ids],
            _yes_no(learner.get("completed")),
        ])
        if progress and (done % PROGRESS_EVERY_LEARNERS == 0 or done == total):
            progress(done, total)
    _definitions_sheet(workbook, definitions=DEFINITIONS)
    return workbook



# --- Score sheets ------------------------------------------------------------------------------


def _local(value):
    """A datetime as the site's local time without a zone (Excel has no time zones)."""
    if value is None:
        return None
    return timezone.localtime(value).replace(tzinfo=None)


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def sheets_workbook(scheme, sheets: list[dict], *, progress: Progress | None = None) -> Workbook:
    """Score sheets (`assessments.selectors.score_sheet`) of departments: totals, grades and
    ranks (得分汇总), every item with its metric, rule, points, source and evidence (评分明细),
    the appeals (申诉), and the definitions."""
    from assessments.metrics import DEFINITIONS
    from assessments.models import Rule

    workbook = Workbook(write_only=True)
    summary_columns = [
        Column(pgettext(CONTEXT, "Department code"), 12),
        Column(pgettext(CONTEXT, "Department"), 26),
        Column(pgettext(CONTEXT, "Total"), 10, POINTS),
        Column(pgettext(CONTEXT, "Maximum"), 10, POINTS),
        Column(pgettext(CONTEXT, "Grade"), 10),
        Column(pgettext(CONTEXT, "Rank"), 8),
        Column(pgettext(CONTEXT, "Training points"), 10, POINTS),
        Column(pgettext(CONTEXT, "Flags"), 30),
    ]
    summary = _sheet(workbook, pgettext(CONTEXT, "Score summary"), summary_columns)
    detail_columns = [
        Column(pgettext(CONTEXT, "Department code"), 12),
        Column(pgettext(CONTEXT, "Department"), 22),
        Column(pgettext(CONTEXT, "Group"), 22),
        Column(pgettext(CONTEXT, "Item"), 30),
        Column(pgettext(CONTEXT, "Metric"), 10, PERCENT),
        Column(pgettext(CONTEXT, "Rule"), 40),
        Column(pgettext(CONTEXT, "Points"), 9, POINTS),
        Column(pgettext(CONTEXT, "Maximum"), 9, POINTS),
        Column(pgettext(CONTEXT, "Computed points"), 10, POINTS),
        Column(pgettext(CONTEXT, "Source"), 10),
        Column(pgettext(CONTEXT, "Evidence"), 40),
        Column(pgettext(CONTEXT, "Reason for the change"), 30),
    ]
    details = _sheet(workbook, pgettext(CONTEXT, "Score details"), detail_columns)
    appeal_columns = [
        Column(pgettext(CONTEXT, "Department code"), 12),
        Column(pgettext(CONTEXT, "Department"), 22),
        Column(pgettext(CONTEXT, "Item"), 30),
        Column(pgettext(CONTEXT, "Filed at"), 17, DATETIME),
        Column(pgettext(CONTEXT, "Filed by"), 12),
        Column(pgettext(CONTEXT, "Reason"), 40),
        Column(pgettext(CONTEXT, "Points when filed"), 10, POINTS),
        Column(pgettext(CONTEXT, "Status"), 10),
        Column(pgettext(CONTEXT, "Reply"), 40),
        Column(pgettext(CONTEXT, "New points"), 10, POINTS),
        Column(pgettext(CONTEXT, "Answered by"), 12),
        Column(pgettext(CONTEXT, "Answered at"), 17, DATETIME),
    ]
    appeals = _sheet(workbook, pgettext(CONTEXT, "Appeals"), appeal_columns)
    total = len(sheets)
    for done, sheet in enumerate(sheets, start=1):
        department = sheet["department"]
        result = sheet.get("result")
        _append(summary, summary_columns, [
            department.code, department.name, sheet.get("total"), sheet.get("max_total"),
            result.grade if result is not None else "",
            result.rank if result is not None else None,
            result.training_points if result is not None else None,
            _flag_text(result.flags if result is not None else []),
        ])
        for group in sheet.get("groups") or []:
            for row in group["items"]:
                item = row["item"]
                _append(details, detail_columns, [
                    department.code, department.name, group["name"], item.name,
                    row.get("metric"), row.get("rule", ""), row.get("points"), item.max_points,
                    row.get("computed_points"), row.get("source_label", ""),
                    row.get("evidence", ""), row.get("reason", ""),
                ])
        for appeal in reversed(sheet.get("appeals") or []):  # oldest first
            _append(appeals, appeal_columns, [
                department.code, department.name, appeal.item.name, _local(appeal.filed_at),
                _person(appeal.filed_by), appeal.reason, appeal.points_when_filed,
                appeal.get_status_display(), appeal.reply, appeal.new_points,
                _person(appeal.answered_by), _local(appeal.answered_at),
            ])
        if progress and (done % PROGRESS_EVERY_DEPARTMENTS == 0 or done == total):
            progress(done, total)
    heading = [
        (pgettext(CONTEXT, "Year"), scheme.year),
        (pgettext(CONTEXT, "Assessment scheme"), scheme.title),
        (pgettext(CONTEXT, "Locked at"), _local(scheme.locked_at).strftime("%Y-%m-%d %H:%M")
         if scheme.locked_at else pgettext(CONTEXT, "Not locked")),
        (pgettext(CONTEXT, "Grades"), "; ".join(
            f"{band.name} ≥ {band.min_points}"
            for band in sorted(scheme.grade_bands.all(), key=lambda band: -band.min_points))),
    ]
    rules = [(pgettext(CONTEXT, "Scoring rule"), rule.label) for rule in Rule]
    _definitions_sheet(workbook, definitions=DEFINITIONS, heading=heading, extra=rules)
    return workbook


# --- What an export holds, and the background jobs ----------------------------------------------

KIND_OVERVIEW = "overview"
KIND_DEPARTMENT = "department"
KIND_SHEETS = "sheets"
EXPORT_KINDS = (KIND_OVERVIEW, KIND_DEPARTMENT, KIND_SHEETS)
# Characters Windows, macOS or a browser would refuse or change in a downloaded file's name.
_FILENAME_UNSAFE = str.maketrans(dict.fromkeys('\\/:*?"<>|\r\n\t', "_"))

ERR_NO_PLAN = gettext_lazy("There is no training plan for %(year)s.")
ERR_NO_SCHEME = gettext_lazy("There is no assessment scheme for %(year)s.")
ERR_SCOPE = gettext_lazy("You may no longer export these departments.")
ERR_FAILED = gettext_lazy("The export could not be built. Try again; if it fails again, tell "
                          "the site administrator (export %(job)s).")
ERR_GONE = gettext_lazy("The exported file is no longer available; export again.")
ERR_LOST = gettext_lazy("The export did not finish in time; export again.")
JOB_KEEP_DAYS = 7
# Longer than any queue wait plus the task's time limit: such a job was lost with its worker.
JOB_LOST_AFTER = timedelta(hours=2)


def export_filename(*, kind: str, year: int, department=None) -> str:
    """参训情况_2026.xlsx, 参训情况_2026_市教育局.xlsx, 考核评分_2026.xlsx …"""
    if kind == KIND_SHEETS:
        name = pgettext(CONTEXT, "Assessment scores_%(year)s") % {"year": year}
    else:
        name = pgettext(CONTEXT, "Participation_%(year)s") % {"year": year}
    if department is not None:
        name += f"_{department.name}"
    return name.translate(_FILENAME_UNSAFE)[:150] + ".xlsx"


@dataclass(frozen=True)
class ExportSpec:
    """A checked export: what to build (the caller has checked the user's scope)."""

    kind: str
    year: int
    department_ids: tuple[int, ...] | None = None  # None: every department of the year

    def as_params(self) -> dict:
        return {"year": self.year, "department_ids": None if self.department_ids is None
                else list(self.department_ids)}


def export_spec_allowed(*, spec: ExportSpec, user) -> bool:
    """The user may (still) export this: the overview is the bureau's; department and score-sheet
    exports only of departments in the user's scope (checked again when a job runs)."""
    from assessments.permissions import departments_in_scope, user_is_bureau

    if user_is_bureau(user):
        return True
    if spec.kind == KIND_OVERVIEW or not spec.department_ids:
        return False
    in_scope = set(departments_in_scope(user).filter(pk__in=spec.department_ids)
                   .values_list("pk", flat=True))
    return in_scope == set(spec.department_ids)


def _plan(year: int):
    from assessments.metrics import plan_for_year

    plan = plan_for_year(year)
    if plan is None:
        raise ValidationError(ERR_NO_PLAN, params={"year": year}, code="no_plan")
    return plan


def _scheme(year: int):
    from assessments.selectors import scheme_for_year

    scheme = scheme_for_year(year)
    if scheme is None:
        raise ValidationError(ERR_NO_SCHEME, params={"year": year}, code="no_scheme")
    return scheme


def _departments(spec: ExportSpec):
    departments = Department.objects.order_by("sort_order", "code")
    if spec.department_ids is not None:
        departments = departments.filter(pk__in=spec.department_ids)
    return departments


def export_rows(spec: ExportSpec) -> int:
    """How many rows the export's main sheet will have (departments, or a department's
    learners): above `ASSESSMENT_EXPORT_SYNC_LIMIT` it is built in the background. Raises
    ValidationError when the year has no plan (or, for score sheets, no scheme)."""
    if spec.kind == KIND_SHEETS:
        _scheme(spec.year)
        return _departments(spec).count()
    plan = _plan(spec.year)
    if spec.kind == KIND_DEPARTMENT:
        return Learner.objects.filter(office__unit__department_id__in=spec.department_ids,
                                      is_active=True).count()
    if not plan.all_departments:
        return plan.departments.count()
    return _departments(spec).count()


def _scaled(progress: Progress | None, start: int, end: int) -> Progress | None:
    """A progress callback for one phase of the build, mapped onto start–end %."""
    if progress is None:
        return None

    def report(done: int, total: int) -> None:
        progress(start + (end - start) * done // max(total, 1), 100)

    return report


def export_build(spec: ExportSpec, *, progress: Progress | None = None) -> tuple[bytes, str]:
    """The .xlsx of an export and its file name; `progress(percent, 100)` on the way."""
    progress = progress or (lambda done, total: None)
    if spec.kind == KIND_OVERVIEW:
        from assessments.report import ReportError, participation_report

        progress(5, 100)
        try:
            report = participation_report(year=spec.year)
        except ReportError as error:
            raise ValidationError(str(error), code="no_plan") from error
        progress(50, 100)
        workbook = overview_workbook(report, progress=_scaled(progress, 50, 95))
        return workbook_bytes(workbook), export_filename(kind=spec.kind, year=spec.year)
    if spec.kind == KIND_DEPARTMENT:
        from assessments.metrics import DEFAULT_LOW_BUSINESS_COVERAGE, department_detail
        from assessments.report import department_json
        from assessments.selectors import scheme_for_year

        plan = _plan(spec.year)
        department = _departments(spec).get()
        scheme = scheme_for_year(spec.year)
        progress(5, 100)
        detail = department_detail(
            plan=plan, department=department,
            low_business_coverage=(scheme.low_business_coverage if scheme
                                   else DEFAULT_LOW_BUSINESS_COVERAGE))
        if detail["targeted"]:
            report_department = department_json(participation=detail["participation"],
                                                scheme=scheme)
        else:  # not targeted by the year's plan: the sheets say who it is and stay empty
            report_department = {"code": department.code, "name": department.name,
                                 "kind": department.kind}
        progress(50, 100)
        workbook = department_workbook(detail, report_department,
                                       progress=_scaled(progress, 50, 95))
        return workbook_bytes(workbook), export_filename(kind=spec.kind, year=spec.year,
                                                          department=department)
    if spec.kind == KIND_SHEETS:
        from assessments.selectors import score_sheet

        scheme = _scheme(spec.year)
        departments = list(_departments(spec))
        sheets = []
        for done, department in enumerate(departments, start=1):
            sheets.append(score_sheet(scheme=scheme, department=department))
            if done % PROGRESS_EVERY_DEPARTMENTS == 0 or done == len(departments):
                progress(5 + 75 * done // len(departments), 100)
        workbook = sheets_workbook(scheme, sheets, progress=_scaled(progress, 80, 95))
        single = departments[0] if spec.department_ids and len(departments) == 1 else None
        return workbook_bytes(workbook), export_filename(kind=spec.kind, year=spec.year,
                                                          department=single)
    raise ValueError(f"unknown export {spec.kind!r}")


def export_jobs_visible_to(user) -> QuerySet[ExportJob]:
    """Jobs a user may follow and download: their own (superusers: all)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ExportJob.objects.none()
    jobs = ExportJob.objects.select_related("requested_by")
    return jobs if user.is_superuser else jobs.filter(requested_by=user)


def export_job_create(*, spec: ExportSpec, user) -> ExportJob:
    """Queue a large export for the worker (after commit); the user's unfinished job for the
    same export is reused, so a second click does not build the file twice."""
    from assessments.tasks_exports import assessment_export_run

    if not export_spec_allowed(spec=spec, user=user):
        raise PermissionDenied
    params = spec.as_params()
    pending = ExportJob.objects.filter(
        requested_by=user, kind=spec.kind, params__year=spec.year,
        status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING],
        created_at__gte=timezone.now() - JOB_LOST_AFTER,
    ).order_by("-pk")
    for job in pending:
        if job.params.get("department_ids") == params["department_ids"]:
            return job
    job = ExportJob.objects.create(
        kind=spec.kind, requested_by=user,
        params=params | {"language": translation.get_language() or settings.LANGUAGE_CODE})
    transaction.on_commit(lambda: assessment_export_run.delay(job.pk))
    return job


def _job_fail(job_id: int, message) -> None:
    ExportJob.objects.filter(pk=job_id).update(
        status=ExportStatus.FAILED, error=str(message), finished_at=timezone.now())


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Build the file of a queued export job with progress; a job already claimed or finished
    is left alone. Failures are stored on the job as a message the requester can read."""
    # Claimed with a conditional UPDATE so a redelivered task is a no-op.
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, progress=1, error="")
    if not claimed:
        return None
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    last = {"percent": 1}

    def progress(done: int, total: int) -> None:
        percent = max(1, min(99, 100 * done // max(total, 1)))
        if percent != last["percent"]:
            last["percent"] = percent
            ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING).update(
                progress=percent)

    with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
        try:
            ids = job.params.get("department_ids")
            spec = ExportSpec(kind=job.kind, year=int(job.params["year"]),
                              department_ids=None if ids is None else tuple(ids))
            if spec.kind not in EXPORT_KINDS or not export_spec_allowed(
                    spec=spec, user=job.requested_by):
                raise ValidationError(ERR_SCOPE, code="scope")
            content, filename = export_build(spec, progress=progress)
        except ValidationError as error:
            _job_fail(job_id, " ".join(error.messages))
        except Exception:
            logger.exception("assessment export job %s failed", job_id)
            _job_fail(job_id, ERR_FAILED % {"job": job_id})
        else:
            job.file.save(filename, ContentFile(content), save=False)
            ExportJob.objects.filter(pk=job_id).update(
                status=ExportStatus.DONE, progress=100, file=job.file.name,
                params=job.params | {"filename": filename}, finished_at=timezone.now())
    job.refresh_from_db()
    return job


def export_job_expire_if_lost(job: ExportJob) -> ExportJob:
    """A job still queued or running long after any worker would have finished it (the worker
    died, or the queue was lost) is marked failed, so its page stops waiting and the user can
    export again; a worker that reaches it later leaves it alone (it is no longer queued)."""
    if (job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
            and job.created_at < timezone.now() - JOB_LOST_AFTER):
        ExportJob.objects.filter(
            pk=job.pk, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING],
        ).update(status=ExportStatus.FAILED, error=str(ERR_LOST), finished_at=timezone.now())
        job.refresh_from_db()
    return job


def export_jobs_cleanup(*, older_than: timedelta = timedelta(days=JOB_KEEP_DAYS)) -> int:
    """Delete export jobs (and their files) created more than `older_than` ago."""
    jobs = list(ExportJob.objects.filter(created_at__lt=timezone.now() - older_than))
    for job in jobs:
        if job.file:
            job.file.delete(save=False)
    ExportJob.objects.filter(pk__in=[job.pk for job in jobs]).delete()
    return len(jobs)
