"""Who must do what in the annual plans: assignments kept in step with the roster, exemptions,
and the department roster against a plan (the admin's 培训完成情况).

Membership has one definition, `requirements_matching`: an active learner with an active
account, in a department the plan targets, is assigned each requirement of their position.
`plan_membership_sync` applies it to published plans: it creates what is missing, re-assigns
(clears `withdrawn_at`) what matches again and withdraws (sets `withdrawn_at`) what no longer
matches. It never deletes an assignment, an enrolment or a lesson completion, so a learner who
moves keeps their progress, and an exemption stays in the audit history.

A plan whose make-up deadline has passed is history: roster changes no longer touch it, and an
explicit run on it (publishing or saving it again) only adds what is missing, never withdraws.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import (
    Enrolment,
    ExemptionReason,
    PlanAssignment,
    PlanExemption,
    PlanRequirement,
    TrainingPlan,
)
from departments.models import Learner
from departments.selectors import (
    learners_visible_to,
    user_has_department_scope,
    user_is_bureau,
    user_is_department_admin,
)
from portal.cleaning import text_clean

MEMBERSHIP_BATCH_SIZE = 2000

# --- Matching -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRules:
    """What decides membership of one published plan."""

    plan_id: int
    open: bool  # today ≤ make-up deadline: assignments may be withdrawn as well as added
    all_departments: bool
    department_ids: frozenset[int]
    requirements_by_position: dict[str, tuple[int, ...]]


@dataclass(frozen=True)
class LearnerFacts:
    """The roster facts membership depends on, for one learner."""

    learner_id: int
    user_id: int
    position: str
    active: bool  # the learner is on the roster and their account is active
    department_id: int


LEARNER_FACT_FIELDS = ("pk", "user_id", "position", "is_active", "user__is_active",
                       "office__unit__department_id")


def _facts(row) -> LearnerFacts:
    pk, user_id, position, learner_active, account_active, department_id = row
    return LearnerFacts(learner_id=pk, user_id=user_id, position=position,
                        active=bool(learner_active and account_active),
                        department_id=department_id)


def requirements_matching(*, rules: PlanRules, learner: LearnerFacts) -> tuple[int, ...]:
    """The requirement ids of the plan this learner must do: none unless active, in a target
    department, and then those of their position. The one definition of plan membership."""
    if not learner.active:
        return ()
    if not rules.all_departments and learner.department_id not in rules.department_ids:
        return ()
    return rules.requirements_by_position.get(learner.position, ())


def plan_rules(*, plans: Iterable[TrainingPlan], today: dt.date) -> list[PlanRules]:
    """The membership rules of these plans, in two queries whatever their number."""
    plans = list(plans)
    if not plans:
        return []
    by_plan: dict[int, dict[str, list[int]]] = {plan.pk: {} for plan in plans}
    for plan_id, requirement_id, position in (
            PlanRequirement.objects.filter(plan_id__in=list(by_plan))
            .order_by("plan_id", "sort_order", "pk").values_list("plan_id", "pk", "position")):
        by_plan[plan_id].setdefault(position, []).append(requirement_id)
    departments: dict[int, set[int]] = {plan.pk: set() for plan in plans}
    chosen = [plan.pk for plan in plans if not plan.all_departments]
    if chosen:
        through = TrainingPlan.departments.through
        for plan_id, department_id in through.objects.filter(
                trainingplan_id__in=chosen).values_list("trainingplan_id", "department_id"):
            departments[plan_id].add(department_id)
    return [PlanRules(plan_id=plan.pk, open=today <= plan.makeup_until,
                      all_departments=plan.all_departments,
                      department_ids=frozenset(departments[plan.pk]),
                      requirements_by_position={position: tuple(ids) for position, ids
                                                in by_plan[plan.pk].items()})
            for plan in plans]


# --- Synchronisation ----------------------------------------------------------------------------


@dataclass
class MembershipChanges:
    """What a synchronisation did."""

    created: int = 0
    reassigned: int = 0
    withdrawn: int = 0
    enrolments_linked: int = 0

    def add(self, other: MembershipChanges) -> None:
        self.created += other.created
        self.reassigned += other.reassigned
        self.withdrawn += other.withdrawn
        self.enrolments_linked += other.enrolments_linked


def _requirement_ids(rules: list[PlanRules]) -> list[int]:
    return [pk for rule in rules for ids in rule.requirements_by_position.values() for pk in ids]


@transaction.atomic
def _sync_batch(*, rules: list[PlanRules], learners: list[LearnerFacts],
                user_ids: Iterable[int] = (), now: dt.datetime,
                batch_users: QuerySet | None = None) -> MembershipChanges:
    """Bring the assignments of these learners' accounts (and of `user_ids`, accounts without
    a learner record any more) in line with `rules`. At most six queries, whatever the numbers
    of learners, plans and requirements: the assignments there are, one INSERT (in batches on
    SQLite), one UPDATE each to re-assign and to withdraw, one to link enrolments.
    `batch_users`: the same accounts as a subquery (a key range of learners), cheaper for the
    database and for Django than thousands of ids in an IN list."""
    changes = MembershipChanges()
    requirement_ids = _requirement_ids(rules)
    users = {learner.user_id for learner in learners} | set(user_ids)
    if not requirement_ids or not users:
        return changes
    wanted: set[tuple[int, int]] = set()
    for learner in learners:
        for rule in rules:
            wanted.update((learner.user_id, pk)
                          for pk in requirements_matching(rules=rule, learner=learner))
    may_withdraw = {pk for rule in rules if rule.open
                    for ids in rule.requirements_by_position.values() for pk in ids}
    existing = {}
    withdraw, reassign, reassigned_users = [], [], set()
    for pk, user_id, requirement_id, withdrawn_at in PlanAssignment.objects.filter(
            user_id__in=list(users) if batch_users is None else batch_users,
            requirement_id__in=requirement_ids).values_list(
            "pk", "user_id", "requirement_id", "withdrawn_at"):
        key = (user_id, requirement_id)
        existing[key] = pk
        if key in wanted and withdrawn_at is not None:
            reassign.append(pk)
            reassigned_users.add(user_id)
        elif key not in wanted and withdrawn_at is None and requirement_id in may_withdraw:
            withdraw.append(pk)
    missing = [PlanAssignment(user_id=user_id, requirement_id=requirement_id)
               for user_id, requirement_id in sorted(wanted - existing.keys())]
    if missing:
        # ignore_conflicts: a parallel run (publish task, roster task) may insert the same rows;
        # the unique (user, requirement) constraint keeps one.
        PlanAssignment.objects.bulk_create(missing, ignore_conflicts=True,
                                           batch_size=MEMBERSHIP_BATCH_SIZE)
        changes.created = len(missing)
    if reassign:
        changes.reassigned = PlanAssignment.objects.filter(
            pk__in=reassign, withdrawn_at__isnull=False).update(withdrawn_at=None)
    if withdraw:
        changes.withdrawn = PlanAssignment.objects.filter(
            pk__in=withdraw, withdrawn_at__isnull=True).update(withdrawn_at=now)
    if missing or reassign:
        changes.enrolments_linked = enrolments_link(
            user_ids=({a.user_id for a in missing} | reassigned_users) if batch_users is None
            else batch_users, plan_ids=[rule.plan_id for rule in rules])
    return changes


def _assignment_in_force_for_enrolment(plan_ids=None) -> QuerySet[PlanAssignment]:
    """The assignment in force that an enrolment (OuterRef) was made for: same learner, a
    published plan requiring its course; the newest plan first."""
    qs = PlanAssignment.objects.filter(
        user_id=OuterRef("user_id"), requirement__course_id=OuterRef("course_id"),
        withdrawn_at__isnull=True, requirement__plan__published_at__isnull=False)
    if plan_ids is not None:
        qs = qs.filter(requirement__plan_id__in=list(plan_ids))
    return qs.order_by("-requirement__plan__year", "-requirement__plan__opens_on",
                       "requirement_id")


def enrolments_link(*, user_ids: Iterable[int] | QuerySet,
                    plan_ids: Iterable[int] | None = None) -> int:
    """Fill `Enrolment.requirement` of these learners' self-started enrolments (requirement
    still empty) in courses they now have an assignment in force for; one UPDATE. `user_ids`:
    ids, or a subquery of them."""
    if not isinstance(user_ids, QuerySet):
        user_ids = list(user_ids)
        if not user_ids:
            return 0
    assignment = _assignment_in_force_for_enrolment(plan_ids)
    return (Enrolment.objects.filter(user_id__in=user_ids, requirement__isnull=True)
            .filter(Exists(assignment))
            .update(requirement_id=Subquery(assignment.values("requirement_id")[:1])))


def enrolment_requirement_id(*, user, course_id: int) -> int | None:
    """The requirement a new enrolment in this course is for: the learner's assignment in
    force for it (the newest plan's), or None for a course taken on their own initiative."""
    return (PlanAssignment.objects.filter(
        user=user, requirement__course_id=course_id, withdrawn_at__isnull=True,
        requirement__plan__published_at__isnull=False)
        .order_by("-requirement__plan__year", "-requirement__plan__opens_on", "requirement_id")
        .values_list("requirement_id", flat=True).first())


def _learner_facts(learners: QuerySet[Learner]) -> list[LearnerFacts]:
    return [_facts(row) for row in learners.values_list(*LEARNER_FACT_FIELDS)]


def plan_membership_sync(*, learner_ids: Iterable[int] | None = None,
                         user_ids: Iterable[int] = (), plan: TrainingPlan | None = None,
                         today: dt.date | None = None,
                         batch_size: int = MEMBERSHIP_BATCH_SIZE) -> MembershipChanges:
    """Bring plan assignments in line with the roster (see the module's rules).

    `learner_ids` (and `user_ids`, accounts whose learner record was deleted): only these
    people, in every published plan still open (or only `plan`). Without them: everyone in
    `plan` (publishing, saving it again) or in every open plan (a nightly check). Idempotent;
    a fixed number of queries per batch of learners, whatever the number of learners, plans or
    requirements. Each batch commits on its own, so a long run holds no lock for long.
    """
    today = today or timezone.localdate()
    now = timezone.now()
    plans = TrainingPlan.objects.filter(published_at__isnull=False).filter(
        Q(pk=plan.pk) if plan is not None else Q(makeup_until__gte=today))
    rules = plan_rules(plans=plans, today=today)
    changes = MembershipChanges()
    if not rules:
        return changes
    if learner_ids is not None or user_ids:
        learner_ids = sorted({int(pk) for pk in learner_ids or ()})
        user_ids = sorted({int(pk) for pk in user_ids})
        for start in range(0, max(len(learner_ids), len(user_ids)), batch_size):
            ids = learner_ids[start:start + batch_size]
            accounts = user_ids[start:start + batch_size]
            learners = _learner_facts(Learner.objects.filter(
                Q(pk__in=ids) | Q(user_id__in=accounts)))
            changes.add(_sync_batch(rules=rules, learners=learners, user_ids=accounts, now=now))
        return changes
    last_pk = 0
    everyone = Learner.objects.order_by("pk")
    while True:
        learners = _learner_facts(everyone.filter(pk__gt=last_pk)[:batch_size])
        if not learners:
            break
        batch_users = Learner.objects.filter(
            pk__gt=last_pk, pk__lte=learners[-1].learner_id).values("user_id")
        last_pk = learners[-1].learner_id
        changes.add(_sync_batch(rules=rules, learners=learners, now=now,
                                batch_users=batch_users))
    # Accounts whose learner record was deleted: nothing matches them any more.
    open_ids = [pk for rule in rules if rule.open
                for ids in rule.requirements_by_position.values() for pk in ids]
    if open_ids:
        changes.withdrawn += PlanAssignment.objects.filter(
            requirement_id__in=open_ids, withdrawn_at__isnull=True,
            user__learner__isnull=True).update(withdrawn_at=now)
    return changes


def plan_membership_sync_later(*, learner_ids: Iterable[int] = (), user_ids: Iterable[int] = ()
                               ) -> None:
    """Queue `plan_membership_sync` for these people once the current transaction commits,
    in chunks the worker handles in one go each."""
    from courses import tasks

    learner_ids = sorted({int(pk) for pk in learner_ids})
    user_ids = sorted({int(pk) for pk in user_ids})
    for start in range(0, len(learner_ids), MEMBERSHIP_BATCH_SIZE):
        chunk = learner_ids[start:start + MEMBERSHIP_BATCH_SIZE]
        transaction.on_commit(lambda chunk=chunk: tasks.plan_membership_sync.delay(chunk))
    for start in range(0, len(user_ids), MEMBERSHIP_BATCH_SIZE):
        chunk = user_ids[start:start + MEMBERSHIP_BATCH_SIZE]
        transaction.on_commit(
            lambda chunk=chunk: tasks.plan_membership_sync.delay([], user_ids=chunk))


# --- Exemptions ---------------------------------------------------------------------------------

NOTE_MAX_LENGTH = 500

ERROR_EXEMPT_NOT_ALLOWED = _("Only department admins enter and revoke exemptions; the finance "
                             "bureau sees them read-only.")
ERROR_EXEMPT_OUT_OF_SCOPE = _("This learner is not (or no longer) in a department you manage.")
ERROR_EXEMPT_WITHDRAWN = _("This requirement is no longer assigned to the learner (their "
                           "position or department changed): there is nothing to exempt.")
ERROR_EXEMPT_PLAN_CLOSED = _("The plan's make-up deadline (%(date)s) has passed: its exemptions "
                             "can no longer be entered or revoked.")
ERROR_EXEMPT_NOTE_REQUIRED = _("Explain the exemption.")
ERROR_REVOKE_NOTE_REQUIRED = _("Explain why the exemption is revoked.")
ERROR_NOTE_TOO_LONG = _("Keep the explanation within %(limit)s characters (it has %(length)s).")
ERROR_EXEMPT_REASON = _("Choose a reason from the list.")
ERROR_JOINED_LATE_NO_CUTOFF = _("This plan sets no joined cut-off date, so “joined after the "
                                "cut-off date” cannot be the reason.")
ERROR_JOINED_LATE_TOO_EARLY = _("%(name)s was added to the roster on %(joined)s, not after the "
                                "plan's cut-off date %(cutoff)s.")
ERROR_EXEMPT_SELF = _("You cannot exempt yourself or revoke your own exemption: another admin "
                      "of your department or the bureau has to.")
ERROR_ALREADY_EXEMPT = _("This requirement is already exempted for the learner.")
ERROR_ALREADY_REVOKED = _("This exemption has already been revoked.")


def user_may_view_plan_roster(user) -> bool:
    """Bureau staff (every department) and department admins (theirs)."""
    return user_is_bureau(user) or (user_is_department_admin(user)
                                    and user_has_department_scope(user))


def user_may_manage_exemptions(user) -> bool:
    """Department admins enter and revoke exemptions for their departments' learners, and a
    superuser may step in anywhere. Bureau staff only read them: the bureau audits the
    exemptions departments grant, so it does not grant them itself (also when a bureau member
    is listed as a department's admin)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return (user_is_department_admin(user) and not user_is_bureau(user)
            and user_has_department_scope(user))


def _note_clean(note, *, missing) -> str:
    note = (note if isinstance(note, str) else "").strip()
    if not note:
        raise ValidationError(missing, code="note_required")
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(ERROR_NOTE_TOO_LONG, code="note_too_long",
                              params={"limit": NOTE_MAX_LENGTH, "length": len(note)})
    return text_clean(value=note)


def _learner_in_scope_locked(*, user, user_id: int) -> Learner:
    """The learner of this account as they are now, row locked, if `user` may manage them:
    the scope is checked at write time, against the learner's current department."""
    if not user_may_manage_exemptions(user):
        raise PermissionDenied(ERROR_EXEMPT_NOT_ALLOWED)
    if user_id == user.pk:  # an admin who is also on the roster: no excusing oneself
        raise PermissionDenied(ERROR_EXEMPT_SELF)
    learner = (learners_visible_to(user).select_for_update(of=("self",))
               .filter(user_id=user_id).first())
    if learner is None:
        raise PermissionDenied(ERROR_EXEMPT_OUT_OF_SCOPE)
    return learner


def _plan_open_check(plan: TrainingPlan, today: dt.date) -> None:
    if today > plan.makeup_until:
        raise ValidationError(ERROR_EXEMPT_PLAN_CLOSED, code="plan_closed",
                              params={"date": plan.makeup_until.isoformat()})


@transaction.atomic
def exemption_grant(*, assignment: PlanAssignment, reason: str, note: str, user,
                    today: dt.date | None = None) -> PlanExemption:
    """Excuse a learner from one assigned requirement, with a reason and an explanation.

    Refused (nothing written): a user who may not manage exemptions or the learner not in
    their departments now (PermissionDenied); a withdrawn assignment, a plan past its make-up
    deadline, no or an oversized explanation, an unknown reason, "joined late" without a
    cut-off or for someone on the roster before it, or an exemption already in force
    (ValidationError). A double submit therefore creates one exemption.
    """
    today = today or timezone.localdate()
    locked = (PlanAssignment.objects.select_for_update(of=("self",))
              .select_related("requirement__plan").filter(pk=assignment.pk).first())
    if locked is None:
        raise PermissionDenied(ERROR_EXEMPT_OUT_OF_SCOPE)
    learner = _learner_in_scope_locked(user=user, user_id=locked.user_id)
    plan = locked.requirement.plan
    if locked.withdrawn_at is not None:
        raise ValidationError(ERROR_EXEMPT_WITHDRAWN, code="withdrawn")
    _plan_open_check(plan, today)
    if reason not in ExemptionReason.values:
        raise ValidationError(ERROR_EXEMPT_REASON, code="reason")
    note = _note_clean(note, missing=ERROR_EXEMPT_NOTE_REQUIRED)
    if reason == ExemptionReason.JOINED_LATE:
        if plan.joined_cutoff is None:
            raise ValidationError(ERROR_JOINED_LATE_NO_CUTOFF, code="no_cutoff")
        joined = timezone.localdate(learner.created_at)
        if joined <= plan.joined_cutoff:
            raise ValidationError(ERROR_JOINED_LATE_TOO_EARLY, code="joined_before_cutoff",
                                  params={"name": learner.user.first_name or learner.staff_number,
                                          "joined": joined.isoformat(),
                                          "cutoff": plan.joined_cutoff.isoformat()})
    if PlanExemption.objects.filter(assignment=locked, revoked_at__isnull=True).exists():
        raise ValidationError(ERROR_ALREADY_EXEMPT, code="already_exempt")
    exemption = PlanExemption(assignment=locked, reason=reason, note=note, created_by=user)
    try:
        with transaction.atomic():
            exemption.save()
    except IntegrityError:  # a parallel submit won the race (plan_exemption_one_in_force)
        raise ValidationError(ERROR_ALREADY_EXEMPT, code="already_exempt") from None
    # An exemption can finish a plan (the rest already done): issue the certificate now.
    from courses.certificates.services import certificates_issue_after_commit
    certificates_issue_after_commit(user_id=locked.user_id)
    return exemption


@transaction.atomic
def exemption_revoke(*, exemption: PlanExemption, note: str, user,
                     today: dt.date | None = None) -> PlanExemption:
    """Revoke an exemption in force, with the reason; the record stays for the audit history.
    Same scope rule as granting, checked at write time."""
    today = today or timezone.localdate()
    locked = (PlanExemption.objects.select_for_update(of=("self",))
              .select_related("assignment__requirement__plan").filter(pk=exemption.pk).first())
    if locked is None:
        raise PermissionDenied(ERROR_EXEMPT_OUT_OF_SCOPE)
    _learner_in_scope_locked(user=user, user_id=locked.assignment.user_id)
    if locked.revoked_at is not None:
        raise ValidationError(ERROR_ALREADY_REVOKED, code="already_revoked")
    _plan_open_check(locked.assignment.requirement.plan, today)
    locked.revoke_note = _note_clean(note, missing=ERROR_REVOKE_NOTE_REQUIRED)
    locked.revoked_at = timezone.now()
    locked.revoked_by = user
    locked.save(update_fields=["revoke_note", "revoked_at", "revoked_by"])
    return locked


# --- Reads for the admin ------------------------------------------------------------------------


def plans_for_roster() -> QuerySet[TrainingPlan]:
    """Published plans, newest first (the roster's plan picker)."""
    return TrainingPlan.objects.filter(published_at__isnull=False).order_by(
        "-year", "-opens_on", "-pk")


def plan_default(*, plans: list[TrainingPlan], today: dt.date) -> TrainingPlan | None:
    """This year's plan (the one still open first), else the newest."""
    this_year = [plan for plan in plans if plan.year == today.year]
    open_now = [plan for plan in this_year if plan.makeup_until >= today]
    return (open_now or this_year or plans or [None])[0]


def assignments_visible_to(user) -> QuerySet[PlanAssignment]:
    """Assignments of learners the user may see now (bureau: all)."""
    if user_is_bureau(user):
        return PlanAssignment.objects.all()
    return PlanAssignment.objects.filter(
        user_id__in=learners_visible_to(user).order_by().values("user_id"))


def exemptions_visible_to(user) -> QuerySet[PlanExemption]:
    """The exemption history the user may read: the bureau all of it, a department admin that
    of the learners now in their departments."""
    qs = PlanExemption.objects.select_related(
        "assignment__user__learner__office__unit__department", "assignment__requirement__plan",
        "assignment__requirement__course", "created_by", "revoked_by")
    if user_is_bureau(user):
        return qs
    return qs.filter(assignment__user_id__in=learners_visible_to(user).order_by()
                     .values("user_id"))


@dataclass(frozen=True)
class RosterColumn:
    """One course the plan requires (of one or more positions)."""

    course_id: int
    title: str
    positions: tuple[str, ...]


@dataclass(frozen=True)
class RosterFilters:
    department_id: int | None = None
    office_id: int | None = None
    office_kind: str = ""
    position: str = ""
    status: str = ""
    text: str = ""


@dataclass
class PlanRoster:
    """A plan's learners in the user's scope: who, in display order, and each one's states."""

    plan: TrainingPlan
    columns: list[RosterColumn]
    user_ids: list[int]  # filtered by status too, in display order
    states: dict[int, dict[int, object]]  # user id -> course id -> AssignmentState
    status_counts: Counter = field(default_factory=Counter)
    learners_total: int = 0  # before the status filter


def plan_roster(*, user, plan: TrainingPlan, filters: RosterFilters,
                today: dt.date | None = None) -> PlanRoster:
    """The roster against the plan for the admin: the learners in the user's scope (through
    `learners_visible_to`) who have a requirement of the plan in force, filtered, in the order
    department, unit, office, 工号, with each requirement's status from
    `plan_assignment_states` (the one definition) and the counts per status. Five queries,
    whatever the numbers of learners and requirements."""
    from courses.selectors import plan_assignment_states
    from departments.selectors import learner_match_q

    columns: dict[int, RosterColumn] = {}
    for course_id, title, position in (
            PlanRequirement.objects.filter(plan=plan).order_by("sort_order", "pk")
            .values_list("course_id", "course__title", "position")):
        column = columns.get(course_id)
        columns[course_id] = RosterColumn(
            course_id=course_id, title=title,
            positions=(*column.positions, position) if column else (position,))
    learners = learners_visible_to(user)
    if filters.department_id:
        learners = learners.filter(office__unit__department_id=filters.department_id)
    if filters.office_id:
        learners = learners.filter(office_id=filters.office_id)
    if filters.office_kind:
        learners = learners.filter(office__kind=filters.office_kind)
    if filters.position:
        learners = learners.filter(position=filters.position)
    match = learner_match_q(text=filters.text)
    if match is not None:
        learners = learners.filter(match)
    in_plan = PlanAssignment.objects.filter(
        requirement__plan=plan, withdrawn_at__isnull=True).values("user_id")
    learners = learners.filter(user_id__in=in_plan)
    ordered = list(learners.order_by(
        "office__unit__department__sort_order", "office__unit__department__code",
        "office__unit__code", "office__name", "staff_number").values_list("user_id", flat=True))
    states: dict[int, dict[int, object]] = {}
    counts: Counter = Counter()
    learners_total = len(ordered)
    if ordered:
        for state in plan_assignment_states(plan=plan, user_ids=learners.order_by()
                                            .values("user_id"), today=today):
            states.setdefault(state.user_id, {})[state.course_id] = state
            counts[state.status] += 1
    if filters.status:
        ordered = [user_id for user_id in ordered
                   if any(state.status == filters.status
                          for state in states.get(user_id, {}).values())]
    return PlanRoster(plan=plan, columns=list(columns.values()), user_ids=ordered,
                      states=states, status_counts=counts, learners_total=learners_total)


@dataclass
class PlanRosterRow:
    learner: Learner
    cells: list  # one AssignmentState or None per column


def plan_roster_rows(*, user, roster: PlanRoster, user_ids: list[int]) -> list[PlanRosterRow]:
    """The rows of one page of the roster: learners with office, unit and department (one
    query), each with a cell per column."""
    learners = {learner.user_id: learner for learner in learners_visible_to(user).filter(
        user_id__in=list(user_ids))}
    rows = []
    for user_id in user_ids:
        learner = learners.get(user_id)
        if learner is None:  # left the scope between the two reads
            continue
        by_course = roster.states.get(user_id, {})
        rows.append(PlanRosterRow(learner=learner, cells=[
            by_course.get(column.course_id) for column in roster.columns]))
    return rows
