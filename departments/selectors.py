"""Reads: who may see which departments, units, offices and learners, with the joins inside."""

from django.db.models import Q, QuerySet

from departments import roles
from departments.models import Department, Learner, Office, RosterImportJob, Unit


def privileged_users_q(prefix: str = "") -> Q:
    """Accounts that may do more than learn: superusers, staff, and members of any role group
    other than Learner. Learner tools (roster linking, password resets) never touch them."""
    groups = [roles.DEPARTMENT_ADMIN, roles.BUREAU_STAFF, roles.REVIEWER, roles.EDITOR]
    return (Q(**{f"{prefix}is_superuser": True}) | Q(**{f"{prefix}is_staff": True})
            | Q(**{f"{prefix}groups__name__in": groups}))


def user_is_bureau(user) -> bool:
    """Superusers and bureau staff (绩效科) see every department."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name=roles.BUREAU_STAFF).exists()


def user_is_department_admin(user) -> bool:
    """Department admins (单位管理员) manage the departments they are listed on."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.groups.filter(name=roles.DEPARTMENT_ADMIN).exists()


def _scope_department_ids(user) -> list[int] | None:
    """None means "all departments"; a list (possibly empty) limits the scope."""
    if user_is_bureau(user):
        return None
    if user_is_department_admin(user):
        return list(user.administered_departments.values_list("pk", flat=True))
    return []


def departments_visible_to(user) -> QuerySet[Department]:
    """Departments this user may see in lists and reports."""
    ids = _scope_department_ids(user)
    qs = Department.objects.all()
    return qs if ids is None else qs.filter(pk__in=ids)


def units_visible_to(user) -> QuerySet[Unit]:
    """Budget units this user may see."""
    ids = _scope_department_ids(user)
    qs = Unit.objects.select_related("department")
    return qs if ids is None else qs.filter(department_id__in=ids)


def offices_visible_to(user) -> QuerySet[Office]:
    """Offices this user may see."""
    ids = _scope_department_ids(user)
    qs = Office.objects.select_related("unit__department")
    return qs if ids is None else qs.filter(unit__department_id__in=ids)


def learners_visible_to(user) -> QuerySet[Learner]:
    """Learners this user may see, with their account, office, unit and department joined."""
    ids = _scope_department_ids(user)
    qs = Learner.objects.select_related("user", "office__unit__department")
    return qs if ids is None else qs.filter(office__unit__department_id__in=ids)


def roster_jobs_visible_to(user) -> QuerySet[RosterImportJob]:
    """Import jobs: bureau staff see all, others only their own uploads."""
    qs = RosterImportJob.objects.select_related("created_by")
    if user_is_bureau(user):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(created_by=user)


def learners_by_staff_numbers(*, staff_numbers) -> dict[str, Learner]:
    """Existing learners keyed by 工号, in one query."""
    return Learner.objects.select_related("user", "office__unit__department").in_bulk(
        list(staff_numbers), field_name="staff_number"
    )


def learner_of(*, user) -> Learner | None:
    """The learner record of this user, with office, unit and department, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Learner.objects.select_related("office__unit__department").filter(user=user).first()
    )


def roster_summary_visible_to(user) -> QuerySet[Department]:
    """Per visible department: learners on the roster, by office kind and position, and how many
    have an activated account (a usable password) — business offices counted on their own,
    because their absence is the gap the bureau watches. One query, whatever the size."""
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.db.models import Count, Q

    from departments.models import OfficeKind, Position

    on_roster = Q(units__offices__learners__is_active=True)
    activated = on_roster & ~Q(
        units__offices__learners__user__password__startswith=UNUSABLE_PASSWORD_PREFIX)
    business = Q(units__offices__kind=OfficeKind.BUSINESS)
    return departments_visible_to(user).annotate(
        learners_total=Count("units__offices__learners", filter=on_roster),
        heads=Count("units__offices__learners",
                    filter=on_roster & Q(units__offices__learners__position=Position.HEAD)),
        business_learners=Count("units__offices__learners", filter=on_roster & business),
        activated_total=Count("units__offices__learners", filter=activated),
        business_activated=Count("units__offices__learners", filter=activated & business),
    ).order_by("sort_order", "code")
