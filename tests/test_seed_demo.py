"""`seed_demo`: the demo content every role logs into, built idempotently through the services."""

import io

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from departments.demo import DEMO_LEARNER_PASSWORD
from departments.demo_organisation import DEMO_ACCOUNTS, PROBLEM_DEPARTMENTS

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"portal", "departments", "quizzes", "casebook", "courses", "assessments",
                "auth", "wagtailcore", "wagtaildocs", "wagtailimages", "taggit"}


def seed():
    call_command("seed_demo", stdout=io.StringIO())


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS
    }


def test_seed_demo_twice_leaves_identical_counts():
    seed()
    first = row_counts()
    seed()
    assert row_counts() == first
    assert first["wagtailcore.Revision"] > 0  # no new revision on the second run either


def test_seed_demo_builds_the_organisation_the_bureau_assesses():
    from departments.models import Department, Learner, Office, Unit

    seed()
    assert Department.objects.filter(kind="city").count() >= 15
    assert Department.objects.filter(kind="district").count() >= 3
    assert Unit.objects.count() >= 2 * Department.objects.count()
    assert set(Office.objects.values_list("kind", flat=True)) == {"finance", "business",
                                                                  "general"}
    assert 280 <= Learner.objects.count() <= 340
    assert set(Learner.objects.values_list("position", flat=True)) == {
        "head", "finance", "business", "other"}


def test_problem_departments_only_have_finance_staff_with_accounts():
    from departments.models import Learner

    seed()
    in_problem = Learner.objects.filter(office__unit__department__code__in=PROBLEM_DEPARTMENTS)
    activated = in_problem.exclude(user__password__startswith="!")
    assert activated.exists()
    assert set(activated.values_list("office__kind", flat=True)) == {"finance"}
    assert in_problem.filter(office__kind="business").exists()
    healthy = Learner.objects.exclude(office__unit__department__code__in=PROBLEM_DEPARTMENTS)
    assert not healthy.filter(user__password__startswith="!").exists()


def test_every_demo_account_logs_in_with_its_documented_password():
    seed()
    request = RequestFactory().post("/accounts/login/")
    for account in DEMO_ACCOUNTS:
        user = authenticate(request, username=account["username"],
                            password=account["password"])
        assert user is not None, account["username"]


def test_a_seeded_learner_logs_in_with_the_shared_demo_password():
    from departments.models import Learner

    seed()
    learner = Learner.objects.exclude(
        office__unit__department__code__in=PROBLEM_DEPARTMENTS).order_by("staff_number").first()
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username=learner.staff_number,
                        password=DEMO_LEARNER_PASSWORD) == learner.user


def test_seed_demo_publishes_the_policy_library():
    from portal.models import PolicyDocumentPage

    seed()
    numbers = set(PolicyDocumentPage.objects.live().values_list("doc_number", flat=True))
    for expected in ["中发〔2018〕34号", "财预〔2020〕10号", "财预〔2021〕101号",
                     "财预〔2019〕136号", "财预〔2015〕88号", "乌海政发〔2021〕30号",
                     "内财监函〔2022〕493号"]:
        assert expected in numbers
    assert PolicyDocumentPage.objects.live().count() >= 9


def test_seed_demo_publishes_this_years_plan_to_heads_business_and_finance_staff(client):
    from django.utils import timezone

    from courses.models import PlanAssignment, TrainingPlan
    from departments.models import Learner

    seed()
    plan = TrainingPlan.objects.get(year=timezone.localdate().year)
    assert plan.is_published and plan.all_departments
    assert {r.position: r.course.title for r in plan.requirements.select_related("course")} == {
        "head": "负责人专题：预算绩效管理的主体责任", "business": "绩效目标管理",
        "finance": "绩效评价：单位自评与重点评价"}
    active = Learner.objects.filter(is_active=True, user__is_active=True)
    assert PlanAssignment.objects.filter(requirement__plan=plan).count() == active.filter(
        position__in=["head", "business", "finance"]).count()
    head = active.filter(position="head").first()
    client.force_login(head.user)
    html = client.get("/my/training/").content.decode()
    assert plan.title in html and "负责人专题：预算绩效管理的主体责任" in html
    assert "绩效目标管理" not in html
