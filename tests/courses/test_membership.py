"""Plan membership follows the roster: every write path that adds a learner or changes their
position, office, department or activity sends `roster_changed` after commit, and the plan
assignments follow (assigned, withdrawn keeping progress, assigned again); idempotent, with a
fixed number of queries per batch; enrolments record the requirement they are for."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses import membership
from courses.models import Enrolment, LessonCompletion, LessonPage, PlanAssignment
from courses.services import enrolment_ensure, plan_assign
from departments.models import Learner
from departments.roster import RosterRow
from departments.services import learner_create, roster_import
from departments.signals import roster_changed
from tests.courses.membership_helpers import (
    bureau_staff,
    closed_plan,
    department_admin,
    in_force,
    make_learner,
    open_plan,
    withdrawn,
)
from tests.departments.factories import OfficeFactory, UnitFactory

pytestmark = pytest.mark.django_db




@pytest.fixture
def courses(make_course):
    return {"business": make_course(title="绩效目标管理"),
            "finance": make_course(title="绩效评价"),
            "head": make_course(title="负责人专题")}


@pytest.fixture
def plan(courses):
    return open_plan(("business", courses["business"]), ("finance", courses["finance"]),
                     ("head", courses["head"]))


def row(number: str, position: str, *, name="张三", dept=("A01", "财政局"), unit="UA1",
        office="业务科", kind="business") -> RosterRow:
    return RosterRow(department_code=dept[0], department_name=dept[1], unit_code=unit,
                     unit_name="预算单位甲", office_name=office, office_kind=kind, name=name,
                     staff_number=number, position=position)


def import_roster(capture, rows, **kwargs):
    with capture(execute=True) as callbacks:
        report = roster_import(rows=rows, **kwargs)
    assert report.ok, report.errors
    return report, callbacks


def user_of(number: str):
    return Learner.objects.get(staff_number=number).user


# --- The roster import --------------------------------------------------------------------------


def test_a_learner_added_by_a_roster_import_is_assigned(plan, courses, dept_a,
                                                        django_capture_on_commit_callbacks):
    import_roster(django_capture_on_commit_callbacks,
                  [row("A0001", "business"), row("A0002", "head", name="李四")])
    assert in_force(user_of("A0001"), plan) == {courses["business"].pk}
    assert in_force(user_of("A0002"), plan) == {courses["head"].pk}


def test_a_position_change_withdraws_the_old_requirement_keeps_progress_and_assigns_the_new(
        plan, courses, dept_a, django_capture_on_commit_callbacks):
    import_roster(django_capture_on_commit_callbacks, [row("A0001", "business")])
    user = user_of("A0001")
    business = courses["business"]
    enrolment = enrolment_ensure(user=user, course=business)
    lesson = LessonPage.objects.child_of(business).first()
    LessonCompletion.objects.create(user=user, lesson=lesson, how="explicit")
    old_assignment = PlanAssignment.objects.get(user=user)

    import_roster(django_capture_on_commit_callbacks, [row("A0001", "finance")])

    assert in_force(user, plan) == {courses["finance"].pk}
    assert withdrawn(user, plan) == {business.pk}
    old_assignment.refresh_from_db()
    assert old_assignment.withdrawn_at is not None  # withdrawn, not deleted
    assert Enrolment.objects.filter(pk=enrolment.pk, requirement=old_assignment.requirement
                                    ).exists()  # progress kept
    assert LessonCompletion.objects.filter(user=user, lesson=lesson).exists()


def test_deactivated_by_the_import_then_back_on_the_roster(plan, courses, dept_a,
                                                           django_capture_on_commit_callbacks):
    import_roster(django_capture_on_commit_callbacks,
                  [row("A0001", "business"), row("A0002", "business", name="李四")])
    leaver = user_of("A0002")
    assignment = PlanAssignment.objects.get(user=leaver)

    report, _ = import_roster(django_capture_on_commit_callbacks, [row("A0001", "business")],
                              deactivate_missing=True)
    assert report.deactivated == 1
    assert in_force(leaver, plan) == set() and withdrawn(leaver, plan) == {courses["business"].pk}
    assert in_force(user_of("A0001"), plan) == {courses["business"].pk}

    import_roster(django_capture_on_commit_callbacks,
                  [row("A0001", "business"), row("A0002", "business", name="李四")])
    assert in_force(leaver, plan) == {courses["business"].pk}
    assert list(PlanAssignment.objects.filter(user=leaver).values_list("pk", flat=True)) == [
        assignment.pk]  # the same row assigned again, not a second one


def test_a_dry_run_or_a_refused_import_changes_no_assignment(plan, dept_a,
                                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = roster_import(rows=[row("A0001", "business")], dry_run=True)
        bad = roster_import(rows=[row("A0002", "business"), row("", "business")])
    assert report.ok and not bad.ok
    assert callbacks == []
    assert not PlanAssignment.objects.exists()


def test_an_unchanged_row_or_a_new_phone_sends_nothing(plan, dept_a,
                                                       django_capture_on_commit_callbacks):
    import_roster(django_capture_on_commit_callbacks, [row("A0001", "business")])
    sent = []

    def listen(sender, learner_ids, **kwargs):
        sent.append(learner_ids)

    roster_changed.connect(listen)
    try:
        changed = RosterRow(**{**row("A0001", "business").__dict__, "phone": "13800138000"})
        import_roster(django_capture_on_commit_callbacks, [changed])
        import_roster(django_capture_on_commit_callbacks, [row("A0001", "head")])
    finally:
        roster_changed.disconnect(listen)
    assert sent == [[Learner.objects.get(staff_number="A0001").pk]]


# --- Other write paths --------------------------------------------------------------------------


def test_learner_create_assigns(plan, courses, dept_a, django_capture_on_commit_callbacks):
    office = OfficeFactory(unit=UnitFactory(department=dept_a))
    with django_capture_on_commit_callbacks(execute=True):
        learner = learner_create(staff_number="A0009", name="王五", office=office,
                                 position="finance")
    assert in_force(learner.user, plan) == {courses["finance"].pk}


def test_the_admin_learner_form_moves_the_assignment(client, plan, courses, dept_a,
                                                     django_capture_on_commit_callbacks):
    office = OfficeFactory(unit=UnitFactory(department=dept_a))
    learner = make_learner(dept_a, "business", "A0001", office=office)
    plan_assign(plan=plan)
    client.force_login(bureau_staff())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/organisation/learners/edit/{learner.pk}/", {
            "staff_number": "A0001", "name": "张三", "email": "", "office": office.pk,
            "position": "head", "phone": "", "is_active": "on"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert in_force(learner.user, plan) == {courses["head"].pk}
    assert withdrawn(learner.user, plan) == {courses["business"].pk}

    with django_capture_on_commit_callbacks(execute=True):  # unticked "active"
        client.post(f"/admin/organisation/learners/edit/{learner.pk}/", {
            "staff_number": "A0001", "name": "张三", "email": "", "office": office.pk,
            "position": "head", "phone": ""})
    assert in_force(learner.user, plan) == set()


def test_a_new_learner_entered_in_the_admin_is_assigned(client, plan, courses, dept_a,
                                                        django_capture_on_commit_callbacks):
    office = OfficeFactory(unit=UnitFactory(department=dept_a))
    client.force_login(department_admin(dept_a))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/organisation/learners/new/", {
            "staff_number": "A0100", "name": "赵六", "email": "", "office": office.pk,
            "position": "business", "phone": "", "is_active": "on"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert in_force(user_of("A0100"), plan) == {courses["business"].pk}


def test_an_account_switched_off_and_on_follows(plan, courses, dept_a,
                                                django_capture_on_commit_callbacks):
    learner = make_learner(dept_a, "business", "A0001")
    plan_assign(plan=plan)
    user = learner.user
    with django_capture_on_commit_callbacks(execute=True):
        user.is_active = False
        user.save()
    assert in_force(user, plan) == set()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        user.save(update_fields=["last_login"])  # a login: not about activity, nothing sent
    assert callbacks == []
    with django_capture_on_commit_callbacks(execute=True):
        user.is_active = True
        user.save()
    assert in_force(user, plan) == {courses["business"].pk}


def test_an_office_moved_to_another_department_follows_the_plans_departments(
        client, courses, dept_a, dept_b, django_capture_on_commit_callbacks):
    plan = open_plan(("business", courses["business"]), departments=[dept_a])
    office = OfficeFactory(unit=UnitFactory(department=dept_a), name="业务科")
    learner = make_learner(dept_a, "business", "A0001", office=office)
    plan_assign(plan=plan)
    assert in_force(learner.user, plan) == {courses["business"].pk}
    unit_b = UnitFactory(department=dept_b)
    client.force_login(bureau_staff())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/organisation/offices/edit/{office.pk}/", {
            "name": "业务科", "unit": unit_b.pk, "kind": "business"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert in_force(learner.user, plan) == set()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/organisation/units/edit/{unit_b.pk}/", {
            "code": unit_b.code, "name": unit_b.name, "department": dept_a.pk})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert in_force(learner.user, plan) == {courses["business"].pk}


def test_a_deleted_learner_record_is_withdrawn(plan, courses, dept_a,
                                               django_capture_on_commit_callbacks):
    learner = make_learner(dept_a, "business", "A0001")
    plan_assign(plan=plan)
    user = learner.user
    with django_capture_on_commit_callbacks(execute=True):
        learner.delete()
    assert in_force(user, plan) == set() and withdrawn(user, plan) == {courses["business"].pk}


def test_the_departments_app_never_imports_courses():
    root = Path(__file__).resolve().parents[2] / "departments"
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(name.split(".")[0] in {"courses", "assessments"} for name in names), \
                path


# --- The synchronisation itself -----------------------------------------------------------------


def test_running_it_again_changes_nothing(plan, dept_a):
    people = [make_learner(dept_a, position, f"A{n:04d}")
              for n, position in enumerate(["business", "finance", "head", "other"] * 3)]
    first = membership.plan_membership_sync()
    assert first.created == 9
    again = membership.plan_membership_sync(learner_ids=[p.pk for p in people])
    full = membership.plan_membership_sync(plan=plan)
    for changes in (again, full):
        assert (changes.created, changes.reassigned, changes.withdrawn) == (0, 0, 0)
    assert plan_assign(plan=plan) == 0
    assert PlanAssignment.objects.count() == 9


def test_a_closed_plan_is_left_alone_by_roster_changes(courses, dept_a,
                                                       django_capture_on_commit_callbacks):
    learner = make_learner(dept_a, "business", "A0001")
    old = closed_plan(("business", courses["business"]))
    assert in_force(learner.user, old) == {courses["business"].pk}
    with django_capture_on_commit_callbacks(execute=True):
        learner.position = "finance"
        learner.save()
        from departments.signals import roster_changed_on_commit

        roster_changed_on_commit(learner_ids=[learner.pk])
    assert in_force(learner.user, old) == {courses["business"].pk}  # the record stays
    # Saving the old plan again (plan_assign) adds what is missing but withdraws nothing.
    assert plan_assign(plan=old) == 0
    assert in_force(learner.user, old) == {courses["business"].pk}


def test_an_unpublished_plan_assigns_nobody(courses, dept_a):
    make_learner(dept_a, "business", "A0001")
    open_plan(("business", courses["business"]), publish=False)
    assert membership.plan_membership_sync().created == 0
    assert not PlanAssignment.objects.exists()


def test_matching_has_one_definition():
    rules = membership.PlanRules(plan_id=1, open=True, all_departments=False,
                                 department_ids=frozenset({7}),
                                 requirements_by_position={"business": (11, 12), "head": (13,)})

    def facts(**kw):
        base = {"learner_id": 1, "user_id": 1, "position": "business", "active": True,
                "department_id": 7}
        return membership.LearnerFacts(**{**base, **kw})

    assert membership.requirements_matching(rules=rules, learner=facts()) == (11, 12)
    assert membership.requirements_matching(rules=rules, learner=facts(position="head")) == (13,)
    assert membership.requirements_matching(rules=rules, learner=facts(position="other")) == ()
    assert membership.requirements_matching(rules=rules, learner=facts(active=False)) == ()
    assert membership.requirements_matching(rules=rules, learner=facts(department_id=8)) == ()


def _mixed_changes(dept, plan, courses, prefix: str, size: int) -> list[int]:
    """`size` learners of each kind: new (to assign), moved to another position (withdraw
    one, assign another), back on the roster (assign again), each with a started enrolment."""
    newcomers = [make_learner(dept, "business", f"{prefix}N{n:03d}") for n in range(size)]
    movers = [make_learner(dept, "business", f"{prefix}M{n:03d}") for n in range(size)]
    returners = [make_learner(dept, "finance", f"{prefix}R{n:03d}") for n in range(size)]
    membership.plan_membership_sync(learner_ids=[p.pk for p in movers + returners])
    Learner.objects.filter(pk__in=[p.pk for p in returners]).update(is_active=False)
    membership.plan_membership_sync(learner_ids=[p.pk for p in returners])
    Learner.objects.filter(pk__in=[p.pk for p in returners]).update(is_active=True)
    Learner.objects.filter(pk__in=[p.pk for p in movers]).update(position="head")
    for person in newcomers:
        Enrolment.objects.create(user=person.user, course=courses["business"])
    return [p.pk for p in newcomers + movers + returners]


def test_queries_per_batch_do_not_grow_with_learners_plans_or_requirements(
        plan, courses, dept_a, make_course):
    counts = {}
    for size in (1, 12):
        ids = _mixed_changes(dept_a, plan, courses, f"S{size}", size)
        with CaptureQueriesContext(connection) as queries:
            changes = membership.plan_membership_sync(learner_ids=ids)
        assert (changes.created, changes.reassigned, changes.withdrawn) == (
            2 * size, size, size)
        assert changes.enrolments_linked == size
        counts[size] = len(queries)
    # A second open plan with more requirements: still the same number.
    extra = [make_course(title=f"课程{n}") for n in range(3)]
    open_plan(*[("business", course) for course in extra], ("head", courses["head"]),
              title="专项培训计划")
    ids = _mixed_changes(dept_a, plan, courses, "T", 5)
    with CaptureQueriesContext(connection) as queries:
        membership.plan_membership_sync(learner_ids=ids)
    counts["two plans"] = len(queries)
    print(f"plan_membership_sync queries per batch: {counts}")
    assert counts[1] == counts[12] == counts["two plans"] <= 10, counts


def test_the_full_run_works_in_batches(plan, courses, dept_a):
    people = [make_learner(dept_a, "business", f"A{n:04d}") for n in range(7)]
    PlanAssignment.objects.all().delete()
    Learner.objects.filter(pk=people[0].pk).update(position="finance")
    changes = membership.plan_membership_sync(plan=plan, batch_size=2)
    assert changes.created == 7
    assert in_force(people[0].user, plan) == {courses["finance"].pk}


def test_the_receiver_queues_the_task_in_chunks(monkeypatch, plan, dept_a,
                                                django_capture_on_commit_callbacks):
    from courses import tasks

    monkeypatch.setattr(membership, "MEMBERSHIP_BATCH_SIZE", 2)
    queued = []
    monkeypatch.setattr(tasks.plan_membership_sync, "delay",
                        lambda ids, **kwargs: queued.append((ids, kwargs)))
    with django_capture_on_commit_callbacks(execute=True):
        roster_changed.send(sender=Learner, learner_ids=[5, 1, 3, 3, 4])
    assert queued == [([1, 3], {}), ([4, 5], {})]


def test_the_task_syncs_and_tolerates_unknown_ids(plan, courses, dept_a):
    from courses.tasks import plan_membership_sync

    learner = make_learner(dept_a, "head", "A0001")
    assert plan_membership_sync([learner.pk, 10**9]) == 1
    assert plan_membership_sync([learner.pk], user_ids=[10**9]) == 0
    assert in_force(learner.user, plan) == {courses["head"].pk}


# --- Enrolment.requirement ----------------------------------------------------------------------


def test_an_enrolment_in_a_required_course_records_the_requirement(plan, courses, dept_a):
    learner = make_learner(dept_a, "business", "A0001")
    plan_assign(plan=plan)
    required = enrolment_ensure(user=learner.user, course=courses["business"])
    own = enrolment_ensure(user=learner.user, course=courses["finance"])
    assert required.requirement.plan == plan
    assert required.requirement.course_id == courses["business"].pk
    assert own.requirement is None


def test_an_enrolment_started_before_the_assignment_is_linked_when_assigned(
        plan, courses, dept_a, django_capture_on_commit_callbacks):
    learner = make_learner(dept_a, "finance", "A0001")
    plan_assign(plan=plan)
    early = enrolment_ensure(user=learner.user, course=courses["business"])
    other = enrolment_ensure(user=learner.user, course=courses["head"])
    assert early.requirement is None
    with django_capture_on_commit_callbacks(execute=True):
        learner.position = "business"
        learner.save()
        from departments.signals import roster_changed_on_commit

        roster_changed_on_commit(learner_ids=[learner.pk])
    early.refresh_from_db()
    other.refresh_from_db()
    assert early.requirement.course_id == courses["business"].pk
    assert other.requirement is None


def test_a_withdrawn_assignment_does_not_mark_a_new_enrolment(plan, courses, dept_a):
    learner = make_learner(dept_a, "business", "A0001")
    plan_assign(plan=plan)
    PlanAssignment.objects.update(withdrawn_at=timezone.now() - dt.timedelta(days=1))
    assert enrolment_ensure(user=learner.user, course=courses["business"]).requirement is None
