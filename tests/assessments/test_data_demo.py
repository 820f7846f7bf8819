"""The demo year (`assessments.demo`, run by `seed_demo`): the report's pattern out of the box,
records consistent with the services, the walkthrough accounts untouched, idempotent."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command

from departments.demo_organisation import DEMO_ACCOUNTS, PROBLEM_DEPARTMENTS

pytestmark = pytest.mark.django_db

RECORD_APPS = {"courses", "quizzes", "casebook", "assessments"}


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count()
            for model in apps.get_models() if model._meta.app_label in RECORD_APPS}


def test_seed_demo_gives_the_report_pattern_and_a_second_run_adds_nothing():
    from assessments.metrics import plan_participation
    from assessments.models import Appeal, AssessmentScheme, ItemScore
    from casebook.models import ExerciseSubmission
    from courses.models import Enrolment, LessonCompletion, PlanExemption
    from courses.selectors import course_progress
    from quizzes.models import Attempt

    call_command("seed_demo", stdout=io.StringIO())
    first = row_counts()
    scheme = AssessmentScheme.objects.get()
    by_code = {p.code: p for p in plan_participation(plan=scheme.plan)}

    for code in PROBLEM_DEPARTMENTS:
        assert "finance_only" in by_code[code].flags, code
    assert not any("finance_only" in p.flags for code, p in by_code.items()
                   if code not in PROBLEM_DEPARTMENTS)
    assert any("head_incomplete" in p.flags for p in by_code.values())
    assert any("head_incomplete" not in p.flags for p in by_code.values())
    assert [code for code, p in by_code.items() if "identical_submissions" in p.flags] == ["106"]
    rates = {code: p.completion_rate for code, p in by_code.items()}
    assert max(rates.values()) >= 0.85 and min(rates.values()) <= 0.2  # strong and weak
    districts = sorted(rates[code] for code in ("201", "202", "203"))
    assert districts[-1] - districts[0] >= 0.3  # the districts differ

    # Records as the services leave them: every completed enrolment satisfies the rule.
    for enrolment in Enrolment.objects.filter(status="completed").select_related(
            "user", "course")[:40]:
        assert course_progress(user=enrolment.user, course=enrolment.course).complete
    walkthrough = [a["username"] for a in DEMO_ACCOUNTS if a["role"] == "learner"]
    for model in (Enrolment, LessonCompletion, Attempt, ExerciseSubmission):
        assert not model.objects.filter(user__username__in=walkthrough).exists(), model
    assert PlanExemption.objects.filter(revoked_at__isnull=True).count() == 2
    assert not Attempt.objects.filter(status="in_progress").exists()

    # The appraisal: computed, one override with its reason, manual points, a pending appeal.
    assert scheme.computed_at is not None
    override = ItemScore.objects.get(scheme=scheme, source="override")
    assert override.reason
    assert ItemScore.objects.filter(scheme=scheme, source="manual",
                                    points__isnull=False).exclude(evidence="").count() >= 3
    appeal = Appeal.objects.get(scheme=scheme)
    assert appeal.status == "pending" and appeal.department.code == "104"

    call_command("seed_demo", stdout=io.StringIO())
    assert row_counts() == first
