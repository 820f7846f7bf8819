"""Exemptions: entered and revoked by the learner's department admin with a required reason,
scope checked at write time, read-only for the bureau, auditable, in Chinese; and the admin
pages that enter, revoke and list them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from courses.membership import exemption_grant, exemption_revoke
from courses.models import PlanAssignment, PlanExemption
from courses.selectors import RequirementStatus, plan_assignment_states
from departments.models import Learner
from tests.courses.membership_helpers import (
    bureau_staff,
    closed_plan,
    department_admin,
    make_learner,
    open_plan,
)
from tests.departments.factories import OfficeFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db




@pytest.fixture
def course(make_course):
    return make_course(title="绩效目标管理")


@pytest.fixture
def person_a(dept_a):
    return make_learner(dept_a, "business", "A0001")


@pytest.fixture
def person_b(dept_b):
    return make_learner(dept_b, "business", "B0001")


@pytest.fixture
def plan(course, person_a, person_b):
    return open_plan(("business", course))


@pytest.fixture
def admin_a(dept_a):
    return department_admin(dept_a, "admin_a")


@pytest.fixture
def admin_b(dept_b):
    return department_admin(dept_b, "admin_b")


def assignment_of(person) -> PlanAssignment:
    return PlanAssignment.objects.get(user=person.user)


def status_of(plan, person) -> str:
    [state] = plan_assignment_states(plan=plan, user_ids=[person.user_id])
    return state.status


def messages_of(error) -> str:
    return " ".join(error.value.messages)


# --- Granting -----------------------------------------------------------------------------------


def test_a_department_admin_exempts_their_learner_and_the_status_says_so(plan, person_a,
                                                                        admin_a):
    exemption = exemption_grant(assignment=assignment_of(person_a), reason="long_leave",
                                note="  病假六个月  ", user=admin_a)
    assert (exemption.reason, exemption.note, exemption.created_by) == (
        "long_leave", "病假六个月", admin_a)
    assert exemption.created_at is not None and exemption.in_force
    assert status_of(plan, person_a) == RequirementStatus.EXEMPT


def test_an_admin_of_another_department_cannot_exempt(plan, person_a, admin_b):
    with pytest.raises(PermissionDenied) as error:
        exemption_grant(assignment=assignment_of(person_a), reason="long_leave", note="借调",
                        user=admin_b)
    assert "不在" in str(error.value)
    assert not PlanExemption.objects.exists()


def test_a_learner_moved_away_after_the_form_was_read_is_refused(plan, person_a, admin_a,
                                                                 dept_b):
    assignment = assignment_of(person_a)  # the form was read while A0001 was in dept A
    Learner.objects.filter(pk=person_a.pk).update(
        office=OfficeFactory(unit=UnitFactory(department=dept_b)))
    with pytest.raises(PermissionDenied):
        exemption_grant(assignment=assignment, reason="secondment", note="借调到区里",
                        user=admin_a)
    assert not PlanExemption.objects.exists()


def test_bureau_staff_only_read_and_a_superuser_may_step_in(plan, person_a):
    with pytest.raises(PermissionDenied) as error:
        exemption_grant(assignment=assignment_of(person_a), reason="other", note="说明",
                        user=bureau_staff())
    assert "财政局只能查看" in str(error.value)
    for nobody in (UserFactory(username="plain"), person_a.user):
        with pytest.raises(PermissionDenied):
            exemption_grant(assignment=assignment_of(person_a), reason="other", note="说明",
                            user=nobody)
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert exemption_grant(assignment=assignment_of(person_a), reason="other", note="说明",
                           user=root).created_by == root


@pytest.mark.parametrize(("note", "expected"), [
    ("", "请填写免修说明"), ("   \n ", "请填写免修说明"), (None, "请填写免修说明"),
    ("长" * 501, "不能超过 500 个字（现有 501 个字）"), ("病假\x00", "控制字符"),
])
def test_the_explanation_is_required_bounded_and_clean(plan, person_a, admin_a, note,
                                                       expected):
    with pytest.raises(ValidationError) as error:
        exemption_grant(assignment=assignment_of(person_a), reason="long_leave", note=note,
                        user=admin_a)
    assert expected in messages_of(error)
    assert not PlanExemption.objects.exists()
    assert exemption_grant(assignment=assignment_of(person_a), reason="long_leave",
                           note="长" * 500, user=admin_a).note == "长" * 500


def test_an_unknown_reason_is_refused(plan, person_a, admin_a):
    with pytest.raises(ValidationError) as error:
        exemption_grant(assignment=assignment_of(person_a), reason="holiday", note="度假",
                        user=admin_a)
    assert "请从列表中选择免修原因" in messages_of(error)


def test_joined_late_needs_a_cut_off_and_a_learner_added_after_it(course, dept_a, admin_a):
    today = timezone.localdate()
    veteran = make_learner(dept_a, "business", "A0001")
    newcomer = make_learner(dept_a, "business", "A0002")
    Learner.objects.filter(pk=veteran.pk).update(
        created_at=timezone.now() - dt.timedelta(days=40))
    without_cutoff = open_plan(("business", course), title="无截止日期的计划")
    with pytest.raises(ValidationError) as error:
        exemption_grant(assignment=PlanAssignment.objects.get(
            user=newcomer.user, requirement__plan=without_cutoff),
            reason="joined_late", note="新入职", user=admin_a)
    assert "未设置入职截止日期" in messages_of(error)

    plan = open_plan(("business", course), joined_cutoff=today - dt.timedelta(days=10),
                     title="有截止日期的计划")
    with pytest.raises(ValidationError) as error:
        exemption_grant(assignment=PlanAssignment.objects.get(user=veteran.user,
                                                              requirement__plan=plan),
                        reason="joined_late", note="新入职", user=admin_a)
    assert "并非在本计划的入职截止日期" in messages_of(error)
    exemption = exemption_grant(
        assignment=PlanAssignment.objects.get(user=newcomer.user, requirement__plan=plan),
        reason="joined_late", note="十天前入职", user=admin_a)
    assert exemption.reason == "joined_late"


def test_a_withdrawn_assignment_or_a_closed_plan_cannot_be_exempted(course, person_a, admin_a):
    plan = open_plan(("business", course))
    assignment = PlanAssignment.objects.get(user=person_a.user, requirement__plan=plan)
    PlanAssignment.objects.filter(pk=assignment.pk).update(withdrawn_at=timezone.now())
    with pytest.raises(ValidationError) as error:
        exemption_grant(assignment=assignment, reason="long_leave", note="病假", user=admin_a)
    assert "已不再承担此项培训要求" in messages_of(error)

    old = closed_plan(("business", course), title="去年的计划")
    with pytest.raises(ValidationError) as error:
        exemption_grant(assignment=PlanAssignment.objects.get(user=person_a.user,
                                                              requirement__plan=old),
                        reason="long_leave", note="病假", user=admin_a)
    assert "补学截止日期" in messages_of(error) and "已过" in messages_of(error)
    assert not PlanExemption.objects.exists()


def test_a_double_submit_enters_one_exemption(plan, person_a, admin_a):
    exemption_grant(assignment=assignment_of(person_a), reason="long_leave", note="病假",
                    user=admin_a)
    with pytest.raises(ValidationError) as error:
        exemption_grant(assignment=assignment_of(person_a), reason="long_leave", note="病假",
                        user=admin_a)
    assert "已免修" in messages_of(error)
    assert PlanExemption.objects.count() == 1
    # And the database itself holds to one in force, whatever a caller does.
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanExemption.objects.create(assignment=assignment_of(person_a), reason="other",
                                     note="重复")


# --- Revoking -----------------------------------------------------------------------------------


def test_revoking_needs_a_reason_keeps_the_record_and_allows_a_new_exemption(plan, person_a,
                                                                            admin_a, admin_b):
    exemption = exemption_grant(assignment=assignment_of(person_a), reason="secondment",
                                note="借调三个月", user=admin_a)
    with pytest.raises(ValidationError) as error:
        exemption_revoke(exemption=exemption, note=" ", user=admin_a)
    assert "请填写撤销免修的原因" in messages_of(error)
    with pytest.raises(PermissionDenied):
        exemption_revoke(exemption=exemption, note="提前结束", user=admin_b)
    with pytest.raises(PermissionDenied):
        exemption_revoke(exemption=exemption, note="提前结束", user=bureau_staff())
    revoked = exemption_revoke(exemption=exemption, note="借调提前结束", user=admin_a)
    assert (revoked.revoked_by, revoked.revoke_note) == (admin_a, "借调提前结束")
    assert revoked.revoked_at is not None
    assert status_of(plan, person_a) == RequirementStatus.NOT_STARTED
    with pytest.raises(ValidationError) as error:
        exemption_revoke(exemption=exemption, note="再撤销一次", user=admin_a)
    assert "已被撤销" in messages_of(error)
    exemption_grant(assignment=assignment_of(person_a), reason="long_leave", note="病假",
                    user=admin_a)
    assert PlanExemption.objects.count() == 2  # the revoked one stays in the history


# --- Admin pages --------------------------------------------------------------------------------


def exempt_url(assignment) -> str:
    return f"/admin/training-roster/assignments/{assignment.pk}/exempt/"


def revoke_url(exemption) -> str:
    return f"/admin/training-roster/exemptions/{exemption.pk}/revoke/"


def test_the_exemption_form_enters_it_and_returns_to_the_roster(client, plan, person_a,
                                                                admin_a):
    client.force_login(admin_a)
    url = exempt_url(assignment_of(person_a))
    html = client.get(url).content.decode()
    assert "登记免修" in html and "长期休假" in html and "截止日期后入职" not in html
    back = f"/admin/training-roster/?plan={plan.pk}&position=business"
    response = client.post(url, {"reason": "long_leave", "note": "病假半年", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert PlanExemption.objects.get().note == "病假半年"
    # An outside address is never followed.
    exemption_revoke(exemption=PlanExemption.objects.get(), note="撤销", user=admin_a)
    response = client.post(url, {"reason": "long_leave", "note": "再次", "next":
                                 "https://evil.example/admin/training-roster/?"})
    assert response["Location"] == f"/admin/training-roster/?plan={plan.pk}"


def test_the_form_shows_errors_in_chinese_and_writes_nothing(client, plan, person_a, admin_a):
    client.force_login(admin_a)
    html = client.post(exempt_url(assignment_of(person_a)),
                       {"reason": "long_leave", "note": ""}).content.decode()
    assert "请填写免修说明" in html
    html = client.post(exempt_url(assignment_of(person_a)),
                       {"reason": "joined_late", "note": "新人"}).content.decode()
    assert "选择一个有效的选项" in html or "有效" in html
    assert not PlanExemption.objects.exists()


def test_foreign_and_unknown_ids_answer_404(client, plan, person_a, person_b, admin_a, admin_b):
    exemption = exemption_grant(assignment=assignment_of(person_b), reason="other",
                                note="说明", user=admin_b)
    client.force_login(admin_a)
    for url in (exempt_url(assignment_of(person_b)), revoke_url(exemption),
                "/admin/training-roster/assignments/999999/exempt/",
                "/admin/training-roster/assignments/99999999999999999999/exempt/",
                "/admin/training-roster/exemptions/999999/revoke/"):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": "other", "note": "越权"}).status_code == 404, url
    assert PlanExemption.objects.count() == 1 and PlanExemption.objects.get().in_force


def test_a_learner_moved_between_reading_and_posting_the_form_is_refused(client, plan,
                                                                         person_a, admin_a,
                                                                         dept_b):
    client.force_login(admin_a)
    url = exempt_url(assignment_of(person_a))
    assert client.get(url).status_code == 200
    Learner.objects.filter(pk=person_a.pk).update(
        office=OfficeFactory(unit=UnitFactory(department=dept_b)))
    assert client.post(url, {"reason": "other", "note": "说明"}).status_code == 404
    assert not PlanExemption.objects.exists()


def test_bureau_staff_cannot_open_the_forms(client, plan, person_a, admin_a):
    exemption = exemption_grant(assignment=assignment_of(person_a), reason="other",
                                note="说明", user=admin_a)
    client.force_login(bureau_staff())
    # Wagtail answers a refused admin page with a redirect to the dashboard and a message.
    assert client.get(exempt_url(assignment_of(person_a))).status_code in (302, 403)
    assert client.post(revoke_url(exemption), {"note": "撤销"}).status_code in (302, 403)
    assert client.post(exempt_url(assignment_of(person_a)),
                       {"reason": "other", "note": "越权"}).status_code in (302, 403)
    assert PlanExemption.objects.get().in_force


def test_every_post_needs_the_csrf_token(plan, person_a, admin_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_a)
    assert client.post(exempt_url(assignment_of(person_a)),
                       {"reason": "other", "note": "说明"}).status_code == 403
    assert not PlanExemption.objects.exists()


def test_revoking_in_the_admin(client, plan, person_a, admin_a):
    exemption = exemption_grant(assignment=assignment_of(person_a), reason="secondment",
                                note="借调", user=admin_a)
    client.force_login(admin_a)
    html = client.get(revoke_url(exemption)).content.decode()
    assert "撤销免修" in html and "借调" in html
    assert "请填写撤销免修的原因" in client.post(revoke_url(exemption),
                                                 {"note": ""}).content.decode()
    response = client.post(revoke_url(exemption), {"note": "借调结束"})
    assert response.status_code == 302
    exemption.refresh_from_db()
    assert (exemption.revoke_note, exemption.revoked_by) == ("借调结束", admin_a)
    assert client.get(revoke_url(exemption)).status_code == 404  # nothing left to revoke


def test_the_history_shows_who_when_why_bureau_all_admins_theirs(client, plan, person_a,
                                                                 person_b, admin_a, admin_b):
    mine = exemption_grant(assignment=assignment_of(person_a), reason="secondment",
                           note="借调到区财政局", user=admin_a)
    exemption_revoke(exemption=mine, note="借调提前结束", user=admin_a)
    exemption_grant(assignment=assignment_of(person_b), reason="long_leave", note="产假",
                    user=admin_b)
    client.force_login(admin_a)
    html = client.get("/admin/training-roster/exemptions/").content.decode()
    assert "免修记录" in html and "借调到区财政局" in html and "借调提前结束" in html
    assert "借调挂职" in html and admin_a.first_name in html  # reason and who entered it
    assert "产假" not in html and "B0001" not in html

    client.force_login(bureau_staff())
    html = client.get("/admin/training-roster/exemptions/").content.decode()
    assert "借调到区财政局" in html and "产假" in html
    filtered = client.get(f"/admin/training-roster/exemptions/?plan={plan.pk}")
    assert filtered.status_code == 200
    assert client.get("/admin/training-roster/exemptions/?plan=999999").status_code == 404
    assert client.get("/admin/training-roster/exemptions/?plan=abc").status_code == 404


def test_an_admin_on_the_roster_cannot_exempt_themselves_or_revoke_their_own(plan, person_a,
                                                                            admin_a, dept_a):
    """Review (issue 10): a learner account given the department-admin role may not excuse
    itself from its own training; another admin (or the bureau's superuser) has to."""
    from django.contrib.auth.models import Group

    from departments import roles

    person_a.user.groups.add(Group.objects.get(name=roles.DEPARTMENT_ADMIN))
    dept_a.admins.add(person_a.user)
    me = type(person_a.user).objects.get(pk=person_a.user_id)
    with pytest.raises(PermissionDenied) as error:
        exemption_grant(assignment=assignment_of(person_a), reason="long_leave", note="我请假",
                        user=me)
    assert "不能为自己" in str(error.value)
    assert not PlanExemption.objects.exists()
    exemption = exemption_grant(assignment=assignment_of(person_a), reason="long_leave",
                                note="病假", user=admin_a)
    with pytest.raises(PermissionDenied):
        exemption_revoke(exemption=exemption, note="我自己撤销", user=me)
    client = Client()
    client.force_login(me)
    response = client.post(f"/admin/training-roster/exemptions/{exemption.pk}/revoke/",
                           {"note": "我自己撤销"})
    assert response.status_code == 200 and "不能为自己" in response.content.decode()
    assert PlanExemption.objects.get().in_force


def test_the_history_query_count_does_not_grow_with_exemptions(client, course, dept_a,
                                                               admin_a):
    """Review (issue 10): the exemption history joins learner, office, unit, department, plan,
    course and both admins in its one listing query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    people = [make_learner(dept_a, "business", f"A{n:04d}") for n in range(1, 7)]
    open_plan(("business", course))
    client.force_login(admin_a)
    client.get("/admin/training-roster/exemptions/")  # warm the caches
    counts = {}
    for total in (1, 6):
        for person in people[:total]:
            assignment = assignment_of(person)
            if not assignment.exemptions.exists():
                exemption_grant(assignment=assignment, reason="long_leave", note="病假",
                                user=admin_a)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/admin/training-roster/exemptions/")
        assert response.status_code == 200
        assert response.content.decode().count("病假") >= total
        counts[total] = len(queries)
    assert counts[1] == counts[6], counts
