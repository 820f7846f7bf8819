"""Celery tasks: assign a published training plan's requirements to the learners who match."""

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=540, time_limit=600)
def plan_assign(plan_id: int) -> int:
    """Assign the plan's requirements (idempotent, so a redelivered task is harmless)."""
    from courses import services
    from courses.models import TrainingPlan

    plan = TrainingPlan.objects.filter(pk=plan_id).first()
    return 0 if plan is None else services.plan_assign(plan=plan)
