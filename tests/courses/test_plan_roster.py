"""培训完成情况: the roster against a plan for department admins (their department) and the
bureau (every department), its filters, counts, pagination, ids outside the scope, the menu
item, and query counts that do not grow with learners or requirements."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from courses.membership import exemption_grant
from courses.models import Enrolment, PlanAssignment, PlanRequirement
from courses.services import plan_assign
from departments import roles
from tests.courses.membership_helpers import (
    bureau_staff,
    closed_plan,
    department_admin,
    make_learner,
    open_plan,
    user_in_role,
)
from tests.departments.factories import OfficeFactory, UnitFactory
from tests.query_budget import assert_listing_budget

pytestmark = pytest.mark.django_db

URL = "/admin/training-roster/"




@pytest.fixture
def offices(dept_a, dept_b):
    unit = UnitFactory(department=dept_a, code="UA1", name="财政局本级")
    return {"business": OfficeFactory(unit=unit, name="预算科", kind="business"),
            "finance": OfficeFactory(unit=unit, name="财务科", kind="finance"),
            "b": OfficeFactory(unit=UnitFactory(department=dept_b, code="UB1"), name="业务科")}


@pytest.fixture
def courses(make_course):
    return {"business": make_course(title="绩效目标管理"), "head": make_course(title="负责人专题")}


@pytest.fixture
def people(dept_a, dept_b, offices):
    return {
        "a1": make_learner(dept_a, "business", "A0001", office=offices["business"]),
        "a2": make_learner(dept_a, "head", "A0002", office=offices["business"]),
        "a3": make_learner(dept_a, "business", "A0003", office=offices["finance"]),
        "a4": make_learner(dept_a, "other", "A0004", office=offices["business"]),
        "b1": make_learner(dept_b, "business", "B0001", office=offices["b"]),
    }


@pytest.fixture
def plan(courses, people):
    return open_plan(("business", courses["business"]), ("head", courses["head"]))


@pytest.fixture
def admin_a(dept_a):
    return department_admin(dept_a, "admin_a")


def staff_numbers(html: str) -> list[str]:
    return re.findall(r'data-staff-number="([^"]+)"', html)


def count(html: str, status: str) -> int:
    return int(re.search(rf'data-status-count="{status}">(\d+)<', html).group(1))


def test_a_department_admin_sees_their_department_against_the_plan(client, plan, admin_a,
                                                                   courses):
    client.force_login(admin_a)
    html = client.get(URL).content.decode()
    assert "培训完成情况" in html and plan.title in html
    # By department, unit, office (财务科 before 预算科), 工号; A0004: nothing required.
    assert staff_numbers(html) == ["A0003", "A0001", "A0002"]
    assert "B0001" not in html
    assert "绩效目标管理" in html and "负责人专题" in html
    assert html.count('data-status="not_started"') == 3
    assert count(html, "not_started") == 3 and count(html, "completed") == 0
    assert "免修…" in html  # the admin may exempt
    assert 'name="department"' not in html  # one department: no department filter


def test_the_bureau_sees_every_department_and_filters_by_one(client, plan, dept_b):
    client.force_login(bureau_staff())
    html = client.get(URL).content.decode()
    assert staff_numbers(html) == ["A0003", "A0001", "A0002", "B0001"]
    assert "免修…" not in html and "只能查看" in html  # read-only
    html = client.get(f"{URL}?department={dept_b.pk}").content.decode()
    assert staff_numbers(html) == ["B0001"]


def test_filters_office_kind_position_status_and_name(client, plan, admin_a, people, courses,
                                                      offices):
    Enrolment.objects.create(user=people["a1"].user, course=courses["business"],
                             status="completed", completed_at=timezone.now(),
                             credited_hours=courses["business"].credit_hours)
    exemption_grant(assignment=PlanAssignment.objects.get(user=people["a3"].user),
                    reason="long_leave", note="病假", user=admin_a)
    client.force_login(admin_a)
    html = client.get(URL).content.decode()
    assert (count(html, "completed"), count(html, "exempt"), count(html, "not_started")) == (
        1, 1, 1)
    assert "撤销免修…" in html

    def numbers(query):
        return staff_numbers(client.get(f"{URL}?{query}").content.decode())

    assert numbers(f"office={offices['finance'].pk}") == ["A0003"]
    assert numbers("office_kind=finance") == ["A0003"]
    assert numbers("position=head") == ["A0002"]
    assert numbers("status=completed") == ["A0001"]
    assert numbers("status=exempt") == ["A0003"]
    assert numbers("status=not_started&position=business") == []
    assert numbers("q=A0002") == ["A0002"]
    assert numbers(f"q={people['a1'].user.first_name}") == ["A0001"]
    # A value that is no choice is no filter.
    assert numbers("status=bogus&office_kind=<script>") == ["A0003", "A0001", "A0002"]


def test_ids_outside_the_scope_or_unknown_answer_404(client, plan, admin_a, dept_b, offices):
    client.force_login(admin_a)
    for query in (f"department={dept_b.pk}", f"office={offices['b'].pk}", "plan=999999",
                  "plan=abc", "office=-1", "department=１", "plan=99999999999999999999"):
        assert client.get(f"{URL}?{query}").status_code == 404, query
    draft = open_plan(("business", PlanRequirement.objects.first().course), publish=False,
                      title="草稿计划")
    assert client.get(f"{URL}?plan={draft.pk}").status_code == 404


def test_an_older_plan_can_be_chosen_and_is_read_only(client, plan, admin_a, courses):
    old = closed_plan(("business", courses["business"]), title="上一年度计划")
    client.force_login(admin_a)
    html = client.get(URL).content.decode()
    assert "上一年度计划" in html  # in the picker; this year's open plan is the default
    assert f'<option value="{plan.pk}" selected' in html
    html = client.get(f"{URL}?plan={old.pk}").content.decode()
    assert html.count('data-status="overdue"') == 2
    assert "免修…" not in html and "补学截止日期已过" in html


def test_pagination(client, plan, admin_a, monkeypatch):
    from courses import views_admin_plans

    monkeypatch.setattr(views_admin_plans, "ROSTER_PER_PAGE", 2)
    client.force_login(admin_a)
    first = client.get(URL).content.decode()
    assert staff_numbers(first) == ["A0003", "A0001"] and "下一页" in first
    second = client.get(f"{URL}?plan={plan.pk}&page=2").content.decode()
    assert staff_numbers(second) == ["A0002"]
    assert staff_numbers(client.get(f"{URL}?page=abc").content.decode()) == ["A0003", "A0001"]


def test_the_menu_item_and_the_page_are_for_department_admins_and_the_bureau(client, plan,
                                                                            admin_a,
                                                                            people):
    client.force_login(admin_a)
    assert URL in client.get("/admin/").content.decode()
    client.force_login(bureau_staff())
    assert URL in client.get("/admin/").content.decode()
    editor = user_in_role(roles.EDITOR, "editor")
    client.force_login(editor)
    assert URL not in client.get("/admin/").content.decode()
    assert client.get(URL).status_code in (302, 403)
    assert client.get(f"{URL}exemptions/").status_code in (302, 403)
    client.force_login(people["a1"].user)  # a learner has no admin access at all
    assert client.get(URL).status_code in (302, 403)
    client.logout()
    assert client.get(URL).status_code == 302


def test_without_a_published_plan_the_page_says_so(client, admin_a):
    client.force_login(admin_a)
    assert "尚未发布任何培训计划" in client.get(URL).content.decode()


def test_queries_do_not_grow_with_learners_or_requirements(client, plan, admin_a, dept_a,
                                                           offices, make_course,
                                                           django_assert_max_num_queries):
    client.force_login(admin_a)

    def grow():
        for n in range(15):
            make_learner(dept_a, "business" if n % 2 else "head", f"A1{n:03d}",
                         office=offices["finance" if n % 3 else "business"])
        for n in range(3):
            PlanRequirement.objects.create(plan=plan, position="business",
                                           course=make_course(title=f"课程{n}"),
                                           sort_order=10 + n)
        plan_assign(plan=plan)
        exemption_grant(assignment=PlanAssignment.objects.filter(
            user__learner__staff_number="A1001").first(), reason="other", note="说明",
            user=admin_a)

    assert_listing_budget(client, f"{URL}?plan={plan.pk}", budget=30, grow=grow,
                          assert_max_num_queries=django_assert_max_num_queries)
    html = client.get(URL).content.decode()
    assert len(staff_numbers(html)) == 18
    assert "课程2" in html


def test_the_bureau_roster_query_count_does_not_grow_either(client, plan, dept_b, offices,
                                                            django_assert_max_num_queries):
    client.force_login(bureau_staff())

    def grow():
        for n in range(10):
            make_learner(dept_b, "business", f"B1{n:03d}", office=offices["b"])
        plan_assign(plan=plan)

    assert_listing_budget(client, f"{URL}?department={dept_b.pk}", budget=30, grow=grow,
                          assert_max_num_queries=django_assert_max_num_queries)
