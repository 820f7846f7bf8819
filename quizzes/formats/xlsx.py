"""The wide Excel layout Chinese administrators use: one question per row.

Columns (header in row 1, any order, 选项E … 选项H and the optional columns may be left out):
题型 | 题干 | 选项A … 选项H | 正确答案 | 分值 | 难度 | 解析 | 分类 | 标签

- 题型: 单选, 多选, 判断, 填空, 简答 (also 单选题, 单项选择题, 论述 …).
- 正确答案: single choice ``B``; multiple choice ``ACD``, ``A,C``, ``A，C`` or ``A、C``; true/false
  ``对``/``错`` (also 正确/错误, √/×, T/F, TRUE/FALSE, 是/否); fill-in: one group per blank,
  separated by ``|``, accepted alternatives of one blank separated by ``/``:
  ``北京/北平|上海`` (write ``\\|`` or ``\\/`` for a literal bar or slash); essay: the reference
  answer (optional).
- 题干 of a fill-in question marks its blanks with ``{{1}}``, ``（  ）`` or ``____``; they are
  stored as ``{{1}}``, ``{{2}}`` …; a stem without a mark has one blank at its end.
- 分值: 0.01 … 100, default 1; 难度: 易/中/难 (default 中); 分类: levels separated by ``/``;
  标签: separated by ``,``, ``，``, ``、`` or ``；``.

Every row is checked before anything is returned; errors name the sheet row and the column.
Exports neutralise cells that a spreadsheet would run as formulas by prefixing ``'``; the
importer removes that prefix again, so exported files re-import unchanged.
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.spreadsheets import cell_safe
from portal.uploads import UploadError, XlsxUnreadable, xlsx_rows
from quizzes import types
from quizzes.formats.common import (
    ERR_EMPTY_FILE,
    KIND_LABELS,
    MAX_FILE_BYTES,
    MAX_QUESTIONS,
    MAX_TAG,
    MAX_TEXT,
    FormatError,
    ParseResult,
    category_error,
    clean_text,
    file_error,
    fill_stem_errors,
    join_category,
    parse_points,
    points_error,
    save_bytes,
    too_large_message,
)

COL_KIND = "题型"
COL_TEXT = "题干"
OPTION_LETTERS = "ABCDEFGH"
OPTION_COLUMNS = tuple(f"选项{letter}" for letter in OPTION_LETTERS)
COL_ANSWER = "正确答案"
COL_POINTS = "分值"
COL_DIFFICULTY = "难度"
COL_EXPLANATION = "解析"
COL_CATEGORY = "分类"
COL_TAGS = "标签"
HEADERS = (COL_KIND, COL_TEXT, *OPTION_COLUMNS, COL_ANSWER, COL_POINTS, COL_DIFFICULTY,
           COL_EXPLANATION, COL_CATEGORY, COL_TAGS)
REQUIRED_HEADERS = (COL_KIND, COL_TEXT, COL_ANSWER)
SHEET_TITLE = "题目"
NOTES_TITLE = "填写说明"

KIND_BY_LABEL = {
    "单选": types.SINGLE, "单选题": types.SINGLE, "单项选择": types.SINGLE,
    "单项选择题": types.SINGLE, "SINGLE": types.SINGLE,
    "多选": types.MULTIPLE, "多选题": types.MULTIPLE, "多项选择": types.MULTIPLE,
    "多项选择题": types.MULTIPLE, "不定项选择": types.MULTIPLE, "不定项选择题": types.MULTIPLE,
    "MULTIPLE": types.MULTIPLE,
    "判断": types.TRUE_FALSE, "判断题": types.TRUE_FALSE, "TRUEFALSE": types.TRUE_FALSE,
    "填空": types.FILL, "填空题": types.FILL, "FILL": types.FILL,
    "简答": types.ESSAY, "简答题": types.ESSAY, "论述": types.ESSAY, "论述题": types.ESSAY,
    "问答": types.ESSAY, "问答题": types.ESSAY, "ESSAY": types.ESSAY,
}
DIFFICULTY_LABELS = {types.EASY: "易", types.MEDIUM: "中", types.HARD: "难"}
DIFFICULTY_BY_LABEL = {
    "易": types.EASY, "简单": types.EASY, "容易": types.EASY, "EASY": types.EASY,
    "中": types.MEDIUM, "中等": types.MEDIUM, "一般": types.MEDIUM, "MEDIUM": types.MEDIUM,
    "难": types.HARD, "困难": types.HARD, "较难": types.HARD, "HARD": types.HARD,
}
TRUE_WORDS = {"对", "正确", "√", "✓", "✔", "T", "TRUE", "是", "Y", "YES"}
FALSE_WORDS = {"错", "错误", "×", "✗", "✘", "X", "F", "FALSE", "否", "N", "NO"}
TAG_SEPARATORS = re.compile(r"[,，、;；]")
LETTER_SEPARATORS = re.compile(r"[\s,，、;；/]+")
MAX_COLUMNS = 64  # cells right of this are never read (a row padded to column XFD is cheap)

# Errors (English msgids; the zh_Hans catalogue turns them into Chinese). Tests assert these.
ERR_NOT_SPREADSHEET = gettext_lazy("The file is not a readable .xlsx workbook.")
ERR_OLD_XLS = gettext_lazy(
    "The file is an old .xls workbook or is password-protected: save it as .xlsx without a "
    "password and upload again."
)
ERR_NO_DATA_ROWS = gettext_lazy("The sheet has a header row but no questions.")
ERR_TOO_MANY_ROWS = gettext_lazy("The sheet has more than %(limit)s questions.")
ERR_MISSING_HEADERS = gettext_lazy("Missing columns in the header row (row 1): %(columns)s.")
ERR_UNKNOWN_HEADERS = gettext_lazy("Unknown columns in the header row (row 1): %(columns)s.")
ERR_DUPLICATE_HEADERS = gettext_lazy("Columns appear twice in the header row: %(columns)s.")
ERR_REQUIRED = gettext_lazy("This cell is required.")
ERR_UNKNOWN_KIND = gettext_lazy("Unknown question type “%(value)s”: use one of %(allowed)s.")
ERR_UNKNOWN_DIFFICULTY = gettext_lazy("Unknown difficulty “%(value)s”: use one of %(allowed)s.")
ERR_NOT_A_LETTER = gettext_lazy("“%(value)s” is not an option letter (A–H).")
ERR_LETTER_WITHOUT_OPTION = gettext_lazy("The answer %(letter)s has no option %(column)s.")
ERR_SINGLE_SEVERAL = gettext_lazy(
    "A single choice question has exactly one answer letter, not “%(value)s”."
)
ERR_TOO_FEW_OPTIONS = gettext_lazy("A choice question needs at least options A and B.")
ERR_OPTION_GAP = gettext_lazy("This option is empty but a later option is filled in.")
ERR_OPTIONS_NOT_USED = gettext_lazy(
    "Options are only used by single and multiple choice questions; leave them empty."
)
ERR_TRUE_FALSE = gettext_lazy("“%(value)s” is not a true/false answer: use 对 or 错.")
ERR_BLANK_EMPTY = gettext_lazy("Blank %(number)s has no accepted answer.")
ERR_CELL_TOO_LONG = gettext_lazy("Too long: at most %(limit)s characters.")


def _cell_text(value) -> str:
    """Cells as text: 2.0 -> "2", None -> "", TRUE -> "TRUE"; our formula guard ' removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = clean_text(str(value))
    if text[:1] == "'" and text[1:2] and text[1:2] in "=+-@":
        text = text[1:]
    return text


def _fold(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().upper()


def _header_name(value: str) -> str:
    return unicodedata.normalize("NFKC", value).replace(" ", "").strip("*＊").strip()


def _split_unescaped(text: str, separator: str) -> list[str]:
    """Split on a separator not preceded by a backslash; \\<sep> and \\\\ are unescaped."""
    parts, current, chars = [], [], iter(text)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            if nxt in ("|", "/", "\\"):
                current.append("\\" + nxt if nxt != separator else nxt)
            else:
                current.append(ch + nxt)
        elif ch == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def parse_blanks(answer: str) -> list[list[str]]:
    """"北京/北平|上海" -> [["北京", "北平"], ["上海"]]; \\| and \\/ keep a literal bar or slash."""
    blanks = []
    for group in _split_unescaped(answer, "|"):
        alternatives = [a.replace("\\\\", "\\").strip() for a in _split_unescaped(group, "/")]
        blanks.append([a for a in alternatives if a])
    return blanks


def format_blanks(blanks: list[list[str]]) -> str:
    """The inverse of parse_blanks."""
    def escape(answer):
        return answer.replace("\\", "\\\\").replace("|", "\\|").replace("/", "\\/")

    return "|".join("/".join(escape(a) for a in blank) for blank in blanks)


def _pick_question_sheet(workbook):
    return ([s for s in workbook.worksheets if s.title != NOTES_TITLE] or workbook.worksheets)[0]


def _read_rows(data: bytes):
    """Filled rows of the question sheet as (sheet row number, cell texts), streamed with
    portal.uploads' limits (the zip's unpacked sizes are checked before anything is read)."""
    for number, values in xlsx_rows(
        data,
        max_rows=MAX_QUESTIONS + 1,  # and the header row
        too_many_rows=str(ERR_TOO_MANY_ROWS % {"limit": MAX_QUESTIONS}),
        max_columns=MAX_COLUMNS,
        pick_sheet=_pick_question_sheet,
    ):
        yield number, [_cell_text(v) for v in values]


def parse(data: bytes, *, filename: str = "") -> ParseResult:
    """Read a question workbook: every row is validated; errors name row and column."""
    if len(data) > MAX_FILE_BYTES:
        return file_error(too_large_message())
    if not data.strip():
        return file_error(ERR_EMPTY_FILE)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return file_error(ERR_OLD_XLS)
    if data[:4] != b"PK\x03\x04":
        return file_error(ERR_NOT_SPREADSHEET)
    try:
        rows = list(_read_rows(data))
    except XlsxUnreadable:
        return file_error(ERR_NOT_SPREADSHEET)
    except UploadError as exc:
        return file_error(exc.message)
    if not rows or rows[0][0] != 1:
        return file_error(ERR_EMPTY_FILE)
    header = [_header_name(v) for v in rows[0][1]]
    if not any(header):
        return file_error(ERR_EMPTY_FILE)
    result = ParseResult()
    header_errors = _check_header(header)
    if header_errors:
        result.errors.extend(header_errors)
        return result
    if len(rows) == 1:
        return file_error(ERR_NO_DATA_ROWS)
    columns = {name: index for index, name in enumerate(header) if name}
    for row_number, values in rows[1:]:
        cells = {name: (values[index] if index < len(values) else "")
                 for name, index in columns.items()}
        question, errors = _parse_row(row_number, cells)
        if errors:
            result.errors.extend(errors)
        else:
            result.questions.append(question)
    return result


def _check_header(header: list[str]) -> list[FormatError]:
    names = [h for h in header if h]
    errors = []
    missing = [c for c in REQUIRED_HEADERS if c not in names]
    if missing:
        errors.append(ERR_MISSING_HEADERS % {"columns": "、".join(missing)})
    unknown = [h for h in names if h not in HEADERS]
    if unknown:
        errors.append(ERR_UNKNOWN_HEADERS % {"columns": "、".join(unknown)})
    duplicates = sorted({h for h in names if names.count(h) > 1}, key=names.index)
    if duplicates:
        errors.append(ERR_DUPLICATE_HEADERS % {"columns": "、".join(duplicates)})
    return [FormatError(message=str(m), row=1) for m in errors]


def _parse_row(row: int, cells: dict[str, str]):
    """One row -> (QuestionData or None, errors)."""
    errors: list[FormatError] = []

    def error(column, message):
        errors.append(FormatError(message=str(message), row=row, column=column,
                                  source=_("row %(row)s") % {"row": row}))

    kind_label = cells.get(COL_KIND, "")
    kind = KIND_BY_LABEL.get(_fold(kind_label).replace(" ", ""))
    if not kind_label:
        error(COL_KIND, ERR_REQUIRED)
    elif kind is None:
        error(COL_KIND, ERR_UNKNOWN_KIND % {
            "value": kind_label[:40], "allowed": "、".join(KIND_LABELS.values())})

    text = cells.get(COL_TEXT, "")
    if not text:
        error(COL_TEXT, ERR_REQUIRED)
    for column in (COL_TEXT, COL_EXPLANATION, COL_ANSWER, *OPTION_COLUMNS):
        if len(cells.get(column, "")) > MAX_TEXT:
            error(column, ERR_CELL_TOO_LONG % {"limit": MAX_TEXT})

    points_cell = cells.get(COL_POINTS, "")
    points = parse_points(points_cell) if points_cell else parse_points("1")
    if points is None:
        error(COL_POINTS, points_error(points_cell[:20]))

    difficulty_cell = cells.get(COL_DIFFICULTY, "")
    difficulty = DIFFICULTY_BY_LABEL.get(_fold(difficulty_cell)) if difficulty_cell \
        else types.MEDIUM
    if difficulty is None:
        error(COL_DIFFICULTY, ERR_UNKNOWN_DIFFICULTY % {
            "value": difficulty_cell[:20], "allowed": "、".join(DIFFICULTY_LABELS.values())})

    category = join_category(cells.get(COL_CATEGORY, ""))
    if category and category_error(category):
        error(COL_CATEGORY, category_error(category))

    tags = []
    for tag in TAG_SEPARATORS.split(cells.get(COL_TAGS, "")):
        tag = tag.strip()
        if tag and tag not in tags:
            tags.append(tag)
    if any(len(t) > MAX_TAG for t in tags):
        error(COL_TAGS, ERR_CELL_TOO_LONG % {"limit": MAX_TAG})

    options = [cells.get(column, "") for column in OPTION_COLUMNS]
    last_filled = max((i for i, o in enumerate(options) if o), default=-1)
    answer = cells.get(COL_ANSWER, "")
    question = types.QuestionData(
        kind=kind or "", text=text, points=points, difficulty=difficulty or types.MEDIUM,
        explanation=cells.get(COL_EXPLANATION, ""), category=category, tags=tags,
        source=_("row %(row)s") % {"row": row},
    )

    if kind in (types.SINGLE, types.MULTIPLE):
        for index in range(last_filled):
            if not options[index]:
                error(OPTION_COLUMNS[index], ERR_OPTION_GAP)
        if last_filled < 1:
            error(OPTION_COLUMNS[0] if not options[0] else OPTION_COLUMNS[1], ERR_TOO_FEW_OPTIONS)
        letters = _answer_letters(answer, kind, error)
        for letter in letters:
            index = OPTION_LETTERS.index(letter)
            if index > last_filled or not options[index]:
                error(COL_ANSWER, ERR_LETTER_WITHOUT_OPTION % {
                    "letter": letter, "column": OPTION_COLUMNS[index]})
        question.choices = [
            types.ChoiceData(text=options[i], correct=OPTION_LETTERS[i] in letters)
            for i in range(last_filled + 1)
        ]
    elif kind == types.TRUE_FALSE:
        value = _fold(answer)
        if len(value) == 1 and value in OPTION_LETTERS and options[OPTION_LETTERS.index(value)]:
            value = _fold(options[OPTION_LETTERS.index(value)])  # 选项A=正确, 选项B=错误, 答案 A
        elif last_filled >= 0:
            error(OPTION_COLUMNS[0], ERR_OPTIONS_NOT_USED)
        if not answer:
            error(COL_ANSWER, ERR_REQUIRED)
        elif value in TRUE_WORDS:
            question.answer_true = True
        elif value in FALSE_WORDS:
            question.answer_true = False
        else:
            error(COL_ANSWER, ERR_TRUE_FALSE % {"value": answer[:20]})
    elif kind == types.FILL:
        if last_filled >= 0:
            error(OPTION_COLUMNS[0], ERR_OPTIONS_NOT_USED)
        if not answer:
            error(COL_ANSWER, ERR_REQUIRED)
        else:
            question.blanks = parse_blanks(answer)
            for number, blank in enumerate(question.blanks, start=1):
                if not blank:
                    error(COL_ANSWER, ERR_BLANK_EMPTY % {"number": number})
            if text:
                question.text, problems = fill_stem_errors(text, question.blanks)
                for problem in problems:
                    error(COL_ANSWER, problem)
    elif kind == types.ESSAY:
        if last_filled >= 0:
            error(OPTION_COLUMNS[0], ERR_OPTIONS_NOT_USED)
        question.reference_answer = answer
    return (None if errors else question), errors


def _answer_letters(answer: str, kind: str, error) -> list[str]:
    if not answer:
        error(COL_ANSWER, ERR_REQUIRED)
        return []
    raw = LETTER_SEPARATORS.sub("", _fold(answer))
    letters: list[str] = []
    for ch in raw:
        if ch not in OPTION_LETTERS:
            error(COL_ANSWER, ERR_NOT_A_LETTER % {"value": ch})
            return []
        if ch not in letters:
            letters.append(ch)
    if kind == types.SINGLE and len(letters) > 1:
        error(COL_ANSWER, ERR_SINGLE_SEVERAL % {"value": answer[:20]})
    return letters


# ------------------------------------------------------------------ writers


def _workbook(questions: list[types.QuestionData]):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    sheet.append(list(HEADERS))
    widths = {COL_KIND: 8, COL_TEXT: 48, COL_ANSWER: 14, COL_POINTS: 6, COL_DIFFICULTY: 6,
              COL_EXPLANATION: 36, COL_CATEGORY: 20, COL_TAGS: 16}
    for index, header in enumerate(HEADERS, start=1):
        sheet.cell(row=1, column=index).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(header, 16)
    sheet.freeze_panes = "A2"
    wrap = Alignment(wrap_text=True, vertical="top")
    for row_number, question in enumerate(questions, start=2):
        sheet.append([cell_safe(v) for v in _row(question)])
        # Cells by coordinates: sheet.max_row and sheet[row] rescan every cell (quadratic).
        for column in range(1, len(HEADERS) + 1):
            sheet.cell(row=row_number, column=column).alignment = wrap
    last_row = max(len(questions) + 1, MAX_QUESTIONS + 1)
    answer_column = get_column_letter(HEADERS.index(COL_ANSWER) + 1)
    for row in range(2, max(len(questions) + 1, 1001) + 1):
        # Answers such as "1/2" or "001" must stay text, not become dates or numbers.
        sheet[f"{answer_column}{row}"].number_format = "@"
    for header, labels in ((COL_KIND, KIND_LABELS.values()),
                           (COL_DIFFICULTY, DIFFICULTY_LABELS.values())):
        column = get_column_letter(HEADERS.index(header) + 1)
        validation = DataValidation(type="list", formula1='"' + ",".join(labels) + '"',
                                    allow_blank=header == COL_DIFFICULTY, showErrorMessage=True)
        validation.add(f"{column}2:{column}{last_row}")
        sheet.add_data_validation(validation)
    return workbook


def _row(question: types.QuestionData) -> list:
    options = [c.text for c in question.choices]
    options += [""] * (len(OPTION_LETTERS) - len(options))
    if question.kind in (types.SINGLE, types.MULTIPLE):
        answer = "".join(OPTION_LETTERS[i] for i, c in enumerate(question.choices) if c.correct)
    elif question.kind == types.TRUE_FALSE:
        answer = "对" if question.answer_true else "错"
    elif question.kind == types.FILL:
        answer = format_blanks(question.blanks)
    else:
        answer = question.reference_answer
    return [
        KIND_LABELS[question.kind], question.text, *options, answer, question.points,
        DIFFICULTY_LABELS.get(question.difficulty, "中"), question.explanation,
        question.category, "、".join(question.tags),
    ]


class ExportError(ValueError):
    """Questions that the layout cannot hold (more than eight options)."""


def export(questions: list[types.QuestionData]) -> bytes:
    """The questions in the import layout (one row each), formula-safe, re-importable."""
    too_wide = [q.name or q.text[:30] for q in questions if len(q.choices) > len(OPTION_LETTERS)]
    if too_wide:
        raise ExportError(_("These questions have more than eight options: %(names)s") % {
            "names": "; ".join(too_wide)})
    return save_bytes(_workbook(questions))


def template() -> bytes:
    """The empty import template: header row, drop-downs for 题型/难度, a 填写说明 sheet."""
    workbook = _workbook([])
    notes = workbook.create_sheet(NOTES_TITLE)
    notes.append([_("Column"), _("Required"), _("What to enter")])
    explanations = {
        COL_KIND: _("One of: %(values)s.") % {"values": "、".join(KIND_LABELS.values())},
        COL_TEXT: _("The question. In a fill-in question mark each blank with {{1}}, {{2}} …, "
                    "（  ） or ____."),
        OPTION_COLUMNS[0]: _("Options of single and multiple choice questions, from 选项A on "
                             "without gaps (at least A and B, at most H). Leave empty for other "
                             "types."),
        COL_ANSWER: _("Single choice: one letter, e.g. B. Multiple choice: letters, e.g. ACD or "
                      "A,C. True/false: 对 or 错. Fill-in: the answers of the blanks in order, "
                      "separated by |; accepted alternatives of one blank separated by /, e.g. "
                      "北京/北平|上海. Essay: a reference answer for markers (optional)."),
        COL_POINTS: _("Points, greater than 0 and at most 100, at most two decimals. Default 1."),
        COL_DIFFICULTY: _("易, 中 or 难. Default 中."),
        COL_EXPLANATION: _("Explanation shown after the answer (解析). Optional."),
        COL_CATEGORY: _("Category; separate levels with /, e.g. 绩效评价/评价方法. Optional."),
        COL_TAGS: _("Knowledge points, separated by 、 or commas. Optional."),
    }
    for header, text in explanations.items():
        required = _("Yes") if header in REQUIRED_HEADERS else _("No")
        label = f"{OPTION_COLUMNS[0]} … {OPTION_COLUMNS[-1]}" if header == OPTION_COLUMNS[0] \
            else header
        notes.append([label, required, text])
    notes.append([])
    notes.append([_("Row 1 of the 题目 sheet is the header row; do not change it. One question "
                    "per row. Examples:")])
    notes.append(list(HEADERS))
    for example in EXAMPLES:
        notes.append([cell_safe(v) for v in example])
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["C"].width = 90
    return save_bytes(workbook)


EXAMPLES = (
    ("单选", "绩效目标应当符合下列哪项要求？", "指向明确、细化量化", "越多越好", "只写定性描述",
     "由财政部门代为填写", "", "", "", "", "A", 2, "易", "绩效目标要指向明确、细化量化、合理可行。",
     "目标管理", "绩效目标"),
    ("多选", "绩效指标一般包括哪些？", "产出指标", "效益指标", "满意度指标", "人员编制指标",
     "", "", "", "", "ABC", 2, "中", "", "目标管理/指标体系", "绩效指标、指标体系"),
    ("判断", "项目支出绩效评价只能由财政部门组织开展。", "", "", "", "", "", "", "", "", "错", 1,
     "易", "单位自评、部门评价和财政评价共同构成评价体系。", "绩效评价", ""),
    ("填空", "预算绩效管理的五个环节包括事前评估、目标管理、{{1}}、绩效评价和{{2}}。",
     "", "", "", "", "", "", "", "", "运行监控|结果应用", 2, "中", "", "综合", ""),
    ("简答", "简述绩效评价结果应用的主要方式。", "", "", "", "", "", "", "", "",
     "与预算安排挂钩、反馈整改、信息公开等。", 5, "难", "", "结果应用", ""),
)
