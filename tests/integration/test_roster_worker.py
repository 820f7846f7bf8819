"""A large roster import runs in a real Celery worker, through Redis, on PostgreSQL."""

from contextlib import contextmanager

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from departments import services
from departments.models import Learner, RosterImportJob
from tests.departments.conftest import make_xlsx, roster_rows
from tests.departments.factories import UserFactory
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@contextmanager
def celery_publishing_to(broker_url: str):
    """Send tasks to the real broker instead of running them eagerly in the test process."""
    from config.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_transport_options)
    app.conf.broker_url = broker_url
    app.conf.task_always_eager = False
    app.conf.broker_transport_options = {}
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield app
    finally:
        app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_transport_options = saved
        app._pool = None
        app.amqp._producer_pool = None


def test_large_roster_import_runs_in_the_worker_and_reports_progress(
    celery_worker_process, settings, django_user_model
):
    settings.ROSTER_ASYNC_THRESHOLD = 100
    rows = roster_rows(300, prefix="R") + roster_rows(
        300, start=301, office="规划科", kind="业务", position="业务人员", prefix="R"
    )
    admin = UserFactory(username="bureau-boss", is_superuser=True, is_staff=True)
    upload = SimpleUploadedFile("名单.xlsx", make_xlsx(rows))
    job = services.roster_job_upload(user=admin, uploaded_file=upload)
    assert job.status == RosterImportJob.Status.UPLOADED
    assert Learner.objects.count() == 0  # the preview wrote nothing

    with celery_publishing_to(celery_worker_process["broker_url"]):
        job = services.roster_job_confirm(job=job, user=admin)
    # Queued for the worker, not run in this process.
    assert job.status in {RosterImportJob.Status.PENDING, RosterImportJob.Status.RUNNING,
                          RosterImportJob.Status.SUCCEEDED}

    def finished():
        job.refresh_from_db()
        return job.status in {RosterImportJob.Status.SUCCEEDED, RosterImportJob.Status.FAILED}

    wait_for(finished, timeout=90, log=celery_worker_process["log"])
    assert job.status == RosterImportJob.Status.SUCCEEDED, job.report
    assert job.rows_done == job.rows_total == 600
    assert job.report["created"] == 600
    assert Learner.objects.count() == 600
    assert Learner.objects.filter(office__kind="business").count() == 300
    assert "roster_import_job_run" in celery_worker_process["log"].read_text()

    # Redelivery of the same message is harmless: the job is claimed once.
    with celery_publishing_to(celery_worker_process["broker_url"]):
        from departments.tasks import roster_import_job_run

        roster_import_job_run.delay(job.pk)
    log = celery_worker_process["log"]
    wait_for(lambda: log.read_text().count("succeeded in") >= 2, timeout=60, log=log)
    assert Learner.objects.count() == 600
    assert django_user_model.objects.filter(username__startswith="R").count() == 600
