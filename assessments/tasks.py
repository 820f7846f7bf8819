"""Celery tasks: compute the department assessment on demand (the admin's button) and nightly
for every unlocked scheme."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=1500, time_limit=1800)
def assessment_compute(scheme_id: int, user_id: int | None = None) -> int:
    """Compute one scheme's scores and results; the number of scores that changed. Quietly 0
    when the scheme is gone, locked meanwhile or has no plan (a redelivered task is harmless:
    computing is idempotent)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from assessments import services
    from assessments.models import AssessmentScheme

    scheme = AssessmentScheme.objects.filter(pk=scheme_id).first()
    if scheme is None:
        return 0
    user = None
    if user_id is not None:
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            return 0
    try:
        with translation.override(settings.LANGUAGE_CODE):
            return services.scores_compute(scheme=scheme, user=user)
    except ValidationError as exc:
        logger.info("assessment %s not computed: %s", scheme.year, "; ".join(exc.messages))
        return 0


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=3300, time_limit=3600)
def assessment_compute_all() -> int:
    """Nightly (beat): recompute every unlocked scheme that has a training plan, so the score
    sheets follow the day's learning; the number of schemes computed."""
    from assessments.models import AssessmentScheme

    computed = 0
    for scheme_id in AssessmentScheme.objects.filter(
            locked_at__isnull=True, plan__isnull=False).values_list("pk", flat=True):
        assessment_compute(scheme_id)
        computed += 1
    return computed


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=6,
             soft_time_limit=240, time_limit=300)
def appeal_notices_email(self, notification_ids: list[int]) -> int:
    """E-mail the notices of a filed or answered appeal (`assessments.notifications`); retried
    with backoff while the mail server cannot be reached. The number e-mailed."""
    from assessments import notifications
    from courses.reminders.services import TransientSendError

    try:
        return notifications.appeal_notices_send(notification_ids=notification_ids or [])
    except TransientSendError as exc:
        raise self.retry(exc=exc, countdown=min(3600, 60 * 2 ** self.request.retries)) from exc
