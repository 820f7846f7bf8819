"""The goal-table interchange format (JSON and the editor's Excel template share it).

Format (exact)::

    {"framework": "2021" | "2020", "project": str, "budget_wan": number, "year": int,
     "multi_year": bool, "overall_goal": str, "annual_goal": str (optional),
     "indicators": [{"level1", "level2", "name", "op", "value", "unit", "basis",
                     "explanation", "history"}]}

`op` is one of ``>= <= = > < qualitative``; ``≥ ≤ ＝ ＞ ＜ 定性`` (and full-width variants) are
normalised to those. `value` is a number, a numeric string, a date (``2026-08-25``) or text.
Missing optional keys get defaults (framework "2021"); a row's ``note`` is read as its
explanation when ``explanation`` is absent (the report's case file uses ``note``); other unknown
keys are ignored. Malformed input raises `TableError` with one message per problem.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from casebook.rules.i18n import gettext as _
from casebook.rules.i18n import gettext_noop

FRAMEWORKS = ("2021", "2020")
OPERATORS = (">=", "<=", "=", ">", "<", "qualitative")
QUANTITATIVE_OPS = (">=", "<=", "=", ">", "<")
MAX_ROWS = 2000
MAX_TEXT = 2000
MAX_ABS_NUMBER = 1e12
MAX_BUDGET_WAN = 1e9
MAX_MESSAGES = 50

OP_ALIASES = {
    ">=": ">=", "≥": ">=", "≧": ">=", "=>": ">=",
    "<=": "<=", "≤": "<=", "≦": "<=", "=<": "<=",
    "=": "=", "==": "=",
    ">": ">",
    "<": "<",
    "qualitative": "qualitative", "定性": "qualitative",
}

# Error messages (English msgids, translated by the project catalogue).
ERR_NOT_OBJECT = gettext_noop("The goal table must be a JSON object.")
ERR_NO_INDICATORS = gettext_noop("The goal table has no \"indicators\" list.")
ERR_TOO_MANY_ROWS = gettext_noop(
    "The goal table has {count} indicator rows; at most {limit} are accepted.")
ERR_ROW_NOT_OBJECT = gettext_noop("Row {row}: each indicator must be an object.")
ERR_FRAMEWORK = gettext_noop("Unknown framework {value!r}: use \"2021\" or \"2020\".")
ERR_FIELD_TYPE = gettext_noop("Field \"{field}\" has the wrong type.")
ERR_ROW_FIELD_TYPE = gettext_noop("Row {row}: field \"{field}\" has the wrong type.")
ERR_TEXT_TOO_LONG = gettext_noop("Field \"{field}\" is longer than {limit} characters.")
ERR_ROW_TEXT_TOO_LONG = gettext_noop(
    "Row {row}: field \"{field}\" is longer than {limit} characters.")
ERR_NUMBER = gettext_noop(
    "Field \"{field}\" is not a usable number (empty, NaN, infinite or absurdly large).")
ERR_ROW_NUMBER = gettext_noop(
    "Row {row}: field \"{field}\" is not a usable number (NaN, infinite or absurdly large).")
ERR_ROW_OP = gettext_noop(
    "Row {row}: unknown operator {value!r}; use >= <= = > < or qualitative (定性).")
ERR_YEAR = gettext_noop("Field \"year\" must be a year between 1990 and 2100.")
ERR_TOO_MANY_ERRORS = gettext_noop("More errors were found; only the first {limit} are listed.")


class TableError(ValueError):
    """A goal table that cannot be read; `messages` lists every problem found."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)
_LEADING_OP_RE = re.compile(r"^(>=|<=|≥|≤|≧|≦|=|＝|>|<|＞|＜)\s*")


def normalise_op(raw) -> str | None:
    """Map an operator as typed to one of OPERATORS; "" for missing, None for unknown."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if not text:
        return ""
    return OP_ALIASES.get(text.lower(), OP_ALIASES.get(text))


def parse_number(raw) -> float | None:
    """A finite number from an int/float or a numeric string ("5,000", "１２"); else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return float(raw) if abs(raw) <= MAX_ABS_NUMBER else math.inf
    if isinstance(raw, float):
        return raw
    if not isinstance(raw, str):
        return None
    text = unicodedata.normalize("NFKC", raw).strip().replace(",", "")
    if not _NUMBER_RE.match(text):
        return None
    try:
        return float(Decimal(text))
    except (InvalidOperation, OverflowError):
        return math.inf


def parse_date(raw) -> dt.date | None:
    """A calendar date from "2025-08-25", "2025/8/25", "2025.8.25" or "2025年8月25日"."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if not isinstance(raw, str):
        return None
    text = unicodedata.normalize("NFKC", raw).strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return dt.date(*(int(part) for part in match.groups()))
            except ValueError:
                return None
    return None


def _usable(number: float | None) -> bool:
    return number is not None and math.isfinite(number) and abs(number) <= MAX_ABS_NUMBER


@dataclass
class Indicator:
    """One 三级 indicator row with its parsed value."""

    level1: str = ""
    level2: str = ""
    name: str = ""
    op: str = ""
    value: object = None
    unit: str = ""
    basis: str = ""
    explanation: str = ""
    history: object = None
    # Parsed: "number" | "date" | "text" | "empty".
    value_kind: str = field(default="empty", compare=False, repr=False)
    number: float | None = field(default=None, compare=False, repr=False)
    date: dt.date | None = field(default=None, compare=False, repr=False)
    history_number: float | None = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        self.reparse()

    def reparse(self) -> None:
        """Recompute the parsed value fields after a change to `value` or `history`."""
        self.value_kind, self.number, self.date = "empty", None, None
        value = self.value
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            pass
        elif (number := parse_number(value)) is not None and _usable(number):
            self.value_kind, self.number = "number", number
        elif (date := parse_date(value)) is not None:
            self.value_kind, self.date = "date", date
        else:
            self.value_kind = "text"
        history = parse_number(self.history) if self.history not in (None, "") else None
        self.history_number = history if _usable(history) else None

    @property
    def value_text(self) -> str:
        """The value as displayed ("5000", "2025-08-25", "明显提高")."""
        if self.value is None:
            return ""
        if isinstance(self.value, float) and self.value.is_integer():
            return str(int(self.value))
        return str(self.value).strip()

    def to_dict(self) -> dict:
        return {
            "level1": self.level1, "level2": self.level2, "name": self.name, "op": self.op,
            "value": self.value, "unit": self.unit, "basis": self.basis,
            "explanation": self.explanation, "history": self.history,
        }


@dataclass
class GoalTable:
    """A project's goal declaration: header fields and ordered indicator rows."""

    framework: str = "2021"
    project: str = ""
    budget_wan: float | None = None
    year: int | None = None
    multi_year: bool = False
    overall_goal: str = ""
    annual_goal: str = ""
    indicators: list[Indicator] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data) -> GoalTable:
        """Validate and build a table; raise TableError listing every problem."""
        return _build(data)

    def to_dict(self) -> dict:
        data = {
            "framework": self.framework, "project": self.project,
            "budget_wan": self.budget_wan, "year": self.year, "multi_year": self.multi_year,
            "overall_goal": self.overall_goal,
        }
        if self.annual_goal:
            data["annual_goal"] = self.annual_goal
        data["indicators"] = [row.to_dict() for row in self.indicators]
        return data

    def copy(self) -> GoalTable:
        return GoalTable.from_dict(self.to_dict())


_ROW_TEXT_FIELDS = ("level1", "level2", "name", "unit", "basis", "explanation")


def _build(data) -> GoalTable:
    errors: list[str] = []
    if not isinstance(data, dict):
        raise TableError([_(ERR_NOT_OBJECT)])
    rows = data.get("indicators")
    if not isinstance(rows, list):
        raise TableError([_(ERR_NO_INDICATORS)])
    if len(rows) > MAX_ROWS:
        raise TableError([_(ERR_TOO_MANY_ROWS).format(count=len(rows), limit=MAX_ROWS)])

    framework = data.get("framework", "2021")
    framework = "2021" if framework in (None, "") else str(framework).strip()
    if framework not in FRAMEWORKS:
        errors.append(_(ERR_FRAMEWORK).format(value=str(data.get("framework"))[:40]))

    def header_text(name: str) -> str:
        value = data.get(name)
        if value is None:
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            errors.append(_(ERR_FIELD_TYPE).format(field=name))
            return ""
        text = str(value).strip()
        if len(text) > MAX_TEXT:
            errors.append(_(ERR_TEXT_TOO_LONG).format(field=name, limit=MAX_TEXT))
        return text

    project = header_text("project")
    overall_goal = header_text("overall_goal")
    annual_goal = header_text("annual_goal")

    budget = data.get("budget_wan")
    budget_wan = None
    if budget not in (None, ""):
        number = parse_number(budget)
        if not _usable(number) or number < 0 or number > MAX_BUDGET_WAN:
            errors.append(_(ERR_NUMBER).format(field="budget_wan"))
        else:
            budget_wan = int(number) if number.is_integer() else number

    year = data.get("year")
    year_value = None
    if year not in (None, ""):
        number = parse_number(year)
        if number is None or not _usable(number) or not number.is_integer() \
                or not 1990 <= number <= 2100:
            errors.append(_(ERR_YEAR))
        else:
            year_value = int(number)

    multi_year = data.get("multi_year", False)
    if isinstance(multi_year, str):
        multi_year = multi_year.strip().lower() in ("true", "1", "yes", "是", "y")
    elif multi_year is None:
        multi_year = False
    elif not isinstance(multi_year, bool | int):
        errors.append(_(ERR_FIELD_TYPE).format(field="multi_year"))
        multi_year = False

    indicators: list[Indicator] = []
    for index, row in enumerate(rows, start=1):
        if len(errors) >= MAX_MESSAGES:
            errors.append(_(ERR_TOO_MANY_ERRORS).format(limit=MAX_MESSAGES))
            break
        if not isinstance(row, dict):
            errors.append(_(ERR_ROW_NOT_OBJECT).format(row=index))
            continue
        values: dict[str, object] = {}
        source = dict(row)
        if "explanation" not in source and "note" in source:
            source["explanation"] = source["note"]
        for name in _ROW_TEXT_FIELDS:
            value = source.get(name)
            if value is None:
                values[name] = ""
                continue
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                errors.append(_(ERR_ROW_FIELD_TYPE).format(row=index, field=name))
                values[name] = ""
                continue
            text = str(value).strip()
            if len(text) > MAX_TEXT:
                errors.append(_(ERR_ROW_TEXT_TOO_LONG).format(
                    row=index, field=name, limit=MAX_TEXT))
            values[name] = text

        op = normalise_op(source.get("op"))
        value = source.get("value")
        if value is not None and (not isinstance(value, str | int | float)
                                  or isinstance(value, bool)):
            errors.append(_(ERR_ROW_FIELD_TYPE).format(row=index, field="value"))
            value = None
        if isinstance(value, str):
            if len(value) > MAX_TEXT:
                errors.append(_(ERR_ROW_TEXT_TOO_LONG).format(
                    row=index, field="value", limit=MAX_TEXT))
            value = value.strip()
            # "≥5000" typed into the value cell with the operator column left empty.
            match = _LEADING_OP_RE.match(value)
            if match and not op and parse_number(value[match.end():]) is not None:
                op = normalise_op(match.group(1))
                value = value[match.end():]
        if op is None:
            errors.append(_(ERR_ROW_OP).format(row=index, value=str(source.get("op"))[:20]))
            op = ""
        if isinstance(value, int | float):
            number = parse_number(value)
            if not _usable(number):
                errors.append(_(ERR_ROW_NUMBER).format(row=index, field="value"))
                value = None
        elif isinstance(value, str) and parse_number(value) is not None \
                and not _usable(parse_number(value)):
            errors.append(_(ERR_ROW_NUMBER).format(row=index, field="value"))
            value = None

        history = source.get("history")
        if history is not None and (not isinstance(history, str | int | float)
                                    or isinstance(history, bool)):
            errors.append(_(ERR_ROW_FIELD_TYPE).format(row=index, field="history"))
            history = None
        if isinstance(history, str):
            history = history.strip()[:MAX_TEXT] or None
        if history is not None and parse_number(history) is not None \
                and not _usable(parse_number(history)):
            errors.append(_(ERR_ROW_NUMBER).format(row=index, field="history"))
            history = None

        indicators.append(Indicator(op=op, value=value, history=history, **values))

    if errors:
        raise TableError(errors)
    return GoalTable(
        framework=framework, project=project, budget_wan=budget_wan, year=year_value,
        multi_year=bool(multi_year), overall_goal=overall_goal, annual_goal=annual_goal,
        indicators=indicators,
    )
