"""Reads: who may see which departments, units, offices and learners, with the joins inside."""

from django.db.models import Q, QuerySet

from departments import roles
from departments.models import (
    Department,
    Learner,
    LearnerTransfer,
    Office,
    RosterImportJob,
    Unit,
)


def privileged_users_q(prefix: str = "") -> Q:
    """Accounts that may do more than learn: superusers, staff, and members of any role group
    other than Learner. Learner tools (roster linking, password resets) never touch them."""
    groups = [roles.DEPARTMENT_ADMIN, roles.BUREAU_STAFF, roles.REVIEWER, roles.EDITOR]
    return (Q(**{f"{prefix}is_superuser": True}) | Q(**{f"{prefix}is_staff": True})
            | Q(**{f"{prefix}groups__name__in": groups}))


# Role and scope answers are kept on the user object, as Django's ModelBackend keeps
# `_perm_cache`: an admin listing asks them for every row (buttons, menu items, querysets), and
# `request.user` is loaded afresh for each request, so one request never sees a stale answer.
_ROLE_CACHE = "_jixiao_role_names"
_SCOPE_CACHE = "_jixiao_scope_department_ids"


def _user_role_names(user) -> frozenset[str]:
    """The names of the user's groups, read once per user object."""
    names = getattr(user, _ROLE_CACHE, None)
    if names is None:
        names = frozenset(user.groups.values_list("name", flat=True))
        setattr(user, _ROLE_CACHE, names)
    return names


def user_roles_forget(user) -> None:
    """Drop the cached role and scope answers (after changing the user's groups or
    departments on the same object)."""
    for attribute in (_ROLE_CACHE, _SCOPE_CACHE):
        if hasattr(user, attribute):
            delattr(user, attribute)


def user_is_bureau(user) -> bool:
    """Superusers and bureau staff (绩效科) see every department."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return roles.BUREAU_STAFF in _user_role_names(user)


def user_is_department_admin(user) -> bool:
    """Department admins (单位管理员) manage the departments they are listed on."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return roles.DEPARTMENT_ADMIN in _user_role_names(user)


def bureau_users() -> QuerySet:
    """The active accounts `user_is_bureau` answers yes for (superusers and bureau staff): who
    may answer appeals and see every department. One query, however many there are."""
    from django.contrib.auth import get_user_model

    return (get_user_model().objects.filter(is_active=True)
            .filter(Q(is_superuser=True) | Q(groups__name=roles.BUREAU_STAFF)).distinct()
            .order_by("pk"))


def department_admin_users(*, department_id: int) -> QuerySet:
    """The department's current admins: active accounts in the department admin role listed on
    the department (what `user_is_department_admin` and the admin's scope require)."""
    from django.contrib.auth import get_user_model

    return (get_user_model().objects
            .filter(is_active=True, groups__name=roles.DEPARTMENT_ADMIN,
                    administered_departments__pk=department_id).distinct().order_by("pk"))


def _scope_department_ids(user) -> list[int] | None:
    """None means "all departments"; a list (possibly empty) limits the scope."""
    if user_is_bureau(user):
        return None
    if not user_is_department_admin(user):
        return []
    ids = getattr(user, _SCOPE_CACHE, None)
    if ids is None:
        ids = tuple(user.administered_departments.values_list("pk", flat=True))
        setattr(user, _SCOPE_CACHE, ids)
    return list(ids)


def user_has_department_scope(user) -> bool:
    """True for bureau staff and for department admins listed on at least one department."""
    return _scope_department_ids(user) != []


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


def learner_transfers_visible_to(user) -> QuerySet[LearnerTransfer]:
    """The transfer audit log: bureau staff only (department admins see none of it)."""
    if not user_is_bureau(user):
        return LearnerTransfer.objects.none()
    return LearnerTransfer.objects.select_related(
        "learner__user", "from_department", "to_department", "from_office__unit",
        "to_office__unit", "moved_by",
    )


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


def learner_match_q(*, text: str, prefix: str = "") -> Q | None:
    """Learners whose name or 工号 contains the text (NFKC-folded, so full-width digits match);
    `prefix` reaches the learner from another model ("user__learner__"). None for no text."""
    import unicodedata

    text = unicodedata.normalize("NFKC", text or "").strip()[:64]
    if not text:
        return None
    return (Q(**{f"{prefix}user__first_name__icontains": text})
            | Q(**{f"{prefix}user__last_name__icontains": text})
            | Q(**{f"{prefix}staff_number__icontains": text}))


def learners_matching(*, learners: QuerySet[Learner], query: str, limit: int = 20
                      ) -> list[Learner]:
    """Learner pickers: the learners of a scoped queryset whose name or 工号 contains the
    text, at most `limit`, by 工号 (one query)."""
    match = learner_match_q(text=query)
    if match is None:
        return []
    return list(learners.filter(match).select_related(
        "user", "office__unit__department").order_by("staff_number")[:limit])


def learner_picker_results(*, learners: QuerySet[Learner], query: str, limit: int = 20
                           ) -> list[dict]:
    """The JSON a learner picker shows: the account id it filters by and "name (工号) ·
    department" to read."""
    return [{"id": learner.user_id, "staff_number": learner.staff_number,
             "label": f"{learner.user.get_full_name() or learner.user.username} "
                      f"({learner.staff_number}) · {learner.office.unit.department.name}"}
            for learner in learners_matching(learners=learners, query=query, limit=limit)]
