"""Admin pages: XLSX exports of participation and assessment (the overview, a department's
detail, the score sheets). Small exports download at once; large ones are built by the worker
(`assessments.tasks_exports`) on a job page that shows the progress and then the download link.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSet

from assessments import exports
from assessments.models import ExportStatus
from assessments.permissions import (
    MAX_ID,
    department_for,
    departments_in_scope,
    user_is_bureau,
    user_may_view_assessment,
)

MIN_YEAR, MAX_YEAR = 2000, 2100


def _require_viewer(user) -> None:
    if not user_may_view_assessment(user):
        raise PermissionDenied


def _spec(request, year: int, kind: str) -> exports.ExportSpec:
    """The export asked for, within the user's scope: an unknown kind or year, or a foreign,
    unknown or malformed department id answers 404; the overview is the bureau's (403)."""
    user = request.user
    _require_viewer(user)
    if kind not in exports.EXPORT_KINDS or not MIN_YEAR <= year <= MAX_YEAR:
        raise Http404
    department_id = request.GET.get("department")
    if kind == exports.KIND_OVERVIEW:
        if not user_is_bureau(user):
            raise PermissionDenied
        return exports.ExportSpec(kind=kind, year=year)
    if kind == exports.KIND_DEPARTMENT:
        department = department_for(user, department_id if department_id is not None else "")
        return exports.ExportSpec(kind=kind, year=year, department_ids=(department.pk,))
    # Score sheets: one department, or every department in the user's scope.
    if department_id is not None:
        department = department_for(user, department_id)
        return exports.ExportSpec(kind=kind, year=year, department_ids=(department.pk,))
    if user_is_bureau(user):
        return exports.ExportSpec(kind=kind, year=year)
    ids = tuple(departments_in_scope(user).order_by("pk").values_list("pk", flat=True))
    return exports.ExportSpec(kind=kind, year=year, department_ids=ids)


def _rows(spec: exports.ExportSpec) -> int:
    try:
        return exports.export_rows(spec)
    except ValidationError as error:  # no plan or no scheme for that year
        raise Http404(" ".join(error.messages)) from error


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def export(request, year: int, kind: str):
    """Download an export now (small), or confirm and start a background job (large)."""
    spec = _spec(request, year, kind)
    rows = _rows(spec)
    if rows <= settings.ASSESSMENT_EXPORT_SYNC_LIMIT:
        content, filename = exports.export_build(spec)
        return HttpResponse(content, content_type=exports.XLSX_CONTENT_TYPE, headers={
            "Content-Disposition": content_disposition_header(True, filename)})
    if request.method == "POST":
        job = exports.export_job_create(spec=spec, user=request.user)
        return redirect("assessment_exports:job", job.pk)
    # A link (GET) never starts a job: the worker is only put to work from this form (POST).
    return TemplateResponse(request, "assessments/admin/export_start.html", {
        "year": year, "kind": kind, "rows": rows,
        "title": _export_title(kind),
        "filename": exports.export_filename(kind=kind, year=year),
        "action": request.get_full_path(),
    })


def _export_title(kind: str) -> str:
    return {
        exports.KIND_OVERVIEW: _("Participation of all departments"),
        exports.KIND_DEPARTMENT: _("Participation of a department"),
        exports.KIND_SHEETS: _("Assessment score sheets"),
    }[kind]


def _job(request, job_id: int):
    _require_viewer(request.user)
    if not 1 <= job_id <= MAX_ID:
        raise Http404
    export_job = get_object_or_404(exports.export_jobs_visible_to(request.user), pk=job_id)
    return exports.export_job_expire_if_lost(export_job)


@never_cache
@require_safe
def job(request, job_id: int):
    """The progress of a background export and, when it is ready, its download link;
    `?format=json` for the page's polling."""
    export_job = _job(request, job_id)
    finished = export_job.status in (ExportStatus.DONE, ExportStatus.FAILED)
    download_url = (reverse("assessment_exports:download", args=[export_job.pk])
                    if export_job.status == ExportStatus.DONE and export_job.file else "")
    if request.GET.get("format") == "json":
        return JsonResponse({
            "id": export_job.pk, "status": export_job.status,
            "status_display": export_job.get_status_display(),
            "progress": export_job.progress, "finished": finished,
            "download_url": download_url, "error": export_job.error,
        })
    return TemplateResponse(request, "assessments/admin/export_job.html", {
        "job": export_job, "finished": finished, "download_url": download_url,
        "title": _export_title(export_job.kind) if export_job.kind in exports.EXPORT_KINDS
        else export_job.kind,
        "year": export_job.params.get("year"),
        "status_url": reverse("assessment_exports:job", args=[export_job.pk]) + "?format=json",
    })


@never_cache
@require_safe
def download(request, job_id: int):
    """The file of a finished background export (the requester's, or any for a superuser)."""
    export_job = _job(request, job_id)
    if export_job.status != ExportStatus.DONE or not export_job.file:
        raise Http404
    try:
        handle = export_job.file.open("rb")
    except OSError as error:  # removed by the cleanup or from the storage
        raise Http404(str(exports.ERR_GONE)) from error
    filename = export_job.params.get("filename") or exports.export_filename(
        kind=export_job.kind, year=export_job.params.get("year", ""))
    return FileResponse(handle, as_attachment=True, filename=filename,
                        content_type=exports.XLSX_CONTENT_TYPE)


class AssessmentExportViewSet(ViewSet):
    """The XLSX exports of participation and assessment, and their background jobs."""

    name = "assessment_exports"
    url_prefix = "assessment-exports"
    icon = "download"
    menu_label = _("Assessment exports")
    add_to_admin_menu = False

    def get_urlpatterns(self):
        return [
            path("jobs/<int:job_id>/", job, name="job"),
            path("jobs/<int:job_id>/download/", download, name="download"),
            path("<int:year>/<str:kind>/", export, name="export"),
        ]


@hooks.register("register_admin_viewset")
def register_export_viewset():
    return AssessmentExportViewSet()
