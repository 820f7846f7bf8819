"""Review sweep (issue 10): every new courses URL under hostile and oversized parameters, as a
learner, a department admin, the bureau and an anonymous visitor. Nothing answers 500, and no
page shows another department's (or another learner's) data."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from courses.certificates.services import certificates_issue_due
from courses.membership import exemption_grant
from courses.models import (
    Certificate,
    Enrolment,
    EnrolmentStatus,
    ExemptionReason,
    Notification,
    NotificationKind,
    PlanAssignment,
    PlanExemption,
)
from courses.notifications.services import notification_create
from tests.courses.membership_helpers import (
    bureau_staff,
    department_admin,
    make_learner,
    open_plan,
)
from tests.departments.factories import UserFactory

pytestmark = pytest.mark.django_db

HOSTILE = ["99999999999999999999", "-1", "0", "abc", "1.5", "%00", "１２", "1e3",
           "9" * 400, "", "٣", "1%0A2"]
BIG = "99999999999999999999"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(dept_a, dept_b, make_course):
    course = make_course(title="绩效目标管理", lessons=1)
    la = make_learner(dept_a, "business", "A0001")
    lb = make_learner(dept_b, "business", "B0001")
    la.user.first_name, lb.user.first_name = "甲学员", "乙学员外单位"
    la.user.save(update_fields=["first_name"])
    lb.user.save(update_fields=["first_name"])
    plan = open_plan(("business", course))
    admin_a = department_admin(dept_a)
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    for learner in (la, lb):
        Enrolment.objects.create(user=learner.user, course=course,
                                 status=EnrolmentStatus.COMPLETED,
                                 completed_at=timezone.now(),
                                 credited_hours=course.credit_hours)
    certificates_issue_due()
    notification_create(user=lb.user, kind=NotificationKind.CERTIFICATE, title="乙的通知",
                        url="/my/training/")
    return {"course": course, "la": la, "lb": lb, "plan": plan, "admin_a": admin_a,
            "bureau": bureau_staff(), "superuser": superuser}


def _urls(world) -> list[str]:
    plan = world["plan"]
    lesson = world["course"].get_children().first()
    assignment_b = PlanAssignment.objects.get(user=world["lb"].user)
    cert_b = Certificate.objects.get(user=world["lb"].user)
    note_b = Notification.objects.filter(user=world["lb"].user).first()
    urls = [
        "/my/training/", "/my/notifications/", world["course"].url, lesson.url,
        "/certificates/verify/", "/admin/training-roster/",
        "/admin/training-roster/exemptions/", "/admin/certificates/",
        f"/certificates/{cert_b.serial}/", f"/certificates/{cert_b.serial}/pdf/",
        f"/admin/training-roster/assignments/{assignment_b.pk}/exempt/",
        f"/admin/certificates/inspect/{cert_b.pk}/",
        f"/my/notifications/{note_b.pk}/open/",
    ]
    for value in HOSTILE:
        urls += [
            f"/my/notifications/?page={value}",
            f"/certificates/verify/?code={value}",
            f"/certificates/verify/{value or 'x'}/",
            f"/certificates/{value or 'x'}/", f"/certificates/{value or 'x'}/pdf/",
            f"/admin/training-roster/?plan={value}",
            f"/admin/training-roster/?plan={plan.pk}&department={value}",
            f"/admin/training-roster/?plan={plan.pk}&office={value}",
            f"/admin/training-roster/?plan={plan.pk}&page={value}",
            f"/admin/training-roster/?plan={plan.pk}&status={value}&position={value}"
            f"&office_kind={value}&q={value}",
            f"/admin/training-roster/exemptions/?plan={value}&page={value}",
            f"/admin/training-roster/assignments/{value or 'x'}/exempt/",
            f"/admin/training-roster/exemptions/{value or 'x'}/revoke/",
            f"/admin/certificates/?plan={value}&kind={value}&revoked={value}&p={value}"
            f"&q={value}&ordering={value}",
            f"/admin/certificates/inspect/{value or 'x'}/",
            f"/admin/certificates/revoke/{value or 'x'}/",
            f"/my/notifications/{value or 'x'}/open/",
            f"/courses/lessons/{value or 'x'}/heartbeat/",
            f"/courses/lessons/{value or 'x'}/complete/",
        ]
    urls += [
        "/certificates/verify/" + "１" * 16 + "/", "/certificates/verify/" + "é" * 64 + "/",
        "/admin/training-roster/?q=" + "甲" * 5000,
        f"/admin/training-roster/?plan={plan.pk}&department={world['lb'].office.unit.department_id}",
        f"/admin/training-roster/?plan={plan.pk}&office={world['lb'].office_id}",
        "/my/notifications/?page=" + "9" * 5000,
    ]
    return urls


def _sweep(client: Client, urls: list[str], *, forbidden: list[str]) -> None:
    failures = []
    for url in urls:
        for method in ("get", "post"):
            cache.clear()  # the verification throttle would hide the page behind 429
            response = getattr(client, method)(url)
            body = response.content.decode("utf-8", "replace") if response.get(
                "Content-Type", "").startswith("text/") else ""
            if response.status_code >= 500:
                failures.append((method, url[:120], response.status_code))
            leaked = [text for text in forbidden if text in body]
            if leaked and response.status_code == 200:
                failures.append((method, url[:120], f"shows {leaked}"))
    assert failures == []


def test_a_learner_meets_no_500_and_sees_nobody_else(world):
    client = Client(raise_request_exception=False)
    client.force_login(world["la"].user)
    _sweep(client, _urls(world), forbidden=["乙学员外单位", "乙的通知", "B0001"])


def test_a_department_admin_meets_no_500_and_sees_no_other_department(world):
    client = Client(raise_request_exception=False)
    client.force_login(world["admin_a"])
    _sweep(client, _urls(world), forbidden=["乙学员外单位", "乙的通知", "B0001"])


def test_the_bureau_meets_no_500(world):
    client = Client(raise_request_exception=False)
    client.force_login(world["bureau"])
    _sweep(client, _urls(world), forbidden=["乙的通知"])


def test_an_anonymous_visitor_meets_no_500(world):
    _sweep(Client(raise_request_exception=False), _urls(world),
           forbidden=["乙学员外单位", "乙的通知", "B0001", "甲学员"])


def test_nothing_was_written_by_the_sweep(world):
    """GET and token-less POSTs change nothing (the exemption and revoke forms, notifications)."""
    client = Client(raise_request_exception=False, enforce_csrf_checks=True)
    client.force_login(world["admin_a"])
    _sweep(client, _urls(world), forbidden=[])
    assert not PlanExemption.objects.exists()
    assert not Notification.objects.filter(read_at__isnull=False).exists()
    assert not Certificate.objects.filter(revoked_at__isnull=False).exists()


def test_a_superuser_exemption_in_another_department_stays_out_of_the_admin_s_history(world):
    exemption_grant(assignment=PlanAssignment.objects.get(user=world["lb"].user),
                    reason=ExemptionReason.LONG_LEAVE, note="外单位长期病假",
                    user=world["superuser"])
    client = Client()
    client.force_login(world["admin_a"])
    response = client.get("/admin/training-roster/exemptions/")
    assert response.status_code == 200
    assert "外单位长期病假" not in response.content.decode()
    exemption = PlanExemption.objects.get()
    assert client.get(f"/admin/training-roster/exemptions/{exemption.pk}/revoke/"
                      ).status_code == 404


def test_the_certificate_admin_s_other_views_stay_closed_to_a_department_admin(world):
    """Edit, delete, history and usage views of the viewset: nothing of another department's
    certificate, and no way to change one."""
    cert_b = Certificate.objects.get(user=world["lb"].user)
    client = Client(raise_request_exception=False)
    client.force_login(world["admin_a"])
    for view in ("edit", "delete", "history", "usage", "inspect"):
        response = client.get(f"/admin/certificates/{view}/{cert_b.pk}/")
        assert response.status_code in (302, 403, 404), (view, response.status_code)
        assert "乙学员外单位" not in response.content.decode()


def test_the_sweep_sees_real_pages(world):
    """The sweep's "nothing foreign shown" means something: the same pages show one's own."""
    client = Client()
    client.force_login(world["admin_a"])
    assert "甲学员" in client.get("/admin/training-roster/").content.decode()
    assert "甲学员" in client.get("/admin/certificates/").content.decode()
    client.force_login(world["la"].user)
    serial = Certificate.objects.get(user=world["la"].user).serial
    assert "甲学员" in client.get(f"/certificates/{serial}/").content.decode()
    client.force_login(world["lb"].user)
    assert "乙的通知" in client.get("/my/notifications/").content.decode()
