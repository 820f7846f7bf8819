"""Writes: roles, roster import (and its background jobs), learner accounts and passwords."""

import contextlib
import dataclasses
import logging
import secrets
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import get_hasher, make_password
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_lazy as _

from departments import roles
from departments.models import (
    Department,
    Learner,
    LearnerTransfer,
    Office,
    RosterImportJob,
    Unit,
)
from departments.roster import (
    COL_DEPARTMENT_NAME,
    COL_STAFF_NUMBER,
    COL_UNIT_CODE,
    ERR_ACCOUNT_TAKEN,
    ERR_UNIT_EXISTS_ELSEWHERE,
    RosterRow,
    RowError,
    normalise_office_kind,
    normalise_position,
    roster_parse,
    roster_rows_dump,
    roster_rows_load,
    roster_validate,
)
from departments.selectors import learners_visible_to, privileged_users_q
from departments.signals import roster_changed_on_commit
from departments.validators import (
    staff_number_clean,
    staff_number_conflicts,
    staff_number_format_error,
    staff_number_normalise,
)

logger = logging.getLogger(__name__)
User = get_user_model()

ProgressCallback = Callable[[int, int], None]


# --- Roles --------------------------------------------------------------------------------------


def _permissions(names: Iterable[str]) -> list[Permission]:
    wanted = [tuple(name.split(".", 1)) for name in names]
    found = Permission.objects.filter(
        content_type__app_label__in={a for a, _ in wanted}, codename__in={c for _, c in wanted}
    ).select_related("content_type")
    by_key = {(p.content_type.app_label, p.codename): p for p in found}
    missing = [f"{a}.{c}" for a, c in wanted if (a, c) not in by_key]
    if missing:
        logger.warning("roles_ensure: permissions not found (yet): %s", ", ".join(missing))
    return [by_key[key] for key in wanted if key in by_key]


def roles_ensure() -> dict[str, Group]:
    """Create or complete the role groups and their permissions; safe to run any number of times.

    Adds what is missing and never removes permissions an administrator granted by hand.
    """
    from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

    groups = {}
    root_page = Page.get_first_root_node()
    root_collection = Collection.get_first_root_node()
    for name, perm_names in roles.GROUP_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(*_permissions(perm_names))
        groups[name] = group
        if root_page is not None:
            for perm in _permissions(
                f"wagtailcore.{kind}_page" for kind in roles.GROUP_PAGE_PERMISSIONS.get(name, [])
            ):
                GroupPagePermission.objects.get_or_create(
                    group=group, page=root_page, permission=perm
                )
        if root_collection is not None:
            for perm in _permissions(roles.GROUP_COLLECTION_PERMISSIONS.get(name, [])):
                GroupCollectionPermission.objects.get_or_create(
                    group=group, collection=root_collection, permission=perm
                )
    return groups


# --- Roster import ------------------------------------------------------------------------------


@dataclass
class RosterReport:
    """What a roster import did (or, on a dry run, would do)."""

    rows_total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    missing: list[dict] = field(default_factory=list)  # [{"staff_number", "name"}]
    departments_created: int = 0
    units_created: int = 0
    offices_created: int = 0
    by_office_kind: dict[str, int] = field(default_factory=dict)
    by_position: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        """JSON-safe form, stored on RosterImportJob.report."""
        return {
            "rows_total": self.rows_total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deactivated": self.deactivated,
            "missing": self.missing,
            "departments_created": self.departments_created,
            "units_created": self.units_created,
            "offices_created": self.offices_created,
            "by_office_kind": self.by_office_kind,
            "by_position": self.by_position,
            "errors": [e.as_dict() for e in self.errors],
            "dry_run": self.dry_run,
        }


class _DryRunRollback(Exception):
    pass


@contextlib.contextmanager
def _sqlite_real_param_limit():
    """SQLite's compile-time parameter limit is usually 250,000 but Django 5.2 assumes 999,
    which splits bulk writes into batches of ~90 rows. Use the real limit for this import only
    (Django 6.0 reads it the same way)."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    features = connection.features
    had_own = "max_query_params" in features.__dict__
    previous = features.max_query_params
    try:
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    except (AttributeError, sqlite3.Error):
        limit = previous
    features.max_query_params = max(previous, min(limit, 100_000))
    try:
        yield
    finally:
        if had_own:
            features.max_query_params = previous
        else:
            del features.max_query_params


def _unusable_password() -> str:
    # Same format as set_unusable_password(): no hashing, so bulk creation stays fast. People
    # log in after an administrator issues initial passwords (initial_passwords_issue).
    return "!" + get_random_string(40)


# Errors of a department admin's import that only the bureau can resolve.
ERR_LEARNER_OF_OTHER_DEPARTMENT = _(
    "Staff number %(value)s already belongs to another department; ask the finance bureau to "
    "move the learner."
)
ERR_LEARNER_MOVE_BUREAU_ONLY = _(
    "Staff number %(value)s belongs to department %(current)s, not %(department)s; only the "
    "finance bureau can move a learner to another department."
)
ERR_DEPARTMENT_RENAME_BUREAU_ONLY = _(
    "The department name “%(name)s” differs from the registered name “%(registered)s”; only "
    "the finance bureau can rename a department."
)


def roster_import(
    *,
    rows: list[RosterRow],
    deactivate_missing: bool = False,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    department_codes: set[str] | None = None,
    actor=None,
) -> RosterReport:
    """Import a roster all-or-nothing: create or update departments, units, offices and learners
    by 工号; report (and optionally deactivate) active learners of the file's departments who are
    not in it. With any error nothing is written.

    `department_codes` is a department admin's scope: rows of those departments only, learners
    who are in them now, no renamed department and no move between departments. `actor` is
    the user importing, recorded on the transfers a bureau import makes."""
    rows = [
        row if normalised == row.staff_number else dataclasses.replace(row, staff_number=normalised)
        for row in rows
        for normalised in (staff_number_normalise(row.staff_number),)
    ]
    report = RosterReport(rows_total=len(rows), dry_run=dry_run)
    with _sqlite_real_param_limit():
        try:
            # Checked inside the transaction that writes, with the learners' rows locked
            # (PostgreSQL), so the scope holds at write time, not only when the file was read.
            with transaction.atomic():
                report.errors, existing_units = _roster_errors(
                    rows, department_codes=department_codes
                )
                if report.errors:
                    report.errors.sort(key=lambda e: e.row or 0)
                    return report
                _roster_write(rows, report, existing_units, deactivate_missing, progress,
                              actor=actor)
                if dry_run:
                    raise _DryRunRollback
        except _DryRunRollback:
            pass
    return report


def _roster_errors(rows, *, department_codes) -> tuple[list[RowError], dict[str, Unit]]:
    """Every problem of the rows, alone, together and against the database; and the existing
    units by code (the writer needs them too)."""
    errors = roster_validate(rows, department_codes=department_codes)
    existing_units = Unit.objects.select_related("department").in_bulk(
        list({r.unit_code for r in rows if r.unit_code}), field_name="code"
    )
    reported_units = set()
    for row in rows:
        unit = existing_units.get(row.unit_code)
        if (
            unit
            and row.department_code
            and unit.department.code != row.department_code
            and row.unit_code not in reported_units
        ):
            reported_units.add(row.unit_code)
            errors.append(
                RowError(
                    row=row.row_number,
                    column=COL_UNIT_CODE,
                    message=str(
                        ERR_UNIT_EXISTS_ELSEWHERE
                        % {
                            "value": row.unit_code,
                            "existing": unit.department.code,
                            "department": row.department_code,
                        }
                    ),
                )
            )
    errors.extend(_account_link_errors(rows, department_codes=department_codes))
    errors.extend(_staff_number_conflict_errors(rows))
    if department_codes is not None:
        errors.extend(_department_scope_errors(rows, department_codes=department_codes))
    return errors, existing_units


def _staff_number_conflict_errors(rows) -> list[RowError]:
    """New 工号 that differ from an existing user name only in letter case, or look like an
    administrator account (departments.validators, the rule the learner form uses too)."""
    conflicts = staff_number_conflicts(
        r.staff_number for r in rows
        if r.staff_number and staff_number_format_error(r.staff_number) is None
    )
    return [
        RowError(row=row.row_number, column=COL_STAFF_NUMBER, message=conflicts[row.staff_number])
        for row in rows if row.staff_number in conflicts
    ]


def _department_scope_errors(rows, *, department_codes) -> list[RowError]:
    """A department admin may update only learners now in their departments, may not move one
    to another department and may not rename a department: those are the bureau's."""
    errors = []
    numbers = [r.staff_number for r in rows if r.staff_number]
    current = dict(
        Learner.objects.select_for_update(of=("self",))
        .filter(staff_number__in=numbers)
        .values_list("staff_number", "office__unit__department__code")
    )
    for row in rows:
        department = current.get(row.staff_number)
        if department is None:
            continue
        if department not in department_codes:
            message = ERR_LEARNER_OF_OTHER_DEPARTMENT % {"value": row.staff_number}
        elif row.department_code and department != row.department_code:
            message = ERR_LEARNER_MOVE_BUREAU_ONLY % {
                "value": row.staff_number, "current": department,
                "department": row.department_code,
            }
        else:
            continue
        errors.append(RowError(row=row.row_number, column=COL_STAFF_NUMBER, message=str(message)))
    registered = dict(
        Department.objects.filter(code__in={r.department_code for r in rows})
        .values_list("code", "name")
    )
    reported = set()
    for row in rows:
        name = registered.get(row.department_code)
        if (name is not None and row.department_name and row.department_name != name
                and row.department_code not in reported):
            reported.add(row.department_code)
            errors.append(RowError(
                row=row.row_number, column=COL_DEPARTMENT_NAME,
                message=str(ERR_DEPARTMENT_RENAME_BUREAU_ONLY
                            % {"name": row.department_name, "registered": name}),
            ))
    return errors


def _account_link_errors(rows, *, department_codes) -> list[RowError]:
    """A 工号 that is the user name of an existing account without a learner record would link
    that account to the imported person. Only the bureau may do that, and never for an account
    that can do more than learn (otherwise a department admin could import "admin" and then
    reset its password)."""
    numbers = [r.staff_number for r in rows if r.staff_number]
    unlinked = User.objects.filter(username__in=numbers, learner__isnull=True)
    if department_codes is None:  # bureau-wide import: plain accounts may be linked
        unlinked = unlinked.filter(privileged_users_q())
    refused = set(unlinked.values_list("username", flat=True))
    return [
        RowError(row=row.row_number, column=COL_STAFF_NUMBER,
                 message=str(ERR_ACCOUNT_TAKEN % {"value": row.staff_number}))
        for row in rows if row.staff_number in refused
    ]


def _roster_write(rows, report, units_by_code, deactivate_missing, progress, *, actor=None):
    total = len(rows)

    def step(done):
        if progress is not None:
            progress(min(done, total), total)

    step(0)
    # Departments
    dept_names = {r.department_code: r.department_name for r in rows}
    departments = Department.objects.in_bulk(list(dept_names), field_name="code")
    new_departments = [
        Department(code=c, name=n) for c, n in dept_names.items() if c not in departments
    ]
    renamed = []
    for code, dept in departments.items():
        if dept.name != dept_names[code]:
            dept.name = dept_names[code]
            renamed.append(dept)
    Department.objects.bulk_create(new_departments)
    Department.objects.bulk_update(renamed, ["name"])
    report.departments_created = len(new_departments)
    departments = Department.objects.in_bulk(list(dept_names), field_name="code")

    # Units
    unit_rows = {r.unit_code: r for r in rows}
    new_units = [
        Unit(code=c, name=r.unit_name, department=departments[r.department_code])
        for c, r in unit_rows.items()
        if c not in units_by_code
    ]
    renamed = []
    for code, unit in units_by_code.items():
        if unit.name != unit_rows[code].unit_name:
            unit.name = unit_rows[code].unit_name
            renamed.append(unit)
    Unit.objects.bulk_create(new_units)
    Unit.objects.bulk_update(renamed, ["name"])
    report.units_created = len(new_units)
    units = Unit.objects.in_bulk(list(unit_rows), field_name="code")

    # Offices, keyed by (unit code, office name)
    office_kinds = {
        (r.unit_code, r.office_name): normalise_office_kind(r.office_kind) for r in rows
    }
    unit_code_by_id = {u.pk: code for code, u in units.items()}
    existing_offices = {
        (unit_code_by_id[o.unit_id], o.name): o
        for o in Office.objects.filter(unit__in=list(units.values()))
    }
    new_offices = [
        Office(unit=units[uc], name=name, kind=kind)
        for (uc, name), kind in office_kinds.items()
        if (uc, name) not in existing_offices
    ]
    rekinded = []
    for key, office in existing_offices.items():
        if key in office_kinds and office.kind != office_kinds[key]:
            office.kind = office_kinds[key]
            rekinded.append(office)
    Office.objects.bulk_create(new_offices)
    Office.objects.bulk_update(rekinded, ["kind"])
    report.offices_created = len(new_offices)
    offices = {
        (unit_code_by_id[o.unit_id], o.name): o
        for o in Office.objects.filter(unit__in=list(units.values()))
    }
    step(total // 4)

    # Learners and their accounts
    staff_numbers = [r.staff_number for r in rows]
    # The current department as an annotation: selecting offices and units would build two more
    # model instances per row.
    learners = (
        Learner.objects.select_related("user")
        .annotate(current_department_id=F("office__unit__department_id"))
        .in_bulk(staff_numbers, field_name="staff_number")
    )
    accounts_without_learner = User.objects.filter(
        username__in=[s for s in staff_numbers if s not in learners], learner__isnull=True
    ).in_bulk(field_name="username")
    changed_users, changed_learners, new_users, new_learner_rows = [], [], [], []
    transfers = []
    # Learners whose plan membership may change (roster_changed): new, moved, re-positioned,
    # re-activated or deactivated. A changed phone or name alone does not count.
    membership_changed = []
    kinds, positions = Counter(), Counter()
    for row in rows:
        office = offices[(row.unit_code, row.office_name)]
        position = normalise_position(row.position)
        kinds[office.kind] += 1
        positions[position] += 1
        learner = learners.get(row.staff_number)
        if learner is None:
            user = accounts_without_learner.get(row.staff_number)
            if user is None:
                user = User(username=row.staff_number, password=_unusable_password())
                new_users.append(user)
            else:
                changed_users.append(user)
            user.first_name, user.email = row.name, row.email
            new_learner_rows.append((row, user, office, position))
            continue
        user = learner.user
        user_changed = (user.first_name, user.email) != (row.name, row.email)
        learner_changed = (
            learner.office_id,
            learner.position,
            learner.phone,
            learner.is_active,
        ) != (office.pk, position, row.phone, True)
        if user_changed:
            user.first_name, user.email = row.name, row.email
            changed_users.append(user)
        if learner_changed:
            if (learner.office_id, learner.position, learner.is_active) != (
                    office.pk, position, True):
                membership_changed.append(learner.pk)
            to_department_id = units[row.unit_code].department_id
            if learner.current_department_id != to_department_id:
                # Only a bureau import gets here: a department admin's is refused before.
                transfers.append(LearnerTransfer(
                    learner=learner, from_department_id=learner.current_department_id,
                    to_department_id=to_department_id, from_office_id=learner.office_id,
                    to_office=office, moved_by=actor, via=LearnerTransfer.Via.IMPORT,
                ))
            learner.office, learner.position, learner.phone = office, position, row.phone
            learner.is_active = True
            changed_learners.append(learner)
        if user_changed or learner_changed:
            report.updated += 1
        else:
            report.unchanged += 1
    User.objects.bulk_create(new_users)
    step(total // 2)
    User.objects.bulk_update(changed_users, ["first_name", "email"])
    now = timezone.now()
    for learner in changed_learners:
        learner.updated_at = now
    Learner.objects.bulk_update(
        changed_learners, ["office", "position", "phone", "is_active", "updated_at"]
    )
    new_learners = Learner.objects.bulk_create(
        [
            Learner(
                user=user,
                office=office,
                position=position,
                staff_number=row.staff_number,
                phone=row.phone,
                is_active=True,
            )
            for row, user, office, position in new_learner_rows
        ]
    )
    if any(learner.pk is None for learner in new_learners):  # a backend that returns no keys
        new_learners = Learner.objects.filter(
            staff_number__in=[row.staff_number for row, *_rest in new_learner_rows]).only("pk")
    membership_changed.extend(learner.pk for learner in new_learners)
    LearnerTransfer.objects.bulk_create(transfers)
    report.created = len(new_learner_rows)
    step(total * 3 // 4)

    # People of these departments who are not in the file
    missing = (
        Learner.objects.filter(office__unit__department__code__in=list(dept_names), is_active=True)
        .exclude(staff_number__in=staff_numbers)
        .select_related("user")
        .order_by("staff_number")
    )
    report.missing = [{"staff_number": m.staff_number, "name": m.user.first_name} for m in missing]
    if deactivate_missing and report.missing:
        report.deactivated = Learner.objects.filter(pk__in=[m.pk for m in missing]).update(
            is_active=False, updated_at=now
        )
        membership_changed.extend(m.pk for m in missing)
    roster_changed_on_commit(learner_ids=membership_changed)
    report.by_office_kind = dict(kinds)
    report.by_position = dict(positions)
    step(total)


def roster_import_file(
    *,
    data: bytes,
    filename: str,
    deactivate_missing: bool = False,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    department_codes: set[str] | None = None,
    actor=None,
) -> RosterReport:
    """Parse a roster file and import it (see roster_import); parse errors write nothing."""
    parsed = roster_parse(data=data, filename=filename)
    if parsed.errors:
        return RosterReport(rows_total=len(parsed.rows), errors=parsed.errors, dry_run=dry_run)
    return roster_import(
        rows=parsed.rows,
        deactivate_missing=deactivate_missing,
        dry_run=dry_run,
        progress=progress,
        department_codes=department_codes,
        actor=actor,
    )


# --- Background import jobs ---------------------------------------------------------------------

ROSTER_PREVIEW_ROWS = 20  # rows shown on the preview page, stored with the job
ROSTER_ROWS_SUFFIX = ".rows.json"
ERR_ROWS_GONE = _("The uploaded roster is no longer available; upload the file again.")


def roster_job_upload(
    *,
    user,
    uploaded_file,
    deactivate_missing: bool = False,
) -> RosterImportJob:
    """Parse an uploaded roster once, preview it (a dry run) and keep the parsed rows for the
    import; nothing is imported yet."""
    limit = settings.ROSTER_MAX_UPLOAD_BYTES
    data = uploaded_file.read(limit + 1)
    name = (getattr(uploaded_file, "name", "") or "roster")[-255:]
    job = RosterImportJob(
        created_by=user, original_name=name, deactivate_missing=deactivate_missing
    )
    # The file is read here and only here: the preview page shows the stored sample and the
    # job imports the stored rows, so a costly file is never parsed twice.
    parsed = roster_parse(data=data, filename=name)
    if parsed.errors:
        preview = RosterReport(rows_total=len(parsed.rows), errors=parsed.errors, dry_run=True)
    else:
        preview = roster_import(
            rows=parsed.rows,
            dry_run=True,
            deactivate_missing=deactivate_missing,
            department_codes=_user_department_codes(user),
            actor=user,
        )
    job.rows_total = preview.rows_total
    job.report = {"preview": preview.as_dict()}
    if preview.errors:
        job.status = RosterImportJob.Status.FAILED
        job.finished_at = timezone.now()
        job.report = preview.as_dict() | {"preview": preview.as_dict()}
    else:
        job.report["sample_rows"] = [
            dataclasses.asdict(row) for row in parsed.rows[:ROSTER_PREVIEW_ROWS]
        ]
        job.file.save(
            f"{Path(name).stem or 'roster'}{ROSTER_ROWS_SUFFIX}",
            ContentFile(roster_rows_dump(parsed.rows)),
            save=False,
        )
    job.save()
    return job


def roster_job_confirm(*, job: RosterImportJob, user) -> RosterImportJob:
    """Import a previewed upload: small files now, large ones in the worker (after commit).

    Only the uploader (or bureau staff) may confirm; the import itself runs with the uploader's
    scope as it is when it runs (roster_job_run), not as it was at upload."""
    from departments.selectors import roster_jobs_visible_to
    from departments.tasks import roster_import_job_run

    if _user_department_codes(user) == set() or not roster_jobs_visible_to(user).filter(
        pk=job.pk
    ).exists():
        raise PermissionDenied
    updated = RosterImportJob.objects.filter(
        pk=job.pk, status=RosterImportJob.Status.UPLOADED
    ).update(status=RosterImportJob.Status.PENDING)
    if not updated:
        job.refresh_from_db()
        return job
    if job.rows_total > settings.ROSTER_ASYNC_THRESHOLD:
        transaction.on_commit(lambda: roster_import_job_run.delay(job.pk))
    else:
        roster_job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def _user_department_codes(user) -> set[str] | None:
    """None for bureau staff (any department); else the codes of the departments they manage
    now. Empty for a user who may not import (anymore): removed, deactivated, without the
    permission, or no longer a department admin, so every row of their job is refused."""
    from departments.selectors import departments_visible_to, user_is_bureau

    if user is None or not user.is_active or not user.has_perm(
        "departments.add_rosterimportjob"
    ):
        return set()
    if user_is_bureau(user):
        return None
    return set(departments_visible_to(user).values_list("code", flat=True))


def roster_job_run(*, job_id: int) -> RosterImportJob | None:
    """Run a queued import job; a job already claimed or finished is left alone."""
    # Claimed with a conditional UPDATE so a redelivered task is a no-op.
    claimed = RosterImportJob.objects.filter(
        pk=job_id, status=RosterImportJob.Status.PENDING
    ).update(status=RosterImportJob.Status.RUNNING, started_at=timezone.now())
    if not claimed:
        return None
    job = RosterImportJob.objects.select_related("created_by").get(pk=job_id)

    def progress(done, total):
        RosterImportJob.objects.filter(pk=job_id).update(rows_done=done, rows_total=total)

    try:
        with job.file.open("rb") as handle:
            rows = roster_rows_load(handle.read())
    except (OSError, ValueError, TypeError):
        # The stored rows are gone (cleaned up) or were stored in an older form.
        RosterImportJob.objects.filter(pk=job_id).update(
            status=RosterImportJob.Status.FAILED,
            finished_at=timezone.now(),
            report={"errors": [RowError(row=None, column="", message=str(ERR_ROWS_GONE))
                               .as_dict()]},
        )
        job.refresh_from_db()
        return job
    try:
        report = roster_import(
            rows=rows,
            deactivate_missing=job.deactivate_missing,
            progress=progress,
            department_codes=_user_department_codes(job.created_by),
            actor=job.created_by,
        )
    except Exception:
        logger.exception("roster import job %s failed", job_id)
        RosterImportJob.objects.filter(pk=job_id).update(
            status=RosterImportJob.Status.FAILED,
            finished_at=timezone.now(),
            report={
                "errors": [
                    {
                        "row": None,
                        "column": "",
                        "message": "internal error",
                        "text": "internal error",
                    }
                ]
            },
        )
        raise
    status = RosterImportJob.Status.SUCCEEDED if report.ok else RosterImportJob.Status.FAILED
    RosterImportJob.objects.filter(pk=job_id).update(
        status=status,
        finished_at=timezone.now(),
        report=report.as_dict(),
        rows_done=report.rows_total if report.ok else 0,
        rows_total=report.rows_total,
    )
    job.refresh_from_db()
    return job


def roster_jobs_cleanup(*, older_than: timedelta = timedelta(days=7)) -> int:
    """Delete uploaded files of finished (or never confirmed) jobs older than `older_than`;
    the job records and their reports are kept."""
    cutoff = timezone.now() - older_than
    finished = Q(
        status__in=[RosterImportJob.Status.SUCCEEDED, RosterImportJob.Status.FAILED],
        finished_at__lt=cutoff,
    )
    never_confirmed = Q(status=RosterImportJob.Status.UPLOADED, created_at__lt=cutoff)
    jobs = list(RosterImportJob.objects.filter(finished | never_confirmed).exclude(file=""))
    for job in jobs:
        job.file.delete(save=False)
    RosterImportJob.objects.filter(pk__in=[j.pk for j in jobs]).update(file="")
    return len(jobs)


# --- Accounts and passwords ---------------------------------------------------------------------

# Initial passwords are random (about 57 bits), shown once and must be changed at first login.
# Their entropy, not key stretching, protects them, so they are hashed with a fast PBKDF2 variant
# when it is configured (departments.hashers.InitialPasswordHasher): issuing passwords for a
# whole department stays fast. Django re-hashes with the default hasher on the forced change.
INITIAL_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105
INITIAL_PASSWORD_LENGTH = 10
ERR_PRIVILEGED_RESET = _(
    "This account has administrative rights; its password can only be changed by its owner "
    "or a superuser in the user administration."
)


def initial_password_hasher():
    try:
        return get_hasher("pbkdf2_sha256_initial")
    except ValueError:
        return get_hasher("default")


def initial_password_generate() -> str:
    return "".join(
        secrets.choice(INITIAL_PASSWORD_ALPHABET) for _ in range(INITIAL_PASSWORD_LENGTH)
    )


@dataclass(frozen=True)
class IssuedPassword:
    staff_number: str
    name: str
    department: str
    unit: str
    office: str
    password: str


ERR_LEARNER_OUT_OF_SCOPE = _(
    "You may only manage learners of your own department; the selection includes learners who "
    "are not (or no longer) in it."
)


@transaction.atomic
def initial_passwords_issue(*, learners: Iterable[Learner], user) -> list[IssuedPassword]:
    """Give each learner a new one-time password and force a change at next login.

    The learners are read again, locked, through `user`'s scope: one who is not (or no longer)
    in it refuses the whole batch. Administrators' accounts are skipped. The plain passwords are
    returned once (for the download) and never stored."""
    wanted = {lr.pk for lr in learners}
    learners = list(
        learners_visible_to(user).select_for_update(of=("self",)).filter(pk__in=wanted)
    )
    if len(learners) != len(wanted):
        raise PermissionDenied(ERR_LEARNER_OUT_OF_SCOPE)
    # Never reset an administrator's password through the learner tools.
    privileged = set(User.objects.filter(pk__in=[lr.user_id for lr in learners])
                     .filter(privileged_users_q()).values_list("pk", flat=True))
    learners = [lr for lr in learners if lr.user_id not in privileged]
    hasher = initial_password_hasher()
    issued, users = [], []
    for learner in learners:
        password = initial_password_generate()
        user_account = learner.user
        user_account.password = make_password(password, hasher=hasher)
        users.append(user_account)
        issued.append(
            IssuedPassword(
                staff_number=learner.staff_number,
                name=user_account.first_name,
                department=learner.office.unit.department.name,
                unit=learner.office.unit.name,
                office=learner.office.name,
                password=password,
            )
        )
    User.objects.bulk_update(users, ["password"])
    Learner.objects.filter(pk__in=[lr.pk for lr in learners]).update(
        must_change_password=True, updated_at=timezone.now()
    )
    return issued


def learner_password_reset(*, learner: Learner, user) -> str:
    """Reset one learner's password to a new one-time password; returns it to show once."""
    issued = initial_passwords_issue(learners=[learner], user=user)
    if not issued:
        raise PermissionDenied(ERR_PRIVILEGED_RESET)
    return issued[0].password


def learner_password_changed(*, user) -> None:
    """Clear the forced-change flag after the learner chose their own password."""
    Learner.objects.filter(user=user, must_change_password=True).update(
        must_change_password=False, updated_at=timezone.now()
    )


@transaction.atomic
def learner_create(
    *,
    staff_number: str,
    name: str,
    office: Office,
    position: str,
    phone: str = "",
    email: str = "",
    is_active: bool = True,
) -> Learner:
    """Create a learner together with their user account (username = 工号)."""
    staff_number = staff_number_clean(staff_number)
    user = User(username=staff_number, first_name=name, email=email, password=_unusable_password())
    user.full_clean(exclude=["password"])
    user.save()
    learner = Learner(
        user=user,
        office=office,
        position=position,
        staff_number=staff_number,
        phone=phone,
        is_active=is_active,
    )
    learner.full_clean()
    learner.save()
    roster_changed_on_commit(learner_ids=[learner.pk])
    return learner


def learner_transfer_record(
    *, learner: Learner, from_office: Office, to_office: Office, moved_by, via: str
) -> LearnerTransfer | None:
    """Record a learner's move to another department in the audit log (same department: none)."""
    from_department_id = from_office.unit.department_id
    to_department_id = to_office.unit.department_id
    if from_department_id == to_department_id:
        return None
    return LearnerTransfer.objects.create(
        learner=learner, from_department_id=from_department_id,
        to_department_id=to_department_id, from_office=from_office, to_office=to_office,
        moved_by=moved_by, via=via,
    )
