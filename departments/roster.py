"""Roster files: the typed row, reading .xlsx / CSV (UTF-8 or GBK), and row-level validation.

Nothing here writes to the database; `departments.services.roster_import` does.
"""

import csv
import json
import re
import unicodedata
import zipfile
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from departments.models import OfficeKind, Position
from departments.validators import staff_number_format_error
from portal.uploads import UploadError, XlsxUnreadable, csv_rows, xlsx_rows

# The header row, exactly as administrators see it in the spreadsheet.
COL_DEPARTMENT_CODE = "部门编码"
COL_DEPARTMENT_NAME = "部门名称"
COL_UNIT_CODE = "单位编码"
COL_UNIT_NAME = "单位名称"
COL_OFFICE_NAME = "内设机构"
COL_OFFICE_KIND = "机构类型"
COL_NAME = "姓名"
COL_STAFF_NUMBER = "工号"
COL_POSITION = "职务类别"
COL_PHONE = "手机"
COL_EMAIL = "邮箱"

HEADERS = (
    COL_DEPARTMENT_CODE,
    COL_DEPARTMENT_NAME,
    COL_UNIT_CODE,
    COL_UNIT_NAME,
    COL_OFFICE_NAME,
    COL_OFFICE_KIND,
    COL_NAME,
    COL_STAFF_NUMBER,
    COL_POSITION,
    COL_PHONE,
    COL_EMAIL,
)
# Column -> RosterRow attribute.
COLUMN_FIELDS = {
    COL_DEPARTMENT_CODE: "department_code",
    COL_DEPARTMENT_NAME: "department_name",
    COL_UNIT_CODE: "unit_code",
    COL_UNIT_NAME: "unit_name",
    COL_OFFICE_NAME: "office_name",
    COL_OFFICE_KIND: "office_kind",
    COL_NAME: "name",
    COL_STAFF_NUMBER: "staff_number",
    COL_POSITION: "position",
    COL_PHONE: "phone",
    COL_EMAIL: "email",
}
REQUIRED_COLUMNS = tuple(c for c in HEADERS if c not in (COL_PHONE, COL_EMAIL))
# Cells right of the template's columns are never read (a row padded to column XFD is cheap).
MAX_COLUMNS = 2 * len(HEADERS)

# Spreadsheet labels -> stored values. Stored values are accepted too (rows built in Python).
OFFICE_KIND_LABELS = {
    "财务": OfficeKind.FINANCE,
    "业务": OfficeKind.BUSINESS,
    "综合": OfficeKind.GENERAL,
}
POSITION_LABELS = {
    "负责人": Position.HEAD,
    "财务人员": Position.FINANCE,
    "业务人员": Position.BUSINESS,
    "其他": Position.OTHER,
}
OFFICE_KIND_BY_VALUE = {v: k for k, v in OFFICE_KIND_LABELS.items()}
POSITION_BY_VALUE = {v: k for k, v in POSITION_LABELS.items()}
# Words people write for the same thing (the admin's own labels among them); the template's
# 填写说明 sheet lists them. Matched after NFKC folding, spaces removed and lower case.
OFFICE_KIND_SYNONYMS = {
    OfficeKind.FINANCE: ("财务", "财务机构", "财务处", "财务科", "财务处室", "财务科室", "财务部",
                         "财会", "计财", "计划财务", "计财处", "计财科", "财务室"),
    OfficeKind.BUSINESS: ("业务", "业务机构", "业务处室", "业务科室", "业务处", "业务科",
                          "业务部门"),
    OfficeKind.GENERAL: ("综合", "综合机构", "综合处室", "综合科室", "综合处", "综合科",
                         "办公室", "行政", "综合办公室"),
}
POSITION_SYNONYMS = {
    Position.HEAD: ("负责人", "主要负责人", "分管负责人", "单位负责人", "部门负责人",
                    "处室负责人", "科室负责人", "机构负责人", "领导"),
    Position.FINANCE: ("财务人员", "财务", "会计", "出纳", "财会人员", "财务工作人员"),
    Position.BUSINESS: ("业务人员", "业务", "业务工作人员", "业务骨干"),
    Position.OTHER: ("其他", "其它", "其他人员", "其它人员"),
}

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FIELD_MAX_LENGTHS = {
    "department_code": 32,
    "department_name": 200,
    "unit_code": 32,
    "unit_name": 200,
    "office_name": 200,
    "name": 150,
    "email": 254,
}  # 工号: length and characters are checked by departments.validators (one rule everywhere)

# Error messages (English msgids, translated in the catalogue). Tests assert these constants.
ERR_FILE_TOO_LARGE = gettext_lazy("The file is larger than %(limit)s MB.")
ERR_TOO_MANY_ROWS = gettext_lazy("The file has more than %(limit)s data rows.")
ERR_NOT_SPREADSHEET = gettext_lazy(
    "The file is not a readable spreadsheet: upload an .xlsx workbook or a CSV file."
)
ERR_EMPTY_FILE = gettext_lazy("The file is empty.")
ERR_NO_DATA_ROWS = gettext_lazy("The file has a header row but no data rows.")
ERR_MISSING_HEADERS = gettext_lazy("Missing columns in the header row: %(columns)s.")
ERR_UNKNOWN_HEADERS = gettext_lazy("Unexpected columns in the header row: %(columns)s.")
ERR_HEADER_ORDER = gettext_lazy("The header row must be exactly: %(columns)s.")
ERR_REQUIRED = gettext_lazy("This cell is required.")
ERR_TOO_LONG = gettext_lazy("Too long: at most %(limit)s characters.")
ERR_OFFICE_KIND = gettext_lazy("Unknown office kind “%(value)s”: use one of %(allowed)s.")
ERR_POSITION = gettext_lazy("Unknown position “%(value)s”: use one of %(allowed)s.")
ERR_PHONE = gettext_lazy("“%(value)s” is not an 11-digit mainland mobile number.")
ERR_EMAIL = gettext_lazy("“%(value)s” is not a valid email address.")
ERR_DUPLICATE_STAFF_NUMBER = gettext_lazy(
    "Staff number %(value)s already appears in row %(first)s."
)
ERR_UNIT_TWO_DEPARTMENTS = gettext_lazy(
    "Unit %(value)s is under department %(first_department)s in row %(first)s "
    "but under %(department)s here."
)
ERR_UNIT_EXISTS_ELSEWHERE = gettext_lazy(
    "Unit %(value)s already exists under department %(existing)s, not %(department)s."
)
ERR_DEPARTMENT_TWO_NAMES = gettext_lazy(
    "Department %(value)s is named “%(first_name)s” in row %(first)s but “%(name)s” here."
)
ERR_UNIT_TWO_NAMES = gettext_lazy(
    "Unit %(value)s is named “%(first_name)s” in row %(first)s but “%(name)s” here."
)
ERR_OFFICE_TWO_KINDS = gettext_lazy(
    "Office “%(value)s” of unit %(unit)s has another kind in row %(first)s."
)
ERR_DEPARTMENT_NOT_ALLOWED = gettext_lazy("You may only import learners of your own department.")
ERR_ACCOUNT_TAKEN = gettext_lazy(
    "Staff number “%(value)s” is already the user name of another account that is not a "
    "learner; use the person's real staff number, or ask the bureau to link the account."
)


@dataclass(frozen=True)
class RosterRow:
    """One person in a roster. `office_kind` and `position` take the stored values
    ("finance"/"business"/"general"; "head"/"finance"/"business"/"other") or the Chinese
    labels used in the spreadsheet. `row_number` is the spreadsheet row (header = row 1)."""

    department_code: str
    department_name: str
    unit_code: str
    unit_name: str
    office_name: str
    office_kind: str
    name: str
    staff_number: str
    position: str
    phone: str = ""
    email: str = ""
    row_number: int | None = None


@dataclass(frozen=True)
class RowError:
    """A problem in the file; `row` is None for file-level problems."""

    row: int | None
    column: str
    message: str

    def __str__(self):
        if self.row is None:
            return self.message
        return _("Row %(row)s, column %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column or "-",
            "message": self.message,
        }

    def as_dict(self) -> dict:
        return {**asdict(self), "text": str(self)}


@dataclass
class ParsedRoster:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _file_error(message) -> ParsedRoster:
    return ParsedRoster(errors=[RowError(row=None, column="", message=str(message))])


def _cell_text(value) -> str:
    """Spreadsheet cells as text: 13800000000.0 -> "13800000000", None -> ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _iter_xlsx(data: bytes):
    """(row number, cell texts) of the first sheet's filled rows, streamed with hard limits."""
    limit = settings.ROSTER_MAX_ROWS
    for number, values in xlsx_rows(
        data,
        max_rows=limit + 1,  # and the header row
        too_many_rows=ERR_TOO_MANY_ROWS % {"limit": limit},
        max_columns=MAX_COLUMNS,
    ):
        yield number, [_cell_text(v) for v in values]


def _iter_csv(data: bytes):
    """(line number, cell texts) of the filled lines, with the same limits as a workbook."""
    limit = settings.ROSTER_MAX_ROWS
    for number, values in csv_rows(
        data,
        max_rows=limit + 1,  # and the header row
        too_many_rows=ERR_TOO_MANY_ROWS % {"limit": limit},
        max_columns=MAX_COLUMNS,
    ):
        yield number, [_cell_text(v) for v in values]


def roster_parse(*, data: bytes, filename: str = "") -> ParsedRoster:
    """Read a roster file into typed rows plus the errors found in it (file and cell level)."""
    max_bytes = settings.ROSTER_MAX_UPLOAD_BYTES
    if len(data) > max_bytes:
        return _file_error(ERR_FILE_TOO_LARGE % {"limit": round(max_bytes / 1024 / 1024, 1)})
    if not data.strip():
        return _file_error(ERR_EMPTY_FILE)
    is_zip = data[:4] == b"PK\x03\x04"
    if filename.lower().endswith((".xlsx", ".xlsm")) or is_zip:
        if not is_zip:
            return _file_error(ERR_NOT_SPREADSHEET)
        source = _iter_xlsx(data)
    else:
        source = _iter_csv(data)

    max_rows = settings.ROSTER_MAX_ROWS
    result = ParsedRoster()
    try:
        header = None
        for index, values in source:
            if header is None:
                if index != 1:
                    break  # the header must be row 1
                header = values
                header_errors = _check_header(header)
                if header_errors:
                    result.errors.extend(header_errors)
                    return result
                continue
            if len(result.rows) >= max_rows:
                return _file_error(ERR_TOO_MANY_ROWS % {"limit": max_rows})
            cells = dict(zip(HEADERS, [*values, *[""] * len(HEADERS)], strict=False))
            result.rows.append(
                RosterRow(**{COLUMN_FIELDS[col]: cells[col] for col in HEADERS}, row_number=index)
            )
    except XlsxUnreadable:
        return _file_error(ERR_NOT_SPREADSHEET)
    except UploadError as exc:
        return _file_error(exc.message)
    except (ValueError, csv.Error, KeyError, zipfile.BadZipFile):
        return _file_error(ERR_NOT_SPREADSHEET)
    if header is None or not any(header):
        return _file_error(ERR_EMPTY_FILE)
    if not result.rows:
        return _file_error(ERR_NO_DATA_ROWS)
    return result


# Stored form of parsed rows: a roster is parsed once, at upload, and its import job and preview
# read these rows instead of the file.
ROWS_FORMAT_VERSION = 1
_ROW_FIELDS = (*COLUMN_FIELDS.values(), "row_number")


def roster_rows_dump(rows: list[RosterRow]) -> bytes:
    """Parsed rows as compact JSON (one list of values per row)."""
    payload = {
        "version": ROWS_FORMAT_VERSION,
        "fields": list(_ROW_FIELDS),
        "rows": [[getattr(row, name) for name in _ROW_FIELDS] for row in rows],
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def roster_rows_load(data: bytes) -> list[RosterRow]:
    """The rows written by roster_rows_dump; ValueError for anything else."""
    payload = json.loads(data.decode("utf-8"))
    if not isinstance(payload, dict) or payload.get("version") != ROWS_FORMAT_VERSION:
        raise ValueError("not a stored roster")
    fields = tuple(payload.get("fields") or ())
    if fields != _ROW_FIELDS:
        raise ValueError("unexpected stored roster fields")
    return [RosterRow(**dict(zip(fields, values, strict=True))) for values in payload["rows"]]


def _check_header(header: list[str]) -> list[RowError]:
    cells = list(header)
    while cells and not cells[-1]:
        cells.pop()
    if not cells:
        return [RowError(row=None, column="", message=str(ERR_EMPTY_FILE))]
    if tuple(cells) == HEADERS:
        return []
    errors = []
    missing = [c for c in HEADERS if c not in cells]
    unknown = [c for c in cells if c not in HEADERS]
    if missing:
        errors.append(
            RowError(
                row=1, column="", message=str(ERR_MISSING_HEADERS % {"columns": "、".join(missing)})
            )
        )
    if unknown:
        errors.append(
            RowError(
                row=1, column="", message=str(ERR_UNKNOWN_HEADERS % {"columns": "、".join(unknown)})
            )
        )
    if not errors:
        errors.append(
            RowError(
                row=1, column="", message=str(ERR_HEADER_ORDER % {"columns": " | ".join(HEADERS)})
            )
        )
    return errors


def _fold(value: str) -> str:
    """Compare words as people type them: full-width folded (NFKC), no spaces, any case."""
    return "".join(unicodedata.normalize("NFKC", value or "").split()).casefold()


def _lookup(synonyms: dict[str, tuple[str, ...]], labels: dict[str, str]) -> dict[str, str]:
    table = {_fold(value): value for value in synonyms}  # stored values: "business"
    for value, words in synonyms.items():
        table.update({_fold(word): value for word in words})
    table.update({_fold(word): value for word, value in labels.items()})
    return table


_OFFICE_KIND_LOOKUP = _lookup(OFFICE_KIND_SYNONYMS, OFFICE_KIND_LABELS)
_POSITION_LOOKUP = _lookup(POSITION_SYNONYMS, POSITION_LABELS)


def normalise_office_kind(value: str) -> str | None:
    """The stored office kind for what a roster cell says (财务/业务机构/办公室 ...), or None."""
    return _OFFICE_KIND_LOOKUP.get(_fold(value))


def normalise_position(value: str) -> str | None:
    """The stored position for what a roster cell says (负责人/会计/业务人员 ...), or None."""
    return _POSITION_LOOKUP.get(_fold(value))


def roster_validate(
    rows: list[RosterRow], *, department_codes: set[str] | None = None
) -> list[RowError]:
    """Check every row and the rows against each other; return all problems found.

    `department_codes`, when given, limits the rows to those departments (department admins).
    """
    errors: list[RowError] = []
    first_staff_row: dict[str, int] = {}
    unit_department: dict[str, tuple[str, int]] = {}
    unit_name: dict[str, tuple[str, int]] = {}
    department_name: dict[str, tuple[str, int]] = {}
    office_kind: dict[tuple[str, str], tuple[str, int]] = {}
    field_column = {f: c for c, f in COLUMN_FIELDS.items()}

    for position_in_list, row in enumerate(rows, start=2):
        number = row.row_number or position_in_list

        def err(column, message, number=number):
            errors.append(RowError(row=number, column=column, message=str(message)))

        for column in REQUIRED_COLUMNS:
            if not getattr(row, COLUMN_FIELDS[column]):
                err(column, ERR_REQUIRED)
        for attr, limit in FIELD_MAX_LENGTHS.items():
            if len(getattr(row, attr)) > limit:
                err(field_column[attr], ERR_TOO_LONG % {"limit": limit})
        kind = normalise_office_kind(row.office_kind)
        if row.office_kind and kind is None:
            err(
                COL_OFFICE_KIND,
                ERR_OFFICE_KIND
                % {"value": row.office_kind, "allowed": "/".join(OFFICE_KIND_LABELS)},
            )
        if row.position and normalise_position(row.position) is None:
            err(
                COL_POSITION,
                ERR_POSITION % {"value": row.position, "allowed": "/".join(POSITION_LABELS)},
            )
        if row.phone and not MOBILE_RE.match(row.phone):
            err(COL_PHONE, ERR_PHONE % {"value": row.phone})
        if row.email and not EMAIL_RE.match(row.email):
            err(COL_EMAIL, ERR_EMAIL % {"value": row.email})
        if (
            department_codes is not None
            and row.department_code
            and (row.department_code not in department_codes)
        ):
            err(COL_DEPARTMENT_CODE, ERR_DEPARTMENT_NOT_ALLOWED)

        if row.staff_number:
            if problem := staff_number_format_error(row.staff_number):
                err(COL_STAFF_NUMBER, problem)
            # User names are unique regardless of letter case, so are 工号 within a file.
            key = row.staff_number.casefold()
            if key in first_staff_row:
                err(
                    COL_STAFF_NUMBER,
                    ERR_DUPLICATE_STAFF_NUMBER
                    % {"value": row.staff_number, "first": first_staff_row[key]},
                )
            else:
                first_staff_row[key] = number
        if row.department_code and row.department_name:
            seen = department_name.setdefault(row.department_code, (row.department_name, number))
            if seen[0] != row.department_name:
                err(
                    COL_DEPARTMENT_NAME,
                    ERR_DEPARTMENT_TWO_NAMES
                    % {
                        "value": row.department_code,
                        "first_name": seen[0],
                        "first": seen[1],
                        "name": row.department_name,
                    },
                )
        if row.unit_code and row.department_code:
            seen = unit_department.setdefault(row.unit_code, (row.department_code, number))
            if seen[0] != row.department_code:
                err(
                    COL_UNIT_CODE,
                    ERR_UNIT_TWO_DEPARTMENTS
                    % {
                        "value": row.unit_code,
                        "first_department": seen[0],
                        "first": seen[1],
                        "department": row.department_code,
                    },
                )
        if row.unit_code and row.unit_name:
            seen = unit_name.setdefault(row.unit_code, (row.unit_name, number))
            if seen[0] != row.unit_name:
                err(
                    COL_UNIT_NAME,
                    ERR_UNIT_TWO_NAMES
                    % {
                        "value": row.unit_code,
                        "first_name": seen[0],
                        "first": seen[1],
                        "name": row.unit_name,
                    },
                )
        if row.unit_code and row.office_name and kind:
            seen = office_kind.setdefault((row.unit_code, row.office_name), (kind, number))
            if seen[0] != kind:
                err(
                    COL_OFFICE_KIND,
                    ERR_OFFICE_TWO_KINDS
                    % {"value": row.office_name, "unit": row.unit_code, "first": seen[1]},
                )
    return errors

