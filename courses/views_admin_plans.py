"""Admin pages for department admins and bureau staff: the roster against an annual plan
(培训完成情况), entering and revoking exemptions, and the exemption history.

Everything a page lists or acts on is read through `departments.selectors.learners_visible_to`
(`courses.membership`): an id outside the user's scope answers 404, as an unknown one does.
Department admins enter and revoke exemptions; bureau staff read everything; superusers may do
both (`courses.membership.user_may_manage_exemptions`). Views are thin: services and
selectors in `courses.membership` do the work.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from courses import membership
from courses.models import ExemptionReason, PlanAssignment, PlanExemption
from courses.selectors import RequirementStatus
from departments.models import OfficeKind, Position
from departments.selectors import departments_visible_to, offices_visible_to

ROSTER_PER_PAGE = 50
HISTORY_PER_PAGE = 50
MAX_PK = 2**63 - 1


def _require(check, user) -> None:
    if not check(user):
        raise PermissionDenied


def _pk(value) -> int | None:
    """A query value as a row id; None when absent. Anything else (text, a negative or huge
    number) is not an id of anything: 404."""
    if value in (None, ""):
        return None
    value = str(value)
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_PK:
        raise Http404
    return int(value)


def _choice(value, choices) -> str:
    return value if value in {code for code, _label in choices} else ""


# --- Roster -------------------------------------------------------------------------------------


@require_safe
def plan_roster(request: HttpRequest) -> HttpResponse:
    """The learners in scope against a published plan: each requirement's status, filters,
    counts per status, and the exemption actions."""
    user = request.user
    _require(membership.user_may_view_plan_roster, user)
    today = timezone.localdate()
    get = request.GET
    plans = list(membership.plans_for_roster())
    plan_id = _pk(get.get("plan"))
    if plan_id is not None:
        plan = next((plan for plan in plans if plan.pk == plan_id), None)
        if plan is None:
            raise Http404
    else:
        plan = membership.plan_default(plans=plans, today=today)
    departments = list(departments_visible_to(user).only("pk", "name", "code"))
    department_id = _pk(get.get("department"))
    if department_id is not None and department_id not in {d.pk for d in departments}:
        raise Http404
    office_id = _pk(get.get("office"))
    offices = offices_visible_to(user).order_by("unit__code", "name")
    if department_id is not None:
        offices = offices.filter(unit__department_id=department_id)
    # Every office of the city would make a select of thousands: the bureau picks a
    # department first.
    office_choices = list(offices) if department_id or len(departments) == 1 else []
    if office_id is not None and not offices.filter(pk=office_id).exists():
        raise Http404
    filters = membership.RosterFilters(
        department_id=department_id, office_id=office_id,
        office_kind=_choice(get.get("office_kind"), OfficeKind.choices),
        position=_choice(get.get("position"), Position.choices),
        status=_choice(get.get("status"), RequirementStatus.choices),
        text=(get.get("q") or "")[:64])
    context = {
        "plans": plans, "plan": plan, "departments": departments if len(departments) > 1 else [],
        "offices": office_choices, "filters": filters, "office_kinds": OfficeKind.choices,
        "positions": Position.choices, "statuses": RequirementStatus.choices,
        "may_manage": membership.user_may_manage_exemptions(user),
        "history_url": reverse("plan_roster:history"),
    }
    if plan is None:
        return TemplateResponse(request, "courses/admin/plan_roster.html", context)
    roster = membership.plan_roster(user=user, plan=plan, filters=filters, today=today)
    page = Paginator(roster.user_ids, ROSTER_PER_PAGE).get_page(get.get("page"))
    rows = membership.plan_roster_rows(user=user, roster=roster, user_ids=list(page))
    plan_open = today <= plan.makeup_until
    query = get.copy()
    query.pop("page", None)
    query["plan"] = plan.pk
    back = f"{reverse('plan_roster:index')}?{query.urlencode()}"
    status_query = query.copy()
    status_query.pop("status", None)
    context.update({
        "roster": roster, "page": page, "plan_open": plan_open,
        "querystring": query.urlencode(),
        "columns": [{"title": column.title,
                     "positions": "、".join(str(Position(p).label) for p in column.positions)}
                    for column in roster.columns],
        "rows": [{"learner": row.learner,
                  "cells": [_cell(state, back=back, may_act=context["may_manage"] and plan_open)
                            for state in row.cells]} for row in rows],
        "counts": [{"code": code, "label": label, "count": roster.status_counts.get(code, 0),
                    "url": "?" + urlencode([*status_query.lists(), ("status", code)],
                                           doseq=True)}
                   for code, label in RequirementStatus.choices],
    })
    return TemplateResponse(request, "courses/admin/plan_roster.html", context)


def _cell(state, *, back: str, may_act: bool) -> dict | None:
    if state is None:
        return None
    cell = {"status": state.status, "label": RequirementStatus(state.status).label}
    if may_act:
        next_query = urlencode({"next": back})
        if state.exemption_id:
            cell["revoke_url"] = (reverse("plan_roster:revoke", args=[state.exemption_id])
                                  + "?" + next_query)
        else:
            cell["exempt_url"] = (reverse("plan_roster:exempt", args=[state.assignment_id])
                                  + "?" + next_query)
    return cell


def _back_url(request: HttpRequest, plan_id: int) -> str:
    """Where to return after the form: the roster as the user left it (only our own URL)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    index = reverse("plan_roster:index")
    if target.startswith(index + "?") and "//" not in target and "\\" not in target:
        return target
    return f"{index}?{urlencode({'plan': plan_id})}"


# --- Exemptions ---------------------------------------------------------------------------------


class ExemptionForm(forms.Form):
    """Reason and explanation; the service checks both (one set of rules and messages)."""

    reason = forms.ChoiceField(label=pgettext_lazy("exemption", "Reason"),
                               choices=ExemptionReason.choices)
    note = forms.CharField(
        label=pgettext_lazy("exemption", "Explanation"), required=False, strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": membership.NOTE_MAX_LENGTH}),
        help_text=gettext_lazy("Required: why the learner is excused (at most 500 characters). "
                               "The bureau sees it in the exemption history."))

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        if plan.joined_cutoff is None:
            self.fields["reason"].choices = [
                choice for choice in ExemptionReason.choices
                if choice[0] != ExemptionReason.JOINED_LATE]


class RevokeForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Why is the exemption revoked?"), required=False, strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": membership.NOTE_MAX_LENGTH}))


def _add_errors(form: forms.Form, error: ValidationError, field: str | None = None) -> None:
    for message in error.messages:
        form.add_error(field, message)


NOTE_ERROR_CODES = {"note_required", "note_too_long", "control_characters"}


def _service_run(form: forms.Form, action) -> bool:
    """Run an exemption service; its refusals become form errors (the explanation's under the
    explanation field). A PermissionDenied means the learner left the user's departments since
    the page was read."""
    try:
        action()
    except PermissionDenied as error:
        form.add_error(None, str(error) or _("You may not do this."))
    except ValidationError as error:
        _add_errors(form, error, "note" if error.code in NOTE_ERROR_CODES else None)
    else:
        return True
    return False


@require_http_methods(["GET", "POST"])
def exemption_grant(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """Exempt one learner from one assigned requirement (reason + explanation)."""
    _require(membership.user_may_manage_exemptions, request.user)
    assignment = get_object_or_404(
        membership.assignments_visible_to(request.user).select_related(
            "user__learner__office__unit__department", "requirement__plan",
            "requirement__course"),
        pk=assignment_id, withdrawn_at__isnull=True)
    plan = assignment.requirement.plan
    form = ExemptionForm(request.POST or None, plan=plan)
    back = _back_url(request, plan.pk)
    if request.method == "POST" and form.is_valid() and _service_run(
            form, lambda: membership.exemption_grant(
                assignment=assignment, reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"], user=request.user)):
        messages.success(request, _("Exemption entered for %(name)s: %(course)s.") % {
            "name": _learner_name(assignment), "course": assignment.requirement.course.title})
        return redirect(back)
    return TemplateResponse(request, "courses/admin/exemption_form.html", {
        "form": form, "assignment": assignment, "plan": plan, "back": back,
        "learner_name": _learner_name(assignment), "learner": _learner(assignment)})


@require_http_methods(["GET", "POST"])
def exemption_revoke(request: HttpRequest, exemption_id: int) -> HttpResponse:
    """Revoke an exemption in force, with the reason; the record stays in the history."""
    _require(membership.user_may_manage_exemptions, request.user)
    exemption = get_object_or_404(
        membership.exemptions_visible_to(request.user), pk=exemption_id,
        revoked_at__isnull=True)
    assignment = exemption.assignment
    plan = assignment.requirement.plan
    form = RevokeForm(request.POST or None)
    back = _back_url(request, plan.pk)
    if request.method == "POST" and form.is_valid() and _service_run(
            form, lambda: membership.exemption_revoke(
                exemption=exemption, note=form.cleaned_data["note"], user=request.user)):
        messages.success(request, _("Exemption revoked for %(name)s: %(course)s.") % {
            "name": _learner_name(assignment), "course": assignment.requirement.course.title})
        return redirect(back)
    return TemplateResponse(request, "courses/admin/exemption_revoke.html", {
        "form": form, "exemption": exemption, "assignment": assignment, "plan": plan,
        "back": back, "learner_name": _learner_name(assignment),
        "learner": _learner(assignment)})


def _learner(assignment: PlanAssignment):
    return getattr(assignment.user, "learner", None)


def _learner_name(assignment: PlanAssignment) -> str:
    user = assignment.user
    return user.first_name or user.username


@require_safe
def exemption_history(request: HttpRequest) -> HttpResponse:
    """Every exemption in scope, newest first: who entered it, when and why; who revoked it,
    when and why."""
    _require(membership.user_may_view_plan_roster, request.user)
    plans = list(membership.plans_for_roster())
    exemptions = membership.exemptions_visible_to(request.user)
    plan_id = _pk(request.GET.get("plan"))
    if plan_id is not None:
        if plan_id not in {plan.pk for plan in plans}:
            raise Http404
        exemptions = exemptions.filter(assignment__requirement__plan_id=plan_id)
    page = Paginator(exemptions.order_by("-created_at", "-pk"), HISTORY_PER_PAGE).get_page(
        request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return TemplateResponse(request, "courses/admin/exemption_history.html", {
        "page": page, "plans": plans, "plan_id": plan_id, "querystring": query.urlencode(),
        "roster_url": reverse("plan_roster:index"),
        "rows": [_history_row(exemption) for exemption in page],
    })


def _history_row(exemption: PlanExemption) -> dict:
    assignment = exemption.assignment
    learner = _learner(assignment)
    return {
        "exemption": exemption,
        "name": _learner_name(assignment),
        "staff_number": learner.staff_number if learner else "",
        "department": learner.office.unit.department.name if learner else "",
        "plan": assignment.requirement.plan.title,
        "course": assignment.requirement.course.title,
        "entered_by": _person(exemption.created_by),
        "revoked_by": _person(exemption.revoked_by),
    }


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username
