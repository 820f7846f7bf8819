"""Admin pages: question file import (upload -> preview -> confirm, all or nothing), the Excel
template, and per-bank export (xlsx, Moodle XML). Editors and bureau staff only."""

from __future__ import annotations

import os

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from quizzes import formats, services
from quizzes.formats.xlsx import ExportError
from quizzes.forms import QuestionImportForm
from quizzes.models import ImportStatus, Kind, QuestionBank, QuestionImportJob

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
        "warnings": [str(w) for w in result.warnings], "job": preview.job,
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
