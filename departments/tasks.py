"""Celery tasks: background roster imports and the cleanup of old uploads."""

from celery import shared_task

from departments import services


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=25 * 60, time_limit=30 * 60)
def roster_import_job_run(job_id: int) -> None:
    """Import the roster file of one queued job; a redelivered or finished job is a no-op."""
    services.roster_job_run(job_id=job_id)


@shared_task(ignore_result=True)
def roster_jobs_cleanup() -> int:
    """Delete uploaded roster files of jobs finished more than 7 days ago."""
    return services.roster_jobs_cleanup()
