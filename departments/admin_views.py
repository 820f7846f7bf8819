"""Admin pages: roster upload -> preview -> confirm -> progress, template download, and
initial passwords (bulk download, single reset). Views are thin; services do the work."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from departments import selectors, services
from departments.exports import initial_passwords_workbook, roster_template_workbook
from departments.models import Department, Learner, RosterImportJob

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_ROWS = 20


def user_may_import_roster(user) -> bool:
    """Bureau staff and superusers import any department; department admins only their own."""
    if not user.has_perm("departments.add_rosterimportjob"):
        return False
    return selectors.user_has_department_scope(user)


def user_may_issue_passwords(user) -> bool:
    return user.has_perm("departments.change_learner") and selectors.user_has_department_scope(
        user
    )


def _require(check, user):
    if not check(user):
        raise PermissionDenied


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Roster import ------------------------------------------------------------------------------


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Roster file"),
        help_text=gettext_lazy(
            "An .xlsx workbook or a CSV file (UTF-8 or GBK) in the template's format."
        ),
    )
    deactivate_missing = forms.BooleanField(
        label=gettext_lazy("Deactivate learners who are not in the file"),
        help_text=gettext_lazy("Only learners of the departments that appear in the file."),
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.ROSTER_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB.")
                % {"limit": round(limit / 1024 / 1024, 1)}
            )
        return upload


@require_http_methods(["GET", "POST"])
def roster_upload(request):
    """Upload a roster file; it is previewed before anything is imported."""
    _require(user_may_import_roster, request.user)
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = services.roster_job_upload(
            user=request.user,
            uploaded_file=form.cleaned_data["file"],
            deactivate_missing=form.cleaned_data["deactivate_missing"],
        )
        return redirect("departments_roster:preview", job.pk)
    jobs = selectors.roster_jobs_visible_to(request.user)[:10]
    return TemplateResponse(
        request,
        "departments/admin/roster_upload.html",
        {
            "form": form,
            "jobs": jobs,
            "async_threshold": settings.ROSTER_ASYNC_THRESHOLD,
        },
    )


@require_http_methods(["GET", "POST"])
def roster_preview(request, job_id):
    """What the import would do; confirming runs it (large files in the background)."""
    _require(user_may_import_roster, request.user)
    job = get_object_or_404(selectors.roster_jobs_visible_to(request.user), pk=job_id)
    if request.method == "POST":
        if job.status != RosterImportJob.Status.UPLOADED:
            return redirect("departments_roster:job", job.pk)
        job = services.roster_job_confirm(job=job, user=request.user)
        return redirect("departments_roster:job", job.pk)
    preview = job.report.get("preview", {})
    return TemplateResponse(
        request,
        "departments/admin/roster_preview.html",
        {
            "job": job,
            "preview": preview,
            "sample_rows": _sample_rows(job),
            "can_confirm": job.status == RosterImportJob.Status.UPLOADED
            and not preview.get("errors"),
            "runs_in_background": job.rows_total > settings.ROSTER_ASYNC_THRESHOLD,
        },
    )


def _sample_rows(job):
    """The first rows as parsed at upload (stored with the job: the file is never re-read)."""
    if job.status != RosterImportJob.Status.UPLOADED:
        return []
    return job.report.get("sample_rows", [])[:PREVIEW_ROWS]


@never_cache
def roster_job(request, job_id):
    """Progress and final report of one import."""
    _require(user_may_import_roster, request.user)
    job = get_object_or_404(selectors.roster_jobs_visible_to(request.user), pk=job_id)
    return TemplateResponse(request, "departments/admin/roster_job.html", {"job": job})


@never_cache
def roster_job_status(request, job_id):
    """Small JSON endpoint polled by the progress page."""
    _require(user_may_import_roster, request.user)
    job = get_object_or_404(selectors.roster_jobs_visible_to(request.user), pk=job_id)
    return JsonResponse(
        {
            "id": job.pk,
            "status": job.status,
            "status_display": job.get_status_display(),
            "rows_done": job.rows_done,
            "rows_total": job.rows_total,
            "percent": job.percent,
            "finished": job.is_finished,
        }
    )


def roster_template(request):
    """Download the roster template workbook."""
    _require(user_may_import_roster, request.user)
    return _xlsx_response(roster_template_workbook(), "roster_template.xlsx")


# --- Initial passwords --------------------------------------------------------------------------


class InitialPasswordsForm(forms.Form):
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"),
        queryset=Department.objects.none(),
        required=False,
        help_text=gettext_lazy("All active learners of this department."),
    )
    staff_numbers = forms.CharField(
        label=gettext_lazy("Staff numbers"),
        required=False,
        widget=forms.Textarea,
        help_text=gettext_lazy("Or selected learners: one staff number (工号) per line."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["department"].queryset = selectors.departments_visible_to(user)

    def clean(self):
        data = super().clean()
        learners = selectors.learners_visible_to(self.user).filter(is_active=True)
        numbers = [n.strip() for n in data.get("staff_numbers", "").split() if n.strip()]
        if data.get("department"):
            learners = learners.filter(office__unit__department=data["department"])
        elif numbers:
            learners = learners.filter(staff_number__in=numbers)
            unknown = sorted(set(numbers) - set(learners.values_list("staff_number", flat=True)))
            if unknown:
                raise forms.ValidationError(
                    _("Unknown or not yours: %(numbers)s") % {"numbers": ", ".join(unknown)}
                )
        else:
            raise forms.ValidationError(_("Choose a department or enter staff numbers."))
        selected = list(learners)
        if not selected:
            raise forms.ValidationError(_("No active learners were selected."))
        privileged = set(
            learners.filter(selectors.privileged_users_q("user__")).values_list("pk", flat=True)
        )
        data["learners"] = [lr for lr in selected if lr.pk not in privileged]
        data["skipped"] = [lr for lr in selected if lr.pk in privileged]
        if not data["learners"]:
            # Say why instead of downloading a sheet with only its header row.
            raise forms.ValidationError(
                _(
                    "No passwords were issued: every selected learner's account has "
                    "administrative rights (%(numbers)s), and such passwords can only be "
                    "changed by their owner or a superuser."
                )
                % {"numbers": ", ".join(lr.staff_number for lr in data["skipped"])}
            )
        return data


@never_cache
@require_http_methods(["GET", "POST"])
def initial_passwords(request):
    """Issue one-time passwords and download them once as an .xlsx (nothing is kept)."""
    _require(user_may_issue_passwords, request.user)
    form = InitialPasswordsForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.initial_passwords_issue(
                learners=form.cleaned_data["learners"], user=request.user
            )
        except PermissionDenied as exc:  # a learner left the user's scope since the form read it
            form.add_error(None, str(exc))
            return TemplateResponse(
                request, "departments/admin/initial_passwords.html", {"form": form}
            )
        if skipped := form.cleaned_data["skipped"]:
            messages.warning(
                request,
                _("No password was issued for %(numbers)s: administrators' accounts are skipped.")
                % {"numbers": ", ".join(lr.staff_number for lr in skipped)},
            )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response = _xlsx_response(
            initial_passwords_workbook(issued), f"initial-passwords-{stamp}.xlsx"
        )
        response["Cache-Control"] = "no-store"
        return response
    return TemplateResponse(request, "departments/admin/initial_passwords.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def learner_password_reset(request, pk):
    """Reset one learner's password; the new one-time password is shown once."""
    _require(user_may_issue_passwords, request.user)
    learner = get_object_or_404(
        selectors.learners_visible_to(request.user).exclude(
            pk__in=Learner.objects.filter(selectors.privileged_users_q("user__")).values("pk")),
        pk=pk)
    password = None
    if request.method == "POST":
        password = services.learner_password_reset(learner=learner, user=request.user)
    response = TemplateResponse(
        request,
        "departments/admin/password_reset.html",
        {
            "learner": learner,
            "password": password,
        },
    )
    response["Cache-Control"] = "no-store"
    return response
