"""Learner and reviewer pages of the exercises under /casebook/exercises/ (thin views)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from casebook.exercises import forms as exercise_forms
from casebook.exercises import grading, selectors, services
from casebook.exercises.grading import ExerciseInputError
from casebook.models import ExerciseKind
from casebook.models.pages import OPERATOR_SYMBOLS
from casebook.rules.exante import ASPECTS, CONDITIONAL, REJECT, SUPPORT
from casebook.rules.excel import goal_table_workbook
from casebook.rules.monitoring import LIGHT_LABELS, RESPONSES
from casebook.rules.mutations import MutationError
from casebook.rules.table import GoalTable, TableError
from departments.selectors import learner_picker_results

BASIS_CHOICES = ("计划标准", "历史标准", "行业标准", "预算支出标准", "其他标准")
EDITOR_MIN_ROWS = 8
EDITOR_BLANK_ROWS = 3
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REVIEW_PER_PAGE = 50
MSG_UPLOADED = gettext_noop("The file was read: {count} rows. Check them, then submit.")
MSG_SUBMITTED = gettext_noop("Submitted: attempt {number}, score {score}.")
MSG_REVIEWED = gettext_noop("Review saved.")
ERR_EXERCISE_BROKEN = gettext_noop("This exercise cannot be shown: {problem}")


def _exercise(request, pk: int):
    exercise = selectors.exercise_for_user(pk=pk, user=request.user)
    if exercise is None:
        raise Http404
    return exercise


# ---- context per kind ----------------------------------------------------------------------

def _editor_rows(table: dict, findings_by_row: dict[int, list[dict]]) -> list[dict]:
    rows = []
    for index, row in enumerate(table.get("indicators") or [], start=1):
        row = row if isinstance(row, dict) else {}
        found = findings_by_row.get(index, [])
        severity = "error" if any(f["severity"] == "error" for f in found) else (
            "warning" if any(f["severity"] == "warning" for f in found) else (
                "info" if found else ""))
        value = row.get("value")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        rows.append({"level1": row.get("level1") or "", "level2": row.get("level2") or "",
                     "name": row.get("name") or "", "op": row.get("op") or "",
                     "value": "" if value is None else value, "unit": row.get("unit") or "",
                     "basis": row.get("basis") or "",
                     "explanation": row.get("explanation") or "",
                     "findings": found, "severity": severity})
    blanks = max(EDITOR_BLANK_ROWS, EDITOR_MIN_ROWS - len(rows))
    for _i in range(blanks):
        rows.append({"level1": "", "level2": "", "name": "", "op": "", "value": "",
                     "unit": "", "basis": "", "explanation": "", "findings": [],
                     "severity": ""})
    for position, row in enumerate(rows):
        row["index"] = position
    return rows


def _goal_setting_context(exercise, *, shown, editor_table: dict | None) -> dict:
    config = grading.exercise_config(exercise)
    findings_by_row: dict[int, list[dict]] = {}
    table_findings: list[dict] = []
    if editor_table is None:
        # Revise: the editor starts from the submission shown (the latest by default).
        editor_table = shown.input if shown is not None else grading.blank_table(exercise)
        if shown is not None:
            for finding in shown.result.get("findings", []):
                if finding.get("row"):
                    findings_by_row.setdefault(finding["row"], []).append(finding)
                else:
                    table_findings.append(finding)
    level2_groups = [(level1, config.level2.get(level1, [])) for level1 in config.level1]
    rows = _editor_rows(editor_table, findings_by_row)
    all_level2 = {name for _l1, names in level2_groups for name in names}
    for row in rows:
        row["level1_extra"] = bool(row["level1"]) and row["level1"] not in config.level1
        row["level2_extra"] = bool(row["level2"]) and row["level2"] not in all_level2
        row["basis_extra"] = bool(row["basis"]) and row["basis"] not in BASIS_CHOICES
        row["op_extra"] = bool(row["op"]) and row["op"] not in OPERATOR_SYMBOLS
    return {
        "editor": {"overall_goal": editor_table.get("overall_goal") or "",
                   "annual_goal": editor_table.get("annual_goal") or "",
                   "rows": rows},
        "table_findings": table_findings,
        "level1_options": config.level1, "level2_groups": level2_groups,
        "op_options": list(OPERATOR_SYMBOLS.items()), "basis_options": BASIS_CHOICES,
        "max_rows": grading.EXERCISE_MAX_ROWS,
        "autocomplete_url": reverse("casebook:indicator_autocomplete"),
        "func_class_code": exercise.case.func_class.code,
        "scoring_rule": grading.goal_scoring_rule(exercise),
    }


def _find_errors_context(exercise, *, user, next_attempt: int, can_submit: bool,
                         posted) -> dict:
    context = {"rule_choices": grading.rule_choices(), "given_table_rules": [],
               "scoring_rule": _(grading.RULE_FIND_ERRORS)}
    if can_submit:
        table, _key = grading.find_errors_table(exercise, user_id=user.pk,
                                                attempt_number=next_attempt)
        digest = grading.table_digest(table)
        # A refused submission puts the learner's ticks back, but only on the same table.
        keep = bool(posted) and posted.get("digest") == digest
        context["mutated_rows"] = [
            {**row.to_dict(), "index": i, "op_symbol": OPERATOR_SYMBOLS.get(row.op, row.op),
             "value_text": row.value_text,
             "given_mark": keep and bool(posted.get(f"mark-{i}")),
             "given_rule": (str(posted.get(f"rule-{i}") or "").strip().upper()
                            if keep else "")}
            for i, row in enumerate(table.indicators, start=1)]
        context["mutated_header"] = table
        context["table_digest"] = digest
        if keep and hasattr(posted, "getlist"):
            context["given_table_rules"] = [str(rule).strip().upper()
                                            for rule in posted.getlist("table_rule")]
    return context


def _kind_context(request, exercise, *, shown, can_submit: bool, next_attempt: int,
                  editor_table: dict | None = None, posted=None) -> dict:
    kind = exercise.kind
    posted = posted or {}
    if kind == ExerciseKind.GOAL_SETTING:
        return _goal_setting_context(exercise, shown=shown, editor_table=editor_table)
    if kind == ExerciseKind.FIND_ERRORS:
        return _find_errors_context(exercise, user=request.user, next_attempt=next_attempt,
                                    can_submit=can_submit, posted=posted)
    if kind == ExerciseKind.SELF_EVALUATION:
        view = grading.selfeval_view(exercise)
        for row in view["rows"]:
            row["given"] = posted.get(f"row-{row['index']}", "")
        return {"selfeval": view, "grades": grading.GRADES,
                "given": {key: posted.get(key, "") for key in ("budget_score", "total",
                                                               "grade")}}
    if kind == ExerciseKind.MONITORING:
        case = exercise.case
        rows = [{"index": i, "name": r["name"], "level1": r["level1"], "level2": r["level2"],
                 "op_symbol": OPERATOR_SYMBOLS.get(r["op"], r["op"]), "target": r["target"],
                 "actual": r["actual"], "unit": r["unit"], "note": r["note"],
                 "facts": r["facts"],
                 "given_light": posted.get(f"light-{i}", ""),
                 "given_response": posted.get(f"response-{i}", "")}
                for i, r in enumerate(grading.monitoring_rows(exercise), start=1)]
        return {"monitoring_rows": rows, "month": case.monitoring_month,
                "execution_rate": case.execution_rate,
                "lights": list(LIGHT_LABELS.items()), "responses": RESPONSES}
    if kind == ExerciseKind.EX_ANTE:
        return {"exante_findings": [{"index": i, "text": item["text"],
                                     "given": posted.get(f"aspect-{i}", "")} for i, item in
                                    enumerate(grading.exante_findings(exercise), start=1)],
                "aspects": [{"index": i, "name": name, "given": posted.get(f"score-{i}", "")}
                            for i, name in enumerate(ASPECTS, start=1)],
                "given": {key: posted.get(key, "") for key in ("total", "conclusion")},
                "conclusions": (SUPPORT, CONDITIONAL, REJECT)}
    return {}


def _render_exercise(request, exercise, *, errors=(), editor_table=None, posted=None,
                     status=200):
    submissions = selectors.submissions_of(user=request.user, exercise=exercise)
    used = len(submissions)
    attempts_left = None if not exercise.max_attempts else max(0, exercise.max_attempts - used)
    can_submit = exercise.published and (attempts_left is None or attempts_left > 0)
    shown = submissions[-1] if submissions else None
    wanted = request.GET.get("attempt")
    if wanted and wanted.isascii() and wanted.isdigit() and len(wanted) <= 9:
        shown = next((s for s in submissions if s.attempt_number == int(wanted)), shown)
    context = {"exercise": exercise, "case": exercise.case, "submissions": submissions,
               "shown": shown, "attempts_left": attempts_left, "can_submit": can_submit,
               "errors": list(errors), "posted": posted or {}, "kinds": ExerciseKind,
               "revealed": grading.answers_revealed(exercise=exercise,
                                                    submissions=submissions),
               "best": max(submissions, key=lambda s: (s.score, -s.attempt_number))
               if submissions else None}
    try:
        context.update(_kind_context(request, exercise, shown=shown, can_submit=can_submit,
                                     next_attempt=used + 1, editor_table=editor_table,
                                     posted=posted))
    except MutationError:
        context["errors"].append(_(ERR_EXERCISE_BROKEN).format(
            problem=_(grading.PROBLEM_MUTATION)))
        context["can_submit"] = False
    if shown is not None:
        context["feedback"] = grading.result_view(
            kind=exercise.kind, input_data=shown.input, result=shown.result,
            revealed=context["revealed"],
            monitoring_names=[row["name"] for row in context.get("monitoring_rows", [])])
    return render(request, "casebook/exercises/exercise.html", context, status=status)


# ---- learner views -------------------------------------------------------------------------

def _grade(request, exercise):
    """(input JSON, Graded) from the POST; ExerciseInputError when unusable."""
    post = request.POST
    kind = exercise.kind
    if kind == ExerciseKind.GOAL_SETTING:
        data = exercise_forms.goal_table_from_post(post)
        table = grading.table_for_exercise(exercise, data)
        return table.to_dict(), grading.grade_goal_setting(exercise, table)
    if kind == ExerciseKind.FIND_ERRORS:
        used = services.attempts_used(exercise=exercise, user=request.user)
        table, key = grading.find_errors_table(exercise, user_id=request.user.pk,
                                               attempt_number=used + 1)
        if post.get("digest") != grading.table_digest(table):
            raise ExerciseInputError([_(grading.ERR_TABLE_CHANGED)])
        marks, table_rules = exercise_forms.error_marks_from_post(
            post, rows=len(table.indicators))
        graded = grading.grade_find_errors(exercise, table=table, key=key, marks=marks,
                                           table_rules=table_rules)
        return {"marks": marks, "table_rules": table_rules}, graded
    if kind == ExerciseKind.SELF_EVALUATION:
        rows = len(grading.selfeval_view(exercise)["rows"])
        raw = exercise_forms.selfeval_from_post(post, rows=rows)
        entries = grading.selfeval_entries_validate(rows=rows, data=raw)
        return entries, grading.grade_self_evaluation(exercise, entries)
    if kind == ExerciseKind.MONITORING:
        rows = len(grading.monitoring_rows(exercise))
        answers = grading.monitoring_answers_validate(
            rows=rows, answers=exercise_forms.monitoring_from_post(post, rows=rows))
        return {"answers": answers}, grading.grade_monitoring(exercise, answers)
    if kind == ExerciseKind.EX_ANTE:
        count = len(grading.exante_findings(exercise))
        data = grading.exante_input_validate(
            findings=count, data=exercise_forms.exante_from_post(post, findings=count))
        return data, grading.grade_ex_ante(exercise, data)
    raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def exercise_detail(request, pk: int):
    """The exercise: case summary, task, the learner's last result and attempt history; POST
    submits an attempt."""
    exercise = _exercise(request, pk)
    if request.method == "GET":
        return _render_exercise(request, exercise)
    editor_table = None
    try:
        if exercise.kind == ExerciseKind.GOAL_SETTING:
            editor_table = exercise_forms.goal_table_from_post(request.POST)
        input_data, graded = _grade(request, exercise)
        submission = services.submission_create(exercise=exercise, user=request.user,
                                                input_data=input_data, graded=graded)
    except ExerciseInputError as exc:
        if editor_table is None and exercise.kind == ExerciseKind.GOAL_SETTING:
            editor_table = {"indicators": []}
        return _render_exercise(request, exercise, errors=exc.messages,
                                editor_table=editor_table, posted=request.POST, status=400)
    messages.success(request, _(MSG_SUBMITTED).format(number=submission.attempt_number,
                                                      score=submission.score))
    url = reverse("casebook:exercise", args=[exercise.pk])
    return redirect(f"{url}?attempt={submission.attempt_number}#result")


@login_required
@require_POST
def exercise_upload(request, pk: int):
    """Load an uploaded Excel template or JSON goal table into the editor (nothing stored)."""
    exercise = _exercise(request, pk)
    if exercise.kind != ExerciseKind.GOAL_SETTING:
        raise Http404
    try:
        data = exercise_forms.goal_table_from_upload(request.FILES.get("file"))
        table = grading.table_for_exercise(exercise, data)
    except ExerciseInputError as exc:
        return _render_exercise(request, exercise, errors=exc.messages, status=400)
    messages.info(request, _(MSG_UPLOADED).format(count=len(table.indicators)))
    return _render_exercise(request, exercise, editor_table=table.to_dict())


@login_required
@require_http_methods(["GET", "POST"])
def exercise_export(request, pk: int):
    """The goal table as the Excel template: the editor's content (POST) or the last attempt."""
    exercise = _exercise(request, pk)
    if exercise.kind != ExerciseKind.GOAL_SETTING:
        raise Http404
    if request.method == "POST":
        data: dict = {"indicators": []}
        try:
            data = exercise_forms.goal_table_from_post(request.POST)
            if data["indicators"]:
                table = grading.table_for_exercise(exercise, data)
            else:
                table = GoalTable.from_dict({**grading.blank_table(exercise),
                                             "overall_goal": data["overall_goal"],
                                             "annual_goal": data["annual_goal"]})
        except TableError as exc:
            return _render_exercise(request, exercise, errors=exc.messages,
                                    editor_table=data, status=400)
        except ExerciseInputError as exc:
            return _render_exercise(request, exercise, errors=exc.messages,
                                    editor_table=data, status=400)
    else:
        latest = selectors.submissions_of(user=request.user, exercise=exercise)
        table = GoalTable.from_dict(latest[-1].input if latest
                                    else grading.blank_table(exercise))
    response = HttpResponse(goal_table_workbook(table), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="goal-table-{exercise.pk}.xlsx"'
    return response


# ---- reviewer views (inside the Wagtail admin, which requires a login and admin access;
# routed by casebook.wagtail_hooks) -----------------------------------------------------------

def _require_viewer(user):
    if not selectors.user_can_see_submissions(user):
        raise PermissionDenied


def _pk(value) -> int | None:
    value = str(value or "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


@require_safe
def review_list(request):
    """Submissions to review: filters by exercise, department, learner (picked by name or
    工号) and date; scoped by role."""
    _require_viewer(request.user)
    form = exercise_forms.ReviewFilterForm(
        request.GET or None, exercises=selectors.exercises_for_filter(user=request.user),
        departments=selectors.departments_for_filter(user=request.user))
    learner_id = _pk(request.GET.get("learner"))
    learner_text = "" if learner_id else (request.GET.get("learner_q") or "").strip()
    submissions = selectors.submissions_for_review_queue(
        user=request.user, learner_user_id=learner_id, learner_text=learner_text,
        **form.filters())
    page = Paginator(submissions, REVIEW_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    learner = (selectors.learners_reviewable_by(user=request.user).filter(
        user_id=learner_id).first() if learner_id else None)
    return render(request, "casebook/exercises/review_list.html", {
        "form": form, "page": page, "querystring": query.urlencode(),
        "can_review": selectors.user_can_review(request.user),
        "learner": learner, "learner_text": learner_text})


@require_safe
def review_learners(request):
    """The review queue's learner picker: JSON of learners in scope matching `q`."""
    _require_viewer(request.user)
    return JsonResponse({"results": learner_picker_results(
        learners=selectors.learners_reviewable_by(user=request.user),
        query=request.GET.get("q", ""))})


@require_http_methods(["GET", "POST"])
def review_detail(request, pk: int):
    """One submission with its input, result and audit trail; reviewers comment or override."""
    _require_viewer(request.user)
    submission = get_object_or_404(selectors.submissions_visible_to(request.user), pk=pk)
    can_review = selectors.user_can_review(request.user)
    form = exercise_forms.ReviewForm(request.POST or None)
    errors: list[str] = []
    if request.method == "POST":
        if not can_review:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.submission_review(
                    submission=submission, reviewer=request.user,
                    comment=form.cleaned_data["comment"],
                    new_score=form.cleaned_data["new_score"])
            except ExerciseInputError as exc:
                errors = exc.messages
            else:
                messages.success(request, _(MSG_REVIEWED))
                return redirect("exercise_review:detail", pk=submission.pk)
    exercise = submission.exercise
    names = ([row["name"] for row in grading.monitoring_rows(exercise)]
             if exercise.kind == ExerciseKind.MONITORING else [])
    return render(request, "casebook/exercises/review_detail.html", {
        "submission": submission, "exercise": exercise, "shown": submission,
        "revealed": True,
        "feedback": grading.result_view(kind=exercise.kind, input_data=submission.input,
                                        result=submission.result, revealed=True,
                                        monitoring_names=names),
        "reviews": selectors.submission_reviews(submission=submission),
        "form": form, "errors": errors, "can_review": can_review,
        "findings": submission.result.get("findings", []),
    }, status=400 if errors or form.errors else 200)


# The old public addresses of the queue stay for links and bookmarks: they check the
# permission first (a learner still gets 403, not the admin's login page), then go on.

@login_required
@require_safe
def review_list_legacy(request):
    """Old address of the review queue: on to the admin's, with the filters."""
    _require_viewer(request.user)
    url = reverse("exercise_review:index")
    query = request.GET.urlencode()
    return redirect(f"{url}?{query}" if query else url)


@login_required
@require_safe
def review_detail_legacy(request, pk: int):
    """Old address of one submission: on to the admin's."""
    _require_viewer(request.user)
    return redirect("exercise_review:detail", pk=pk)
