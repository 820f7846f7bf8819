"""Computing on real records end to end (the metrics data set of `conftest.plan_world`), the
`compute_assessment` command and the Celery tasks (called directly, dispatch on commit)."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from assessments import selectors, services, tasks
from assessments.models import AssessmentScheme, AuditEntry, ItemScore
from tests.courses.membership_helpers import bureau_staff

pytestmark = pytest.mark.django_db
D = Decimal


def points(scheme, code: str) -> dict[str, Decimal]:
    return dict(ItemScore.objects.filter(scheme=scheme, item__code=code)
                .values_list("department__code", "points"))


def test_compute_on_real_records_gives_the_hand_computed_points(world):
    """A: heads 1/2 → 0; weighted ½·(1/3 business) + ½·(2/4 others) = 5/12 ≈ 41.7 % → 0;
    goal setting 1/3 → 0. B: heads 1/1 → 1; business 0/1, others 2/2 → 50 % → 0. C: no heads
    (None → 0), no business staff: the others' 0/1 → 0. D: nobody → every metric None → 0."""
    scheme = services.scheme_default_create(year=2026)
    assert scheme.plan == world.plan
    services.scores_compute(scheme=scheme)
    assert points(scheme, "training-heads") == {
        "101": D("0.00"), "201": D("1.00"), "301": D("0.00"), "401": D("0.00")}
    assert points(scheme, "training-completion") == dict.fromkeys(
        ("101", "201", "301", "401"), D("0.00"))
    metrics = dict(ItemScore.objects.filter(scheme=scheme, item__code="training-completion")
                   .values_list("department__code", "metric_value"))
    assert metrics["101"] == D("0.4167") and metrics["201"] == D("0.5")
    assert metrics["401"] is None
    heads = ItemScore.objects.get(scheme=scheme, item__code="training-heads",
                                  department__code="101")
    assert (heads.metric_value, "1/2" in heads.evidence) == (D("0.5"), True)
    results = {r.department.code: r for r in selectors.scheme_results(scheme=scheme)}
    assert (results["201"].rank, results["201"].total) == (1, D("1.00"))
    assert {code: results[code].rank for code in ("101", "301", "401")} == dict.fromkeys(
        ("101", "301", "401"), 2)
    assert "finance_only" in results["201"].flags
    assert results["201"].grade == "不合格"


def test_command_creates_the_default_scheme_computes_and_summarises(world):
    out = StringIO()
    call_command("compute_assessment", "--year", "2026", stdout=out)
    text = out.getvalue()
    scheme = AssessmentScheme.objects.get(year=2026)
    assert scheme.title in text
    assert "4 个部门" in text and "12 项自动评分" in text
    assert ItemScore.objects.filter(scheme=scheme, item__kind="automatic").count() == 12
    call_command("compute_assessment", "--year", "2026", stdout=StringIO())  # again: fine
    assert AssessmentScheme.objects.filter(year=2026).count() == 1


def test_command_refuses_an_unknown_year_and_a_locked_scheme(world):
    with pytest.raises(CommandError) as caught:
        call_command("compute_assessment", "--year", "2031", stdout=StringIO())
    assert "2031" in str(caught.value) and "培训计划" in str(caught.value)
    assert not AssessmentScheme.objects.filter(year=2031).exists()
    with pytest.raises(CommandError):
        call_command("compute_assessment", "--year", "99999", stdout=StringIO())
    scheme = services.scheme_default_create(year=2026)
    services.scheme_lock(scheme=scheme, user=bureau_staff())
    with pytest.raises(CommandError) as caught:
        call_command("compute_assessment", "--year", "2026", stdout=StringIO())
    assert "锁定" in str(caught.value)
    assert not ItemScore.objects.filter(scheme=scheme).exists()


def test_compute_task_called_directly_and_quiet_when_gone_or_locked(world):
    scheme = services.scheme_default_create(year=2026)
    bureau = bureau_staff()
    assert tasks.assessment_compute(scheme.pk, bureau.pk) == 12  # every score is new
    assert AuditEntry.objects.filter(scheme=scheme, user=bureau).exists()
    assert tasks.assessment_compute(scheme.pk) == 0  # nothing changed
    assert tasks.assessment_compute(999999) == 0
    services.scheme_lock(scheme=scheme, user=bureau)
    assert tasks.assessment_compute(scheme.pk) == 0
    assert tasks.assessment_compute_all() == 0  # locked schemes are skipped


def test_compute_button_queues_the_task_after_commit(world, django_capture_on_commit_callbacks):
    scheme = services.scheme_default_create(year=2026)
    bureau = bureau_staff()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.scores_compute_later(scheme=scheme, user=bureau)
    assert len(callbacks) == 1
    assert not ItemScore.objects.filter(scheme=scheme).exists()  # nothing before commit
    callbacks[0]()  # eager in the test settings: the task runs now
    assert ItemScore.objects.filter(scheme=scheme, item__kind="automatic").count() == 12
    from tests.courses.membership_helpers import department_admin

    with pytest.raises(ValidationError):
        services.scores_compute_later(scheme=scheme,
                                      user=department_admin(world.departments["A"]))


def test_nightly_task_computes_every_unlocked_scheme_with_a_plan(world, settings):
    services.scheme_default_create(year=2026)
    AssessmentScheme.objects.create(year=2025, title="无计划")
    assert tasks.assessment_compute_all() == 1
    entry = settings.CELERY_BEAT_SCHEDULE["assessments-compute-all"]
    assert entry["task"] == tasks.assessment_compute_all.name
