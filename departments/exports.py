"""Workbooks we hand out: the roster template and the one-time initial password list."""

import io

from django.utils.translation import gettext as _

from departments.roster import HEADERS, OFFICE_KIND_LABELS, POSITION_LABELS

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def cell_safe(value):
    """Neutralise text a spreadsheet would run as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _save(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


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
        validation = DataValidation(
            type="list",
            formula1='"' + ",".join(labels) + '"',
            allow_blank=False,
            showErrorMessage=True,
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
        "机构类型": _("One of: %(values)s.") % {"values": "、".join(OFFICE_KIND_LABELS)},
        "姓名": _("Full name."),
        "工号": _("Staff number, unique for each person; it is also the login name."),
        "职务类别": _("One of: %(values)s.") % {"values": "、".join(POSITION_LABELS)},
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
            _("Name"),
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
