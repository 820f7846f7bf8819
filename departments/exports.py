"""Workbooks we hand out: the roster template and the one-time initial password list."""

import io

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from departments.roster import (
    HEADERS,
    OFFICE_KIND_LABELS,
    OFFICE_KIND_SYNONYMS,
    POSITION_LABELS,
    POSITION_SYNONYMS,
)
from portal.spreadsheets import cell_safe

# The admin learner list's CSV/XLSX export (departments.wagtail_hooks.LearnerViewSet); the
# Wagtail default (no columns) wrote one blank line per learner.
LEARNER_EXPORT_FIELDS = [
    "staff_number",
    "user.first_name",
    "office.unit.department.name",
    "office.unit.name",
    "office.name",
    "office.get_kind_display",
    "get_position_display",
    "phone",
    "user.email",
    "is_active",
    "account_activated",
]
LEARNER_EXPORT_HEADINGS = {
    "user.first_name": pgettext_lazy("person", "Name"),
    "office.unit.department.name": gettext_lazy("Department"),
    "office.unit.name": gettext_lazy("Budget unit"),
    "office.name": gettext_lazy("Office"),
    "office.get_kind_display": gettext_lazy("Office kind"),
    "get_position_display": gettext_lazy("Position"),
    "user.email": gettext_lazy("Email"),
    "is_active": gettext_lazy("Active"),
    "account_activated": gettext_lazy("Account activated"),
}


def _formula_safe_csv_row(view, writer, row_dict):
    return writer.writerow({
        field: cell_safe(view.preprocess_field_value(field, value, view.FORMAT_CSV))
        for field, value in row_dict.items()
    })


def admin_exports_harden() -> None:
    """Make every Wagtail admin CSV export formula-safe, and refuse exports with no columns."""
    from wagtail.admin.views.mixins import SpreadsheetExportMixin

    if getattr(SpreadsheetExportMixin, "_formula_safe", False):
        return
    # Patched on the mixin itself rather than per view: it is the one place that writes CSV cells
    # for every admin export (our viewsets, Wagtail's reports, form submissions, users); Wagtail
    # already neutralises the XLSX cells there (a detected formula is written as text).
    SpreadsheetExportMixin.write_csv_row = _formula_safe_csv_row
    wagtail_as_spreadsheet = SpreadsheetExportMixin.as_spreadsheet

    def as_spreadsheet(view, queryset, spreadsheet_format):
        # Any admin listing answers ?export=csv; without export columns it would stream a blank
        # line per row, so only listings that declare list_export export anything.
        if not view.list_export:
            raise Http404
        return wagtail_as_spreadsheet(view, queryset, spreadsheet_format)

    SpreadsheetExportMixin.as_spreadsheet = as_spreadsheet
    SpreadsheetExportMixin._formula_safe = True


def _save(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _accepted_words(labels: dict[str, str], synonyms: dict[str, tuple[str, ...]]) -> str:
    """"One of: 财务、业务、综合. Also accepted: 财务 = 财务机构、财务处 …; 业务 = …"."""
    accepted = "; ".join(
        f"{label} = " + "、".join(word for word in synonyms[value] if word != label)
        for label, value in labels.items()
    )
    return _("One of: %(values)s. Also accepted (any width or case): %(synonyms)s.") % {
        "values": "、".join(labels), "synonyms": accepted}


def roster_template_workbook() -> bytes:
    """An .xlsx with the header row, drop-downs for the coded columns and a 填写说明 sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "名单"
    sheet.append(list(HEADERS))
    for index, _header in enumerate(HEADERS, start=1):
        sheet.cell(row=1, column=index).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(index)].width = 16
    sheet.freeze_panes = "A2"
    # 工号 and 手机 as text so that leading zeros and long numbers survive.
    for column in ("H", "J"):
        for row in range(2, 2002):
            sheet[f"{column}{row}"].number_format = "@"
    for column, labels in (("F", OFFICE_KIND_LABELS), ("I", POSITION_LABELS)):
        # A warning, not a stop: the import also accepts the synonyms listed in 填写说明.
        validation = DataValidation(
            type="list",
            formula1='"' + ",".join(labels) + '"',
            allow_blank=False,
            showErrorMessage=True,
            errorStyle="warning",
            error=_("Not in the list: the import also accepts the words in the 填写说明 sheet."),
        )
        validation.add(f"{column}2:{column}5001")
        sheet.add_data_validation(validation)

    notes = workbook.create_sheet("填写说明")
    notes.append([_("Column"), _("Required"), _("What to enter")])
    explanations = {
        "部门编码": _(
            "Code of the city department or district; the same code always has the same name."
        ),
        "部门名称": _("Name of the department or district."),
        "单位编码": _("Code of the budget unit; a unit belongs to exactly one department."),
        "单位名称": _("Name of the budget unit."),
        "内设机构": _("Name of the internal office the person works in."),
        "机构类型": _accepted_words(OFFICE_KIND_LABELS, OFFICE_KIND_SYNONYMS),
        "姓名": _("Full name."),
        "工号": _("Staff number, unique for each person; it is also the login name."),
        "职务类别": _accepted_words(POSITION_LABELS, POSITION_SYNONYMS),
        "手机": _("Optional. An 11-digit mainland mobile number."),
        "邮箱": _("Optional. Email address."),
    }
    for header in HEADERS:
        required = _("No") if header in ("手机", "邮箱") else _("Yes")
        notes.append([header, required, explanations[header]])
    notes.append([])
    notes.append([_("Row 1 is the header row; do not change it. One person per row.")])
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["C"].width = 80
    return _save(workbook)


def initial_passwords_workbook(issued) -> bytes:
    """The one-time password list for administrators to hand out offline."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "初始密码"
    sheet.append(
        [
            _("Staff number"),
            pgettext("person", "Name"),
            _("Department"),
            _("Budget unit"),
            _("Office"),
            _("Initial password"),
        ]
    )
    for item in issued:
        sheet.append(
            [
                cell_safe(v)
                for v in (
                    item.staff_number,
                    item.name,
                    item.department,
                    item.unit,
                    item.office,
                    item.password,
                )
            ]
        )
    return _save(workbook)
