"""`generate_load_data`: a small run builds what it says, consistent with the completion rules,
and the command refuses a database holding other data unless --force."""

import io

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db

SMALL = {"departments": 3, "learners": 200, "attempts": 1000, "seed": 1}


def generate(**options) -> str:
    out = io.StringIO()
    call_command("generate_load_data", stdout=out, **{**SMALL, **options})
    return out.getvalue()


def test_a_small_run_builds_the_counts_asked_for_consistent_with_the_rules():
    from casebook.models import ExerciseSubmission
    from courses.models import Enrolment, LessonCompletion, PlanAssignment, TrainingPlan
    from courses.services import progress_rebuild
    from departments.models import Department, Learner, Office
    from quizzes.models import Attempt

    output = generate()

    assert Department.objects.count() == 3
    assert set(Department.objects.values_list("kind", flat=True)) <= {"city", "district"}
    assert Learner.objects.count() == 200
    assert set(Office.objects.values_list("kind", flat=True)) == {"finance", "business",
                                                                  "general"}
    assert set(Learner.objects.values_list("position", flat=True)) == {
        "head", "finance", "business", "other"}
    assert Attempt.objects.filter(status="graded").count() == 1000
    plan = TrainingPlan.objects.get()
    assert plan.is_published and plan.departments.count() == 3
    assert PlanAssignment.objects.filter(requirement__plan=plan).exists()
    assert Enrolment.objects.filter(status="completed").exists()
    assert Enrolment.objects.filter(status="in_progress").exists()
    assert LessonCompletion.objects.exists()
    submissions = list(ExerciseSubmission.objects.all())
    assert submissions and all(s.input_digest == ExerciseSubmission.digest_of(s.input)
                               for s in submissions)
    assert "graded attempts" in output and "load data ready in" in output
    # Completed late and before the plan opened both occur in a larger run; here at least the
    # statuses are exactly what the services derive: a rebuild changes nothing.
    report = progress_rebuild()
    assert report.lessons_completed == [] and report.status_changes == []


def test_the_metrics_run_on_the_generated_plan():
    from assessments.metrics import plan_participation
    from courses.models import TrainingPlan

    generate()
    rows = plan_participation(plan=TrainingPlan.objects.get())
    assert len(rows) == 3
    assert sum(row.roster_total for row in rows) > 100
    assert any(row.completed_total for row in rows)


def test_refuses_a_database_holding_other_data_unless_forced():
    from departments.models import Department, Learner

    Department.objects.create(code="101", name="市教育局")
    with pytest.raises(CommandError, match="not load data"):
        generate()
    assert Department.objects.count() == 1 and not Learner.objects.exists()

    generate(force=True)
    assert Department.objects.count() == 4


def test_refuses_a_seed_already_loaded_even_when_forced():
    from departments.models import Learner

    generate(learners=50, attempts=100)
    with pytest.raises(CommandError, match="already in this database"):
        generate(learners=50, attempts=100, force=True)
    assert Learner.objects.count() == 50


@pytest.mark.parametrize("option", [{"departments": 0}, {"learners": 0}, {"attempts": -1}])
def test_refuses_impossible_sizes(option):
    with pytest.raises(CommandError, match="at least"):
        generate(**option)
