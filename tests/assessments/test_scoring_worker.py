"""The admin's "compute" button runs on a real Celery worker (Redis broker, PostgreSQL)."""

import pytest
from django.db import transaction

from assessments import services
from assessments.models import AssessmentScheme, DepartmentResult, ItemScore
from tests.assessments.conftest import plan_world
from tests.courses.membership_helpers import bureau_staff
from tests.integration.conftest import celery_worker_process, wait_for  # noqa: F401 - fixture
from tests.integration.test_roster_worker import celery_publishing_to

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_compute_runs_on_the_worker_after_commit(celery_worker_process):  # noqa: F811
    world = plan_world()
    scheme = services.scheme_default_create(year=2026)
    bureau = bureau_staff()
    with celery_publishing_to(celery_worker_process["broker_url"]), transaction.atomic():
        services.scores_compute_later(scheme=scheme, user=bureau)
        assert not ItemScore.objects.filter(scheme=scheme).exists()  # queued for after commit

    def computed():
        return AssessmentScheme.objects.filter(pk=scheme.pk, computed_at__isnull=False).exists()

    wait_for(computed, timeout=90, log=celery_worker_process["log"])
    assert ItemScore.objects.filter(scheme=scheme, item__kind="automatic").count() == 12
    best = DepartmentResult.objects.get(scheme=scheme, rank=1)
    assert best.department == world.departments["B"]
    assert "assessments.tasks.assessment_compute" in celery_worker_process["log"].read_text()
