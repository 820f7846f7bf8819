"""Admin pages of the assessment (考核): the scheme editor (考核方案) and the score sheets.

- `assessment_schemes` (bureau only): a year's items in groups, their rules and grade bands;
  a locked scheme is refused with the reason; every saved edit goes to the audit trail; a
  default scheme for a year is seeded by `services.scheme_default_create`.
- `assessment_scoring`: the year's results (total, grade, rank with ties), a department's score
  sheet (each item's metric, rule, points, source, evidence, appeals and audit entries), the
  appeals inbox, the audit trail, and the POST actions (compute, lock, unlock, override, manual
  points, file and answer appeals).

Bureau staff see every department and act; a department admin reads their own departments'
sheets and files appeals on them. An id outside the user's scope answers 404, as an unknown one
does; a bureau action on an in-scope object is refused for a department admin (Wagtail's
permission-denied answer). Views are thin: the services check every rule (scope, locked scheme,
reason required, points within range, evidence files) and their refusals are shown as they are.
"""

from __future__ import annotations

import os
from collections import Counter
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.db.models.deletion import ProtectedError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_POST, require_safe
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import Button
from wagtail.permissions import register_permission_policy

from assessments import forms as scoring_forms
from assessments import selectors, services
from assessments.models import (
    Appeal,
    AppealStatus,
    AssessmentScheme,
    AuditAction,
    AuditEntry,
    DepartmentResult,
    ItemScore,
    SchemeItem,
    ScoreSource,
)
from assessments.permissions import (
    MAX_ID,
    department_for,
    departments_in_scope,
    user_is_bureau,
    user_may_view_assessment,
)
from courses.wagtail_hooks import BureauOnlyPolicy
from departments.selectors import user_is_department_admin

# Years outside this range are no scheme's year (a PositiveSmallIntegerField): 404 before the
# query, so a huge number in the URL cannot overflow the database column.
YEAR_RANGE = range(1, 32768)
APPEALS_PER_PAGE = 50
AUDIT_PER_PAGE = 50
AUDIT_REASON_MAX = AuditEntry._meta.get_field("reason").max_length

ERROR_SCHEME_HAS_HISTORY = gettext_lazy(
    "This scheme has a history in the audit trail (edits, scores or a lock) and cannot be "
    "deleted: the audit trail keeps it.")
MESSAGE_COMPUTE_STARTED = gettext_lazy(
    "Computing has started: the scores are refreshed in a minute or two. Reload the page to "
    "see them.")


# --- 考核方案: the scheme editor ----------------------------------------------------------------


register_permission_policy(AssessmentScheme, BureauOnlyPolicy(AssessmentScheme))


class SchemeItemsPanel(InlinePanel):
    def get_form_options(self):
        options = super().get_form_options()
        options["formsets"][self.relation_name]["formset"] = scoring_forms.ItemFormSet
        return options


class GradeBandsPanel(InlinePanel):
    def get_form_options(self):
        options = super().get_form_options()
        options["formsets"][self.relation_name]["formset"] = scoring_forms.GradeBandFormSet
        return options


SCHEME_PANELS = ObjectList([
    FieldRowPanel([FieldPanel("year"), FieldPanel("title")]),
    FieldRowPanel([FieldPanel("plan"), FieldPanel("low_business_coverage")]),
    SchemeItemsPanel("items", label=pgettext_lazy("assessment", "Items"), panels=[
        FieldRowPanel([FieldPanel("group"), FieldPanel("code"), FieldPanel("name")]),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("kind"), FieldPanel("metric"), FieldPanel("rule")]),
        FieldRowPanel([FieldPanel("lower"), FieldPanel("upper")]),
        FieldRowPanel([FieldPanel("max_points"), FieldPanel("min_points"), FieldPanel("bonus")]),
    ]),
    MultiFieldPanel([
        GradeBandsPanel("grade_bands", label=pgettext_lazy("assessment", "Grade bands"), panels=[
            FieldRowPanel([FieldPanel("name"), FieldPanel("min_points")])]),
    ], heading=pgettext_lazy("assessment", "Grades")),
], base_form_class=scoring_forms.SchemeForm)


def _formset_changes(formset) -> tuple[list[str], list[str], list[str]]:
    """Names of the rows added, changed and removed in an inline formset (before saving)."""
    added, changed, removed = [], [], []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        name = str(data.get("name") or form.instance)
        if form.instance.pk and data.get("DELETE"):
            removed.append(name)
        elif not form.instance.pk and data and not data.get("DELETE") and form.has_changed():
            added.append(name)
        elif form.instance.pk and form.has_changed():
            changed.append(name)
    return added, changed, removed


def scheme_change_summary(form) -> str:
    """What an edit changed, in words, for the audit trail: fields, items and grade bands."""
    parts = [str(form.fields[name].label) for name in form.changed_data if name in form.fields]
    labels = {"items": pgettext("assessment audit", "items"),
              "grade_bands": pgettext("assessment audit", "grade bands")}
    for relation, formset in form.formsets.items():
        added, changed, removed = _formset_changes(formset)
        for verb, names in ((pgettext("assessment audit", "added"), added),
                            (pgettext("assessment audit", "changed"), changed),
                            (pgettext("assessment audit", "removed"), removed)):
            if names:
                parts.append(_("%(what)s %(verb)s: %(names)s") % {
                    "what": labels.get(relation, relation), "verb": verb,
                    "names": "、".join(names)})
    summary = "；".join(parts) or _("Saved without changes")
    return summary[:AUDIT_REASON_MAX]


def _sheets_url(year: int) -> str:
    return reverse("assessment_scoring:results", args=[year])


class SchemeViewSet(ModelViewSet):
    """Bureau staff edit each year's scheme (items, rules, grade bands)."""

    name = "assessment_schemes"
    url_prefix = "assessment-schemes"
    model = AssessmentScheme
    icon = "list-ol"
    menu_label = gettext_lazy("Assessment schemes")
    menu_order = 264
    add_to_admin_menu = True
    copy_view_enabled = False
    inspect_view_enabled = False
    edit_handler = SCHEME_PANELS
    list_display = [
        "title", "year", "plan",
        Column("computed_at", label=gettext_lazy("computed at")),
        Column("locked_at", label=pgettext_lazy("assessment", "locked at")),
    ]
    list_filter = ["year"]

    def default_view(self, request: HttpRequest) -> HttpResponse:
        """Seed a year's scheme from the default appraisal (GET: the form; POST: create)."""
        if not user_is_bureau(request.user):
            raise PermissionDenied
        form = scoring_forms.DefaultSchemeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            year = form.cleaned_data["year"]
            existing = services.scheme_for_year(year)
            try:
                scheme = services.scheme_default_create(year=year, user=request.user)
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                if existing is not None:
                    messages.info(request, _("A scheme for %(year)s already exists: it is "
                                             "unchanged.") % {"year": year})
                else:
                    messages.success(request, _("The default scheme for %(year)s was created. "
                                                "Check its items and grade bands.") % {
                        "year": year})
                return redirect(self.get_url_name("edit"), scheme.pk)
        return TemplateResponse(request, "assessments/admin/scheme_default.html", {
            "form": form, "index_url": reverse(self.get_url_name("index"))})

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(),
                path("default/", self.default_view, name="default")]


class SchemeIndexView(SchemeViewSet.index_view_class):
    @property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        buttons.append(Button(_("Create the default scheme for a year"), icon_name="plus",
                              url=reverse("assessment_schemes:default"), priority=5))
        return buttons


class SchemeCreateView(SchemeViewSet.add_view_class):
    def save_instance(self):
        instance = super().save_instance()
        services.scheme_change_record(scheme=instance, summary=_("Scheme created"),
                             user=self.request.user)
        return instance


class SchemeEditView(SchemeViewSet.edit_view_class):
    def get(self, request, *args, **kwargs):
        if self.get_object().is_locked:
            messages.warning(request, str(scoring_forms.ERROR_SCHEME_LOCKED))
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        # The lock is read again under a row lock: a scheme locked since the form was checked
        # is not changed.
        with transaction.atomic():
            locked = AssessmentScheme.objects.select_for_update().filter(
                pk=self.object.pk, locked_at__isnull=False).exists()
            if locked:
                form.add_error(None, scoring_forms.ERROR_SCHEME_LOCKED)
                return self.form_invalid(form)
            summary = scheme_change_summary(form)
            response = super().form_valid(form)
            services.scheme_change_record(scheme=self.object, summary=summary,
                                          user=self.request.user)
            # Removed items and changed grade bands show in the totals and grades at once;
            # changed rules wait for the next computation (the success message says so).
            services.results_refresh(scheme=self.object)
            return response

    def get_success_message(self):
        return _("Scheme '%(title)s' saved. Compute the scores again to apply changed items.") % {
            "title": self.object.title}

    @property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        buttons.append(Button(_("Score sheets"), icon_name="table", priority=5,
                              url=_sheets_url(self.object.year)))
        return buttons


class SchemeDeleteView(SchemeViewSet.delete_view_class):
    def form_valid(self, form):
        # The audit trail is append-only and keeps its scheme: only a scheme without any
        # history (seeded, never edited or scored) can go.
        scheme = self.object
        if not scheme.is_locked and not AuditEntry.objects.filter(scheme=scheme).exists():
            try:
                with transaction.atomic():
                    return super().form_valid(form)
            except ProtectedError:
                pass
        messages.error(self.request, ERROR_SCHEME_HAS_HISTORY)
        return redirect(self.edit_url_name, scheme.pk)


SchemeViewSet.index_view_class = SchemeIndexView
SchemeViewSet.add_view_class = SchemeCreateView
SchemeViewSet.edit_view_class = SchemeEditView
SchemeViewSet.delete_view_class = SchemeDeleteView


@hooks.register("register_admin_viewset")
def register_schemes():
    return SchemeViewSet()


# --- 考核评分: results, score sheets, appeals, audit trail and the actions -----------------------


def _id(value: int) -> int:
    """A URL id within a database id's range (404 beyond it, before any query)."""
    if not 1 <= value <= MAX_ID:
        raise Http404
    return value


def _require_view(user) -> None:
    if not user_may_view_assessment(user):
        raise PermissionDenied


def _require_bureau(user) -> None:
    if not user_is_bureau(user):
        raise PermissionDenied


def _scheme(year: int) -> AssessmentScheme:
    """The year's scheme, with who locked it (404 for a year without one)."""
    if year not in YEAR_RANGE:
        raise Http404
    scheme = AssessmentScheme.objects.select_related("locked_by", "plan").filter(
        year=year).first()
    if scheme is None:
        raise Http404
    return scheme


def _scope_ids(user) -> set[int] | None:
    """None for the bureau (every department), else the ids of the departments in scope."""
    if user_is_bureau(user):
        return None
    return set(departments_in_scope(user).values_list("pk", flat=True))


def _sheet_url(year: int, department_id: int, item_id: int | None = None) -> str:
    url = reverse("assessment_scoring:sheet", args=[year, department_id])
    return f"{url}#item-{item_id}" if item_id else url


def _back(request: HttpRequest, default: str) -> str:
    """Where a POST returns: `next` if it is one of these pages, else `default`."""
    target = request.POST.get("next") or ""
    prefix = reverse("assessment_scoring:index")
    if (target.startswith(prefix) and "//" not in target and "\\" not in target
            and url_has_allowed_host_and_scheme(target, allowed_hosts=None)):
        return target
    return default


def _form_errors(request: HttpRequest, form) -> None:
    """A form's errors as one flash message per field, labelled."""
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}：{error}" if label else error)


def _service(request: HttpRequest, action, success: str) -> bool:
    """Run a service; its refusal becomes the flash message (nothing was changed)."""
    try:
        action()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return False
    messages.success(request, success)
    return True


def _overview_url() -> str | None:
    try:
        return reverse("assessment:overview")
    except NoReverseMatch:
        return None


def _department_url(year: int, department_id: int) -> str | None:
    try:
        return reverse("assessment:department", args=[year, department_id])
    except NoReverseMatch:
        return None


def _export_url(year: int, kind: str) -> str | None:
    try:
        return reverse("assessment_exports:export", args=[year, kind])
    except NoReverseMatch:
        return None


def _percent(value) -> str:
    """A stored metric (a fraction) as a percentage with one decimal, "—" when there is none."""
    if value is None:
        return "—"
    text = f"{Decimal(value) * 100:.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


def _user_name(user) -> str:
    if user is None:
        return _("the system")
    return user.first_name or user.username


def _page(request: HttpRequest, rows, per_page: int):
    page = request.GET.get("page") or "1"
    if not (page.isascii() and page.isdigit()) or len(page) > 6:
        page = "1"
    return Paginator(rows, per_page).get_page(page)


def _years() -> list[int]:
    return list(AssessmentScheme.objects.order_by("-year").values_list("year", flat=True))


def _scheme_context(request: HttpRequest, scheme: AssessmentScheme) -> dict:
    """What every page of a scheme shows: its state, the bureau's actions and the links."""
    bureau = user_is_bureau(request.user)
    year = scheme.year
    return {
        "scheme": scheme, "year": year, "years": _years(), "bureau": bureau,
        "locked": scheme.is_locked, "may_edit": bureau and not scheme.is_locked,
        "results_url": reverse("assessment_scoring:results", args=[year]),
        "appeals_url": reverse("assessment_scoring:appeals", args=[year]),
        "audit_url": reverse("assessment_scoring:audit", args=[year]),
        "compute_url": reverse("assessment_scoring:compute", args=[year]),
        "lock_url": reverse("assessment_scoring:lock", args=[year]),
        "unlock_url": reverse("assessment_scoring:unlock", args=[year]),
        "scheme_edit_url": (reverse("assessment_schemes:edit", args=[scheme.pk])
                            if bureau else None),
        "overview_url": _overview_url() if bureau else None,
        "unlock_reason_max": scoring_forms.REASON_MAX_LENGTH,
        "locked_by_name": _user_name(scheme.locked_by),
    }


@require_safe
def scoring_index(request: HttpRequest) -> HttpResponse:
    """The latest scheme's results (a department admin of one department: their sheet)."""
    user = request.user
    _require_view(user)
    scheme = AssessmentScheme.objects.order_by("-year").first()
    if scheme is None:
        return TemplateResponse(request, "assessments/admin/scheme_missing.html", {
            "bureau": user_is_bureau(user),
            "schemes_url": reverse("assessment_schemes:index") if user_is_bureau(user) else None,
        })
    if not user_is_bureau(user):
        department_ids = list(departments_in_scope(user).values_list("pk", flat=True)[:2])
        if len(department_ids) == 1:
            return redirect(_sheet_url(scheme.year, department_ids[0]))
    return redirect("assessment_scoring:results", scheme.year)


@require_safe
def scheme_results(request: HttpRequest, year: int) -> HttpResponse:
    """The year's departments with their total, grade and rank (ties share a rank), pending
    appeals and a link to each score sheet; the bureau's actions on the scheme."""
    user = request.user
    _require_view(user)
    scheme = _scheme(year)
    scope = _scope_ids(user)
    results = selectors.scheme_results(scheme=scheme)
    shared = Counter(result.rank for result in results)
    pending = dict(Appeal.objects.filter(scheme=scheme, status=AppealStatus.PENDING)
                   .values_list("department_id").annotate(count=Count("pk")))
    rows = [{"result": result, "department": result.department,
             "tie": shared[result.rank] > 1, "pending": pending.get(result.department_id, 0),
             "sheet_url": _sheet_url(year, result.department_id),
             "department_url": _department_url(year, result.department_id)}
            for result in results if scope is None or result.department_id in scope]
    context = _scheme_context(request, scheme)
    context.update({
        "rows": rows, "pending_total": sum(
            count for department_id, count in pending.items()
            if scope is None or department_id in scope),
        "export_url": _export_url(year, "sheets") if scope is None else None,
        "missing": [] if rows or scope is None else list(
            departments_in_scope(user).order_by("sort_order", "code")),
    })
    if context["missing"]:
        for department in context["missing"]:
            department.sheet_url = _sheet_url(year, department.pk)
    return TemplateResponse(request, "assessments/admin/scheme_results.html", context)


def _sheet_rows(sheet: dict) -> None:
    for group in sheet["groups"]:
        for row in group["items"]:
            item = row["item"]
            row["metric_display"] = _percent(row["metric"]) if item.is_automatic else ""
            row["overridden"] = row["source"] in (ScoreSource.OVERRIDE, ScoreSource.APPEAL)


@require_safe
def score_sheet(request: HttpRequest, year: int, department_id: int) -> HttpResponse:
    """A department's score sheet: each item's metric, rule, points and where they came from,
    the evidence, the appeals with their answers and the audit entries; the bureau's forms
    (override, manual points, answers) and the department admin's appeal form."""
    user = request.user
    _require_view(user)
    department = department_for(user, _id(department_id))
    scheme = _scheme(year)
    sheet = selectors.score_sheet(scheme=scheme, department=department)
    _sheet_rows(sheet)
    result = sheet["result"]
    tie = result is not None and result.rank is not None and DepartmentResult.objects.filter(
        scheme=scheme, rank=result.rank).exclude(pk=result.pk).exists()
    context = _scheme_context(request, scheme)
    context.update({
        "sheet": sheet, "department": department, "result": result, "tie": tie,
        "may_appeal": (not scheme.is_locked and user_is_department_admin(user)),
        "department_url": _department_url(year, department.pk),
        "limits": {"reason": scoring_forms.REASON_MAX_LENGTH,
                   "evidence": scoring_forms.EVIDENCE_MAX_LENGTH,
                   "appeal": scoring_forms.APPEAL_REASON_MAX_LENGTH,
                   "reply": scoring_forms.REPLY_MAX_LENGTH},
        "file_types": ", ".join(sorted(services.EVIDENCE_FILE_EXTENSIONS)).upper(),
        "file_max_mb": services.EVIDENCE_FILE_MAX_BYTES // (1024 * 1024),
        "sheet_url": _sheet_url(year, department.pk),
    })
    return TemplateResponse(request, "assessments/admin/sheet.html", context)


@require_safe
def appeals_inbox(request: HttpRequest, year: int) -> HttpResponse:
    """The year's appeals, pending first: all of them for the bureau (with the answer form),
    a department admin's own departments' otherwise."""
    user = request.user
    _require_view(user)
    scheme = _scheme(year)
    scope = _scope_ids(user)
    appeals = selectors.appeals_for(scheme=scheme, department_ids=scope)
    status = request.GET.get("status") or ""
    if status == AppealStatus.PENDING:
        appeals = appeals.filter(status=AppealStatus.PENDING)
    elif status == "answered":
        appeals = appeals.exclude(status=AppealStatus.PENDING)
    else:
        status = ""
    page = _page(request, appeals, APPEALS_PER_PAGE)
    context = _scheme_context(request, scheme)
    context.update({
        "page": page, "status": status,
        "statuses": [("", pgettext_lazy("appeals", "All")),
                     (AppealStatus.PENDING, AppealStatus.PENDING.label),
                     ("answered", pgettext_lazy("appeals", "Answered"))],
        "limits": {"reply": scoring_forms.REPLY_MAX_LENGTH},
        "here": request.get_full_path(),
    })
    for appeal in page:
        appeal.sheet_url = _sheet_url(year, appeal.department_id, appeal.item_id)
    return TemplateResponse(request, "assessments/admin/appeals.html", context)


@require_safe
def audit_trail(request: HttpRequest, year: int) -> HttpResponse:
    """Who changed what, when, from what to what and why: the bureau sees the whole scheme's
    trail, a department admin their departments' entries; filters by department and action."""
    user = request.user
    _require_view(user)
    scheme = _scheme(year)
    scope = _scope_ids(user)
    departments = departments_in_scope(user).order_by("sort_order", "code").only(
        "pk", "name", "code")
    form = scoring_forms.AuditFilterForm(request.GET or None, departments=departments,
                                         actions=AuditAction.choices)
    entries = selectors.audit_for(scheme=scheme)
    if scope is not None:
        entries = entries.filter(department_id__in=scope)
    department_id = request.GET.get("department") or ""
    if department_id:
        if not (department_id.isascii() and department_id.isdigit()):
            raise Http404
        entries = entries.filter(department=department_for(user, department_id))
    action = request.GET.get("action") or ""
    if action in AuditAction.values:
        entries = entries.filter(action=action)
    page = _page(request, entries, AUDIT_PER_PAGE)
    for entry in page:
        if entry.department_id and entry.item_id:
            entry.sheet_url = _sheet_url(year, entry.department_id, entry.item_id)
    query = request.GET.copy()
    query.pop("page", None)
    context = _scheme_context(request, scheme)
    context.update({"page": page, "form": form, "querystring": query.urlencode(),
                    "filtered": bool(department_id or action)})
    return TemplateResponse(request, "assessments/admin/audit.html", context)


# --- The actions (POST, CSRF-protected; each redirects back with the outcome) -----------------


@require_POST
def scheme_compute(request: HttpRequest, year: int) -> HttpResponse:
    """Queue the computation of the year's scores (the worker runs it)."""
    _require_view(request.user)
    scheme = _scheme(year)
    _require_bureau(request.user)
    _service(request, lambda: services.scores_compute_later(scheme=scheme, user=request.user),
             str(MESSAGE_COMPUTE_STARTED))
    return redirect(_back(request, reverse("assessment_scoring:results", args=[year])))


@require_POST
def scheme_lock(request: HttpRequest, year: int) -> HttpResponse:
    """Freeze the year's scores."""
    _require_view(request.user)
    scheme = _scheme(year)
    _require_bureau(request.user)
    _service(request, lambda: services.scheme_lock(scheme=scheme, user=request.user),
             _("The scheme is locked: its scores can no longer be changed."))
    return redirect(_back(request, reverse("assessment_scoring:results", args=[year])))


@require_POST
def scheme_unlock(request: HttpRequest, year: int) -> HttpResponse:
    """Allow changes again, with the reason."""
    _require_view(request.user)
    scheme = _scheme(year)
    _require_bureau(request.user)
    form = scoring_forms.UnlockForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        _service(request, lambda: services.scheme_unlock(
            scheme=scheme, reason=form.cleaned_data["reason"], user=request.user),
            _("The scheme is unlocked: scores can be changed again."))
    return redirect(_back(request, reverse("assessment_scoring:results", args=[year])))


def _score(request: HttpRequest, year: int, score_id: int) -> ItemScore:
    """A score of the year's scheme in the user's scope (404 otherwise), for a bureau action."""
    _require_view(request.user)
    scheme = _scheme(year)
    score = ItemScore.objects.select_related("item", "department").filter(
        scheme=scheme, pk=_id(score_id)).first()
    if score is None:
        raise Http404
    department_for(request.user, score.department_id)
    _require_bureau(request.user)
    score.scheme = scheme
    return score


@require_safe
def score_evidence(request: HttpRequest, year: int, score_id: int) -> FileResponse:
    """The evidence file of a score, for whoever may read the department's sheet (404 for any
    other department). Served through this view, never from a public media address."""
    _require_view(request.user)
    scheme = _scheme(year)
    score = ItemScore.objects.filter(scheme=scheme, pk=_id(score_id)).exclude(
        evidence_file="").only("pk", "department_id", "evidence_file").first()
    if score is None:
        raise Http404
    department_for(request.user, score.department_id)
    try:
        handle = score.evidence_file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True,
                        filename=os.path.basename(score.evidence_file.name))


@require_POST
def score_override(request: HttpRequest, year: int, score_id: int) -> HttpResponse:
    """Replace an automatic item's points, with the reason."""
    score = _score(request, year, score_id)
    form = scoring_forms.OverrideForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        _service(request, lambda: services.score_override(
            score=score, points=form.cleaned_data["points"], reason=form.cleaned_data["reason"],
            user=request.user), _("Points of “%(item)s” overridden.") % {"item": score.item.name})
    return redirect(_back(request, _sheet_url(year, score.department_id, score.item_id)))


@require_POST
def score_override_clear(request: HttpRequest, year: int, score_id: int) -> HttpResponse:
    """Back to the computed points, with the reason."""
    score = _score(request, year, score_id)
    form = scoring_forms.OverrideClearForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        _service(request, lambda: services.score_override_clear(
            score=score, reason=form.cleaned_data["reason"], user=request.user),
            _("“%(item)s” is back to its computed points.") % {"item": score.item.name})
    return redirect(_back(request, _sheet_url(year, score.department_id, score.item_id)))


def _department_item(request: HttpRequest, year: int, department_id: int, item_id: int):
    _require_view(request.user)
    department = department_for(request.user, _id(department_id))
    scheme = _scheme(year)
    item = SchemeItem.objects.filter(scheme=scheme, pk=_id(item_id)).first()
    if item is None:
        raise Http404
    return scheme, department, item


@require_POST
def score_manual(request: HttpRequest, year: int, department_id: int,
                 item_id: int) -> HttpResponse:
    """Enter a manual item's points with the evidence and an optional file."""
    scheme, department, item = _department_item(request, year, department_id, item_id)
    _require_bureau(request.user)
    form = scoring_forms.ManualPointsForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        _service(request, lambda: services.score_manual_set(
            scheme=scheme, department=department, item=item,
            points=form.cleaned_data["points"], evidence=form.cleaned_data["evidence"],
            evidence_file=form.cleaned_data["evidence_file"], user=request.user),
            _("Points of “%(item)s” entered.") % {"item": item.name})
    return redirect(_back(request, _sheet_url(year, department.pk, item.pk)))


@require_POST
def appeal_file(request: HttpRequest, year: int, department_id: int,
                item_id: int) -> HttpResponse:
    """A department admin contests an item of their department's sheet."""
    scheme, department, item = _department_item(request, year, department_id, item_id)
    form = scoring_forms.AppealFileForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        _service(request, lambda: services.appeal_file(
            scheme=scheme, department=department, item=item,
            reason=form.cleaned_data["reason"], user=request.user),
            _("Your appeal on “%(item)s” was filed: the bureau will answer it here.") % {
                "item": item.name})
    return redirect(_back(request, _sheet_url(year, department.pk, item.pk)))


@require_POST
def appeal_answer(request: HttpRequest, year: int, appeal_id: int) -> HttpResponse:
    """Bureau staff accept (with new points) or reject an appeal, with a reply."""
    _require_view(request.user)
    scheme = _scheme(year)
    appeal = Appeal.objects.select_related("item").filter(scheme=scheme,
                                                          pk=_id(appeal_id)).first()
    if appeal is None:
        raise Http404
    department_for(request.user, appeal.department_id)
    _require_bureau(request.user)
    appeal.scheme = scheme
    form = scoring_forms.AppealAnswerForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        accept = form.accept
        _service(request, lambda: services.appeal_answer(
            appeal=appeal, accept=accept, reply=form.cleaned_data["reply"],
            new_points=form.cleaned_data["new_points"], user=request.user),
            (_("Appeal on “%(item)s” accepted.") if accept
             else _("Appeal on “%(item)s” rejected.")) % {"item": appeal.item.name})
    return redirect(_back(request, _sheet_url(year, appeal.department_id, appeal.item_id)))


class ScoringViewSet(ViewSet):
    """Score sheets, appeals and the audit trail (bureau staff: all; department admins: their
    own departments, read and appeal)."""

    name = "assessment_scoring"
    url_prefix = "assessment-scores"
    icon = "table"
    menu_label = gettext_lazy("Assessment scores")
    add_to_admin_menu = False

    def get_urlpatterns(self):
        year = "<int:year>/"
        return [
            path("", scoring_index, name="index"),
            path(year, scheme_results, name="results"),
            path(f"{year}departments/<int:department_id>/", score_sheet, name="sheet"),
            path(f"{year}appeals/", appeals_inbox, name="appeals"),
            path(f"{year}audit/", audit_trail, name="audit"),
            path(f"{year}compute/", scheme_compute, name="compute"),
            path(f"{year}lock/", scheme_lock, name="lock"),
            path(f"{year}unlock/", scheme_unlock, name="unlock"),
            path(f"{year}scores/<int:score_id>/override/", score_override, name="override"),
            path(f"{year}scores/<int:score_id>/evidence/", score_evidence, name="evidence"),
            path(f"{year}scores/<int:score_id>/override/clear/", score_override_clear,
                 name="override_clear"),
            path(f"{year}departments/<int:department_id>/items/<int:item_id>/manual/",
                 score_manual, name="manual"),
            path(f"{year}departments/<int:department_id>/items/<int:item_id>/appeal/",
                 appeal_file, name="appeal_file"),
            path(f"{year}appeals/<int:appeal_id>/answer/", appeal_answer, name="appeal_answer"),
        ]


class ScoringMenuItem(MenuItem):
    def is_shown(self, request):
        return user_may_view_assessment(request.user)


@hooks.register("register_admin_viewset")
def register_scoring():
    return ScoringViewSet()


@hooks.register("register_admin_menu_item")
def register_scoring_menu_item():
    return ScoringMenuItem(gettext_lazy("Assessment scores"),
                           reverse("assessment_scoring:index"), icon_name="table", order=263)
