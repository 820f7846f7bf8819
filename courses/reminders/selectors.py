"""Who gets which reminder, digest or escalation on a date, and what it says.

Statuses come from `courses.selectors.plan_assignment_states` (the one definition): a learner is
*unfinished* with at least one open requirement (not started, in progress, overdue), *finished*
when every requirement in force is completed (on time or late); a learner whose requirements
are all exempt is neither and is not counted. Withdrawn assignments, inactive learners and
inactive accounts are left out.

The number of queries depends on the number of plans sending on the date, never on the number
of learners, offices or recipients.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from courses.models import NotificationKind, PlanAssignment, PlanRequirement, TrainingPlan
from courses.reminders.schedule import kinds_due
from courses.selectors import RequirementStatus, plan_assignment_states
from departments import roles
from departments.models import Department, Learner, OfficeKind, Position

logger = logging.getLogger(__name__)

OFFICE_KIND_ORDER = {OfficeKind.BUSINESS: 0, OfficeKind.FINANCE: 1, OfficeKind.GENERAL: 2}


@dataclass(frozen=True)
class Recipient:
    user_id: int
    username: str
    name: str
    email: str
    language: str

    @property
    def display_name(self) -> str:
        return self.name or self.username


@dataclass(frozen=True)
class OpenItem:
    """One requirement a learner has not finished."""

    course_title: str
    status: str

    @property
    def status_label(self) -> str:
        return RequirementStatus(self.status).label

    @property
    def overdue(self) -> bool:
        return self.status == RequirementStatus.OVERDUE

    @property
    def label(self) -> str:
        """「绩效目标管理（已逾期）」 in the active language."""
        return _("%(course)s (%(status)s)") % {"course": self.course_title,
                                               "status": self.status_label}


@dataclass
class PersonGap:
    """An unfinished learner as the digest lists them."""

    name: str
    staff_number: str
    position: str
    items: list[OpenItem]

    @property
    def position_label(self) -> str:
        return Position(self.position).label

    @property
    def items_text(self) -> str:
        return pgettext("list separator", "; ").join(item.label for item in self.items)


@dataclass
class OfficeGaps:
    """One office's standing against the plan: people counted, finished, unfinished."""

    office_id: int
    office_name: str
    unit_code: str
    unit_name: str
    kind: str
    people: int = 0
    finished: int = 0
    unfinished: list[PersonGap] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return OfficeKind(self.kind).label

    @property
    def unfinished_count(self) -> int:
        return len(self.unfinished)

    @property
    def is_business(self) -> bool:
        return self.kind == OfficeKind.BUSINESS

    @property
    def nobody_finished(self) -> bool:
        return self.people > 0 and self.finished == 0


@dataclass
class DepartmentGaps:
    """A department's offices with the plan's gaps, in the order the messages list them."""

    department_id: int
    code: str
    name: str
    offices: list[OfficeGaps] = field(default_factory=list)

    @property
    def people(self) -> int:
        return sum(office.people for office in self.offices)

    @property
    def finished(self) -> int:
        return sum(office.finished for office in self.offices)

    @property
    def unfinished(self) -> int:
        return sum(office.unfinished_count for office in self.offices)

    @property
    def offices_with_gaps(self) -> list[OfficeGaps]:
        """Offices with someone unfinished, by unit and name (the digest's order)."""
        return [office for office in self.offices if office.unfinished]

    @property
    def business_offices_nobody_finished(self) -> list[OfficeGaps]:
        """The escalation's first list: business offices where nobody has finished."""
        return [office for office in self.offices
                if office.is_business and office.nobody_finished]

    @property
    def other_offices_with_gaps(self) -> list[OfficeGaps]:
        """The escalation's second list: every other office with someone unfinished, business
        offices first, then finance, then general."""
        first = {office.office_id for office in self.business_offices_nobody_finished}
        rest = [office for office in self.offices_with_gaps if office.office_id not in first]
        return sorted(rest, key=lambda office: OFFICE_KIND_ORDER.get(office.kind, 9))


@dataclass
class Message:
    """One scheduled message: a recipient, a plan, a kind and a date (the ReminderLog key)."""

    recipient: Recipient
    plan: TrainingPlan
    kind: str
    on_date: dt.date
    items: list[OpenItem] = field(default_factory=list)
    departments: list[DepartmentGaps] = field(default_factory=list)

    @property
    def key(self) -> tuple[int, int, str, dt.date]:
        return (self.recipient.user_id, self.plan.pk, self.kind, self.on_date)

    @property
    def days_to_due(self) -> int:
        return (self.plan.due_on - self.on_date).days

    @property
    def overdue(self) -> bool:
        return self.on_date > self.plan.due_on


def _language(user) -> str:
    """`courses.notifications.selectors.language_chosen`, read through the joined profile so
    that it costs no query per recipient."""
    from courses.notifications.selectors import language_chosen

    try:
        chosen = user.wagtail_userprofile.preferred_language
    except Exception:  # no profile row: the user never saved account settings
        chosen = None
    return language_chosen(chosen)


def _recipient(user) -> Recipient:
    return Recipient(user_id=user.pk, username=user.username, name=user.first_name or "",
                     email=(user.email or "").strip(), language=_language(user))


def plan_reminder_days(plan: TrainingPlan) -> list[int]:
    """The plan's reminder days; a value the admin form would refuse (written by other means)
    sends no before-due reminders rather than failing the whole day's run."""
    try:
        return plan.reminder_days_list
    except ValueError:
        logger.warning("training plan %s: unreadable reminder days %r", plan.pk,
                       plan.reminder_days)
        return []


def plans_sending_on(*, on_date: dt.date, plan_ids: Iterable[int] | None = None
                     ) -> list[tuple[TrainingPlan, list[str]]]:
    """Published plans that send something on `on_date`, each with the kinds it sends."""
    plans = TrainingPlan.objects.filter(published_at__isnull=False, opens_on__lte=on_date,
                                        makeup_until__gte=on_date).order_by("pk")
    if plan_ids is not None:
        plans = plans.filter(pk__in=list(plan_ids))
    result = []
    for plan in plans:
        kinds = kinds_due(plan, on_date, reminder_days=plan_reminder_days(plan))
        if kinds:
            result.append((plan, kinds))
    return result


def _scope_user_ids(*, kinds, user_ids):
    """The learners whose states are needed to build the messages of `user_ids` (a send batch):
    the recipients themselves, and for digests and escalations every learner of the departments
    they administer or head. A subquery, so its size never reaches the SQL parameters."""
    user_ids = list(user_ids)
    department_ids: set[int] = set()
    if NotificationKind.DIGEST in kinds:
        department_ids |= set(Department.admins.through.objects.filter(
            user_id__in=user_ids).values_list("department_id", flat=True))
    if NotificationKind.ESCALATION in kinds:
        department_ids |= set(Learner.objects.filter(
            user_id__in=user_ids, position=Position.HEAD)
            .values_list("office__unit__department_id", flat=True))
    return Learner.objects.filter(
        Q(user_id__in=user_ids) | Q(office__unit__department_id__in=department_ids)
    ).values_list("user_id", flat=True)


def _department_gaps(*, learners: list[Learner], states_by_user, titles
                     ) -> dict[int, DepartmentGaps]:
    """Per department, per office: who is counted, finished and unfinished (only departments
    with at least one unfinished learner)."""
    departments: dict[int, DepartmentGaps] = {}
    offices: dict[int, OfficeGaps] = {}
    for learner in learners:
        states = [state for state in states_by_user.get(learner.user_id, ())
                  if state.status != RequirementStatus.EXEMPT]
        if not states:
            continue
        office = learner.office
        unit = office.unit
        department = unit.department
        gaps = departments.get(department.pk)
        if gaps is None:
            gaps = departments[department.pk] = DepartmentGaps(
                department_id=department.pk, code=department.code, name=department.name)
        office_gaps = offices.get(office.pk)
        if office_gaps is None:
            office_gaps = offices[office.pk] = OfficeGaps(
                office_id=office.pk, office_name=office.name, unit_code=unit.code,
                unit_name=unit.name, kind=office.kind)
            gaps.offices.append(office_gaps)
        office_gaps.people += 1
        open_items = [OpenItem(course_title=titles.get(state.requirement_id, ""),
                               status=state.status) for state in states if state.open]
        if open_items:
            office_gaps.unfinished.append(PersonGap(
                name=learner.user.first_name or learner.user.username,
                staff_number=learner.staff_number, position=learner.position,
                items=open_items))
        elif all(state.done for state in states):
            office_gaps.finished += 1
    for gaps in departments.values():
        gaps.offices.sort(key=lambda office: (office.unit_code, office.office_name,
                                              office.office_id))
    return {pk: gaps for pk, gaps in departments.items() if gaps.unfinished}


def _messages_of_plan(*, plan, kinds, on_date, titles, user_ids) -> list[Message]:
    scope = None if user_ids is None else _scope_user_ids(kinds=kinds, user_ids=user_ids)
    states_by_user: dict[int, list] = defaultdict(list)
    for state in plan_assignment_states(plan=plan, user_ids=scope, today=on_date):
        states_by_user[state.user_id].append(state)
    if not states_by_user:
        return []
    in_force = PlanAssignment.objects.filter(requirement__plan=plan, withdrawn_at__isnull=True)
    if scope is not None:
        in_force = in_force.filter(user_id__in=scope)
    learners = list(
        Learner.objects.filter(is_active=True, user__is_active=True,
                               user_id__in=in_force.values("user_id"))
        .select_related("user__wagtail_userprofile", "office__unit__department")
        .order_by("office__unit__code", "office__name", "staff_number"))
    wanted = None if user_ids is None else set(user_ids)
    messages: list[Message] = []

    if NotificationKind.REMINDER in kinds:
        for learner in learners:
            if wanted is not None and learner.user_id not in wanted:
                continue
            items = [OpenItem(course_title=titles.get(state.requirement_id, ""),
                              status=state.status)
                     for state in states_by_user.get(learner.user_id, ()) if state.open]
            if items:
                messages.append(Message(recipient=_recipient(learner.user), plan=plan,
                                        kind=NotificationKind.REMINDER, on_date=on_date,
                                        items=items))

    if NotificationKind.DIGEST in kinds or NotificationKind.ESCALATION in kinds:
        gaps = _department_gaps(learners=learners, states_by_user=states_by_user,
                                titles=titles)
        if gaps and NotificationKind.DIGEST in kinds:
            messages.extend(_digests(plan=plan, on_date=on_date, gaps=gaps, wanted=wanted))
        if gaps and NotificationKind.ESCALATION in kinds:
            messages.extend(_escalations(plan=plan, on_date=on_date, gaps=gaps, wanted=wanted))
    return messages


def _digests(*, plan, on_date, gaps, wanted) -> list[Message]:
    """One digest per department admin (the "Department admin" role, listed on the department,
    active), covering every department of theirs that has gaps: the same departments that
    `departments.selectors.learners_visible_to` opens to them."""
    links = (Department.admins.through.objects
             .filter(department_id__in=list(gaps), user__is_active=True,
                     user__groups__name=roles.DEPARTMENT_ADMIN)
             .select_related("user__wagtail_userprofile", "department")
             .order_by("user_id", "department__sort_order", "department__code"))
    by_user: dict[int, Message] = {}
    for link in links:
        if wanted is not None and link.user_id not in wanted:
            continue
        message = by_user.get(link.user_id)
        if message is None:
            message = by_user[link.user_id] = Message(
                recipient=_recipient(link.user), plan=plan, kind=NotificationKind.DIGEST,
                on_date=on_date)
        if all(d.department_id != link.department_id for d in message.departments):
            message.departments.append(gaps[link.department_id])
    return list(by_user.values())


def _escalations(*, plan, on_date, gaps, wanted) -> list[Message]:
    """One escalation per head (position head, active) of each department with gaps."""
    heads = (Learner.objects
             .filter(position=Position.HEAD, is_active=True, user__is_active=True,
                     office__unit__department_id__in=list(gaps))
             .select_related("user__wagtail_userprofile", "office__unit")
             .order_by("staff_number"))
    return [Message(recipient=_recipient(head.user), plan=plan,
                    kind=NotificationKind.ESCALATION, on_date=on_date,
                    departments=[gaps[head.office.unit.department_id]])
            for head in heads if wanted is None or head.user_id in wanted]


def reminder_messages(*, on_date: dt.date, plan_ids: Iterable[int] | None = None,
                      kinds: Iterable[str] | None = None,
                      user_ids: Iterable[int] | None = None) -> list[Message]:
    """Every message due on `on_date` (site time zone), optionally only for some plans, kinds
    or recipients (a send batch rebuilds its own messages this way)."""
    wanted_kinds = None if kinds is None else set(kinds)
    user_ids = None if user_ids is None else list(user_ids)
    sending = plans_sending_on(on_date=on_date, plan_ids=plan_ids)
    if not sending:
        return []
    titles = dict(PlanRequirement.objects.filter(plan__in=[plan for plan, _k in sending])
                  .values_list("pk", "course__title"))
    messages: list[Message] = []
    for plan, plan_kinds in sending:
        if wanted_kinds is not None:
            plan_kinds = [kind for kind in plan_kinds if kind in wanted_kinds]
        if plan_kinds:
            messages.extend(_messages_of_plan(plan=plan, kinds=plan_kinds, on_date=on_date,
                                              titles=titles, user_ids=user_ids))
    return messages
