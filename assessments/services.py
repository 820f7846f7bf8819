"""Writes of the department assessment: the default scheme, computing scores, overrides, manual
points, appeals, locking, and the results (totals, grades, ranks) derived from the scores.

Every write takes the acting `user` and checks, at write time, that they may do it (bureau staff
for everything except filing an appeal, which is a department admin's act on their own
department). Writes run in a transaction holding the scheme row (`select_for_update`), so a lock,
a recompute and an override never interleave; a locked scheme refuses them all. Every change is
written to the append-only `AuditEntry`: who, when, old → new, why.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments.defaults import DEFAULT_GRADE_BANDS, DEFAULT_ITEMS, default_title
from assessments.models import (
    Appeal,
    AppealStatus,
    AssessmentScheme,
    AuditAction,
    AuditEntry,
    DepartmentResult,
    GradeBand,
    ItemKind,
    ItemScore,
    Metric,
    SchemeItem,
    ScoreSource,
)
from assessments.notifications import appeal_answered_on_commit, appeal_filed_on_commit
from assessments.scoring import grade_for, points_round, rank_with_ties, rule_points, rule_text
from assessments.selectors import scheme_for_year  # noqa: F401 - part of the Scoring API

ERROR_NOT_BUREAU = gettext_lazy("Only bureau staff may do this.")
ERROR_LOCKED = gettext_lazy(
    "This assessment scheme is locked: its scores can no longer be changed. Bureau staff may "
    "unlock it, giving a reason.")
ERROR_NOT_LOCKED = gettext_lazy("This assessment scheme is not locked.")
ERROR_ALREADY_LOCKED = gettext_lazy("This assessment scheme is already locked.")
ERROR_PENDING_APPEALS = gettext_lazy(
    "Answer the pending appeals before locking the scheme (%(count)d waiting).")
ERROR_NO_PLAN = gettext_lazy(
    "Choose the year's training plan for this scheme before computing the scores.")
ERROR_PLAN_YEAR = gettext_lazy("The training plan is for another year than the scheme.")
ERROR_REASON_REQUIRED = gettext_lazy("Give a reason for the change.")
ERROR_UNLOCK_REASON = gettext_lazy("Give a reason for unlocking the scheme.")
ERROR_TEXT_TOO_LONG = gettext_lazy("The text is too long (at most %(limit)d characters).")
ERROR_POINTS_INVALID = gettext_lazy("Enter the points as a number, e.g. 2.5.")
ERROR_POINTS_RANGE = gettext_lazy(
    "Points for “%(item)s” must be between %(min)s and %(max)s.")
ERROR_ITEM_NOT_IN_SCHEME = gettext_lazy("This item does not belong to the scheme.")
ERROR_NOT_AUTOMATIC = gettext_lazy(
    "Only automatic items are overridden; enter the points of a manual item instead.")
ERROR_NOT_MANUAL = gettext_lazy(
    "The points of an automatic item are computed; override them with a reason instead.")
ERROR_NOT_OVERRIDDEN = gettext_lazy("These points are the computed ones: there is nothing to "
                                    "restore.")
ERROR_NOT_COMPUTED = gettext_lazy(
    "This item has not been computed yet: compute the scores first.")
ERROR_EVIDENCE_REQUIRED = gettext_lazy("Say what the points are based on (the evidence).")
ERROR_FILE_TOO_LARGE = gettext_lazy("The evidence file is too large (at most %(limit)d MB).")
ERROR_FILE_TYPE = gettext_lazy(
    "This type of file is not accepted as evidence. Upload a PDF, JPG, PNG, DOCX or XLSX file.")
ERROR_APPEAL_SCOPE = gettext_lazy(
    "Only an administrator of this department may appeal its scores.")
ERROR_APPEAL_REASON = gettext_lazy("Say why you contest this item.")
ERROR_APPEAL_PENDING = gettext_lazy(
    "An appeal on this item is already waiting for an answer.")
ERROR_APPEAL_ANSWERED = gettext_lazy("This appeal has already been answered.")
ERROR_APPEAL_NEW_POINTS = gettext_lazy("Enter the new points to accept the appeal.")
ERROR_APPEAL_REPLY = gettext_lazy("Write a reply saying why the appeal is rejected.")

EVIDENCE_FILE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_FILE_EXTENSIONS = frozenset({"pdf", "jpg", "jpeg", "png", "docx", "xlsx"})
REASON_MAX = 1000  # ItemScore.reason
TEXT_MAX = 2000  # evidence, appeal reason and reply
BATCH_SIZE = 1000  # rows per INSERT/UPDATE statement (PostgreSQL allows 65,535 parameters)


# --- Checks shared by the writes --------------------------------------------------------------


def _require_bureau(user) -> None:
    from departments.selectors import user_is_bureau

    if not user_is_bureau(user):
        raise ValidationError(ERROR_NOT_BUREAU, code="not_bureau")


def _locked_scheme(scheme: AssessmentScheme) -> AssessmentScheme:
    """The scheme row, re-read under a row lock; refused when locked."""
    locked = AssessmentScheme.objects.select_for_update().get(pk=scheme.pk)
    if locked.is_locked:
        raise ValidationError(ERROR_LOCKED, code="locked")
    return locked


def _text(value, *, required_error, limit: int = TEXT_MAX, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError(required_error, code="required")
    if len(text) > limit:
        raise ValidationError(ERROR_TEXT_TOO_LONG, code="too_long", params={"limit": limit})
    return text


def _points(value, *, item: SchemeItem) -> Decimal:
    """Points entered by a person: a number within the item's range, rounded to 2 decimals."""
    try:
        points = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(ERROR_POINTS_INVALID, code="invalid_points") from None
    if not points.is_finite():
        raise ValidationError(ERROR_POINTS_INVALID, code="invalid_points")
    # Far outside the range (1e999999) is refused before rounding, which could not hold it.
    if item.min_points - 1 <= points <= item.max_points + 1:
        points = points_round(points)
        if item.min_points <= points <= item.max_points:
            return points
    raise ValidationError(ERROR_POINTS_RANGE, code="points_range", params={
        "item": item.name, "min": item.min_points, "max": item.max_points})


def _evidence_file_check(upload) -> None:
    if upload is None:
        return
    size = getattr(upload, "size", None)
    if size is not None and size > EVIDENCE_FILE_MAX_BYTES:
        raise ValidationError(ERROR_FILE_TOO_LARGE, code="file_too_large",
                              params={"limit": EVIDENCE_FILE_MAX_BYTES // (1024 * 1024)})
    name = os.path.basename(getattr(upload, "name", "") or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EVIDENCE_FILE_EXTENSIONS:
        raise ValidationError(ERROR_FILE_TYPE, code="file_type")


def _value(points: Decimal | None) -> str:
    return "" if points is None else f"{points:.2f}"


def _audit(*, scheme, action, user=None, department=None, department_id=None, item=None,
           old=None, new=None, reason: str = "") -> AuditEntry:
    if department is not None:
        department_id = department.pk
    return AuditEntry(
        scheme=scheme, department_id=department_id, item=item,
        item_name=item.name[:200] if item is not None else "", action=action,
        user=user if getattr(user, "pk", None) else None,
        old_value=old if isinstance(old, str) else _value(old),
        new_value=new if isinstance(new, str) else _value(new), reason=reason[:TEXT_MAX])


def _item_of(scheme: AssessmentScheme, item: SchemeItem) -> SchemeItem:
    if item.scheme_id != scheme.pk:
        raise ValidationError(ERROR_ITEM_NOT_IN_SCHEME, code="foreign_item")
    return item


# --- The scheme -------------------------------------------------------------------------------


def scheme_default_create(*, year: int, plan=None, user=None) -> AssessmentScheme:
    """The year's scheme; when there is none, create the seeded default (REPORT §4.2–4.3) tied
    to the year's published training plan. Idempotent: an existing scheme is returned as is."""
    existing = AssessmentScheme.objects.filter(year=year).first()
    if existing is not None:
        return existing
    if user is not None:
        _require_bureau(user)
    if plan is None:
        from assessments.metrics import plan_for_year

        plan = plan_for_year(year)
    elif plan.year != year:
        raise ValidationError(ERROR_PLAN_YEAR, code="plan_year")
    with transaction.atomic():
        try:
            with transaction.atomic():
                scheme = AssessmentScheme.objects.create(
                    year=year, title=default_title(year), plan=plan)
        except IntegrityError:  # created meanwhile by another request
            return AssessmentScheme.objects.get(year=year)
        items = [SchemeItem(scheme=scheme, sort_order=order, group=spec.group, code=spec.code,
                            name=spec.name, description=spec.description, kind=spec.kind,
                            metric=spec.metric, rule=spec.rule, lower=spec.lower,
                            upper=spec.upper, max_points=spec.max_points,
                            min_points=spec.min_points, bonus=spec.bonus)
                 for order, spec in enumerate(DEFAULT_ITEMS)]
        for item in items:
            item.full_clean(exclude=["scheme"])
        SchemeItem.objects.bulk_create(items)
        GradeBand.objects.bulk_create([
            GradeBand(scheme=scheme, sort_order=order, name=name, min_points=minimum)
            for order, (name, minimum) in enumerate(DEFAULT_GRADE_BANDS)])
        _audit(scheme=scheme, action=AuditAction.SCHEME_CHANGED, user=user,
               new=_("default scheme"),
               reason=_("Created from the default scheme (a typical appraisal the bureau "
                        "adapts).")).save()
    return scheme


def scheme_change_record(*, scheme: AssessmentScheme, summary: str, user) -> AuditEntry:
    """An edit of the scheme (its settings, items or bands) in the audit trail."""
    return AuditEntry.objects.create(scheme=scheme, action=AuditAction.SCHEME_CHANGED,
                                     user=user, new_value=scheme.title[:100], reason=summary)


def scheme_lock(*, scheme: AssessmentScheme, user) -> AssessmentScheme:
    """Freeze the scheme's scores: every later change is refused until it is unlocked."""
    _require_bureau(user)
    with transaction.atomic():
        row = AssessmentScheme.objects.select_for_update().get(pk=scheme.pk)
        if row.is_locked:
            raise ValidationError(ERROR_ALREADY_LOCKED, code="already_locked")
        pending = Appeal.objects.filter(scheme=row, status=AppealStatus.PENDING).count()
        if pending:
            raise ValidationError(ERROR_PENDING_APPEALS, code="pending_appeals",
                                  params={"count": pending})
        row.locked_at, row.locked_by = timezone.now(), user
        row.save(update_fields=["locked_at", "locked_by"])
        _audit(scheme=row, action=AuditAction.LOCKED, user=user).save()
    scheme.locked_at, scheme.locked_by = row.locked_at, row.locked_by
    return scheme


def scheme_unlock(*, scheme: AssessmentScheme, reason: str, user) -> AssessmentScheme:
    """Allow changes to a locked scheme again (bureau staff, with a reason for the trail)."""
    _require_bureau(user)
    reason = _text(reason, required_error=ERROR_UNLOCK_REASON)
    with transaction.atomic():
        row = AssessmentScheme.objects.select_for_update().get(pk=scheme.pk)
        if not row.is_locked:
            raise ValidationError(ERROR_NOT_LOCKED, code="not_locked")
        row.locked_at, row.locked_by = None, None
        row.save(update_fields=["locked_at", "locked_by"])
        _audit(scheme=row, action=AuditAction.UNLOCKED, user=user, reason=reason).save()
    scheme.locked_at, scheme.locked_by = None, None
    return scheme


# --- Computing --------------------------------------------------------------------------------


def _count(numerator, denominator) -> str:
    return f"{numerator or 0}/{denominator or 0}"


def score_evidence(*, metric: str, participation) -> str:
    """What an automatic score is based on, in one short line from the participation numbers
    (`assessments.metrics.DepartmentParticipation`)."""
    p = participation
    business = p.offices.get("business")
    offices = _("business offices taking part %(count)s") % {
        "count": _count(business.participating if business else 0,
                        business.total if business else 0)}
    if metric == Metric.HEADS_COMPLETION_RATE:
        text = _("heads completed %(count)s") % {
            "count": _count(p.heads_completed, p.heads_required)}
    elif metric in (Metric.COMPLETION_RATE, Metric.BUSINESS_COMPLETION_RATE,
                    Metric.WEIGHTED_COMPLETION_RATE):
        text = _("completed %(all)s (business staff %(business)s); %(offices)s") % {
            "all": _count(p.completed_total, p.roster_total),
            "business": _count(p.completed_by_position.get("business"),
                               p.roster_by_position.get("business")),
            "offices": offices}
    elif metric == Metric.GOAL_SETTING_PASS_RATE:
        text = _("business staff who passed a goal-setting exercise %(count)s") % {
            "count": _count(p.goal_setting.get("business_passed"),
                            p.roster_by_position.get("business"))}
    elif metric == Metric.BUSINESS_OFFICE_COVERAGE:
        text = offices
    else:
        text = _("exam participants %(count)s") % {"count": p.exam.get("participants") or 0}
    if p.metric(metric) is None:
        text += _("; nobody to count (no points: override with a reason if this is wrong)")
    return text


def _metric_value(participation, metric: str) -> Decimal | None:
    value = participation.metric(metric)
    return None if value is None else Decimal(value).quantize(Decimal("0.0001"))


def scores_compute(*, scheme: AssessmentScheme, user=None, participation=None) -> int:
    """Compute every automatic item for every department of the scheme's plan and refresh the
    results; the number of automatic scores whose points changed.

    Reads the participation once (`assessments.metrics.plan_participation`, a fixed number of
    queries) and writes in bulk, so the cost does not grow query by query with departments.
    Overridden and appealed points are kept (their metric and computed points are refreshed);
    manual items get an empty score so the sheet lists them. `user` None is the system (the
    nightly task, the command); a person must be bureau staff. `participation` lets a caller
    that already has it (the demo, the benchmark) pass it in.
    """
    if user is not None:
        _require_bureau(user)
    with transaction.atomic():
        scheme_row = _locked_scheme(scheme)
        if scheme_row.plan_id is None:
            raise ValidationError(ERROR_NO_PLAN, code="no_plan")
        if participation is None:
            from assessments.metrics import plan_participation

            participation = plan_participation(
                plan=scheme_row.plan, low_business_coverage=scheme_row.low_business_coverage)
        items = list(scheme_row.items.all())
        automatic = [item for item in items if item.kind == ItemKind.AUTOMATIC]
        manual = [item for item in items if item.kind != ItemKind.AUTOMATIC]
        existing = {(score.department_id, score.item_id): score
                    for score in ItemScore.objects.filter(scheme=scheme_row)}
        now = timezone.now()
        rules = {item.pk: rule_text(item) for item in items}
        upserts, new_manual, entries = [], [], []
        changed = 0
        for row in participation:
            for item in automatic:
                metric = _metric_value(row, item.metric)
                computed = rule_points(rule=item.rule, metric=metric, max_points=item.max_points,
                                       lower=item.lower, upper=item.upper)
                old = existing.get((row.department_id, item.pk))
                kept = old is not None and old.source in (ScoreSource.OVERRIDE,
                                                          ScoreSource.APPEAL)
                points = old.points if kept else computed
                score = ItemScore(
                    scheme=scheme_row, department_id=row.department_id, item=item,
                    metric_value=metric, computed_points=computed, points=points,
                    source=old.source if kept else ScoreSource.COMPUTED,
                    rule_text=rules[item.pk][:300],
                    evidence=score_evidence(metric=item.metric, participation=row)[:TEXT_MAX],
                    computed_at=now)
                upserts.append(score)
                if kept and old.computed_points != computed:
                    entries.append(_audit(
                        scheme=scheme_row, action=AuditAction.COMPUTE, user=user,
                        department_id=row.department_id, item=item, old=old.computed_points,
                        new=computed, reason=_("Computed points changed; the %(source)s "
                                               "points %(points)s stay.") % {
                            "source": old.get_source_display(), "points": _value(points)}))
                elif not kept and (old is None or old.points != computed):
                    changed += 1
                    entries.append(_audit(
                        scheme=scheme_row, action=AuditAction.COMPUTE, user=user,
                        department_id=row.department_id, item=item,
                        old=None if old is None else old.points, new=computed,
                        reason=_("metric %(metric)s") % {
                            "metric": "—" if metric is None else f"{metric:f}"}))
            for item in manual:
                if (row.department_id, item.pk) not in existing:
                    new_manual.append(ItemScore(
                        scheme=scheme_row, department_id=row.department_id, item=item,
                        points=None, source=ScoreSource.MANUAL,
                        rule_text=rules[item.pk][:300]))
        ItemScore.objects.bulk_create(
            upserts, batch_size=BATCH_SIZE, update_conflicts=True,
            unique_fields=["scheme", "department", "item"],
            update_fields=["metric_value", "computed_points", "points", "source", "rule_text",
                           "evidence", "computed_at", "updated_at"])
        ItemScore.objects.bulk_create(new_manual, batch_size=BATCH_SIZE)
        entries.append(_audit(
            scheme=scheme_row, action=AuditAction.COMPUTE, user=user, new=str(changed),
            reason=_("Computed %(departments)d departments × %(items)d automatic items; "
                     "%(changed)d scores changed.") % {
                "departments": len(participation), "items": len(automatic),
                "changed": changed}))
        AuditEntry.objects.bulk_create(entries, batch_size=BATCH_SIZE)
        scheme_row.computed_at = now
        scheme_row.save(update_fields=["computed_at"])
        results_refresh(scheme=scheme_row, participation=participation)
    scheme.computed_at = now
    return changed


def scores_compute_later(*, scheme: AssessmentScheme, user) -> None:
    """Queue the computation (the admin's "compute" button): checked now, run by the worker
    after the current transaction commits."""
    _require_bureau(user)
    if scheme.is_locked:
        raise ValidationError(ERROR_LOCKED, code="locked")
    if scheme.plan_id is None:
        raise ValidationError(ERROR_NO_PLAN, code="no_plan")
    from assessments import tasks

    scheme_id, user_id = scheme.pk, user.pk
    transaction.on_commit(lambda: tasks.assessment_compute.delay(scheme_id, user_id))


def results_refresh(*, scheme: AssessmentScheme, department_ids: Iterable[int] | None = None,
                    participation=None) -> int:
    """Recompute totals (points summed, empty counting 0), training points (the automatic
    items), grades and ranks (ties share a rank) from the stored scores; the number of results
    written. Ranks always cover every department; `department_ids` limits whose totals are
    re-summed. Flags come from `participation` when given, else stay as they were."""
    sums = (ItemScore.objects.filter(scheme=scheme)
            .values("department_id")
            .annotate(total=Coalesce(Sum("points"), Decimal("0")),
                      training=Coalesce(Sum("points", filter=Q(item__kind=ItemKind.AUTOMATIC)),
                                        Decimal("0"))))
    current = {result.department_id: result
               for result in DepartmentResult.objects.filter(scheme=scheme)}
    flags = {row.department_id: list(row.flags) for row in participation or ()}
    wanted = None if department_ids is None else set(department_ids)
    totals, training = {}, {}
    for row in sums:
        department_id = row["department_id"]
        if wanted is not None and department_id not in wanted and department_id in current:
            totals[department_id] = current[department_id].total
            training[department_id] = current[department_id].training_points
        else:
            totals[department_id] = points_round(row["total"])
            training[department_id] = points_round(row["training"])
    bands = [(band.name, band.min_points) for band in scheme.grade_bands.all()]
    lowest = min(bands, key=lambda band: band[1])[0] if bands else ""
    ranks = rank_with_ties(totals)
    results = [
        DepartmentResult(
            scheme=scheme, department_id=department_id, total=total,
            training_points=training[department_id],
            grade=grade_for(total, bands) or lowest, rank=ranks[department_id],
            flags=flags.get(department_id, current[department_id].flags
                            if department_id in current else []))
        for department_id, total in totals.items()]
    DepartmentResult.objects.bulk_create(
        results, batch_size=BATCH_SIZE, update_conflicts=True,
        unique_fields=["scheme", "department"],
        update_fields=["total", "training_points", "grade", "rank", "flags", "updated_at"])
    return len(results)


# --- Overrides and manual points --------------------------------------------------------------


def _score_for_update(score: ItemScore) -> ItemScore:
    return ItemScore.objects.select_for_update().select_related("item").get(pk=score.pk)


def _copy(target: ItemScore, source: ItemScore) -> ItemScore:
    for field in ("points", "source", "reason", "evidence", "evidence_file", "updated_by_id",
                  "updated_at", "computed_points", "metric_value"):
        setattr(target, field, getattr(source, field))
    return target


def score_override(*, score: ItemScore, points, reason: str, user) -> ItemScore:
    """Replace the computed points of an automatic item (bureau staff, with a reason); a later
    recompute keeps them and refreshes only the metric and the computed points."""
    _require_bureau(user)
    reason = _text(reason, required_error=ERROR_REASON_REQUIRED, limit=REASON_MAX)
    with transaction.atomic():
        scheme = _locked_scheme(score.scheme)
        row = _score_for_update(score)
        if row.item.kind != ItemKind.AUTOMATIC:
            raise ValidationError(ERROR_NOT_AUTOMATIC, code="not_automatic")
        new = _points(points, item=row.item)
        old = row.points
        row.points, row.source, row.reason, row.updated_by = (
            new, ScoreSource.OVERRIDE, reason, user)
        row.save(update_fields=["points", "source", "reason", "updated_by", "updated_at"])
        _audit(scheme=scheme, action=AuditAction.OVERRIDE, user=user,
               department_id=row.department_id, item=row.item, old=old, new=new,
               reason=reason).save()
        results_refresh(scheme=scheme, department_ids=[row.department_id])
    return _copy(score, row)


def score_override_clear(*, score: ItemScore, reason: str, user) -> ItemScore:
    """Go back to the computed points of an overridden (or appealed) automatic item."""
    _require_bureau(user)
    reason = _text(reason, required_error=ERROR_REASON_REQUIRED, limit=REASON_MAX)
    with transaction.atomic():
        scheme = _locked_scheme(score.scheme)
        row = _score_for_update(score)
        if row.item.kind != ItemKind.AUTOMATIC:
            raise ValidationError(ERROR_NOT_AUTOMATIC, code="not_automatic")
        if row.source == ScoreSource.COMPUTED:
            raise ValidationError(ERROR_NOT_OVERRIDDEN, code="not_overridden")
        if row.computed_at is None:
            raise ValidationError(ERROR_NOT_COMPUTED, code="not_computed")
        old = row.points
        row.points, row.source, row.reason, row.updated_by = (
            row.computed_points, ScoreSource.COMPUTED, "", user)
        row.save(update_fields=["points", "source", "reason", "updated_by", "updated_at"])
        _audit(scheme=scheme, action=AuditAction.OVERRIDE_CLEARED, user=user,
               department_id=row.department_id, item=row.item, old=old, new=row.points,
               reason=reason).save()
        results_refresh(scheme=scheme, department_ids=[row.department_id])
    return _copy(score, row)


def score_manual_set(*, scheme: AssessmentScheme, department, item: SchemeItem, points,
                     evidence: str, evidence_file=None, user) -> ItemScore:
    """Enter a manual item's points for a department (bureau staff) with the evidence they rest
    on and, optionally, a file (PDF, JPG, PNG, DOCX or XLSX, at most 10 MB)."""
    _require_bureau(user)
    _item_of(scheme, item)
    if item.kind != ItemKind.MANUAL:
        raise ValidationError(ERROR_NOT_MANUAL, code="not_manual")
    new = _points(points, item=item)
    evidence = _text(evidence, required_error=ERROR_EVIDENCE_REQUIRED)
    _evidence_file_check(evidence_file)
    with transaction.atomic():
        scheme_row = _locked_scheme(scheme)
        row, _created = ItemScore.objects.select_for_update().get_or_create(
            scheme=scheme_row, department=department, item=item,
            defaults={"source": ScoreSource.MANUAL, "rule_text": rule_text(item)[:300]})
        old = row.points
        row.points, row.source, row.evidence, row.updated_by = (
            new, ScoreSource.MANUAL, evidence, user)
        row.reason = ""
        if evidence_file is not None:
            row.evidence_file = evidence_file
        row.save()
        _audit(scheme=scheme_row, action=AuditAction.MANUAL, user=user, department=department,
               item=item, old=old, new=new, reason=evidence).save()
        results_refresh(scheme=scheme_row, department_ids=[department.pk])
    return row


# --- Appeals ----------------------------------------------------------------------------------


def _user_administers(user, department) -> bool:
    """Checked against the database now (not a scope cached earlier on the user object)."""
    from departments.selectors import (
        departments_visible_to,
        user_is_department_admin,
        user_roles_forget,
    )

    user_roles_forget(user)
    return (user_is_department_admin(user)
            and departments_visible_to(user).filter(pk=department.pk).exists())


def appeal_file(*, scheme: AssessmentScheme, department, item: SchemeItem, reason: str,
                user) -> Appeal:
    """A department admin contests one item of their own department's sheet (申诉)."""
    if not _user_administers(user, department):
        raise ValidationError(ERROR_APPEAL_SCOPE, code="not_in_scope")
    _item_of(scheme, item)
    reason = _text(reason, required_error=ERROR_APPEAL_REASON)
    with transaction.atomic():
        scheme_row = _locked_scheme(scheme)
        if Appeal.objects.filter(scheme=scheme_row, department=department, item=item,
                                 status=AppealStatus.PENDING).exists():
            raise ValidationError(ERROR_APPEAL_PENDING, code="appeal_pending")
        score = ItemScore.objects.filter(scheme=scheme_row, department=department,
                                         item=item).first()
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(
                    scheme=scheme_row, department=department, item=item, reason=reason,
                    filed_by=user, points_when_filed=score.points if score else None)
        except IntegrityError:  # filed meanwhile in another request
            raise ValidationError(ERROR_APPEAL_PENDING, code="appeal_pending") from None
        _audit(scheme=scheme_row, action=AuditAction.APPEAL_FILED, user=user,
               department=department, item=item, old=appeal.points_when_filed, new="",
               reason=reason).save()
        appeal_filed_on_commit(appeal)  # the bureau is told once the appeal is stored
    return appeal


def appeal_answer(*, appeal: Appeal, accept: bool, reply: str, new_points=None,
                  user) -> Appeal:
    """Bureau staff accept an appeal with new points (the score becomes "changed on appeal")
    or reject it with a reply; both sides see the answer in the sheet's history."""
    _require_bureau(user)
    reply = _text(reply, required_error=ERROR_APPEAL_REPLY, required=not accept)
    with transaction.atomic():
        scheme = _locked_scheme(appeal.scheme)
        row = Appeal.objects.select_for_update().select_related("item").get(pk=appeal.pk)
        if row.status != AppealStatus.PENDING:
            raise ValidationError(ERROR_APPEAL_ANSWERED, code="answered")
        item = row.item
        if accept:
            if new_points is None or str(new_points).strip() == "":
                raise ValidationError(ERROR_APPEAL_NEW_POINTS, code="new_points_required")
            points = _points(new_points, item=item)
            score, _created = ItemScore.objects.select_for_update().get_or_create(
                scheme=scheme, department_id=row.department_id, item=item,
                defaults={"rule_text": rule_text(item)[:300]})
            old = score.points
            score.points, score.source, score.updated_by = points, ScoreSource.APPEAL, user
            score.reason = (reply or _("Appeal accepted: %(reason)s") % {
                "reason": row.reason})[:REASON_MAX]
            score.save()
            row.status, row.new_points = AppealStatus.ACCEPTED, points
            action = AuditAction.APPEAL_ACCEPTED
        else:
            old = points = None
            row.status = AppealStatus.REJECTED
            action = AuditAction.APPEAL_REJECTED
        row.reply, row.answered_by, row.answered_at = reply, user, timezone.now()
        row.save(update_fields=["status", "new_points", "reply", "answered_by", "answered_at"])
        entry = _audit(scheme=scheme, action=action, user=user, department_id=row.department_id,
                       item=item, old=old if accept else "", new=points if accept else "",
                       reason=reply)
        entry.save()
        if accept:
            results_refresh(scheme=scheme, department_ids=[row.department_id])
        appeal_answered_on_commit(row)  # the department is told once the answer is stored
    for field in ("status", "new_points", "reply", "answered_by", "answered_at"):
        setattr(appeal, field, getattr(row, field))
    return appeal
