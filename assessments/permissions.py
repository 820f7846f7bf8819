"""Who may see and do what in the assessment pages: one place, imported by every admin module.

Bureau staff and superusers see every department and do everything the bureau does (compute,
override, manual points, lock and unlock, answer appeals, edit schemes, the overview of all
departments). A department admin listed on at least one department sees exactly those
departments: their department page, their score sheet (read), appeals on their own sheet and
exports of their own department. Any other department's id answers 404, as an unknown id does, so
a department admin cannot even learn which ids exist. Learners and editors see none of it.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from departments.models import Department
from departments.selectors import (
    departments_visible_to,
    user_has_department_scope,
    user_is_bureau,
    user_is_department_admin,
)

# Larger ids cannot be a row of a PostgreSQL bigint column: answer 404 before querying.
MAX_ID = 2**63 - 1

__all__ = [
    "MAX_ID",
    "department_for",
    "departments_in_scope",
    "user_is_bureau",
    "user_may_view_assessment",
]


def user_may_view_assessment(user) -> bool:
    """Bureau staff (all departments) and department admins listed on a department (theirs)."""
    return user_is_bureau(user) or (user_is_department_admin(user)
                                    and user_has_department_scope(user))


def departments_in_scope(user) -> QuerySet[Department]:
    """The departments whose assessment pages this user may see (none for learners)."""
    if not user_may_view_assessment(user):
        return Department.objects.none()
    return departments_visible_to(user)


def department_for(user, department_id) -> Department:
    """The department with this id if the user may see it; Http404 for a foreign, unknown or
    malformed id (the same answer, so ids outside the scope reveal nothing)."""
    if isinstance(department_id, str):
        if not (department_id.isascii() and department_id.isdigit()):
            raise Http404  # int() would also accept " 1", "+1" and "１"
        department_id = int(department_id)
    if not isinstance(department_id, int) or not 1 <= department_id <= MAX_ID:
        raise Http404
    department = departments_in_scope(user).filter(pk=department_id).first()
    if department is None:
        raise Http404
    return department
