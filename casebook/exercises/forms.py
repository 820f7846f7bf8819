"""Reading the exercise forms (plain indexed POST fields, so every form works without JS)."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy

from casebook.exercises.grading import (
    ERR_MARK_ROW,
    ERR_MARK_RULE,
    ERR_TOO_MANY_ROWS,
    EXERCISE_MAX_ROWS,
    ExerciseInputError,
)
from casebook.rules.checker import RULES
from casebook.rules.exante import ASPECTS
from casebook.rules.excel import goal_table_from_xlsx
from casebook.rules.table import TableError
from portal.uploads import UploadError, json_load

ROW_FIELDS = ("level1", "level2", "name", "op", "value", "unit", "basis", "explanation")
_ROW_KEY = re.compile(r"^ind-(\d{1,6})-(" + "|".join(ROW_FIELDS) + r")$")
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_HEADER_TEXT = 4000
ERR_UPLOAD_MISSING = gettext_noop("Choose a file to upload.")
ERR_UPLOAD_TOO_LARGE = gettext_noop("The file is larger than 2 MB.")
ERR_UPLOAD_JSON = gettext_noop(
    "The file is neither an Excel template (.xlsx) nor a JSON goal table.")
ERR_UPLOAD_JSON_SHAPE = gettext_noop("The JSON file must hold one goal table object.")


def goal_table_from_post(post) -> dict:
    """The interchange dict of the editor: header goals and rows `ind-<i>-<field>`."""
    rows: dict[int, dict] = {}
    for key in post:
        match = _ROW_KEY.match(key)
        if not match:
            continue
        index = int(match.group(1))
        if index >= EXERCISE_MAX_ROWS:
            count = max(index + 1, sum(1 for k in post if k.endswith("-name")))
            raise ExerciseInputError([_(ERR_TOO_MANY_ROWS).format(
                count=count, limit=EXERCISE_MAX_ROWS)])
        rows.setdefault(index, {})[match.group(2)] = post.get(key, "")
    indicators = []
    for index in sorted(rows):
        row = {name: (rows[index].get(name) or "").strip() for name in ROW_FIELDS}
        if not any(row[name] for name in ("name", "value", "unit", "explanation")):
            continue  # an empty editor row
        indicators.append(row)
    return {"overall_goal": (post.get("overall_goal") or "")[:MAX_HEADER_TEXT + 1],
            "annual_goal": (post.get("annual_goal") or "")[:MAX_HEADER_TEXT + 1],
            "indicators": indicators}


def goal_table_from_upload(upload) -> dict:
    """An uploaded .xlsx template or JSON goal table as an interchange dict."""
    if upload is None:
        raise ExerciseInputError([_(ERR_UPLOAD_MISSING)])
    if upload.size > MAX_UPLOAD_BYTES:
        raise ExerciseInputError([_(ERR_UPLOAD_TOO_LARGE)])
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if data[:2] == b"PK":
        try:
            return goal_table_from_xlsx(data).to_dict()
        except TableError as exc:
            raise ExerciseInputError(exc.messages) from exc
    try:
        parsed = json_load(data.decode("utf-8-sig"))
    except UploadError as exc:
        raise ExerciseInputError([exc.message]) from exc
    except ValueError as exc:
        raise ExerciseInputError([_(ERR_UPLOAD_JSON)]) from exc
    if not isinstance(parsed, dict):
        raise ExerciseInputError([_(ERR_UPLOAD_JSON_SHAPE)])
    return parsed


def error_marks_from_post(post, *, rows: int) -> tuple[list[list], list[str]]:
    """Marks [(row, rule)] from `mark-<row>` / `rule-<row>` and table-level `table_rule`."""
    errors: list[str] = []
    marks: list[list] = []
    indices = set()
    for key in post:
        for prefix in ("mark-", "rule-"):
            if key.startswith(prefix):
                try:
                    indices.add(int(key[len(prefix):]))
                except ValueError:
                    errors.append(_(ERR_MARK_ROW))
    for row in sorted(indices):
        if not 1 <= row <= rows:
            errors.append(_(ERR_MARK_ROW))
            continue
        rule = (post.get(f"rule-{row}") or "").strip().upper()
        checked = bool(post.get(f"mark-{row}"))
        if (rule and rule not in RULES) or (checked and not rule):
            errors.append(_(ERR_MARK_RULE).format(row=row))
        elif rule:
            marks.append([row, rule])
    table_rules = []
    for rule in post.getlist("table_rule")[:len(RULES)]:
        rule = rule.strip().upper()
        if rule not in RULES:
            errors.append(_(ERR_MARK_ROW))
        elif rule not in table_rules:
            table_rules.append(rule)
    if errors:
        raise ExerciseInputError(sorted(set(errors)))
    return marks, table_rules


def selfeval_from_post(post, *, rows: int) -> dict:
    """The learner's entries as given (validated by the grading module)."""
    return {"budget_score": post.get("budget_score", "").strip(),
            "rows": [post.get(f"row-{i}", "").strip() for i in range(1, rows + 1)],
            "total": post.get("total", "").strip(), "grade": post.get("grade", "").strip()}


def monitoring_from_post(post, *, rows: int) -> list[dict]:
    return [{"light": post.get(f"light-{i}", ""), "response": post.get(f"response-{i}", "")}
            for i in range(1, rows + 1)]


def exante_from_post(post, *, findings: int) -> dict:
    return {"mapping": [post.get(f"aspect-{i}", "") for i in range(1, findings + 1)],
            "scores": {name: post.get(f"score-{n}", "").strip()
                       for n, name in enumerate(ASPECTS, start=1)},
            "total": post.get("total", "").strip(),
            "conclusion": post.get("conclusion", "").strip()}


class ReviewForm(forms.Form):
    """A reviewer's comment, optionally with a new score (then the comment is the reason)."""

    comment = forms.CharField(label=gettext_lazy("Comment / reason"), widget=forms.Textarea(
        attrs={"rows": 3}), required=False, max_length=4000)
    new_score = forms.DecimalField(label=gettext_lazy("New score (optional)"), required=False,
                                   min_value=0, max_value=100, decimal_places=2)


class ReviewFilterForm(forms.Form):
    """Filters of the reviewer list."""

    exercise = forms.TypedChoiceField(label=gettext_lazy("Exercise"), required=False,
                                      coerce=int, empty_value=None)
    department = forms.TypedChoiceField(label=gettext_lazy("Department"), required=False,
                                        coerce=int, empty_value=None)
    date_from = forms.DateField(label=pgettext_lazy("date range", "From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=pgettext_lazy("date range", "To"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, exercises=(), departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["exercise"].choices = [("", "—")] + [(e.pk, e.title) for e in exercises]
        self.fields["department"].choices = [("", "—")] + [(d.pk, d.name) for d in departments]

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {"exercise_id": data.get("exercise"), "department_id": data.get("department"),
                "date_from": data.get("date_from"), "date_to": data.get("date_to")}
