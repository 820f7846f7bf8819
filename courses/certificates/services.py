"""Writes for certificates: issue every certificate that is due (in bulk, idempotent) and revoke
one. The printed fields are a snapshot taken at issue time."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, Exists, OuterRef, Value, When
from django.db.models.functions import Cast, Concat, LPad
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from courses.certificates.selectors import CODE_LENGTH
from courses.models import (
    Certificate,
    Enrolment,
    EnrolmentStatus,
    Notification,
    NotificationKind,
    TrainingPlan,
)
from courses.notifications.services import notifications_create_many
from courses.selectors import RequirementStatus, plan_assignment_states
from departments.selectors import user_is_bureau

# Verification codes are digits only: unambiguous when read aloud or typed on a phone keypad, and
# free of Latin letters on Chinese pages. 16 digits give 10^16 codes: with the per-IP limit on the
# verification page, guessing one that exists is hopeless.
CODE_ALPHABET = "0123456789"
# 绩效 (jixiao): the serial is JX<year of issue>-<sequence>, the sequence taken from the row's
# primary key after the insert, so two parallel issuers can never hand out the same number.
SERIAL_PREFIX = "JX"
SERIAL_DIGITS = 6
# Until the insert returns the key, a row holds "~" + its (unique) code as its serial.
PLACEHOLDER_PREFIX = "~"
BATCH_SIZE = 500
REASON_MAX_LENGTH = 500

ERROR_REASON_REQUIRED = _("Give the reason for revoking the certificate.")
ERROR_REASON_TOO_LONG = _("Keep the reason to at most %(max)s characters.")
ERROR_REASON_INVALID = _("The reason contains characters that cannot be saved.")
ERROR_NOT_BUREAU = _("Only bureau staff can revoke certificates.")
ERROR_ALREADY_REVOKED = _("This certificate has already been revoked.")

# A plan is done when every assignment in force is one of these, and at least one was completed
# (a learner exempted from everything gets no certificate).
_FINISHED_STATUSES = {RequirementStatus.COMPLETED, RequirementStatus.COMPLETED_LATE,
                      RequirementStatus.EXEMPT}
_DONE_STATUSES = {RequirementStatus.COMPLETED, RequirementStatus.COMPLETED_LATE}


def certificate_code_new() -> str:
    """A fresh random verification code (16 digits from `secrets`)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def certificate_serial(*, issued_at: dt.datetime, pk: int) -> str:
    """JX2026-000123: the year of issue (site time zone) and the row's sequence number."""
    return f"{SERIAL_PREFIX}{timezone.localtime(issued_at).year}-{pk:0{SERIAL_DIGITS}d}"


@dataclass
class _Due:
    user_id: int
    title: str
    credit_hours: Decimal
    plan_id: int | None = None
    course_id: int | None = None


def _plan_certificates_due(*, plan: TrainingPlan, user_ids: list[int] | None,
                           today: dt.date) -> list[_Due]:
    """Learners who finished the plan (by `plan_assignment_states`) and hold no certificate of
    it, revoked ones included: a revoked certificate is never issued again automatically."""
    by_user: dict[int, list] = {}
    for state in plan_assignment_states(plan=plan, user_ids=user_ids, today=today):
        by_user.setdefault(state.user_id, []).append(state)
    finished = {
        user_id: {state.course_id for state in states if state.status in _DONE_STATUSES}
        for user_id, states in by_user.items()
        if all(state.status in _FINISHED_STATUSES for state in states)
        and any(state.status in _DONE_STATUSES for state in states)}
    if not finished:
        return []
    issued = Certificate.objects.filter(plan=plan)
    if user_ids is not None:
        issued = issued.filter(user_id__in=user_ids)
    for user_id in issued.values_list("user_id", flat=True):
        finished.pop(user_id, None)
    if not finished:
        return []
    course_ids = set().union(*finished.values())
    enrolments = Enrolment.objects.filter(course_id__in=course_ids,
                                          status=EnrolmentStatus.COMPLETED)
    if user_ids is not None:
        enrolments = enrolments.filter(user_id__in=user_ids)
    hours = {(user_id, course_id): credited for user_id, course_id, credited
             in enrolments.values_list("user_id", "course_id", "credited_hours")}
    return [
        _Due(user_id=user_id, plan_id=plan.pk, title=plan.title,
             credit_hours=sum((hours.get((user_id, course_id), Decimal("0"))
                               for course_id in done_courses), Decimal("0")))
        for user_id, done_courses in sorted(finished.items())]


def _course_certificates_due(*, user_ids: list[int] | None) -> list[_Due]:
    """Completed enrolments in courses that issue their own certificate, without one yet."""
    issued = Certificate.objects.filter(user_id=OuterRef("user_id"),
                                        course_id=OuterRef("course_id"))
    enrolments = (Enrolment.objects
                  .filter(status=EnrolmentStatus.COMPLETED, course__issues_certificate=True)
                  .filter(~Exists(issued)).order_by("user_id", "course_id"))
    if user_ids is not None:
        enrolments = enrolments.filter(user_id__in=user_ids)
    return [_Due(user_id=user_id, course_id=course_id, title=title, credit_hours=hours)
            for user_id, course_id, title, hours in enrolments.values_list(
                "user_id", "course_id", "course__title", "course__credit_hours")]


def _holders(user_ids: set[int]) -> dict[int, tuple[str, str]]:
    """Name and department to print, per user (one query per batch of users)."""
    holders = {}
    ids = sorted(user_ids)
    for start in range(0, len(ids), BATCH_SIZE):
        rows = get_user_model().objects.filter(pk__in=ids[start:start + BATCH_SIZE]).values_list(
            "pk", "first_name", "last_name", "username", "learner__office__unit__department__name")
        for pk, first_name, last_name, username, department in rows:
            # Roster learners always have a name; only accounts outside the roster (staff) may
            # fall back to their login name.
            name = " ".join(part for part in (first_name.strip(), last_name.strip()) if part)
            holders[pk] = ((name or username)[:150], (department or "")[:200])
    return holders


def _notifications(certificates: list[Certificate]) -> list[Notification]:
    """The in-app notice of each new certificate, in its holder's language (as the other
    stored notices: `courses.notifications.selectors.recipient_language`), in one query."""
    from courses.notifications.selectors import recipient_languages

    # Translated once per language and reversed once per batch: the serial is a plain path
    # segment.
    url = reverse("certificates:detail", args=["SERIAL"])
    chosen = recipient_languages(user_ids={certificate.user_id for certificate in certificates})
    texts: dict[str, tuple[str, str]] = {}
    for language in set(chosen.values()):
        with translation.override(language):
            texts[language] = (
                gettext("Certificate issued: %(title)s"),
                gettext("Certificate %(serial)s, %(hours)s credit hours. Download it as a PDF "
                        "from the certificate page."))
    notices = []
    for certificate in certificates:
        title, body = texts[chosen.get(certificate.user_id)]
        notices.append(Notification(
            user_id=certificate.user_id, kind=NotificationKind.CERTIFICATE,
            title=(title % {"title": certificate.title})[:255],
            body=body % {"serial": certificate.serial, "hours": certificate.credit_hours},
            url=url.replace("SERIAL", certificate.serial),
            created_at=certificate.issued_at))
    return notices


def _number_and_notify(certificates: list[Certificate]) -> None:
    """Give inserted rows their serial (from the primary key) and notify their holders.

    One UPDATE for the whole batch, computed in SQL from each row's key (the same formula as
    `certificate_serial`): the rows of one run share their issue time, hence the year."""
    missing = [c for c in certificates if c.pk is None]
    if missing:  # a database that does not return keys from a bulk insert
        pks = dict(Certificate.objects.filter(code__in=[c.code for c in missing])
                   .values_list("code", "pk"))
        for certificate in missing:
            certificate.pk = pks[certificate.code]
    by_issue: dict[dt.datetime, list[Certificate]] = {}
    for certificate in certificates:
        certificate.serial = certificate_serial(issued_at=certificate.issued_at,
                                                pk=certificate.pk)
        by_issue.setdefault(certificate.issued_at, []).append(certificate)
    for issued_at, rows in by_issue.items():
        number = Cast("pk", output_field=CharField())
        prefix = f"{SERIAL_PREFIX}{timezone.localtime(issued_at).year}-"
        Certificate.objects.filter(
            pk__gte=min(c.pk for c in rows), pk__lte=max(c.pk for c in rows),
            issued_at=issued_at, serial__startswith=PLACEHOLDER_PREFIX,
        ).update(serial=Concat(Value(prefix), Case(
            When(pk__lt=10 ** SERIAL_DIGITS, then=LPad(number, SERIAL_DIGITS, Value("0"))),
            default=number), output_field=CharField()))
    notifications_create_many(_notifications(certificates), batch_size=BATCH_SIZE)


def _insert(rows: list[Certificate]) -> list[Certificate]:
    try:
        with transaction.atomic():
            Certificate.objects.bulk_create(rows, batch_size=BATCH_SIZE)
            _number_and_notify(rows)
        return rows
    except IntegrityError:
        pass
    # A parallel run (the nightly task and the hook after a completion) issued some of these
    # first, or a random code repeated: one row at a time, skipping what exists by now.
    created = []
    for row in rows:
        row.pk = None
        row._state.adding = True
        row.code = certificate_code_new()
        row.serial = f"{PLACEHOLDER_PREFIX}{row.code}"
        try:
            with transaction.atomic():
                row.save(force_insert=True)
                _number_and_notify([row])
        except IntegrityError:
            continue
        created.append(row)
    return created


def certificates_issue_due(*, user_ids=None, plan: TrainingPlan | None = None,
                           now: dt.datetime | None = None) -> list[Certificate]:
    """Issue every certificate that is due and missing; the new certificates.

    A plan certificate when a learner has at least one assignment in force of a published plan
    and every one of them is completed, completed late or exempt (at least one completed); a
    course certificate for each completed enrolment in a course that issues its own. Limited to
    `user_ids` and/or one `plan` (then no course certificates). Idempotent: certificates are
    unique per learner and plan or course, so a second run issues nothing. A fixed number of
    queries per plan and per batch of 500 new certificates, whatever the number of learners.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    if user_ids is not None:
        user_ids = sorted(set(user_ids))
        if not user_ids:
            return []
    plans = TrainingPlan.objects.filter(published_at__isnull=False)
    if plan is not None:
        plans = plans.filter(pk=plan.pk)
    if user_ids is not None:
        plans = plans.filter(pk__in=TrainingPlan.objects.filter(
            requirements__assignments__user_id__in=user_ids).values("pk"))
    due: list[_Due] = []
    for plan_ in plans.order_by("pk"):
        due += _plan_certificates_due(plan=plan_, user_ids=user_ids, today=today)
    if plan is None:
        due += _course_certificates_due(user_ids=user_ids)
    if not due:
        return []
    holders = _holders({item.user_id for item in due})
    created: list[Certificate] = []
    for start in range(0, len(due), BATCH_SIZE):
        rows = []
        for item in due[start:start + BATCH_SIZE]:
            code = certificate_code_new()
            name, department = holders.get(item.user_id, ("", ""))
            rows.append(Certificate(
                user_id=item.user_id, plan_id=item.plan_id, course_id=item.course_id,
                serial=f"{PLACEHOLDER_PREFIX}{code}", code=code, holder_name=name,
                department_name=department, title=item.title[:255],
                credit_hours=item.credit_hours, issued_at=now))
        created += _insert(rows)
    return created


class _IssueAfterCommit:
    """One post-commit run for every learner whose course became complete in a transaction."""

    def __init__(self) -> None:
        self.user_ids: set[int] = set()

    def __call__(self) -> None:
        certificates_issue_due(user_ids=sorted(self.user_ids))


def certificates_issue_after_commit(*, user_id: int) -> None:
    """Issue the learner's due certificates once the current transaction commits (called when
    one of their courses becomes complete).

    The learner joins the run already queued in this transaction, if any, so it runs once per
    commit however many courses completed; a rolled-back transaction drops it with its changes.
    Robust: a failure is logged and does not undo the learner's progress (the nightly task
    `courses.tasks.certificates_issue` catches up)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        for entry in connection.run_on_commit:
            if isinstance(entry[1], _IssueAfterCommit):
                entry[1].user_ids.add(user_id)
                return
    run = _IssueAfterCommit()
    run.user_ids.add(user_id)
    transaction.on_commit(run, robust=True)


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(ERROR_REASON_REQUIRED, code="reason_required")
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(ERROR_REASON_TOO_LONG, code="reason_too_long",
                              params={"max": REASON_MAX_LENGTH})
    if "\x00" in reason:
        raise ValidationError(ERROR_REASON_INVALID, code="reason_invalid")
    return reason


def certificate_revoke(*, certificate: Certificate, reason: str, user,
                       now: dt.datetime | None = None) -> Certificate:
    """Revoke a certificate (bureau staff only, with a reason): the verification page then says
    it is revoked, and it is never issued again automatically. A conditional UPDATE decides, so
    two clicks revoke once and the first reason stays."""
    if not user_is_bureau(user):
        raise PermissionDenied(ERROR_NOT_BUREAU)
    reason = _clean_reason(reason)
    with transaction.atomic():
        revoked = Certificate.objects.filter(pk=certificate.pk, revoked_at__isnull=True).update(
            revoked_at=now or timezone.now(), revoked_by=user, revoke_reason=reason)
    if not revoked:
        raise ValidationError(ERROR_ALREADY_REVOKED, code="already_revoked")
    certificate.refresh_from_db(fields=["revoked_at", "revoked_by", "revoke_reason"])
    return certificate
