"""Demo organisation for `seed_demo`: departments, units, offices, ~300 learners, demo accounts.

Built through the services (roster import, roles), idempotent: a second run changes nothing.
In the departments of `PROBLEM_DEPARTMENTS` only the finance offices' people have activated
accounts; their business offices are on the roster but have never been given a login, which is
the participation gap the bureau's report describes.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.contrib.auth.models import Group
from django.db import transaction

from departments import roles
from departments.demo_organisation import (
    DEMO_ACCOUNTS,
    DEPARTMENTS,
    PROBLEM_DEPARTMENTS,
    learners,
)
from departments.models import Department, DepartmentKind, Learner, OfficeKind
from departments.roster import RosterRow
from departments.services import initial_password_hasher, roles_ensure, roster_import

ORDER = 10  # seed_demo runs demo modules in this order: the organisation comes first.

# Every seeded learner with an activated account may log in with their 工号 and this password.
DEMO_LEARNER_PASSWORD = "Xuexi#2026demo"  # noqa: S105 - demo data, documented in README

ROLE_GROUPS = {
    "bureau_staff": roles.BUREAU_STAFF,
    "department_admin": roles.DEPARTMENT_ADMIN,
    "reviewer": roles.REVIEWER,
    "editor": roles.EDITOR,
    "learner": roles.LEARNER,
}

User = get_user_model()


@transaction.atomic
def seed(*, log) -> dict[str, int]:
    """Create or refresh the demo organisation and accounts; return counts for the summary."""
    groups = roles_ensure()
    report = roster_import(rows=[RosterRow(**row) for row in learners()])
    if report.errors:
        raise RuntimeError(f"demo roster is invalid: {report.errors[:3]}")
    log(f"roster: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged")
    _set_department_kinds()
    _activate_learner_accounts(groups[roles.LEARNER])
    _ensure_demo_accounts(groups)
    return {
        "departments": Department.objects.count(),
        "learners": Learner.objects.count(),
        "activated accounts": Learner.objects.exclude(
            user__password__startswith=UNUSABLE_PASSWORD_PREFIX).count(),
    }


def _set_department_kinds() -> None:
    """The roster has no column for the kind, so new departments start as city departments."""
    for position, data in enumerate(DEPARTMENTS):
        kind = DepartmentKind.DISTRICT if data["kind"] == "district" else DepartmentKind.CITY
        Department.objects.filter(code=data["code"]).exclude(
            kind=kind, sort_order=position).update(kind=kind, sort_order=position)


def _activate_learner_accounts(learner_group: Group) -> None:
    """Give every seeded learner the Learner role, and a demo password where none is set yet."""
    everyone = Learner.objects.select_related("user", "office__unit__department")
    members = set(learner_group.user_set.values_list("pk", flat=True))
    learner_group.user_set.add(*[lr.user for lr in everyone if lr.user_id not in members])
    to_activate = [
        lr.user for lr in everyone
        if not lr.user.has_usable_password()
        and not (lr.office.unit.department.code in PROBLEM_DEPARTMENTS
                 and lr.office.kind != OfficeKind.FINANCE)
    ]
    if to_activate:
        # One hash shared by all: hashing 300 passwords separately would only slow the seed.
        encoded = make_password(DEMO_LEARNER_PASSWORD, hasher=initial_password_hasher())
        for user in to_activate:
            user.password = encoded
        User.objects.bulk_update(to_activate, ["password"])


def _ensure_demo_accounts(groups: dict[str, Group]) -> None:
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(username=account["username"]).first()
        if user is None:
            user = User(username=account["username"], first_name=account["name"])
        if account["role"] == "superuser":
            user.is_superuser = user.is_staff = True
        if not user.check_password(account["password"]):
            user.set_password(account["password"])
        user.save()
        role = ROLE_GROUPS.get(account["role"])
        if role:
            user.groups.add(groups[role])
        if account["role"] == "department_admin":
            Department.objects.get(code=account["department_code"]).admins.add(user)
        Learner.objects.filter(user=user, must_change_password=True).update(
            must_change_password=False)
