"""Writes for the casebook: functional classes, cases, the indicator library, checker settings.

Data schemas accepted from the demo content modules (``casebook/demo_cases.py`` ``CASES`` and
``casebook/demo_indicators.py`` ``INDICATORS``)::

   CASES item: {"code": "CASE-EDU-01", "title", "department", "func_class_code" (类 code e.g. "205"), "func_subclass": {"code","name"} or None, "year", "budget_wan", "funding_source", "project_type": "new"|"continuing", "multi_year": bool, "background", "overall_goal", "annual_goal", "framework": "2021"|"2020", "indicators": [{"level1","level2","name","op","value","unit","basis","explanation","history"}], "monitoring": None or {"month", "budget_wan", "executed_wan", "rows": [{"name","target","progress","direction"}]}, "self_evaluation": None or {"budget_wan", "executed_wan", "rows": [{"name","level1","level2","op","target","actual","unit","points","band","band_percent","rule","explanation"}], "remarks"} (the scorer's format; scores, total and grade are computed), "findings", "rectification", "teaching_good", "teaching_mistakes", "stages": [codes], "difficulty": "easy"|"medium"|"hard"}
   INDICATORS item: {"func_class_code", "func_subclass_code" or "", "sector", "level1", "level2", "name", "explanation", "unit", "direction": "positive"|"negative"|"qualitative", "typical_value", "basis": "plan"|"history"|"industry"|"budget_standard"|"other", "source": "common"|"specific", "examples": str}

Checker integration: a case's reference table is checked with ``casebook.rules`` when that
package is installed (``goal_table_findings``). ``case_upsert`` refuses a table with errors;
in the Wagtail admin, *publishing* is blocked with the findings listed on the form, while a
draft may be saved and shows the findings as a warning (see ``casebook.forms.CasePageForm``).
"""  # noqa: E501 - the two schema lines are kept exactly as agreed with the content writer

from __future__ import annotations

import csv
import datetime as dt
import logging
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from casebook.models import (
    CaseIndexPage,
    CaseIndicatorRow,
    CaseMonitoringRow,
    CasePage,
    Difficulty,
    FunctionalClass,
    FunctionalClassLevel,
    GoalRuleSettings,
    Indicator,
    IndicatorBasis,
    IndicatorDirection,
    IndicatorGram,
    IndicatorSource,
    ProjectType,
    SelfEvaluationRow,
)
from casebook.models.indicators import (
    LEVEL1_CHOICES,
    IndicatorGramStat,
    indicator_natural_key,
    indicator_search_key,
)
from casebook.rules.selfeval_rows import ROW_FIELDS as SELFEVAL_ROW_FIELDS
from casebook.rules.selfeval_rows import (
    join_self_evaluation,
    self_evaluation_errors,
    split_self_evaluation,
)
from portal.models import HomePage, Stage
from portal.services import page_publish
from portal.uploads import UploadError, xlsx_rows

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
FUNC_CLASS_CSV = DATA_DIR / "func_class_lei.csv"
CASE_INDEX_SLUG = "cases"
LEVEL1_VALUES = [value for value, _label in LEVEL1_CHOICES]

# --- Error messages (English msgids; tests assert them) -------------------------------------

ERROR_UNKNOWN_CLASS = "Unknown functional class (类) {code!r}."
ERROR_UNKNOWN_SUBCLASS = "Unknown functional subclass (款) {code!r}."
ERROR_SUBCLASS_MISMATCH = "款 {sub!r} does not belong to 类 {cls!r}."
ERROR_CASE_CODE = "A case needs a code (e.g. CASE-EDU-01)."
ERROR_CASE_TITLE = "A case needs a title (the project name)."
ERROR_BAD_BUDGET = "The budget must be a number greater than 0 (万元), not {value!r}."
ERROR_BAD_YEAR = "The year must be between 2000 and 2100, not {value!r}."
ERROR_BAD_CHOICE = "Unknown {field} {value!r}; use one of {choices}."
ERROR_BAD_STAGE = "Unknown stage {value!r}; use one of " + ", ".join(Stage.values) + "."
ERROR_NO_INDICATORS = "A case needs at least one indicator row."
ERROR_ROW_FIELD = "Indicator row {row}: {field} is required."
ERROR_SELFEVAL_ROW = "Self-evaluation row {row}, {field}: {messages}"
ERROR_CHECKER = "The reference goal table has checker errors: {findings}"
ERROR_OVERRIDES_TYPE = "The overrides must be a JSON object."
ERROR_OVERRIDES_INVALID = "Invalid checker settings: {error}"

# Import errors: "row" is the spreadsheet row number (header = row 1).
IMPORT_HEADERS = ["功能分类", "款", "一级指标", "二级指标", "三级指标", "指标解释", "计量单位",
                  "指标方向", "参考值", "设定依据", "来源"]
ERROR_IMPORT_UNREADABLE = gettext_noop("Cannot read the file as .xlsx: {error}")
ERROR_IMPORT_HEADERS = gettext_noop("The first row must be exactly: {expected} (found: {found}).")
ERROR_IMPORT_EMPTY = gettext_noop("The file has no indicator rows.")
ERROR_IMPORT_TOO_MANY = gettext_noop("The file has more than {limit} rows.")
ERROR_IMPORT_TOO_LARGE = gettext_noop("The file is larger than {limit} MB.")
ERROR_IMPORT_REQUIRED = gettext_noop("Row {row}, column {column}: a value is required.")
ERROR_IMPORT_TOO_LONG = gettext_noop("Row {row}, column {column}: longer than {limit} characters.")
ERROR_IMPORT_CLASS = gettext_noop(
    "Row {row}, column 功能分类: unknown functional class {value!r}.")
ERROR_IMPORT_SUBCLASS = gettext_noop(
    "Row {row}, column 款: {value!r} is not a 款 of the class (give a known 5-digit code, or "
    "the code and the name to add it).")
ERROR_IMPORT_LEVEL1 = gettext_noop("Row {row}, column 一级指标: {value!r} is not one of {choices}.")
ERROR_IMPORT_DIRECTION = gettext_noop(
    "Row {row}, column 指标方向: {value!r} is not one of 正向/反向/定性.")
ERROR_IMPORT_BASIS = gettext_noop(
    "Row {row}, column 设定依据: {value!r} is not one of "
    "计划标准/历史标准/行业标准/预算支出标准/其他标准.")
ERROR_IMPORT_SOURCE = gettext_noop("Row {row}, column 来源: {value!r} is not one of 共性/个性.")
ERROR_IMPORT_DUPLICATE = gettext_noop(
    "Row {row}: the same indicator already appears in row {first}.")
IMPORT_MAX_ROWS = 200_000
IMPORT_MAX_BYTES = 50 * 1024 * 1024

DIRECTION_ALIASES = {
    "正向": IndicatorDirection.POSITIVE, "positive": IndicatorDirection.POSITIVE,
    "反向": IndicatorDirection.NEGATIVE, "negative": IndicatorDirection.NEGATIVE,
    "定性": IndicatorDirection.QUALITATIVE, "qualitative": IndicatorDirection.QUALITATIVE,
}
BASIS_ALIASES = {
    "计划标准": IndicatorBasis.PLAN, "计划": IndicatorBasis.PLAN, "plan": IndicatorBasis.PLAN,
    "历史标准": IndicatorBasis.HISTORY, "历史": IndicatorBasis.HISTORY,
    "history": IndicatorBasis.HISTORY,
    "行业标准": IndicatorBasis.INDUSTRY, "行业": IndicatorBasis.INDUSTRY,
    "industry": IndicatorBasis.INDUSTRY,
    "预算支出标准": IndicatorBasis.BUDGET_STANDARD, "预算支出": IndicatorBasis.BUDGET_STANDARD,
    "budget_standard": IndicatorBasis.BUDGET_STANDARD,
    "其他标准": IndicatorBasis.OTHER, "其他": IndicatorBasis.OTHER,
    "other": IndicatorBasis.OTHER,
}
SOURCE_ALIASES = {
    "共性": IndicatorSource.COMMON, "共性指标": IndicatorSource.COMMON,
    "common": IndicatorSource.COMMON,
    "个性": IndicatorSource.SPECIFIC, "个性指标": IndicatorSource.SPECIFIC,
    "specific": IndicatorSource.SPECIFIC,
}
OP_ALIASES = {
    ">=": ">=", "≥": ">=", "<=": "<=", "≤": "<=", "=": "=", "＝": "=", ">": ">", "＞": ">",
    "<": "<", "＜": "<", "qualitative": "qualitative", "定性": "qualitative",
}

# --- Functional classification ----------------------------------------------------------------

# Names before the 2018-2019 reforms (REPORT §2); the current names are valid from 2019.
FORMER_CLASS_NAMES = [
    ("207", "文化体育与传媒支出", 2007, 2018),
    ("210", "医疗卫生与计划生育支出", 2014, 2018),
    ("220", "国土海洋气象等支出", 2007, 2018),
]
RENAMED_FROM = {code: last + 1 for code, _name, _first, last in FORMER_CLASS_NAMES}
DEFAULT_VALID_FROM = 2007
# A few 款 whose codes and names are certain; the full list is entered in the admin or loaded
# from the year's 《政府收支分类科目》 (REPORT §2: don't hand-type them).
KNOWN_SUBCLASSES = [
    ("20101", "人大事务"), ("20106", "财政事务"), ("20402", "公安"),
    ("20501", "教育管理事务"), ("20502", "普通教育"), ("20503", "职业教育"),
    ("20601", "科学技术管理事务"), ("20801", "人力资源和社会保障管理事务"),
    ("21003", "基层医疗卫生机构"), ("21004", "公共卫生"),
    ("21201", "城乡社区管理事务"), ("21205", "城乡社区环境卫生"),
    ("21301", "农业农村"), ("21303", "水利"), ("21401", "公路水路运输"),
]


def functional_class_ensure(*, code: str, name: str, level: str, parent=None,
                            valid_from: int = DEFAULT_VALID_FROM, valid_to: int | None = None,
                            name_en: str = "") -> FunctionalClass:
    """Create or update the row for ``code`` starting in ``valid_from`` (validated)."""
    obj = FunctionalClass.objects.filter(code=code, valid_from=valid_from).first()
    if obj is None:
        obj = FunctionalClass(code=code, valid_from=valid_from)
    changed = (obj.pk is None or obj.name != name or obj.level != level
               or obj.parent_id != (parent.pk if parent else None) or obj.valid_to != valid_to
               or (name_en and obj.name_en != name_en))
    if changed:
        obj.name, obj.level, obj.parent, obj.valid_to = name, level, parent, valid_to
        if name_en:
            obj.name_en = name_en
        obj.full_clean()
        obj.save()
    return obj


@transaction.atomic
def functional_classes_load(*, path: Path = FUNC_CLASS_CSV,
                            subclasses: Iterable[tuple[str, str]] = KNOWN_SUBCLASSES) -> int:
    """Load the 类 list (CSV: code,name_zh,name_en,...), former names and known 款; idempotent."""
    count = 0
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            code = (row.get("code") or "").strip()
            name = (row.get("name_zh") or "").strip()
            if not code or not name:
                continue
            functional_class_ensure(
                code=code, name=name, level=FunctionalClassLevel.CLASS,
                valid_from=RENAMED_FROM.get(code, DEFAULT_VALID_FROM),
                name_en=(row.get("name_en") or "").strip()[:200],
            )
            count += 1
    for code, name, first, last in FORMER_CLASS_NAMES:
        functional_class_ensure(code=code, name=name, level=FunctionalClassLevel.CLASS,
                                valid_from=first, valid_to=last)
    for code, name in subclasses:
        parent = functional_class_current(code=code[:3])
        if parent is not None:
            functional_class_ensure(code=code, name=name, level=FunctionalClassLevel.SUBCLASS,
                                    parent=parent,
                                    valid_from=max(DEFAULT_VALID_FROM, parent.valid_from))
            count += 1
    return count


def functional_class_current(*, code: str, year: int | None = None) -> FunctionalClass | None:
    """The row for ``code`` valid in ``year`` (default: the newest row)."""
    rows = FunctionalClass.objects.filter(code=str(code).strip()).order_by("-valid_from")
    if year is not None:
        for row in rows:
            if row.is_valid_in(year):
                return row
    return rows.first()


# --- Goal-table checker (optional dependency: casebook.rules) ---------------------------------


def _rules_config(*, framework: str, year: int | None):
    try:
        from casebook.rules import config as rules_config
    except ImportError:
        return None
    if year is not None and hasattr(rules_config, "load_config"):
        return rules_config.load_config(framework, year)
    return rules_config.default_config(framework)


def _finding_dict(finding) -> dict:
    get = finding.get if isinstance(finding, dict) else (lambda k: getattr(finding, k, None))
    return {"rule": get("rule"), "severity": str(get("severity") or ""), "row": get("row"),
            "message": str(get("message") or "")}


def goal_table_findings(*, table: dict, year: int | None = None) -> list[dict] | None:
    """Findings of the rules engine for ``table`` (dicts rule/severity/row/message), or None
    when the rules engine is not installed."""
    try:
        from casebook.rules.checker import check_goal_table
    except ImportError:
        return None
    config = _rules_config(framework=str(table.get("framework") or "2021"), year=year)
    try:
        try:
            from casebook.rules.table import GoalTable
        except ImportError:
            parsed = table
        else:
            parsed = GoalTable.from_dict(table)
        result = check_goal_table(parsed, config)
    except ValueError as exc:  # the engine's TableError: the table itself is unreadable
        messages = getattr(exc, "messages", None) or [str(exc)]
        return [{"rule": "TABLE", "severity": "error", "row": None, "message": str(m)}
                for m in messages]
    findings = result.get("findings") if isinstance(result, dict) else getattr(
        result, "findings", result)
    return [_finding_dict(finding) for finding in findings or []]


def goal_table_errors(*, table: dict, year: int | None = None) -> list[dict]:
    """Only the error-severity findings (what blocks publishing)."""
    return [f for f in goal_table_findings(table=table, year=year) or []
            if f["severity"].lower() == "error"]


def format_findings(findings: Iterable[dict]) -> str:
    """'R05 (row 3): message; …' for error messages."""
    parts = []
    for finding in findings:
        where = f" (row {finding['row']})" if finding.get("row") else ""
        parts.append(f"{finding['rule']}{where}: {finding['message']}")
    return "; ".join(parts)


def goal_rule_overrides_validate(*, overrides, framework: str) -> str:
    """'' when the overrides are acceptable to the rules engine, else the error message."""
    if not isinstance(overrides, dict):
        return ERROR_OVERRIDES_TYPE
    try:
        from casebook.rules.config import CheckerConfig
    except ImportError:
        return ""
    try:
        CheckerConfig.from_dict(overrides, framework)
    except Exception as exc:  # any rejection becomes a form error
        return ERROR_OVERRIDES_INVALID.format(error=exc)
    return ""


@transaction.atomic
def goal_rule_settings_save(*, year: int, framework: str, overrides: dict, user=None,
                            note: str = "") -> GoalRuleSettings:
    """Create or replace the bureau's checker overrides for one year and framework."""
    settings_row = GoalRuleSettings.objects.filter(year=year, framework=framework).first()
    if settings_row is None:
        settings_row = GoalRuleSettings(year=year, framework=framework)
    settings_row.overrides = overrides
    settings_row.note = note
    settings_row.updated_by = user if getattr(user, "pk", None) else None
    settings_row.full_clean()
    settings_row.save()
    return settings_row


# --- Cases ------------------------------------------------------------------------------------


@transaction.atomic
def case_index_ensure(*, home: HomePage) -> CaseIndexPage:
    """The case library under ``home`` at /cases/ (idempotent)."""
    index = CaseIndexPage.objects.child_of(home).filter(slug=CASE_INDEX_SLUG).first()
    if index is None:
        index = CaseIndexPage(
            title="案例库", slug=CASE_INDEX_SLUG, live=False,
            intro="按支出功能分类整理的项目案例：项目背景、绩效目标申报表、运行监控、"
                  "单位自评、发现的问题与整改，以及教学要点。",
        )
        home.add_child(instance=index)
        index = page_publish(index)
    return index


def _choice(value, choices, field_name, default=None):
    if value in (None, "") and default is not None:
        return default
    value = str(value).strip()
    if value not in choices:
        raise ValueError(ERROR_BAD_CHOICE.format(field=field_name, value=value,
                                                 choices=", ".join(choices)))
    return value


def _decimal(value, *, error: str, positive: bool) -> Decimal | None:
    if value in (None, ""):
        if positive:
            raise ValueError(error.format(value=value))
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(error.format(value=value)) from None
    if not number.is_finite() or number < 0 or (positive and number <= 0) or number >= 10**10:
        raise ValueError(error.format(value=value))
    return number.quantize(Decimal("0.01"))


def _text(value, limit: int | None = None) -> str:
    text = "" if value is None else str(value).strip()
    return text[:limit] if limit else text


def _case_fields(data: dict) -> dict:
    code = _text(data.get("code"), 40)
    if not code:
        raise ValueError(ERROR_CASE_CODE)
    title = _text(data.get("title") or data.get("project"), 255)
    if not title:
        raise ValueError(ERROR_CASE_TITLE)
    try:
        year = int(data.get("year"))
    except (TypeError, ValueError):
        raise ValueError(ERROR_BAD_YEAR.format(value=data.get("year"))) from None
    if not 2000 <= year <= 2100:
        raise ValueError(ERROR_BAD_YEAR.format(value=year))
    class_code = _text(data.get("func_class_code"))
    func_class = functional_class_current(code=class_code, year=year)
    if func_class is None or func_class.level != FunctionalClassLevel.CLASS:
        raise ValueError(ERROR_UNKNOWN_CLASS.format(code=class_code))
    func_subclass = None
    sub = data.get("func_subclass")
    if sub:
        sub_code = _text(sub.get("code") if isinstance(sub, dict) else sub)
        if not sub_code.startswith(func_class.code):
            raise ValueError(ERROR_SUBCLASS_MISMATCH.format(sub=sub_code, cls=func_class.code))
        func_subclass = functional_class_current(code=sub_code, year=year)
        if func_subclass is None:
            name = _text(sub.get("name"), 100) if isinstance(sub, dict) else ""
            if not name:
                raise ValueError(ERROR_UNKNOWN_SUBCLASS.format(code=sub_code))
            func_subclass = functional_class_ensure(
                code=sub_code, name=name, level=FunctionalClassLevel.SUBCLASS,
                parent=func_class, valid_from=func_class.valid_from)
    stages = []
    for stage in data.get("stages") or []:
        if stage not in Stage.values:
            raise ValueError(ERROR_BAD_STAGE.format(value=stage))
        if stage not in stages:
            stages.append(stage)
    monitoring = data.get("monitoring") or {}
    month = monitoring.get("month") if monitoring else None
    if month not in (None, ""):
        try:
            month = int(month)
        except (TypeError, ValueError):
            month = 0
        if not 1 <= month <= 12:
            raise ValueError(ERROR_BAD_CHOICE.format(field="monitoring month", value=month,
                                                     choices="1-12"))
    else:
        month = None
    self_evaluation = data.get("self_evaluation") or None
    if self_evaluation is not None and not isinstance(self_evaluation, dict):
        raise ValueError(ERROR_BAD_CHOICE.format(field="self_evaluation",
                                                 value=type(self_evaluation).__name__,
                                                 choices="an object"))
    selfeval = split_self_evaluation(self_evaluation)
    return {
        "code": code,
        "title": title,
        "department": _text(data.get("department"), 100),
        "func_class": func_class,
        "func_subclass": func_subclass,
        "year": year,
        "budget_wan": _decimal(data.get("budget_wan"), error=ERROR_BAD_BUDGET, positive=True),
        "funding_source": _text(data.get("funding_source"), 200),
        "project_type": _choice(data.get("project_type"), ProjectType.values, "project_type",
                                default=ProjectType.NEW),
        "multi_year": bool(data.get("multi_year")),
        "framework": _choice(str(data.get("framework") or "2021"), ["2021", "2020"],
                             "framework"),
        "background": _text(data.get("background")),
        "overall_goal": _text(data.get("overall_goal")),
        "annual_goal": _text(data.get("annual_goal")),
        "monitoring_month": month,
        "monitoring_budget_wan": _decimal(monitoring.get("budget_wan"), error=ERROR_BAD_BUDGET,
                                          positive=False) if monitoring else None,
        "monitoring_executed_wan": _decimal(monitoring.get("executed_wan"),
                                            error=ERROR_BAD_BUDGET,
                                            positive=False) if monitoring else None,
        "selfeval_budget_wan": selfeval["budget_wan"],
        "selfeval_executed_wan": selfeval["executed_wan"],
        "self_evaluation_remarks": selfeval["remarks"],
        "findings": _text(data.get("findings")),
        "rectification": _text(data.get("rectification")),
        "teaching_good": _text(data.get("teaching_good")),
        "teaching_mistakes": _text(data.get("teaching_mistakes")),
        "stages": sorted(stages, key=Stage.values.index),
        "difficulty": _choice(data.get("difficulty"), Difficulty.values, "difficulty",
                              default=Difficulty.MEDIUM),
    }


def _case_rows(data: dict) -> list[dict]:
    rows = []
    for position, item in enumerate(data.get("indicators") or [], start=1):
        row = {
            "level1": _text(item.get("level1"), 20), "level2": _text(item.get("level2"), 50),
            "name": _text(item.get("name"), 200),
            "op": OP_ALIASES.get(_text(item.get("op")), ""),
            "value": _text(item.get("value"), 100), "unit": _text(item.get("unit"), 50),
            "basis": _text(item.get("basis"), 200),
            "explanation": _text(item.get("explanation")),
            "history": _text(item.get("history"), 100),
        }
        for name in ("level1", "level2", "name", "op"):
            if not row[name]:
                raise ValueError(ERROR_ROW_FIELD.format(row=position, field=name))
        rows.append(row)
    if not rows:
        raise ValueError(ERROR_NO_INDICATORS)
    return rows


def _monitoring_rows(data: dict) -> list[dict]:
    monitoring = data.get("monitoring") or {}
    rows = []
    for item in monitoring.get("rows") or []:
        direction = _text(item.get("direction")) or IndicatorDirection.POSITIVE
        direction = DIRECTION_ALIASES.get(direction, direction)
        rows.append({
            "name": _text(item.get("name"), 200), "target": _text(item.get("target"), 100),
            "progress": _text(item.get("progress"), 100),
            "direction": _choice(direction, IndicatorDirection.values, "direction"),
        })
    return rows


def _self_evaluation_rows(data: dict, fields: dict) -> list[dict]:
    """The case's self-evaluation rows, checked as the case editor checks them."""
    rows = split_self_evaluation(data.get("self_evaluation") or None)["rows"]
    errors = self_evaluation_errors(join_self_evaluation(
        budget_wan=fields["selfeval_budget_wan"], executed_wan=fields["selfeval_executed_wan"],
        rows=rows))
    for position, row in enumerate(rows, start=1):
        try:
            SelfEvaluationRow(**row).full_clean(exclude=["page", "sort_order"])
        except ValidationError as exc:
            errors.extend(ERROR_SELFEVAL_ROW.format(
                row=position, field=name, messages=" ".join(str(m) for m in messages))
                for name, messages in exc.message_dict.items())
    if errors:
        raise ValueError("; ".join(str(error) for error in errors))
    return rows


def _case_signature(page: CasePage, rows, monitoring_rows, selfeval_rows=()) -> tuple:
    fields = _CASE_COMPARED_FIELDS
    return (
        tuple(getattr(page, name) for name in fields),
        tuple(tuple(sorted(r.items())) for r in rows),
        tuple(tuple(sorted(r.items())) for r in monitoring_rows),
        tuple(tuple(sorted(r.items())) for r in selfeval_rows),
    )


_CASE_COMPARED_FIELDS = (
    "title", "department", "func_class_id", "func_subclass_id", "year", "budget_wan",
    "funding_source", "project_type", "multi_year", "framework", "background", "overall_goal",
    "annual_goal", "monitoring_month", "monitoring_budget_wan", "monitoring_executed_wan",
    "selfeval_budget_wan", "selfeval_executed_wan", "self_evaluation_remarks", "findings",
    "rectification", "teaching_good", "teaching_mistakes",
    "stages", "difficulty",
)
_ROW_FIELDS = ("level1", "level2", "name", "op", "value", "unit", "basis", "explanation",
               "history")
_MONITORING_FIELDS = ("name", "target", "progress", "direction")


@transaction.atomic
def case_upsert(*, index: CaseIndexPage, data: dict, check: bool = True) -> CasePage:
    """Create or update one case from plain data (schema in the module docstring), keyed on
    ``code``; publishes only when something changed. Raises ValueError (``ERROR_*``) before
    writing anything, including when the reference table has checker errors."""
    fields = _case_fields(data)
    rows = _case_rows(data)
    monitoring_rows = _monitoring_rows(data)
    selfeval_rows = _self_evaluation_rows(data, fields)
    probe = CasePage(**fields)
    if check:
        errors = goal_table_errors(
            table=probe.reference_table(rows=[CaseIndicatorRow(**row) for row in rows]),
            year=fields["year"])
        if errors:
            raise ValueError(ERROR_CHECKER.format(findings=format_findings(errors)))

    page = CasePage.objects.filter(code=fields["code"]).first()
    if page is None:
        page = CasePage(live=False, slug=_text(data.get("slug")), **fields)
        page.reference_rows = [CaseIndicatorRow(sort_order=i, **row)
                               for i, row in enumerate(rows)]
        page.monitoring_rows = [CaseMonitoringRow(sort_order=i, **row)
                                for i, row in enumerate(monitoring_rows)]
        page.self_evaluation_rows = [SelfEvaluationRow(sort_order=i, **row)
                                     for i, row in enumerate(selfeval_rows)]
        _full_clean_page(page)
        index.add_child(instance=page)
        return page_publish(page)

    draft = page.get_latest_revision_as_object()
    current_rows = [{name: getattr(r, name) for name in _ROW_FIELDS}
                    for r in draft.reference_rows.all()]
    current_monitoring = [{name: getattr(r, name) for name in _MONITORING_FIELDS}
                          for r in draft.monitoring_rows.all()]
    current_selfeval = [{name: getattr(r, name) for name in SELFEVAL_ROW_FIELDS}
                        for r in draft.self_evaluation_rows.all()]
    wanted = CasePage(**fields)
    if (_case_signature(draft, current_rows, current_monitoring, current_selfeval)
            == _case_signature(wanted, rows, monitoring_rows, selfeval_rows) and page.live):
        return page
    for name, value in fields.items():
        setattr(draft, name, value)
    draft.reference_rows = [CaseIndicatorRow(sort_order=i, **row) for i, row in enumerate(rows)]
    draft.monitoring_rows = [CaseMonitoringRow(sort_order=i, **row)
                             for i, row in enumerate(monitoring_rows)]
    draft.self_evaluation_rows = [SelfEvaluationRow(sort_order=i, **row)
                                  for i, row in enumerate(selfeval_rows)]
    _full_clean_page(draft)
    return page_publish(draft)


def _full_clean_page(page: CasePage) -> None:
    try:
        page.full_clean(exclude=["path", "depth", "slug", "content_type", "live",
                                 "draft_title", "translation_key", "locale"])
    except ValidationError as exc:
        raise ValueError("; ".join(f"{k}: {' '.join(str(m) for m in v)}"
                                   for k, v in exc.message_dict.items())) from None


def cases_sync(*, index: CaseIndexPage, items: Iterable[dict]) -> list[CasePage]:
    """Upsert a list of cases (e.g. demo_cases.CASES)."""
    return [case_upsert(index=index, data=data) for data in items]


# --- Indicator library ------------------------------------------------------------------------


def text_grams(text: str) -> set[str]:
    """Every character and adjacent character pair of ``text`` (case-folded, not across
    whitespace): what IndicatorGram stores for one indicator."""
    grams: set[str] = set()
    for word in (text or "").casefold().split():
        grams.update(word)
        grams.update(word[i:i + 2] for i in range(len(word) - 1))
    return grams


_STATS_BATCH = 400


def _gram_stats_add(deltas: dict[str, int]) -> None:
    """Add ``deltas`` to the per-gram indicator counts: increments as batched upserts,
    decrements as batched updates that never take a count below zero."""
    table = IndicatorGramStat._meta.db_table
    ups = sorted((gram, n) for gram, n in deltas.items() if n > 0)
    downs: dict[int, list[str]] = {}
    for gram, n in sorted(deltas.items()):
        if n < 0:
            downs.setdefault(-n, []).append(gram)
    with connection.cursor() as cursor:
        for start in range(0, len(ups), _STATS_BATCH):
            batch = ups[start:start + _STATS_BATCH]
            cursor.execute(
                f"INSERT INTO {table} (gram, indicators) VALUES "  # noqa: S608 - no user SQL
                + ", ".join(["(%s, %s)"] * len(batch))
                + f" ON CONFLICT (gram) DO UPDATE"
                f" SET indicators = {table}.indicators + excluded.indicators",
                [value for pair in batch for value in pair],
            )
        for n, grams in downs.items():
            for start in range(0, len(grams), _STATS_BATCH):
                batch = grams[start:start + _STATS_BATCH]
                cursor.execute(
                    f"UPDATE {table} SET indicators = CASE WHEN indicators > %s"  # noqa: S608
                    f" THEN indicators - %s ELSE 0 END"
                    f" WHERE gram IN ({', '.join(['%s'] * len(batch))})",
                    [n, n, *batch],
                )


def indicator_gram_stats_forget(*, indicator_id: int) -> None:
    """Take one indicator (about to be deleted) out of the gram counts."""
    old = list(IndicatorGram.objects.filter(indicator_id=indicator_id)
               .values_list("gram", flat=True))
    _gram_stats_add(dict.fromkeys(old, -1))


@transaction.atomic
def indicator_gram_stats_rebuild() -> int:
    """Recount every gram from IndicatorGram (after raw SQL edits); returns distinct grams."""
    table = IndicatorGramStat._meta.db_table
    grams = IndicatorGram._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - table names only
        cursor.execute(f"INSERT INTO {table} (gram, indicators) "  # noqa: S608
                       f"SELECT gram, COUNT(*) FROM {grams} GROUP BY gram")
    return IndicatorGramStat.objects.count()


@transaction.atomic
def indicator_grams_rebuild(*, indicator: Indicator) -> int:
    """Replace the search grams of one indicator (after a save) and adjust the counts."""
    old = set(IndicatorGram.objects.filter(indicator=indicator).values_list("gram", flat=True))
    new = text_grams(indicator.search_key)
    IndicatorGram.objects.filter(indicator=indicator).delete()
    IndicatorGram.objects.bulk_create(
        IndicatorGram(indicator=indicator, gram=g, name_length=len(indicator.name))
        for g in sorted(new))
    deltas = dict.fromkeys(new - old, 1)
    deltas.update(dict.fromkeys(old - new, -1))
    _gram_stats_add(deltas)
    return len(new)


def _grams_bulk(indicators: Iterable[Indicator], *, batch_size: int = 5000) -> int:
    batch: list[IndicatorGram] = []
    counts: Counter[str] = Counter()
    total = 0
    for indicator in indicators:
        grams = text_grams(indicator.search_key)
        counts.update(grams)
        batch.extend(IndicatorGram(indicator_id=indicator.pk, gram=g,
                                   name_length=len(indicator.name)) for g in grams)
        if len(batch) >= batch_size:
            IndicatorGram.objects.bulk_create(batch, batch_size=batch_size)
            total += len(batch)
            batch = []
    if batch:
        IndicatorGram.objects.bulk_create(batch, batch_size=batch_size)
        total += len(batch)
    _gram_stats_add(counts)
    return total


def indicators_bulk_create(*, indicators: list[Indicator], batch_size: int = 2000) -> int:
    """Insert unsaved Indicator objects (keys computed here) and their search grams."""
    for indicator in indicators:
        indicator.search_key = indicator_search_key(name=indicator.name,
                                                    sector=indicator.sector,
                                                    level2=indicator.level2)
    created = Indicator.objects.bulk_create(indicators, batch_size=batch_size)
    if any(ind.pk is None for ind in created):
        # Backends without RETURNING: look the new rows up by their natural keys.
        keys = [ind.natural_key for ind in created]
        by_key = {}
        for start in range(0, len(keys), 500):
            by_key.update(Indicator.objects.filter(natural_key__in=keys[start:start + 500])
                          .values_list("natural_key", "pk"))
        for ind in created:
            ind.pk = by_key[ind.natural_key]
    _grams_bulk(created)
    return len(created)


def _class_maps() -> tuple[dict[str, FunctionalClass], dict[str, FunctionalClass]]:
    classes: dict[str, FunctionalClass] = {}
    subclasses: dict[str, FunctionalClass] = {}
    for row in FunctionalClass.objects.order_by("code", "valid_from"):
        target = classes if row.level == FunctionalClassLevel.CLASS else subclasses
        if row.valid_to is None or row.code not in target:
            target[row.code] = row  # the current name wins
    return classes, subclasses


def _new_indicator(*, func_class, func_subclass, item: dict) -> Indicator:
    indicator = Indicator(
        func_class=func_class, func_subclass=func_subclass,
        sector=_text(item.get("sector"), 100), level1=_text(item.get("level1"), 20),
        level2=_text(item.get("level2"), 50), name=_text(item.get("name"), 200),
        explanation=_text(item.get("explanation")), unit=_text(item.get("unit"), 50),
        direction=item.get("direction") or IndicatorDirection.POSITIVE,
        typical_value=_text(item.get("typical_value"), 100),
        basis=item.get("basis") or IndicatorBasis.OTHER,
        source=item.get("source") or IndicatorSource.SPECIFIC,
        examples=_text(item.get("examples")),
    )
    indicator.natural_key = indicator_natural_key(
        class_code=func_class.code, subclass_code=func_subclass.code if func_subclass else "",
        level1=indicator.level1, level2=indicator.level2, name=indicator.name)
    return indicator


@transaction.atomic
def indicators_sync(*, items: Iterable[dict]) -> int:
    """Add library indicators from plain data (INDICATORS schema in the module docstring);
    ones already present (same class, 款, levels and name) are left alone. Returns the number
    added. Raises ValueError before writing anything when an item is invalid."""
    classes, subclasses = _class_maps()
    existing = set(Indicator.objects.values_list("natural_key", flat=True))
    new: list[Indicator] = []
    for position, item in enumerate(items, start=1):
        code = _text(item.get("func_class_code"))
        func_class = classes.get(code)
        if func_class is None:
            raise ValueError(f"Indicator {position}: " + ERROR_UNKNOWN_CLASS.format(code=code))
        sub_code = _text(item.get("func_subclass_code"))
        func_subclass = None
        if sub_code:
            func_subclass = subclasses.get(sub_code)
            if func_subclass is None or func_subclass.parent_id != func_class.pk:
                raise ValueError(f"Indicator {position}: "
                                 + ERROR_UNKNOWN_SUBCLASS.format(code=sub_code))
        indicator = _new_indicator(func_class=func_class, func_subclass=func_subclass,
                                   item=item)
        try:
            indicator.full_clean(exclude=["natural_key", "search_key"])
        except ValidationError as exc:
            raise ValueError(f"Indicator {position}: {exc.message_dict}") from None
        if indicator.natural_key in existing:
            continue
        existing.add(indicator.natural_key)
        new.append(indicator)
    return indicators_bulk_create(indicators=new)


# --- Spreadsheet import -----------------------------------------------------------------------


@dataclass
class IndicatorImportResult:
    """Outcome of an import: rows read, indicators created/skipped, new 款, errors."""

    rows: int = 0
    created: int = 0
    skipped: int = 0
    new_subclasses: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()[:10]
    return str(value).strip()


def _read_xlsx(path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header (row 1) and the filled rows (sheet row number, cells) of an import file,
    streamed with portal.uploads' limits; UploadError when the file is refused."""
    path = Path(path)
    if path.stat().st_size > IMPORT_MAX_BYTES:
        raise UploadError(_(ERROR_IMPORT_TOO_LARGE).format(limit=IMPORT_MAX_BYTES // 1024 // 1024))
    rows = xlsx_rows(path.read_bytes(), max_rows=IMPORT_MAX_ROWS + 1,  # and the header row
                     too_many_rows=_(ERROR_IMPORT_TOO_MANY).format(limit=IMPORT_MAX_ROWS),
                     max_columns=len(IMPORT_HEADERS) + 1)
    header: list[str] = []
    body = []
    for number, values in rows:
        if number == 1:
            header = [_cell(v) for v in values]
            while header and header[-1] == "":
                header.pop()
            continue
        if not header:
            break  # no header in row 1: reported as a header mismatch
        cells = [_cell(v) for v in values[:len(IMPORT_HEADERS)]]
        body.append((number, cells + [""] * (len(IMPORT_HEADERS) - len(cells))))
    return header, body


def _split_code_name(value: str) -> tuple[str, str]:
    """'205 教育支出' -> ('205', '教育支出'); '205' -> ('205', ''); '教育支出' -> ('', …)."""
    value = value.strip()
    digits = ""
    for char in value:
        if char.isdigit():
            digits += char
        else:
            break
    return digits, value[len(digits):].strip(" 　-—:：/")


_IMPORT_LIMITS = {"一级指标": 20, "二级指标": 50, "三级指标": 200, "计量单位": 50,
                  "参考值": 100, "款": 120, "功能分类": 120, "指标解释": 2000}


@transaction.atomic
def indicators_import(*, path, dry_run: bool = False) -> IndicatorImportResult:
    """Import indicators from an .xlsx with the columns ``IMPORT_HEADERS``: every row is
    validated first; any error means nothing is written. Duplicates of library indicators are
    skipped; an unknown 款 given as "code name" under its 类 is added."""
    result = IndicatorImportResult(dry_run=dry_run)
    try:
        header, body = _read_xlsx(path)
    except UploadError as exc:  # not a workbook, a zip bomb, too many rows, a huge cell
        result.errors.append(exc.message)
        return result
    except OSError as exc:
        result.errors.append(_(ERROR_IMPORT_UNREADABLE).format(error=exc.__class__.__name__))
        return result
    if header != IMPORT_HEADERS:
        result.errors.append(_(ERROR_IMPORT_HEADERS).format(expected=" | ".join(IMPORT_HEADERS),
                                                            found=" | ".join(header)))
        return result
    body = [(number, cells) for number, cells in body if any(cells)]
    if not body:
        result.errors.append(_(ERROR_IMPORT_EMPTY))
        return result
    result.rows = len(body)
    classes, subclasses = _class_maps()
    classes_by_name = {c.name: c for c in FunctionalClass.objects.filter(
        level=FunctionalClassLevel.CLASS)}
    new_subclasses: dict[str, FunctionalClass] = {}
    existing = set(Indicator.objects.values_list("natural_key", flat=True))
    seen: dict[str, int] = {}
    new: list[Indicator] = []
    col = dict(zip(IMPORT_HEADERS, range(len(IMPORT_HEADERS)), strict=True))
    for number, cells in body:
        values = {name: cells[col[name]] for name in IMPORT_HEADERS}
        row_errors = []
        for name in ("功能分类", "一级指标", "二级指标", "三级指标", "指标方向"):
            if not values[name]:
                row_errors.append(_(ERROR_IMPORT_REQUIRED).format(row=number, column=name))
        for name, limit in _IMPORT_LIMITS.items():
            if len(values[name]) > limit:
                row_errors.append(_(ERROR_IMPORT_TOO_LONG).format(row=number, column=name,
                                                                  limit=limit))
        func_class = None
        if values["功能分类"]:
            code, name = _split_code_name(values["功能分类"])
            func_class = classes.get(code) if code else classes_by_name.get(name)
            if func_class is None:
                row_errors.append(_(ERROR_IMPORT_CLASS).format(row=number,
                                                               value=values["功能分类"]))
        func_subclass = None
        if values["款"] and func_class is not None:
            code, name = _split_code_name(values["款"])
            func_subclass = subclasses.get(code) or new_subclasses.get(code)
            if func_subclass is None and len(code) == 5 and code.startswith(func_class.code) \
                    and name:
                func_subclass = FunctionalClass(code=code, name=name[:100],
                                                level=FunctionalClassLevel.SUBCLASS,
                                                parent=func_class,
                                                valid_from=func_class.valid_from)
                new_subclasses[code] = func_subclass
            elif func_subclass is None or not func_subclass.code.startswith(func_class.code):
                row_errors.append(_(ERROR_IMPORT_SUBCLASS).format(row=number, value=values["款"]))
                func_subclass = None
        if values["一级指标"] and values["一级指标"] not in LEVEL1_VALUES:
            row_errors.append(_(ERROR_IMPORT_LEVEL1).format(row=number, value=values["一级指标"],
                                                            choices="/".join(LEVEL1_VALUES)))
        direction = DIRECTION_ALIASES.get(values["指标方向"])
        if values["指标方向"] and direction is None:
            row_errors.append(_(ERROR_IMPORT_DIRECTION).format(row=number,
                                                               value=values["指标方向"]))
        basis = BASIS_ALIASES.get(values["设定依据"]) if values["设定依据"] \
            else IndicatorBasis.OTHER
        if basis is None:
            row_errors.append(_(ERROR_IMPORT_BASIS).format(row=number, value=values["设定依据"]))
        source = SOURCE_ALIASES.get(values["来源"]) if values["来源"] \
            else IndicatorSource.SPECIFIC
        if source is None:
            row_errors.append(_(ERROR_IMPORT_SOURCE).format(row=number, value=values["来源"]))
        if row_errors:
            result.errors.extend(row_errors)
            continue
        indicator = _new_indicator(
            func_class=func_class, func_subclass=None, item={
            "sector": (func_subclass.name if func_subclass else func_class.name),
            "level1": values["一级指标"], "level2": values["二级指标"],
            "name": values["三级指标"], "explanation": values["指标解释"],
            "unit": values["计量单位"], "direction": direction,
            "typical_value": values["参考值"], "basis": basis, "source": source,
        })
        indicator.func_subclass = func_subclass
        indicator.natural_key = indicator_natural_key(
            class_code=func_class.code, subclass_code=func_subclass.code if func_subclass else "",
            level1=indicator.level1, level2=indicator.level2, name=indicator.name)
        if indicator.natural_key in seen:
            result.errors.append(_(ERROR_IMPORT_DUPLICATE).format(row=number,
                                                                  first=seen[indicator.natural_key]))
            continue
        seen[indicator.natural_key] = number
        if indicator.natural_key in existing:
            result.skipped += 1
            continue
        new.append(indicator)
    result.new_subclasses = sorted(new_subclasses)
    if result.errors or dry_run:
        result.created = 0 if result.errors else len(new)
        return result
    for sub in new_subclasses.values():
        sub.full_clean()
        sub.save()
    for indicator in new:
        if indicator.func_subclass is not None:
            indicator.func_subclass_id = indicator.func_subclass.pk
    result.created = indicators_bulk_create(indicators=new)
    return result


def indicator_template_write(*, path) -> None:
    """Write the import template: the header row, two example rows and a 填写说明 sheet."""
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "指标"
    sheet.append(IMPORT_HEADERS)
    sheet.append(["205 教育支出", "20502 普通教育", "产出指标", "数量指标",
                  "完成校舍维修改造面积", "年度内完成维修改造并通过验收的校舍建筑面积",
                  "平方米", "正向", "5000", "计划标准", "个性"])
    sheet.append(["210", "", "满意度指标", "服务对象满意度指标", "服务对象满意度",
                  "抽样问卷调查，满意和基本满意人数/有效问卷数×100%", "%", "正向", "≥85",
                  "历史标准", "共性"])
    for letter, width in zip("ABCDEFGHIJK", (16, 18, 12, 18, 28, 40, 10, 10, 10, 14, 8),
                             strict=True):
        sheet.column_dimensions[letter].width = width
    for column, options in (("C", LEVEL1_VALUES), ("H", ["正向", "反向", "定性"]),
                            ("J", ["计划标准", "历史标准", "行业标准", "预算支出标准", "其他标准"]),
                            ("K", ["共性", "个性"])):
        validation = DataValidation(type="list", formula1='"' + ",".join(options) + '"',
                                    allow_blank=True)
        sheet.add_data_validation(validation)
        validation.add(f"{column}2:{column}5000")
    help_sheet = workbook.create_sheet("填写说明")
    for line in (
        ["列", "说明"],
        ["功能分类", "必填。类级科目代码（如 205）或“代码 名称”（如 205 教育支出）。"],
        ["款", "选填。5位款级代码；库中没有的款请写“代码 名称”（如 20502 普通教育），导入时新增。"],
        ["一级指标", "必填。成本指标/产出指标/效益指标/满意度指标。"],
        ["二级指标", "必填。如 数量指标、质量指标、时效指标、社会效益指标。"],
        ["三级指标", "必填。具体指标名称。"],
        ["指标方向", "必填。正向/反向/定性。"],
        ["设定依据", "选填。计划标准/历史标准/行业标准/预算支出标准/其他标准，默认其他标准。"],
        ["来源", "选填。共性/个性，默认个性。"],
        ["导入规则", "先校验全部行，有任何错误则不导入；与库中已有指标相同的行跳过。"],
    ):
        help_sheet.append(line)
    workbook.save(path)


# --- Synthetic library for benchmarks ---------------------------------------------------------

# Sector vocabularies per functional class: (sector, objects). Names are built as
# [scope][object][action][measure], sometimes with a year, a batch or a numbered item, so the
# library has tens of thousands of distinct names with a realistic skew (a few measures such
# as 合格率/满意度 are everywhere, most objects are rare) - deterministic for a given seed.
_SYNTH_SECTORS: dict[str, list[tuple[str, list[str]]]] = {
    "201": [("政务服务", ["政务服务事项", "一网通办事项", "12345热线工单", "办事窗口", "电子证照"]),
            ("统计调查", ["统计调查样本", "经济普查数据", "统计报表", "调查户"]),
            ("财政管理", ["预算项目", "绩效评价项目", "财政票据", "国库集中支付业务"])],
    "204": [("公共安全", ["视频监控点位", "治安卡口", "警务工作站", "应急广播终端"]),
            ("司法服务", ["法律援助案件", "人民调解案件", "社区矫正对象", "公证事项"])],
    "205": [("义务教育", ["校舍", "课桌椅", "教学仪器设备", "学生食堂", "学生宿舍", "塑胶操场",
                          "多媒体教室", "图书"]),
            ("学前教育", ["普惠性幼儿园", "幼儿园学位", "保教人员"]),
            ("职业教育", ["实训基地", "双师型教师", "校企合作项目", "职业技能证书"]),
            ("学生资助", ["家庭经济困难学生", "国家助学金", "营养改善计划学生", "生源地助学贷款"])],
    "206": [("科技创新", ["科研项目", "高新技术企业", "科技成果转化项目", "重点实验室",
                          "发明专利"]),
            ("科学普及", ["科普活动", "科普场馆", "青少年科技竞赛"])],
    "207": [("公共文化", ["农家书屋", "文化站", "公益电影放映场次", "非遗项目", "文物保护单位"]),
            ("全民健身", ["健身路径", "社会体育指导员", "体育赛事", "全民健身中心"]),
            ("广播电视", ["应急广播", "广播电视户户通设备", "5G基站覆盖区域"])],
    "208": [("就业创业", ["就业岗位", "职业技能培训", "创业担保贷款", "公益性岗位", "高校毕业生"]),
            ("养老服务", ["养老床位", "居家养老服务站", "老年助餐点", "特困供养人员"]),
            ("社会救助", ["最低生活保障对象", "临时救助对象", "残疾人两项补贴", "困境儿童"])],
    "210": [("公共卫生", ["高血压患者", "糖尿病患者", "65岁以上老年人", "孕产妇", "0-6岁儿童",
                          "疫苗接种", "传染病报告", "家庭医生签约"]),
            ("医疗服务", ["病床", "医疗设备", "乡镇卫生院", "村卫生室", "120急救站点",
                          "远程会诊"]),
            ("医疗保障", ["医保参保人员", "门诊慢特病", "异地就医结算"])],
    "211": [("污染防治", ["PM2.5监测站点", "污水处理设施", "COD减排项目", "黑臭水体",
                          "扬尘监测点"]),
            ("节能减排", ["LED路灯", "新能源公交车辆", "燃煤锅炉", "光伏发电设施"]),
            ("生态保护", ["湿地", "自然保护地", "生态公益林", "水土流失治理区"])],
    "212": [("市政设施", ["道路", "路灯", "排水管网", "供水管网", "公共厕所", "停车泊位", "桥梁"]),
            ("环境卫生", ["垃圾中转站", "生活垃圾", "环卫车辆", "垃圾分类投放点"]),
            ("城市更新", ["老旧小区", "背街小巷", "城中村", "口袋公园", "加装电梯"])],
    "213": [("农业生产", ["高标准农田", "农田水利设施", "农机购置补贴", "良种推广面积",
                          "耕地地力"]),
            ("林业草原", ["造林面积", "森林防火设施", "林业有害生物防治"]),
            ("水利工程", ["小型水库", "灌区渠系", "农村饮水工程", "河道堤防"]),
            ("乡村振兴", ["农村人居环境", "村级集体经济", "乡村旅游示范点", "衔接资金项目"])],
    "214": [("公路交通", ["农村公路", "G320国道", "公路养护里程", "危桥改造", "客运站"]),
            ("公共交通", ["公交线路", "公交车辆", "公交站亭", "城乡公交一体化线路"])],
    "216": [("商贸流通", ["农贸市场", "县域商业体系", "电商服务站点", "冷链物流设施"])],
    "221": [("住房保障", ["公租房", "保障性租赁住房", "棚户区改造", "农村危房改造",
                          "住房租赁补贴"])],
    "222": [("粮食储备", ["储备粮", "粮食仓储设施", "应急成品粮", "粮油质量检测"])],
    "224": [("应急管理", ["应急物资", "应急避难场所", "地质灾害隐患点", "消防站", "应急救援队伍"])],
}
_SYNTH_SCOPES = ["", "", "", "", "全市", "城区", "乡镇", "农村", "重点区域", "县级", "社区",
                 "街道", "偏远地区", "中心城区", "开发区", "试点地区", "山区", "示范区"]
_SYNTH_ACTIONS = ["新建", "改造", "维修", "采购", "更新", "运行维护", "提升改造", "配置", "建设",
                  "补助发放", "培训", "巡查", "监测", "验收", "整治", "服务", "管理", "覆盖",
                  "标准化建设", "信息化建设", "提质增效", "规范化管理"]
# (measure, unit, level1, level2, weight)
_SYNTH_MEASURES = [
    ("数量", "个", "产出指标", "数量指标", 8), ("面积", "平方米", "产出指标", "数量指标", 4),
    ("长度", "公里", "产出指标", "数量指标", 2), ("人次", "人次", "产出指标", "数量指标", 4),
    ("户数", "户", "产出指标", "数量指标", 2), ("套数", "套", "产出指标", "数量指标", 1),
    ("合格率", "%", "产出指标", "质量指标", 9), ("达标率", "%", "产出指标", "质量指标", 5),
    ("覆盖率", "%", "产出指标", "质量指标", 5), ("完好率", "%", "产出指标", "质量指标", 2),
    ("验收通过率", "%", "产出指标", "质量指标", 2), ("规范管理率", "%", "产出指标", "质量指标", 2),
    ("完成时间", "日期", "产出指标", "时效指标", 4), ("按时完成率", "%", "产出指标", "时效指标", 3),
    ("资金拨付及时率", "%", "产出指标", "时效指标", 1),
    ("单位成本", "元", "成本指标", "经济成本指标", 3),
    ("综合造价", "万元", "成本指标", "经济成本指标", 2),
    ("成本节约率", "%", "成本指标", "经济成本指标", 1),
    ("受益人数", "人", "效益指标", "社会效益指标", 4),
    ("群众知晓率", "%", "效益指标", "社会效益指标", 2),
    ("使用率", "%", "效益指标", "社会效益指标", 2),
    ("带动就业人数", "人", "效益指标", "经济效益指标", 1),
    ("增收金额", "万元", "效益指标", "经济效益指标", 1),
    ("排放降低率", "%", "效益指标", "生态效益指标", 1),
    ("长效管护机制健全性", "定性", "效益指标", "可持续影响指标", 1),
    ("使用年限", "年", "效益指标", "可持续影响指标", 1),
    ("满意度", "%", "满意度指标", "服务对象满意度指标", 8),
    ("投诉率", "%", "满意度指标", "服务对象满意度指标", 1),
]
_SYNTH_MEASURE_WEIGHTS = [m[4] for m in _SYNTH_MEASURES]


def _synthetic_name(rng: random.Random) -> tuple[str, str, str, tuple]:
    """(class code, sector, name, measure) of one synthetic indicator."""
    code = rng.choice(sorted(_SYNTH_SECTORS))
    sector, objects = rng.choice(_SYNTH_SECTORS[code])
    measure = rng.choices(_SYNTH_MEASURES, weights=_SYNTH_MEASURE_WEIGHTS)[0]
    obj = rng.choice(objects)
    action = rng.choice(_SYNTH_ACTIONS) if rng.random() < 0.7 else ""
    name = f"{rng.choice(_SYNTH_SCOPES)}{obj}{action}{measure[0]}"
    roll = rng.random()
    if roll < 0.15:
        name = f"{rng.randint(2019, 2026)}年{name}"
    elif roll < 0.22:
        name = f"{name}（第{rng.randint(1, 12)}批）"
    elif roll < 0.26:
        name = f"{name}（{rng.randint(1, 30)}号片区）"
    return code, sector, name, measure


@transaction.atomic
def indicators_generate(*, count: int, seed: int = 2026, batch_size: int = 5000) -> int:
    """Add ``count`` synthetic indicators (distinct names from sector vocabularies, skewed like
    a real library, deterministic for ``seed``) with their search index, for benchmarks."""
    if not FunctionalClass.objects.filter(level=FunctionalClassLevel.CLASS).exists():
        functional_classes_load()
    classes, _subclasses = _class_maps()
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    existing = set(Indicator.objects.values_list("natural_key", flat=True))
    created = retries = 0
    while created < count:
        batch = []
        while len(batch) < min(batch_size, count - created):
            code, sector, name, measure = _synthetic_name(rng)
            func_class = classes.get(code)
            if func_class is None:
                continue
            measure_name, unit, level1, level2, _weight = measure
            if retries >= 20:  # the vocabulary is nearly used up: number the name
                name = f"{name}（{rng.randint(1, 9999):04d}）"
            key = indicator_natural_key(class_code=code, subclass_code="", level1=level1,
                                        level2=level2, name=name)
            if key in existing:
                retries += 1
                continue
            retries = 0
            existing.add(key)
            qualitative = unit == "定性"
            batch.append(_new_indicator(func_class=func_class, func_subclass=None, item={
                "sector": sector, "level1": level1, "level2": level2, "name": name,
                "explanation": f"合成指标（性能测试用）：{name}，按{measure_name}口径统计。",
                "unit": "" if qualitative else unit,
                "direction": (IndicatorDirection.QUALITATIVE if qualitative else
                              IndicatorDirection.NEGATIVE if measure_name in ("投诉率", "单位成本")
                              else IndicatorDirection.POSITIVE),
                "typical_value": "" if qualitative else str(rng.randint(1, 100)),
                "basis": rng.choice(IndicatorBasis.values),
                "source": rng.choice(IndicatorSource.values),
            }))
        created += indicators_bulk_create(indicators=batch, batch_size=batch_size)
    return created


def indicator_save_hook(*, indicator: Indicator) -> None:
    """Keep the grams of an indicator edited one at a time (admin) in step."""
    indicator_grams_rebuild(indicator=indicator)


def now_year() -> int:
    return timezone.localdate().year
