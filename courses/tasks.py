"""Celery tasks: assign a published training plan's requirements to the learners who match,
keep the assignments in step with the roster, issue certificates, send reminders."""

from celery import shared_task
from celery.signals import worker_ready


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=540, time_limit=600)
def plan_assign(plan_id: int) -> int:
    """Assign the plan's requirements (idempotent, so a redelivered task is harmless)."""
    from courses import services
    from courses.models import TrainingPlan

    plan = TrainingPlan.objects.filter(pk=plan_id).first()
    return 0 if plan is None else services.plan_assign(plan=plan)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=1700, time_limit=1800)
def certificates_issue(user_ids: list[int] | None = None, plan_id: int | None = None) -> int:
    """Issue every certificate that is due and missing (nightly; idempotent, so a redelivered
    or overlapping run issues nothing twice); the number issued."""
    from courses.certificates.services import certificates_issue_due
    from courses.models import TrainingPlan

    plan = None
    if plan_id is not None:
        plan = TrainingPlan.objects.filter(pk=plan_id).first()
        if plan is None:
            return 0
    return len(certificates_issue_due(user_ids=user_ids, plan=plan))


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=540, time_limit=600)
def plan_membership_sync(learner_ids: list[int], user_ids: list[int] | None = None) -> int:
    """Keep these learners' plan assignments in step with the roster after a change (created,
    moved, re-positioned, (de)activated); `user_ids`: accounts whose learner record was
    deleted. Idempotent, so a redelivered task is harmless. The number of new assignments."""
    from courses.membership import plan_membership_sync as sync

    return sync(learner_ids=learner_ids or [], user_ids=user_ids or []).created


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=1500, time_limit=1800)
def plan_membership_sync_all() -> int:
    """Nightly check: every open plan against the whole roster (catches a change no signal
    reported, e.g. a row edited in the database by hand)."""
    from courses.membership import plan_membership_sync as sync

    return sync().created


# --- Reminders, digests and escalations (courses.reminders) -------------------------------------


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=1700, time_limit=1800)
def reminders_dispatch(date: str | None = None) -> int:
    """The daily run (beat, 07:30 site time): claim the reminders, digests and escalations due
    on `date` (ISO, default today), notify in the app and queue the e-mails in batches. Safe to
    run twice: the second run claims nothing. The number of messages claimed."""
    import datetime as dt

    from django.utils import timezone

    from courses.reminders import services

    on_date = dt.date.fromisoformat(date) if date else timezone.localdate()
    return services.reminders_dispatch(on_date=on_date, enqueue=True).claimed


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=6,
             soft_time_limit=540, time_limit=600)
def reminders_send_batch(self, log_ids: list[int]) -> int:
    """E-mail these claimed ReminderLog rows (each at most once: rows already sent, or being
    sent by another worker, are skipped); retried with backoff while the mail server is down.
    The number e-mailed."""
    from courses.reminders import services

    try:
        return services.reminders_send(log_ids=log_ids or []).emailed
    except services.TransientSendError as exc:
        raise self.retry(exc=exc, countdown=min(3600, 60 * 2 ** self.request.retries)) from exc


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=240, time_limit=300)
def reminders_resend_unsent() -> int:
    """Queue the e-mails of rows claimed but never marked (a worker died mid-batch, the mail
    server was down); every 10 minutes and when a worker starts. The number queued."""
    from courses.reminders import services

    ids = services.reminders_unsent_ids()
    services.reminders_enqueue(log_ids=ids)
    return len(ids)


@worker_ready.connect
def _reminders_resume_after_restart(sender=None, **kwargs):
    """A restarted worker first sends what a killed one claimed and did not mark."""
    reminders_resend_unsent.delay()
