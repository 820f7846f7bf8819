"""Annual training plans: admin validation and permissions, publishing once, assignment by
position × department, derived statuses (late, overdue) and the learner's 我的培训 page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses.models import Enrolment, LessonCompletion, LessonPage, PlanAssignment, TrainingPlan
from courses.models.plans import PlanRequirement
from courses.selectors import RequirementStatus, plan_progress_of_learner
from courses.services import plan_assign, plan_publish
from departments import roles
from departments.services import roles_ensure
from tests.departments.factories import (
    LearnerFactory,
    OfficeFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

YEAR = 2026
OPENS, DUE, MAKEUP = dt.date(YEAR, 1, 1), dt.date(YEAR, 6, 30), dt.date(YEAR, 7, 31)


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))




def learner(dept, position: str, number: str, **fields):
    office = OfficeFactory(unit=UnitFactory(department=dept))
    return LearnerFactory(office=office, position=position, staff_number=number, **fields)


@pytest.fixture
def bureau_user(db):
    roles_ensure()
    user = UserFactory(username="bureau")
    user.groups.add(Group.objects.get(name=roles.BUREAU_STAFF))
    return user


def make_plan(*courses_by_position, year=YEAR, opens=OPENS, due=DUE, makeup=MAKEUP,
              departments=None, title=None) -> TrainingPlan:
    plan = TrainingPlan.objects.create(
        year=year, title=title or f"{year}年度培训计划", opens_on=opens, due_on=due,
        makeup_until=makeup, all_departments=departments is None,
        min_credit_hours=Decimal("2.0"))
    if departments:
        plan.departments.set(departments)
        plan.save()
    for order, (position, course) in enumerate(courses_by_position):
        PlanRequirement.objects.create(plan=plan, position=position, course=course,
                                       sort_order=order)
    return plan


def published(plan, user=None) -> TrainingPlan:
    plan_publish(plan=plan, user=user, enqueue=False)
    plan_assign(plan=plan)
    return plan


# --- Admin: validation and permissions ---------------------------------------------------------


def plan_post(course=None, *, opens="2026-01-01", due="2026-06-30", makeup="2026-07-31"):
    data = {
        "year": "2026", "title": "2026年度培训计划", "opens_on": opens, "due_on": due,
        "makeup_until": makeup, "all_departments": "on", "min_credit_hours": "2.0",
        "reminder_days": "14,7,1", "remind_weekly_after_due": "on",
        "requirements-TOTAL_FORMS": "1" if course else "0", "requirements-INITIAL_FORMS": "0",
        "requirements-MIN_NUM_FORMS": "0", "requirements-MAX_NUM_FORMS": "1000",
    }
    if course:
        data.update({"requirements-0-position": "business",
                     "requirements-0-course": str(course.pk),
                     "requirements-0-ORDER": "1", "requirements-0-DELETE": "",
                     "requirements-0-id": ""})
    return data


def test_bureau_creates_a_plan_with_a_requirement_in_the_admin(client, bureau_user, make_course):
    course = make_course()
    client.force_login(bureau_user)
    assert client.get("/admin/training-plans/new/").status_code == 200
    response = client.post("/admin/training-plans/new/", plan_post(course))
    assert response.status_code == 302, response.content.decode()[:2000]
    plan = TrainingPlan.objects.get()
    assert [(r.position, r.course_id) for r in plan.requirements.all()] == [
        ("business", course.pk)]
    assert not plan.is_published
    edit = client.get(f"/admin/training-plans/edit/{plan.pk}/").content.decode()
    assert f"/admin/training-plans/publish/{plan.pk}/" in edit


def test_the_same_course_twice_for_a_position_and_a_wrong_year_are_refused(client, bureau_user,
                                                                          make_course):
    course = make_course()
    client.force_login(bureau_user)
    data = plan_post(course)
    data.update({"requirements-TOTAL_FORMS": "2", "requirements-1-position": "business",
                 "requirements-1-course": str(course.pk), "requirements-1-ORDER": "2",
                 "requirements-1-DELETE": "", "requirements-1-id": ""})
    assert "同一岗位重复要求了同一门课程" in client.post(
        "/admin/training-plans/new/", data).content.decode()
    response = client.post("/admin/training-plans/new/", plan_post(
        course, opens="2025-12-01", due="2026-06-30"))
    assert "这是 2026 年度的计划" in response.content.decode()
    assert not TrainingPlan.objects.exists()


def test_impossible_dates_are_refused_in_chinese_and_nothing_is_saved(client, bureau_user,
                                                                     make_course):
    course = make_course()
    client.force_login(bureau_user)
    response = client.post("/admin/training-plans/new/",
                           plan_post(course, due="2026-08-31", makeup="2026-07-31"))
    assert response.status_code == 200
    assert "日期不合理" in response.content.decode()
    assert not TrainingPlan.objects.exists()


def test_a_plan_without_requirements_is_refused_in_chinese(client, bureau_user):
    client.force_login(bureau_user)
    response = client.post("/admin/training-plans/new/", plan_post())
    assert response.status_code == 200
    assert "至少添加一项培训要求" in response.content.decode()
    assert not TrainingPlan.objects.exists()


def test_plans_are_the_bureaus_only(client, make_course):
    roles_ensure()
    admin = UserFactory(username="dept_admin", is_staff=True)
    admin.groups.add(Group.objects.get(name=roles.DEPARTMENT_ADMIN))
    plan = make_plan(("business", make_course()))
    client.force_login(admin)
    for url in ("/admin/training-plans/", "/admin/training-plans/new/",
                f"/admin/training-plans/edit/{plan.pk}/",
                f"/admin/training-plans/publish/{plan.pk}/"):
        assert client.get(url).status_code in (302, 403), url
    assert client.post(f"/admin/training-plans/publish/{plan.pk}/").status_code in (302, 403)
    assert not TrainingPlan.objects.get().is_published


# --- Publishing and assignment -----------------------------------------------------------------


def test_publishing_twice_publishes_and_assigns_once(bureau_user, make_course, dept_a,
                                                     django_capture_on_commit_callbacks):
    learner(dept_a, "business", "L0001")
    plan = make_plan(("business", make_course()))
    with django_capture_on_commit_callbacks() as callbacks:
        assert plan_publish(plan=plan, user=bureau_user) is True
        assert plan_publish(plan=plan, user=bureau_user) is False
    assert len(callbacks) == 1  # one assignment task queued, not two
    first_published_at = TrainingPlan.objects.get().published_at
    assert plan_assign(plan=plan) == 1
    assert plan_assign(plan=plan) == 0
    assert PlanAssignment.objects.count() == 1
    assert TrainingPlan.objects.get().published_at == first_published_at


def test_the_publish_button_assigns_through_the_task(client, bureau_user, make_course, dept_a,
                                                     django_capture_on_commit_callbacks,
                                                     settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    eager, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        person = learner(dept_a, "business", "L0001")
        plan = make_plan(("business", make_course()))
        client.force_login(bureau_user)
        assert "发布" in client.get(f"/admin/training-plans/publish/{plan.pk}/").content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/admin/training-plans/publish/{plan.pk}/")
            client.post(f"/admin/training-plans/publish/{plan.pk}/")  # a double click
    finally:
        app.conf.task_always_eager = eager  # as it was: later tests rely on the test settings
    assert TrainingPlan.objects.get().published_by == bureau_user
    assert list(PlanAssignment.objects.values_list("user_id", flat=True)) == [person.user_id]


def test_a_plan_without_requirements_cannot_be_published(bureau_user):
    plan = make_plan()
    with pytest.raises(Exception, match="没有培训要求"):
        plan_publish(plan=plan, user=bureau_user)
    assert not TrainingPlan.objects.get().is_published


def test_assignment_follows_position_and_target_departments(make_course, dept_a, dept_b):
    goals, briefing = make_course(title="绩效目标管理"), make_course(title="负责人专题")
    business_a = learner(dept_a, "business", "A0001")
    head_a = learner(dept_a, "head", "A0002")
    learner(dept_a, "finance", "A0003")                     # no requirement for finance
    learner(dept_b, "business", "B0001")                     # department not targeted
    learner(dept_a, "business", "A0004", is_active=False)    # inactive learner
    plan = published(make_plan(("business", goals), ("head", briefing), departments=[dept_a]))
    assert set(PlanAssignment.objects.values_list("user_id", "requirement__course_id")) == {
        (business_a.user_id, goals.pk), (head_a.user_id, briefing.pk)}
    assert plan.is_published


def test_assignment_in_small_batches_reaches_everyone_once(make_course, dept_a):
    people = [learner(dept_a, "business", f"A{n:04d}") for n in range(7)]
    plan = published(make_plan(("business", make_course())))
    assert plan_assign(plan=plan, batch_size=2) == 0
    PlanAssignment.objects.filter(user=people[3].user).delete()
    assert plan_assign(plan=plan, batch_size=2) == 1
    assert PlanAssignment.objects.count() == 7


def test_a_learner_added_later_is_assigned_when_the_task_runs_again(make_course, dept_a):
    learner(dept_a, "business", "A0001")
    plan = published(make_plan(("business", make_course())))
    newcomer = learner(dept_a, "business", "A0002")
    assert not PlanAssignment.objects.filter(user=newcomer.user).exists()
    assert plan_assign(plan=plan) == 1
    assert PlanAssignment.objects.filter(user=newcomer.user).count() == 1
    assert PlanAssignment.objects.count() == 2


def test_an_unpublished_plan_assigns_nobody(make_course, dept_a):
    learner(dept_a, "business", "A0001")
    plan = make_plan(("business", make_course()))
    assert plan_assign(plan=plan) == 0
    assert not PlanAssignment.objects.exists()


# --- Statuses -----------------------------------------------------------------------------------


def status_of(user, course, today):
    [progress] = plan_progress_of_learner(user=user, today=today)
    return next(item for item in progress.items if item.course.pk == course.pk)


def complete_on(user, course, day):
    for lesson in LessonPage.objects.child_of(course):
        LessonCompletion.objects.create(user=user, lesson=lesson, how="explicit",
                                        completed_at=at(day))
    Enrolment.objects.update_or_create(user=user, course=course, defaults={
        "status": "completed", "completed_at": at(day), "credited_hours": course.credit_hours,
        "started_at": at(day)})


def test_statuses_not_started_in_progress_completed_late_and_overdue(make_course, dept_a):
    courses = [make_course(title=f"课程{n}") for n in range(5)]
    person = learner(dept_a, "business", "A0001")
    user = person.user
    published(make_plan(*[("business", course) for course in courses]))
    early, late, never, started, after = courses
    complete_on(user, early, DUE - dt.timedelta(days=3))
    complete_on(user, late, DUE + dt.timedelta(days=5))
    complete_on(user, after, MAKEUP + dt.timedelta(days=1))
    LessonCompletion.objects.create(user=user, lesson=LessonPage.objects.child_of(
        started).first(), how="explicit")

    before_due = DUE - dt.timedelta(days=1)
    assert status_of(user, never, before_due).status == RequirementStatus.NOT_STARTED
    item = status_of(user, started, before_due)
    assert (item.status, item.lessons_done, item.lessons_total) == (
        RequirementStatus.IN_PROGRESS, 1, 3)
    assert status_of(user, early, before_due).status == RequirementStatus.COMPLETED

    after_due = DUE + dt.timedelta(days=10)
    assert status_of(user, early, after_due).status == RequirementStatus.COMPLETED
    assert status_of(user, late, after_due).status == RequirementStatus.COMPLETED_LATE
    assert status_of(user, never, after_due).status == RequirementStatus.OVERDUE
    assert status_of(user, started, after_due).status == RequirementStatus.OVERDUE
    # Completed after the make-up deadline: no longer counts for the plan.
    assert status_of(user, after, MAKEUP + dt.timedelta(days=2)).status == \
        RequirementStatus.OVERDUE
    [progress] = plan_progress_of_learner(user=user, today=after_due)
    assert progress.earned_hours == Decimal("3.0")  # early + late, 1.5 each; not `after`


# --- 我的培训 -----------------------------------------------------------------------------------


def test_my_training_requires_login():
    response = Client().get("/my/training/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def fixed_today(monkeypatch, day: dt.date):
    original = timezone.localdate

    def localdate(value=None, timezone=None):
        return day if value is None else original(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)


def test_my_training_shows_this_years_requirements_in_chinese(client, monkeypatch, make_course,
                                                              dept_a):
    goals, evaluation = make_course(title="绩效目标管理"), make_course(title="绩效评价")
    person = learner(dept_a, "business", "A0001")
    published(make_plan(("business", goals), ("business", evaluation)))
    published(make_plan(("business", goals), year=YEAR - 1, opens=dt.date(YEAR - 1, 1, 1),
                        due=dt.date(YEAR - 1, 6, 30), makeup=dt.date(YEAR - 1, 7, 31),
                        title="2025年度培训计划"))
    complete_on(person.user, goals, DUE - dt.timedelta(days=1))
    fixed_today(monkeypatch, DUE + dt.timedelta(days=2))
    client.force_login(person.user)
    html = client.get("/my/training/").content.decode()
    assert "我的培训" in html
    assert "2026年度培训计划" in html and "以往年度" in html and "2025年度培训计划" in html
    assert "已完成" in html and "已逾期" in html and "继续学习" in html
    assert "截止日期 2026-06-30" in html and "补学截止 2026-07-31" in html
    assert "已获学时 1.5" in html
    assert "逾期" in html and 'role="alert"' in html
    assert html.index("2026年度培训计划") < html.index("2025年度培训计划")


def test_my_training_never_shows_another_learners_progress(client, make_course, dept_a):
    goals = make_course(title="绩效目标管理")
    me, other = learner(dept_a, "business", "A0001"), learner(dept_a, "head", "A0002")
    briefing = make_course(title="负责人专题")
    published(make_plan(("business", goals), ("head", briefing), year=timezone.localdate().year,
                        opens=dt.date(timezone.localdate().year, 1, 1),
                        due=dt.date(timezone.localdate().year, 12, 31),
                        makeup=dt.date(timezone.localdate().year, 12, 31)))
    complete_on(other.user, briefing, timezone.localdate())
    client.force_login(me.user)
    html = client.get("/my/training/").content.decode()
    assert "绩效目标管理" in html and "未开始" in html
    assert "负责人专题" not in html and "已完成" not in html


def test_my_training_without_a_plan_says_so(client, dept_a):
    person = learner(dept_a, "business", "A0001")
    client.force_login(person.user)
    assert "尚未安排" in client.get("/my/training/").content.decode()


def test_my_training_query_count_does_not_grow_with_requirements(client, make_course, dept_a):
    person = learner(dept_a, "business", "A0001")
    year = timezone.localdate().year
    courses = [make_course(title=f"课程{n}", lessons=2 + n) for n in range(5)]
    plan = published(make_plan(("business", courses[0]), year=year, opens=dt.date(year, 1, 1),
                               due=dt.date(year, 12, 31), makeup=dt.date(year, 12, 31)))
    complete_on(person.user, courses[0], timezone.localdate())
    client.force_login(person.user)
    client.get("/my/training/")  # warm the caches (site root, session)
    counts = {}
    for total in (1, 5):
        for order, course in enumerate(courses[1:total], start=1):
            PlanRequirement.objects.get_or_create(plan=plan, position="business", course=course,
                                                  defaults={"sort_order": order})
        plan_assign(plan=plan)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/my/training/")
        assert response.content.decode().count('data-status="') == total
        counts[total] = len(queries)
    print(f"我的培训 queries: {counts}")
    assert counts[1] == counts[5] <= 12, counts


def test_a_requirement_added_to_a_published_plan_reaches_its_learners(
        client, bureau_user, make_course, dept_a, django_capture_on_commit_callbacks):
    from config.celery import app

    business = learner(dept_a, "business", "L0001")
    finance = learner(dept_a, "finance", "L0002")
    business_course, finance_course = make_course(), make_course()
    plan = published(make_plan(("business", business_course)))
    assert list(PlanAssignment.objects.values_list("user_id", flat=True)) == [business.user_id]
    requirement = plan.requirements.get()
    data = plan_post()
    data.update({
        "requirements-TOTAL_FORMS": "2", "requirements-INITIAL_FORMS": "1",
        "requirements-0-id": str(requirement.pk), "requirements-0-position": "business",
        "requirements-0-course": str(business_course.pk), "requirements-0-ORDER": "1",
        "requirements-0-DELETE": "",
        "requirements-1-id": "", "requirements-1-position": "finance",
        "requirements-1-course": str(finance_course.pk), "requirements-1-ORDER": "2",
        "requirements-1-DELETE": "",
    })
    client.force_login(bureau_user)
    eager, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/admin/training-plans/edit/{plan.pk}/", data)
    finally:
        app.conf.task_always_eager = eager
    assert response.status_code == 302, response.content.decode()[:2000]
    assert sorted(PlanAssignment.objects.values_list("user_id", flat=True)) == sorted(
        [business.user_id, finance.user_id])


def edit_post(plan, requirement, *, delete=False, position=None):
    data = plan_post(opens=plan.opens_on.isoformat(), due=plan.due_on.isoformat(),
                     makeup=plan.makeup_until.isoformat())
    data.update({
        "title": plan.title, "requirements-TOTAL_FORMS": "1", "requirements-INITIAL_FORMS": "1",
        "requirements-0-id": str(requirement.pk),
        "requirements-0-position": position or requirement.position,
        "requirements-0-course": str(requirement.course_id),
        "requirements-0-ORDER": "1", "requirements-0-DELETE": "on" if delete else "",
    })
    return data


def test_an_assigned_requirement_of_a_published_plan_cannot_be_removed_or_repurposed(
        client, bureau_user, make_course, dept_a):
    person = learner(dept_a, "business", "L0001")
    plan = published(make_plan(("business", make_course())))
    requirement = plan.requirements.get()
    assert PlanAssignment.objects.filter(user=person.user).count() == 1
    client.force_login(bureau_user)
    for data in (edit_post(plan, requirement, delete=True),
                 edit_post(plan, requirement, position="finance")):
        response = client.post(f"/admin/training-plans/edit/{plan.pk}/", data)
        assert response.status_code == 200
        assert "已有分配的要求不能删除" in response.content.decode()
    requirement.refresh_from_db()
    assert requirement.position == "business"
    assert PlanAssignment.objects.filter(requirement=requirement).count() == 1


def test_a_course_completed_before_the_plan_opened_does_not_count_for_it(make_course, dept_a):
    """Annual training is redone each year: last year's completion of the same course is not
    this plan's, in 我的培训, in the roster's states and for certificates alike."""
    from courses.certificates.services import certificates_issue_due
    from courses.selectors import plan_assignment_states

    person = learner(dept_a, "business", "L0001")
    course = make_course()
    complete_on(person.user, course, OPENS - dt.timedelta(days=30))
    plan = published(make_plan(("business", course)))

    item = status_of(person.user, course, OPENS + dt.timedelta(days=10))
    assert item.status == RequirementStatus.NOT_STARTED
    assert item.completed_earlier and item.lessons_done == 0
    assert status_of(person.user, course, DUE + dt.timedelta(days=1)).status == \
        RequirementStatus.OVERDUE
    [state] = plan_assignment_states(plan=plan, today=OPENS + dt.timedelta(days=10))
    assert state.status == RequirementStatus.NOT_STARTED and not state.done
    assert certificates_issue_due(plan=plan) == []
