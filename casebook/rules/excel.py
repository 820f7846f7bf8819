"""The goal-table editor's Excel template: writer and reader (same fields as the JSON format).

Layout of the first sheet (绩效目标申报表):
    rows 1–7: label in column A, value in column B —
        项目名称 | 预算金额（万元） | 年度 | 指标框架（2021/2020） |
        是否跨年度项目（是/否） | 总体目标 | 年度目标
    row 9: 一级指标 | 二级指标 | 三级指标 | 计算符号 | 指标值 | 计量单位 |
        指标值设定依据 | 指标解释 | 历史值
    rows 10+: one indicator per row (blank rows are skipped).
The reader finds the header row by its first cell "一级指标" (within the first 40 rows) and the
header fields by their labels, so editors may insert notes above the table. Text cells that a
spreadsheet would run as a formula (= + - @) are written with a leading apostrophe, and the
reader removes it again. Operators are written as ≥ ≤ ＝ ＞ ＜ 定性.
"""

from __future__ import annotations

import datetime as dt
import io

from casebook.rules.i18n import gettext as _
from casebook.rules.i18n import gettext_noop
from casebook.rules.table import MAX_ROWS, MAX_TEXT, GoalTable, TableError
from portal.spreadsheets import cell_safe, cell_unsafe

SHEET_TITLE = "绩效目标申报表"
HEADER_LABELS = {
    "project": "项目名称",
    "budget_wan": "预算金额（万元）",
    "year": "年度",
    "framework": "指标框架（2021/2020）",
    "multi_year": "是否跨年度项目（是/否）",
    "overall_goal": "总体目标",
    "annual_goal": "年度目标",
}
COLUMNS = ("一级指标", "二级指标", "三级指标", "计算符号", "指标值", "计量单位",
           "指标值设定依据", "指标解释", "历史值")
FIELDS = ("level1", "level2", "name", "op", "value", "unit", "basis", "explanation", "history")
OP_DISPLAY = {">=": "≥", "<=": "≤", "=": "＝", ">": "＞", "<": "＜", "qualitative": "定性"}
HEADER_ROW = 9
MAX_SCAN_ROWS = 40
MAX_COLUMNS = 30

ERR_NOT_WORKBOOK = gettext_noop("The file is not a readable Excel workbook (.xlsx).")
ERR_NO_HEADER = gettext_noop("The workbook has no indicator header row starting with 一级指标.")
ERR_COLUMNS = gettext_noop("The indicator header row must read: {columns}.")




def goal_table_workbook(table: GoalTable | None = None) -> bytes:
    """An .xlsx of the template, filled with `table` when given (an empty template otherwise)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    data = table.to_dict() if table else {"framework": "2021", "multi_year": False,
                                          "indicators": []}
    for row, (key, label) in enumerate(HEADER_LABELS.items(), start=1):
        sheet.cell(row=row, column=1, value=label).font = Font(bold=True)
        value = data.get(key)
        if key == "multi_year":
            value = "是" if value else "否"
        sheet.cell(row=row, column=2, value=cell_safe("" if value is None else value))
        sheet.cell(row=row, column=2).alignment = Alignment(wrap_text=True)
    for column, header in enumerate(COLUMNS, start=1):
        sheet.cell(row=HEADER_ROW, column=column, value=header).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(column)].width = 18
    sheet.column_dimensions["B"].width = 40
    for offset, indicator in enumerate(data["indicators"], start=1):
        for column, name in enumerate(FIELDS, start=1):
            value = indicator.get(name)
            if name == "op":
                value = OP_DISPLAY.get(value, value)
            if value is None:
                value = ""
            cell = sheet.cell(row=HEADER_ROW + offset, column=column, value=cell_safe(value))
            if isinstance(value, str):
                cell.number_format = "@"
    validation = DataValidation(type="list", formula1='"≥,≤,＝,＞,＜,定性"', allow_blank=True)
    sheet.add_data_validation(validation)
    validation.add(f"D{HEADER_ROW + 1}:D{HEADER_ROW + 500}")
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(value):
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, str):
        return cell_unsafe(value.strip())
    return value


def goal_table_from_xlsx(data: bytes) -> GoalTable:
    """Read the template into a validated GoalTable; TableError on any problem."""
    from portal.uploads import UploadError, XlsxUnreadable, xlsx_rows

    header: dict[str, object] = {}
    labels = {label: key for key, label in HEADER_LABELS.items()}
    rows: list[dict] = []
    header_seen = False
    # Streamed with portal.uploads' limits (zip sizes checked first, blank padding not read to
    # its end); one row past MAX_ROWS is kept so GoalTable.from_dict names the row limit.
    try:
        for number, raw in xlsx_rows(data, max_rows=MAX_SCAN_ROWS + MAX_ROWS + 2,
                                     max_columns=MAX_COLUMNS):
            values = [_cell(v) for v in raw]
            first = values[0] if values else None
            if not header_seen:
                if first == COLUMNS[0]:
                    got = tuple(str(v or "").strip() for v in values[:len(COLUMNS)])
                    if got != COLUMNS:
                        raise TableError([_(ERR_COLUMNS).format(columns=" | ".join(COLUMNS))])
                    header_seen = True
                elif isinstance(first, str) and first in labels:
                    header[labels[first]] = values[1] if len(values) > 1 else None
                elif number >= MAX_SCAN_ROWS:
                    raise TableError([_(ERR_NO_HEADER)])
                continue
            cells = list(values[:len(FIELDS)]) + [None] * (len(FIELDS) - len(values))
            if all(v in (None, "") for v in cells):
                continue
            rows.append(dict(zip(FIELDS, cells, strict=True)))
            if len(rows) > MAX_ROWS:
                break  # GoalTable.from_dict refuses it with the row limit message
    except XlsxUnreadable as exc:
        raise TableError([_(ERR_NOT_WORKBOOK)]) from exc
    except UploadError as exc:
        raise TableError([exc.message]) from exc
    if not header_seen:
        raise TableError([_(ERR_NO_HEADER)])
    for key in ("project", "overall_goal", "annual_goal"):
        if header.get(key) is not None and not isinstance(header[key], str):
            header[key] = str(header[key])
        if isinstance(header.get(key), str) and len(header[key]) > MAX_TEXT + 1:
            header[key] = header[key][:MAX_TEXT + 1]
    for row in rows:
        for key in ("level1", "level2", "name", "unit", "basis", "explanation"):
            if row[key] is not None and not isinstance(row[key], str):
                row[key] = str(row[key])
    framework = header.get("framework")
    return GoalTable.from_dict({
        "framework": str(framework).strip() if framework not in (None, "") else "2021",
        "project": header.get("project"),
        "budget_wan": header.get("budget_wan"),
        "year": header.get("year"),
        "multi_year": header.get("multi_year") or False,
        "overall_goal": header.get("overall_goal"),
        "annual_goal": header.get("annual_goal"),
        "indicators": rows,
    })
