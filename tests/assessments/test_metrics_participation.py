"""Participation metrics on the hand-computed data set of `tests/assessments/conftest.py`
(`plan_world`: departments 101 A, 201 B, 301 C, 401 D)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from assessments.metrics import (
    FINANCE_ONLY,
    HEAD_INCOMPLETE,
    IDENTICAL_SUBMISSIONS,
    LOW_BUSINESS_COVERAGE,
    NO_ACTIVITY,
    plan_participation,
)
from tests.assessments.conftest import (
    AFTER_MAKEUP,
    BEFORE_DUE,
    department_make,
    learner_make,
    plan_make,
    submission_make,
)


def participations(world, **kwargs):
    kwargs.setdefault("today", AFTER_MAKEUP)
    return {p.code: p for p in plan_participation(plan=world.plan, **kwargs)}


@pytest.fixture
def by_code(world):
    return participations(world)


def test_every_targeted_department_in_department_order(by_code):
    assert list(by_code) == ["101", "201", "301", "401"]
    assert by_code["201"].kind == "district" and by_code["101"].name == "市教育局"


def test_roster_leaves_out_exempt_inactive_withdrawn_and_unassigned_learners(by_code):
    a = by_code["101"]
    # a_bus3 exempt (counted apart), a_bus4 inactive, a_fin3 withdrawn, a_other no requirement.
    assert a.roster_by_position == {"head": 2, "finance": 2, "business": 3, "other": 0}
    assert a.roster_total == 7
    assert a.exempt == 1


def test_a_late_completion_counts_one_before_the_plan_or_after_make_up_does_not(by_code):
    a = by_code["101"]
    # a_fin1 late (11-15) counts; a_fin2 (before opening) and a_bus5 (after make-up) do not.
    assert a.completed_by_position == {"head": 1, "finance": 1, "business": 1, "other": 0}
    assert a.completed_total == 3


def test_roster_and_completions_by_office_kind(by_code):
    a, b = by_code["101"], by_code["201"]
    # A: the heads sit in the general office; a_bus5 (not done) in 业务科3.
    assert a.roster_by_office_kind == {"business": 3, "finance": 2, "general": 2}
    assert a.completed_by_office_kind == {"business": 1, "finance": 1, "general": 1}
    # B: the head sits in the finance office; the business office has done nothing.
    assert b.roster_by_office_kind == {"business": 1, "finance": 2, "general": 0}
    assert b.completed_by_office_kind == {"business": 0, "finance": 2, "general": 0}


def test_completion_rates_by_hand(by_code):
    a = by_code["101"]
    assert a.completion_rate == pytest.approx(3 / 7)
    assert a.business_completion_rate == pytest.approx(1 / 3)
    assert a.finance_completion_rate == pytest.approx(1 / 2)
    # Business share 3/7 < 50 %: w = 0.5 → 0.5 × 1/3 + 0.5 × 2/4.
    assert a.weighted_completion_rate == pytest.approx(5 / 12)
    b = by_code["201"]
    assert (b.completion_rate, b.business_completion_rate) == (pytest.approx(2 / 3), 0.0)
    assert b.weighted_completion_rate == pytest.approx(0.5 * 0 + 0.5 * 1)


def test_requirement_table_after_the_make_up_deadline(by_code):
    head, finance, business = by_code["101"].requirements
    assert head == {"requirement_id": head["requirement_id"], "position": "head",
                    "course": "负责人课程", "required": 2, "started": 1, "completed": 1,
                    "overdue": 1, "exempt": 0}
    # a_fin2's completion predates the plan: not started, overdue once the due date passed.
    assert (finance["required"], finance["started"], finance["completed"],
            finance["overdue"]) == (2, 1, 1, 1)
    # a_bus1 done; a_bus2 never enrolled; a_bus5 completed too late (started, overdue).
    assert (business["required"], business["started"], business["completed"],
            business["overdue"], business["exempt"]) == (3, 2, 1, 2, 1)


def test_requirement_table_while_the_plan_runs_counts_only_too_late_completions_overdue(world):
    a = participations(world, today=BEFORE_DUE)["101"]
    head, finance, business = a.requirements
    assert (head["overdue"], finance["overdue"], business["overdue"]) == (0, 0, 1)
    assert a.completed_total == 3  # completion does not depend on the day asked


def test_heads_required_completed_and_who_has_not(by_code):
    a = by_code["101"]
    assert (a.heads_required, a.heads_completed) == (2, 1)
    assert a.heads_missing == [{"staff_number": "S002", "name": "a_head2"}]
    assert by_code["201"].heads_missing == []


def test_offices_per_kind_count_only_offices_with_rostered_learners(world, by_code):
    a = by_code["101"]
    business = a.offices["business"]
    # 业务科2 participates (a_bus1); 业务科3 has a_bus5 on the roster, nothing done in time.
    assert (business.total, business.participating, business.active) == (2, 1, 1)
    assert business.coverage == 0.5
    office = world.offices["a_bus3"]
    assert business.missing == [{"unit": office.unit.name, "office": office.name,
                                 "office_id": office.pk, "unit_id": office.unit_id}]
    assert (a.offices["finance"].total, a.offices["finance"].participating) == (1, 1)
    assert (a.offices["general"].total, a.offices["general"].participating) == (1, 1)
    assert by_code["401"].offices["business"].total == 0


def test_exam_participants_average_best_and_pass_rate(by_code):
    # a_bus1 90 (pass), a_bus2 40 (fail); a_bus5's attempt is after the window.
    assert by_code["101"].exam == {"participants": 2, "average_best": 65.0, "pass_rate": 0.5}
    assert by_code["201"].exam == {"participants": 0, "average_best": None, "pass_rate": None}


def test_goal_setting_counts_business_staff_who_passed(by_code):
    # a_bus2 passed (75); a_bus1 submitted 50: best scores average 62.5.
    assert by_code["101"].goal_setting == {"business_passed": 1,
                                           "business_pass_rate": pytest.approx(1 / 3),
                                           "average_best": 62.5}
    assert by_code["301"].goal_setting["business_pass_rate"] is None  # no business staff


def test_flags_of_each_department(by_code):
    assert by_code["101"].flags == [HEAD_INCOMPLETE, IDENTICAL_SUBMISSIONS]
    # B has a business office, but only its finance office took part.
    assert by_code["201"].flags == [FINANCE_ONLY, LOW_BUSINESS_COVERAGE]
    assert by_code["301"].flags == [NO_ACTIVITY]
    assert by_code["401"].flags == []


def test_low_business_coverage_is_strictly_below_the_threshold(world):
    assert LOW_BUSINESS_COVERAGE not in participations(
        world, low_business_coverage=Decimal("0.5"))["101"].flags
    assert LOW_BUSINESS_COVERAGE in participations(
        world, low_business_coverage=Decimal("0.51"))["101"].flags


def test_empty_department_has_no_rates_and_no_flags(by_code):
    d = by_code["401"]
    assert (d.roster_total, d.completed_total, d.exempt) == (0, 0, 0)
    assert (d.completion_rate, d.business_completion_rate, d.weighted_completion_rate) == (
        None, None, None)
    assert all(d.metric(key) is None for key in (
        "heads_completion_rate", "completion_rate", "weighted_completion_rate",
        "business_office_coverage", "exam_pass_rate", "goal_setting_pass_rate"))


def test_department_without_business_office(by_code):
    c = by_code["301"]
    assert c.offices["business"].coverage is None
    assert c.business_completion_rate is None
    assert c.weighted_completion_rate == 0.0  # the others' rate: 0 of 1
    assert LOW_BUSINESS_COVERAGE not in c.flags and FINANCE_ONLY not in c.flags


def test_metric_values_as_decimals(by_code):
    a = by_code["101"]
    assert a.metric("heads_completion_rate") == Decimal("0.5000")
    assert a.metric("completion_rate") == Decimal("0.4286")
    assert a.metric("business_completion_rate") == Decimal("0.3333")
    assert a.metric("weighted_completion_rate") == Decimal("0.4167")
    assert a.metric("business_office_coverage") == Decimal("0.5000")
    assert a.metric("exam_pass_rate") == Decimal("0.5000")
    assert a.metric("goal_setting_pass_rate") == Decimal("0.3333")
    with pytest.raises(KeyError):
        a.metric("nonsense")


def test_department_ids_and_targeted_departments(world):
    only = plan_participation(plan=world.plan, department_ids=[world.departments["B"].pk])
    assert [p.code for p in only] == ["201"]
    world.plan.all_departments = False
    world.plan.departments.set([world.departments["C"], world.departments["A"]])
    world.plan.save()  # a ParentalManyToManyField is written on save
    assert [p.code for p in plan_participation(plan=world.plan)] == ["101", "301"]
    assert plan_participation(plan=world.plan, department_ids=[world.departments["B"].pk]) == []


def test_identical_submissions_need_two_different_learners(world):
    _department, (office,) = department_make("501", offices=("business",), sort_order=9)
    one = learner_make(office, "business", "S900")
    answers = {"rows": [{"name": "同一答案"}]}
    submission_make(one, world.exercise, score=70, on=dt.date(2026, 5, 1), answers=answers)
    submission_make(one, world.exercise, score=70, on=dt.date(2026, 5, 2), answers=answers)
    assert IDENTICAL_SUBMISSIONS not in participations(world)["501"].flags
    other = learner_make(office, "business", "S901")
    submission_make(other, world.exercise, score=80, on=dt.date(2026, 5, 3), answers=answers)
    assert IDENTICAL_SUBMISSIONS in participations(world)["501"].flags


def test_no_activity_only_for_a_roster_without_any_learning(world, by_code):
    assert NO_ACTIVITY not in by_code["401"].flags  # nobody on the roster
    assert NO_ACTIVITY in by_code["301"].flags
    submission_make(world.learners["c_fin"], world.exercise, score=10, on=dt.date(2026, 7, 1))
    c = participations(world)["301"]
    assert NO_ACTIVITY not in c.flags
    assert c.offices["finance"].active == 1 and c.offices["finance"].participating == 0


def test_an_unpublished_plan_elsewhere_changes_nothing(world, by_code):
    plan_make({"business": world.courses["business"]}, year=2027, opens=dt.date(2027, 3, 1),
              due=dt.date(2027, 10, 1), makeup=dt.date(2027, 12, 1), publish=False)
    assert participations(world)["101"].as_json() == by_code["101"].as_json()


def test_without_any_practice_quiz_exercise_or_exam_the_stats_are_empty(world):
    from casebook.models import Exercise
    from courses.models import CoursePage
    from quizzes.models import Quiz

    Quiz.objects.filter(mode="practice").delete()
    CoursePage.objects.filter(pk=world.courses["business"].pk).update(required_quiz=None)
    Exercise.objects.update(kind="find_errors")
    a = participations(world)["101"]
    assert a.exam == {"participants": 0, "average_best": None, "pass_rate": None}
    assert a.practice == {"participants": 0, "average_best": None, "pass_rate": None}
    assert a.goal_setting == {"business_passed": 0, "business_pass_rate": 0.0,
                              "average_best": None}
    assert a.roster_total == 7


def test_practice_quizzes_are_counted_apart_from_the_exam(world):
    from tests.assessments.conftest import attempt_graded, exam_quiz_make

    practice = exam_quiz_make("练习测验", mode="practice", pass_mark=60)
    attempt_graded(world.learners["a_bus1"], practice, percent=50, on=dt.date(2026, 4, 1))
    attempt_graded(world.learners["a_bus1"], practice, percent=70, on=dt.date(2026, 4, 2))
    attempt_graded(world.learners["a_fin1"], practice, percent=30, on=dt.date(2026, 4, 3))
    attempt_graded(world.learners["a_fin2"], practice, percent=99, on=dt.date(2026, 2, 1))
    a = participations(world)["101"]
    assert a.practice == {"participants": 2, "average_best": 50.0, "pass_rate": 0.5}
    assert a.exam["participants"] == 2  # unchanged
