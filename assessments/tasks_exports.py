"""Celery tasks: large assessment exports built in the background, and their cleanup."""

from celery import shared_task

from assessments.exports import EXPORT_TIME_LIMIT


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=EXPORT_TIME_LIMIT - 5 * 60,
             time_limit=EXPORT_TIME_LIMIT)
def assessment_export_run(job_id: int) -> None:
    """Build the file of one queued export job; a redelivered or finished job is a no-op."""
    from assessments.exports import export_job_run

    export_job_run(job_id=job_id)


@shared_task(ignore_result=True)
def assessment_exports_cleanup() -> int:
    """Delete export jobs and their files after 7 days."""
    from assessments.exports import export_jobs_cleanup

    return export_jobs_cleanup()
