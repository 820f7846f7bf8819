"""Celery tasks: auto-submit timed attempts at their deadline, and a sweep for missed ones."""

from celery import shared_task

from quizzes import services


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=50, time_limit=60)
def attempt_expire(attempt_id: int) -> None:
    """Submit one attempt whose time is up; early, redelivered or finished ones are no-ops."""
    services.attempt_expire(attempt_id=attempt_id)


@shared_task(ignore_result=True, soft_time_limit=240, time_limit=300)
def attempts_expire_overdue() -> int:
    """Submit every open attempt past its deadline (tasks lost with a broker restart)."""
    return services.attempts_expire_overdue()
