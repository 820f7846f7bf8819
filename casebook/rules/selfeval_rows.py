"""单位自评 as editable parts: budget, executed amount, indicator rows and remarks.

The scorer (``selfeval.py``) reads one dictionary; the case editor stores the same facts as
typed fields and rows. This pure module converts between the two and states the rules a
self-evaluation must satisfy before it is saved. It imports no models, so the data migration
that moved the JSON into rows (``casebook/migrations/0004_self_evaluation_rows``) uses it too:
change the format here only together with a new migration.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal, InvalidOperation

from casebook.rules.i18n import gettext as _
from casebook.rules.i18n import gettext_noop
from casebook.rules.selfeval import SelfEvalError, score_self_evaluation

# Row fields in table order; every value is stored as text except the two numbers.
ROW_TEXT_FIELDS = ("level1", "level2", "name", "op", "target", "actual", "unit", "band",
                   "rule", "explanation")
ROW_NUMBER_FIELDS = ("points", "band_percent")
ROW_FIELDS = ROW_TEXT_FIELDS + ROW_NUMBER_FIELDS
# Keys of the old JSON that are computed results: the scorer recomputes them, so they are
# not stored (they were the same numbers: checked on the four demo cases).
RESULT_KEYS = frozenset({"score", "total", "grade", "budget_score", "met"})
BUDGET_ALIASES = (("budget_wan", "executed_wan"), ("budget_total", "budget_executed"))

ERR_AMOUNTS_REQUIRED = gettext_noop(
    "Enter the annual budget and the amount spent: the self-evaluation scores budget "
    "execution from them.")
ERR_POINTS_ALL_OR_NONE = gettext_noop(
    "Give points to every self-evaluation row or to none (then the class weights apply).")
ERR_POINTS_SUM = gettext_noop(
    "The points of the self-evaluation rows add up to {total}; with {budget} points for "
    "budget execution they must add up to {expected}.")


def split_self_evaluation(data: dict | None) -> dict:
    """The parts of an old-format self-evaluation: amounts, row dicts and remarks.

    Keys outside the format are kept as remark lines ("key：value") so nothing is lost."""
    parts = {"budget_wan": None, "executed_wan": None, "rows": [], "remarks": ""}
    if not isinstance(data, dict):
        return parts
    remarks: list[str] = []
    for budget_key, executed_key in BUDGET_ALIASES:
        if parts["budget_wan"] is None and data.get(budget_key) not in (None, ""):
            parts["budget_wan"] = _decimal(data.get(budget_key))
            parts["executed_wan"] = _decimal(data.get(executed_key))
    rows = data.get("rows") if isinstance(data.get("rows"), list) else []
    for number, item in enumerate(rows, start=1):
        item = item if isinstance(item, dict) else {}
        row = {name: _text(item.get(name)) for name in ROW_TEXT_FIELDS}
        points = item.get("points") if item.get("points") not in (None, "") else \
            item.get("weight")
        row["points"] = _decimal(points)
        row["band_percent"] = _decimal(item.get("band_percent"))
        if not row["explanation"]:
            row["explanation"] = _text(item.get("deviation"))
        known = set(ROW_FIELDS) | RESULT_KEYS | {"weight", "deviation"}
        # Remarks are case content, written in Chinese like the rest of it.
        remarks.extend(f"第{number}行 · {key}：{_text(value)}"
                       for key, value in item.items() if key not in known)
        parts["rows"].append(row)
    known_top = {"rows", "framework", *RESULT_KEYS,
                 *(key for pair in BUDGET_ALIASES for key in pair)}
    for key, value in data.items():
        if key in known_top or str(key) in {"总分", "等级"}:
            continue
        if key in ("remarks", "备注"):
            remarks.insert(0, _text(value))
        else:
            remarks.append(f"{key}：{_text(value)}")
    parts["remarks"] = "\n".join(line for line in remarks if line)
    return parts


def join_self_evaluation(*, budget_wan, executed_wan, rows: list[dict],
                         remarks: str = "") -> dict | None:
    """The scorer's dictionary from the parts (empty values left out); None when empty."""
    data: dict = {}
    if budget_wan is not None:
        data["budget_wan"] = _plain_number(budget_wan)
    if executed_wan is not None:
        data["executed_wan"] = _plain_number(executed_wan)
    if rows:
        data["rows"] = []
        for row in rows:
            item = {}
            for name in ROW_FIELDS:
                value = row.get(name)
                if value is None or value == "":
                    continue
                item[name] = _plain_number(value) if name in ROW_NUMBER_FIELDS or \
                    name in ("target", "actual") else value
            data["rows"].append(item)
    if remarks:
        data["remarks"] = remarks
    return data or None


def self_evaluation_errors(data: dict | None, *, config=None) -> list[str]:
    """Why a self-evaluation cannot be saved (translated messages); [] when it can."""
    if not data or not data.get("rows"):
        return []
    errors: list[str] = []
    if data.get("budget_wan") in (None, "") or data.get("executed_wan") in (None, ""):
        errors.append(_(ERR_AMOUNTS_REQUIRED))
    points = [row.get("points") for row in data["rows"]]
    given = [value for value in points if value not in (None, "")]
    if given and len(given) != len(points):
        errors.append(_(ERR_POINTS_ALL_OR_NONE))
    elif given:
        from casebook.rules.config import default_config

        budget = (config or default_config()).selfeval_budget_weight
        total = sum(Decimal(str(value)) for value in given)
        if abs(float(total) + budget - 100) > 0.005:
            errors.append(_(ERR_POINTS_SUM).format(total=_plain_number(total),
                                                   budget=_plain_number(budget),
                                                   expected=_plain_number(100 - budget)))
    if errors:
        return errors
    try:
        score_self_evaluation(data, config)
    except SelfEvalError as error:
        errors.extend(error.messages)
    return errors


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _decimal(value) -> Decimal | None:
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _plain_number(value):
    """1200 for "1200" or Decimal("1200.00"), 5.94 for "5.94"; other text unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = Decimal(str(value))
    else:
        number = _decimal(value)
        if number is None or str(value).strip().lower() in ("nan", "inf", "infinity"):
            return value
    if not number.is_finite():
        return value
    if number == number.to_integral_value():
        return int(number)
    result = float(number)
    return result if math.isfinite(result) else value
