"""Admin pages: question file import (upload -> preview -> confirm, all or nothing), the Excel
template and per-bank export (xlsx, Moodle XML), for editors and bureau staff; the quiz results
report with item statistics and its XLSX export; the essay marking queue and its learner
picker."""

from __future__ import annotations

import io
import os

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from departments.models import Department
from departments.selectors import departments_visible_to, learner_picker_results
from portal.spreadsheets import cell_safe
from quizzes import authoring, formats, selectors, services, statistics
from quizzes.formats.xlsx import ExportError
from quizzes.forms import MarkingForm, QuestionImportForm
from quizzes.models import (
    AttemptQuestion,
    AttemptStatus,
    ImportStatus,
    Kind,
    QuestionBank,
    QuestionImportJob,
    Quiz,
)

IMPORT_PERMISSION = "quizzes.add_question"
PREVIEW_LIMIT = 50
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "moodle-xml": "application/xml; charset=utf-8",
}
EXTENSIONS = {"xlsx": "xlsx", "moodle-xml": "xml"}


def user_may_import_questions(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_perm(IMPORT_PERMISSION))


def _require_importer(request) -> None:
    if not user_may_import_questions(request.user):
        raise PermissionDenied


def _preview_rows(questions) -> list[dict]:
    """The first questions of a file as plain rows for the preview table (answers included:
    this is an editor's page)."""
    rows = []
    for number, data in enumerate(questions[:PREVIEW_LIMIT], start=1):
        if data.kind == Kind.TRUE_FALSE:
            answer = _("True") if data.answer_true else _("False")
        elif data.kind == Kind.FILL:
            answer = " | ".join(" / ".join(b) for b in data.blanks)
        elif data.kind == Kind.ESSAY:
            answer = data.reference_answer
        else:
            answer = "".join(chr(65 + i) for i, c in enumerate(data.choices) if c.correct)
        rows.append({
            "number": number, "source": data.source,
            "kind": Kind(data.kind).label if data.kind in Kind.values else data.kind,
            "text": data.text, "category": data.category, "points": data.points,
            "difficulty": data.difficulty, "explanation": data.explanation,
            "tags": ", ".join(data.tags),
            "choices": [{"letter": chr(65 + i), "text": c.text, "correct": c.correct}
                        for i, c in enumerate(data.choices)],
            "answer": answer,
        })
    return rows


def _preview_context(preview: services.ImportPreview, *, filename: str, bank_label: str
                     ) -> dict:
    result = preview.result
    return {
        "filename": filename, "bank_label": bank_label,
        "counts": [(Kind(kind).label, count) for kind, count in result.counts_by_kind().items()],
        "total": len(result.questions), "rows": _preview_rows(result.questions),
        "more": max(0, len(result.questions) - PREVIEW_LIMIT),
        "errors": preview.errors, "skipped": [str(s) for s in result.skipped],
        # Explanations naming option letters are a note, never a reason to refuse the file.
        "warnings": [str(w) for w in result.warnings]
        + authoring.import_letter_warnings(result.questions),
        "job": preview.job,
    }


@require_http_methods(["GET", "POST"])
def question_import(request):
    """Upload form, the banks with export links and the user's recent imports; a POST parses
    and dry-runs the file, then shows its preview (with a confirm button when it is clean)."""
    _require_importer(request)
    form = QuestionImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        preview = services.question_import_preview(
            user=request.user, data=form.read_upload(),
            filename=os.path.basename(upload.name or "")[:255],
            file_format=data["file_format"], bank=data["bank"], bank_name=data["new_bank"],
            category_prefix=data["category_prefix"].strip(),
            skip_unsupported=data["skip_unsupported"])
        if preview.job is not None:
            return redirect("quizzes_import:preview", job_id=preview.job.pk)
        return TemplateResponse(request, "quizzes/admin/import_preview.html", _preview_context(
            preview, filename=upload.name,
            bank_label=str(data["bank"] or data["new_bank"])))
    banks = QuestionBank.objects.annotate(question_count=Count("questions")).order_by("name")
    jobs = QuestionImportJob.objects.filter(created_by=request.user).select_related(
        "bank").defer("data")[:10]
    return TemplateResponse(request, "quizzes/admin/import_upload.html", {
        "form": form, "banks": banks, "jobs": jobs, "preview_limit": PREVIEW_LIMIT,
    })


@require_http_methods(["GET", "POST"])
def question_import_preview(request, job_id):
    """The preview of a clean upload; POST imports it (validated again), all or nothing."""
    _require_importer(request)
    job = get_object_or_404(QuestionImportJob.objects.select_related("bank"), pk=job_id,
                            created_by=request.user)
    if request.method == "POST":
        try:
            report = services.question_import_confirm(job_id=job.pk, user=request.user)
        except QuestionImportJob.DoesNotExist:
            raise Http404 from None
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("quizzes_import:preview", job_id=job.pk)
        job.refresh_from_db(fields=["bank"])
        messages.success(request, _("%(count)s questions imported into %(bank)s.") % {
            "count": report.created, "bank": job.bank})
        return redirect(f"{reverse('quiz_questions:index')}?bank={job.bank_id}")
    if job.status != ImportStatus.PREVIEWED:
        messages.info(request, services.IMPORT_JOB_DONE)
        return redirect("quizzes_import:upload")
    preview = services.question_import_job_preview(job=job)
    return TemplateResponse(request, "quizzes/admin/import_preview.html", _preview_context(
        preview, filename=job.filename, bank_label=str(job.bank or job.bank_name)))


def question_import_template(request):
    """The empty Excel template with its 填写说明 sheet."""
    _require_importer(request)
    return HttpResponse(formats.xlsx_template(), content_type=CONTENT_TYPES["xlsx"], headers={
        "Content-Disposition": content_disposition_header(True, "题目导入模板.xlsx")})


def question_bank_export(request, bank_id, file_format):
    """A bank's current questions as .xlsx (formula-safe) or Moodle XML."""
    _require_importer(request)
    if file_format not in formats.EXPORT_FORMATS:
        raise Http404
    bank = get_object_or_404(QuestionBank, pk=bank_id)
    try:
        content = formats.export(services.questions_as_data(bank=bank), format=file_format)
    except ExportError as error:
        messages.error(request, str(error))
        return redirect("quizzes_import:upload")
    filename = f"{bank.name}.{EXTENSIONS[file_format]}"
    return HttpResponse(content, content_type=CONTENT_TYPES[file_format], headers={
        "Content-Disposition": content_disposition_header(True, filename)})


# ---- shared by the report and the marking queue ----------------------------------------------

QUEUE_PER_PAGE = 50
XLSX_TYPE = CONTENT_TYPES["xlsx"]


def _pk(value) -> int | None:
    """A query value as a row id, or None for text, superscript digits or huge numbers."""
    value = str(value or "")
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 1 <= number <= services.MAX_PK else None


def _date(value):
    try:
        return parse_date(value or "")
    except ValueError:  # well-formed but impossible, like 2024-02-30
        return None


# ---- results report ------------------------------------------------------------------------

CONTEXT = "quiz results"
FLAG_LABELS = {
    statistics.FLAG_TOO_HARD: pgettext_lazy(CONTEXT, "Very hard: facility index below 0.20"),
    statistics.FLAG_TOO_EASY: pgettext_lazy(CONTEXT, "Very easy: facility index above 0.95"),
    statistics.FLAG_NEGATIVE_DISCRIMINATION: pgettext_lazy(
        CONTEXT, "Negative discrimination: stronger learners do worse on it"),
}
SELECTION_LABELS = {
    statistics.ALL_GRADED: pgettext_lazy(CONTEXT, "All graded attempts"),
    statistics.FIRST_GRADED: pgettext_lazy(CONTEXT, "Each learner's first graded attempt"),
}


def _require_results(request) -> None:
    if not selectors.user_can_see_quiz_results(request.user):
        raise PermissionDenied


def _report_departments(user):
    """Departments the report can be narrowed to: all of them when the user sees every
    learner, otherwise the user's own."""
    if selectors.quiz_results_learners(user=user) is None:
        return Department.objects.order_by("sort_order", "code")
    return departments_visible_to(user).order_by("sort_order", "code")


def _report(request, quiz: Quiz) -> dict:
    """The statistics of one quiz for the request's filters, with the filters as applied."""
    selection = request.GET.get("attempts")
    if selection not in statistics.ATTEMPT_SELECTIONS:
        selection = statistics.ALL_GRADED
    departments = list(_report_departments(request.user).only("pk", "name", "code"))
    department_id = _pk(request.GET.get("department"))
    if department_id not in {department.pk for department in departments}:
        department_id = None
    rows = selectors.quiz_statistics_rows(user=request.user, quiz=quiz, selection=selection,
                                          department_id=department_id)
    report = statistics.quiz_statistics(
        attempts=rows.attempts, responses=rows.responses, items=rows.items,
        grading_method=quiz.grading_method, selection=selection)
    return {"quiz": quiz, "report": report, "selection": selection,
            "selection_label": SELECTION_LABELS[selection], "departments": departments,
            "department_id": department_id,
            "department": next((d for d in departments if d.pk == department_id), None)}


def _percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def _decimal(value: float | None) -> str:
    """Facility and discrimination as decimals (0.67, -0.50), as Chinese item analysis writes
    them; Moodle prints the same numbers times 100 as percentages."""
    return "—" if value is None else f"{value:.2f}"


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _item_rows(report: statistics.QuizStatistics) -> list[dict]:
    return [{"stat": item, "facility": _decimal(item.facility),
             "discrimination": _decimal(item.discrimination),
             "kind": Kind(item.item.kind).label if item.item.kind in Kind.values
             else item.item.kind,
             "flags": [FLAG_LABELS[flag] for flag in item.flags],
             "options": [{"option": option, "share": _percent(option.share, 0),
                          "width": round(option.share * 100)} for option in item.options]}
            for item in report.items]


def _bars(report: statistics.QuizStatistics) -> list[dict]:
    """Score bands as bars scaled to the fullest band (heights in percent for plain CSS)."""
    peak = max((band.count for band in report.distribution), default=0)
    return [{"band": band, "height": round(100 * band.count / peak) if peak else 0,
             "label": f"{band.low}–{band.high}%"} for band in report.distribution]


@require_safe
def quiz_results_index(request):
    """Quizzes with their graded attempts and participants in the user's scope."""
    _require_results(request)
    page = Paginator(selectors.quizzes_with_results(user=request.user), QUEUE_PER_PAGE
                     ).get_page(request.GET.get("page"))
    return TemplateResponse(request, "quizzes/admin/results_index.html", {"page": page})


@require_safe
def quiz_results(request, quiz_id):
    """One quiz's results: participation, scores and their distribution, and each question's
    facility, discrimination, option counts and blanks, questions to look at flagged."""
    _require_results(request)
    quiz = get_object_or_404(Quiz, pk=quiz_id)
    context = _report(request, quiz)
    report = context["report"]
    query = request.GET.copy()
    query.pop("page", None)
    context.update({
        "items": _item_rows(report), "bars": _bars(report),
        "average": _score(report.average), "median": _score(report.median),
        "best": _score(report.best), "pass_mark": f"{quiz.pass_mark}%",
        "pass_rate": _percent(report.pass_rate), "querystring": query.urlencode(),
        "flagged": sum(1 for item in report.items if item.flags),
        "selections": list(SELECTION_LABELS.items()),
    })
    return TemplateResponse(request, "quizzes/admin/results.html", context)


def quiz_results_workbook(*, quiz: Quiz, report: statistics.QuizStatistics,
                          selection_label: str, department_name: str = "") -> bytes:
    """The report as an .xlsx: summary, score distribution, item statistics and option counts;
    every text cell goes through `cell_safe`, so a question text never runs as a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    def label(text):
        return pgettext(CONTEXT, text)

    workbook = Workbook()
    summary = workbook.active
    summary.title = label("Summary")[:31]
    def share(percent):
        return None if percent is None else percent / 100

    rows = [
        (label("Quiz"), quiz.title), (label("Attempts included"), str(selection_label)),
        (label("Department"), department_name or label("All in scope")),
        (label("Attempts"), report.attempts), (label("Participants"), report.participants),
        (label("Participants passed"), report.passed_participants),
        (label("Pass rate"), report.pass_rate), (label("Average score"), share(report.average)),
        (label("Median score"), share(report.median)), (label("Best score"), share(report.best)),
        (label("Standard deviation"), share(report.standard_deviation)),
    ]
    for key, value in rows:
        summary.append([cell_safe(key), cell_safe(value)])
    for row in range(7, 12):  # rates and scores as percentages
        summary.cell(row=row, column=2).number_format = "0.0%"
    summary.column_dimensions["A"].width = 24
    summary.column_dimensions["B"].width = 40

    bands = workbook.create_sheet(label("Score distribution")[:31])
    bands.append([label("Score band"), label("Attempts"), label("Share")])
    for band in report.distribution:
        bands.append([f"{band.low}–{band.high}%", band.count, band.share])
        bands.cell(row=bands.max_row, column=3).number_format = "0.0%"

    items = workbook.create_sheet(label("Questions")[:31])
    items.append([label("No."), label("Question"), label("Question type"), label("Attempts"),
                  label("Facility index"), label("Discrimination index"),
                  label("Standard deviation"), label("Blanks"), label("Flags")])
    options = workbook.create_sheet(label("Options")[:31])
    options.append([label("No."), label("Question"), label("Option"), label("Correct"),
                    label("Chosen"), label("Share")])
    for item in report.items:
        items.append([item.position, cell_safe(item.item.text),
                      cell_safe(str(Kind(item.item.kind).label) if item.item.kind in Kind.values
                                else item.item.kind),
                      item.attempts, item.facility, item.discrimination,
                      item.standard_deviation, item.blanks,
                      cell_safe("；".join(str(FLAG_LABELS[flag]) for flag in item.flags))])
        for column in (5, 6, 7):
            items.cell(row=items.max_row, column=column).number_format = "0.00"
        for option in item.options:
            options.append([item.position, cell_safe(item.item.text), cell_safe(option.label),
                            label("Yes") if option.correct else "", option.count, option.share])
            options.cell(row=options.max_row, column=6).number_format = "0.0%"
    for sheet in (bands, items, options):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    items.column_dimensions["B"].width = 60
    options.column_dimensions["B"].width = 40
    options.column_dimensions["C"].width = 40
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


@require_safe
def quiz_results_export(request, quiz_id):
    """The results report of the current filters as .xlsx."""
    _require_results(request)
    quiz = get_object_or_404(Quiz, pk=quiz_id)
    context = _report(request, quiz)
    content = quiz_results_workbook(
        quiz=quiz, report=context["report"], selection_label=context["selection_label"],
        department_name=context["department"].name if context["department"] else "")
    filename = pgettext(CONTEXT, "%(title)s results.xlsx") % {"title": quiz.title}
    return HttpResponse(content, content_type=XLSX_TYPE, headers={
        "Content-Disposition": content_disposition_header(True, filename)})


# ---- marking queue -------------------------------------------------------------------------


def _require_marker(request) -> None:
    if not selectors.user_can_mark(request.user):
        raise PermissionDenied


@require_safe
def marking_index(request):
    """Marking queue: attempts with essays, filterable by quiz, department, learner (picked by
    name or 工号) and submission date; scoped like `attempts_markable_by`."""
    _require_marker(request)
    get = request.GET
    learner_id = _pk(get.get("learner"))
    learner_text = "" if learner_id else (get.get("learner_q") or "").strip()
    attempts = selectors.marking_list(
        user=request.user, quiz_id=_pk(get.get("quiz")), department_id=_pk(get.get("department")),
        learner_user_id=learner_id, date_from=_date(get.get("from")),
        date_to=_date(get.get("to")), pending_only=get.get("all") != "1")
    if learner_text:
        attempts = selectors.attempts_of_learners_matching(attempts=attempts, text=learner_text)
    page = Paginator(attempts, QUEUE_PER_PAGE).get_page(get.get("page"))
    query = get.copy()
    query.pop("page", None)
    learner = None
    if learner_id:
        learner = selectors.learners_markable_by(user=request.user).filter(
            user_id=learner_id).first()
    return TemplateResponse(request, "quizzes/admin/marking_list.html", {
        "page": page, "quizzes": Quiz.objects.only("pk", "title").order_by("title"),
        "departments": selectors.marking_departments(user=request.user),
        "filters": get, "querystring": query.urlencode(), "learner": learner,
        "learner_text": learner_text,
    })


@require_safe
def marking_learners(request):
    """The marking queue's learner picker: JSON of learners in the marker's scope whose name
    or 工号 contains `q`."""
    _require_marker(request)
    return JsonResponse({"results": learner_picker_results(
        learners=selectors.learners_markable_by(user=request.user),
        query=request.GET.get("q", ""))})


@require_http_methods(["GET", "POST"])
def marking_detail(request, pk):
    """Mark the essays of one attempt: points within 0..max and written feedback, audited."""
    _require_marker(request)
    attempt = get_object_or_404(
        selectors.attempts_markable_by(user=request.user).select_related("quiz", "user"), pk=pk)
    rows = selectors.attempt_questions(attempt=attempt)
    if request.method == "POST":
        aq = get_object_or_404(AttemptQuestion, attempt=attempt,
                               pk=_pk(request.POST.get("question")) or 0)
        form = MarkingForm(request.POST)
        if form.is_valid():
            try:
                services.marking_save(attempt_question=aq, marker=request.user,
                                      points=form.cleaned_data["points"],
                                      feedback=form.cleaned_data["feedback"])
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("Mark saved."))
                return redirect("quiz_marking:detail", pk=attempt.pk)
        else:
            messages.error(request, _("Enter points as a number."))
    views = selectors.question_views(rows=rows, responses=True, answers=True, explanations=True)
    return TemplateResponse(request, "quizzes/admin/marking_detail.html", {
        "attempt": attempt, "quiz": attempt.quiz, "questions": views,
        "records": selectors.marking_records(attempt=attempt),
        "learner": getattr(attempt.user, "learner", None),
        "status_submitted": attempt.status == AttemptStatus.SUBMITTED,
    })
