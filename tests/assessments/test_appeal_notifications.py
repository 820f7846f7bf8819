"""Appeal (申诉) notifications: filing tells every bureau account (not the filer, nobody of
another department) and answering tells the department's admins, in the app and by e-mail,
only once the write commits; refused writes tell nobody; the links open the right pages; the
query count does not grow with the number of bureau accounts; user text is escaped."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.users.models import UserProfile

from assessments import services
from assessments.models import Appeal
from courses.models import Notification, NotificationKind
from departments import roles
from tests.assessments.scoring_ui_helpers import *  # noqa: F403 - the fixtures
from tests.assessments.scoring_ui_helpers import YEAR, item
from tests.courses.membership_helpers import bureau_staff, department_admin, user_in_role

pytestmark = pytest.mark.django_db

INBOX = f"/admin/assessment-scores/{YEAR}/appeals/?status=pending"
BASE = "https://jixiao.example.gov.cn"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_BASE_URL = BASE + "/"


@pytest.fixture
def admin_b(dept_b):
    return department_admin(dept_b, "admin_b")


def file(scheme, department, user, reason="负责人已于11月完成，见证书", code="training-heads"):
    return services.appeal_file(scheme=scheme, department=department,
                                item=item(scheme, code), reason=reason, user=user)


def notices(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user))


def open_notice(client, notice):
    """Open the notice from the list as its recipient; the page its link leads to."""
    response = client.post(reverse("notifications:open", args=[notice.pk]))
    assert response.status_code == 302 and response.url == notice.url
    return client.get(notice.url)


# --- Filing -------------------------------------------------------------------------------------


def test_filing_notifies_each_bureau_account_once_committed(
        client, scheme, bureau, admin_a, admin_b, learner, dept_a,
        django_capture_on_commit_callbacks, mailoutbox):
    second = bureau_staff("bureau2")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        appeal = file(scheme, dept_a, admin_a)
    assert callbacks and not Notification.objects.exists()  # nothing before the commit
    for callback in callbacks:
        callback()
    assert {n.user_id for n in Notification.objects.all()} == {bureau.pk, second.pk}
    [notice] = notices(bureau)
    assert notice.kind == NotificationKind.APPEAL_FILED
    assert notice.title == "新申诉：市教育局 · 负责人完成"
    assert "负责人已于11月完成，见证书" in notice.body and "2026年度考核" in notice.body
    assert notice.url == INBOX == (reverse("assessment_scoring:appeals", args=[YEAR])
                                   + "?status=pending")
    assert not notices(admin_a) and not notices(admin_b) and not notices(learner)
    assert not mailoutbox  # no one here has an e-mail address

    client.force_login(bureau)
    listing = client.get(reverse("notifications:list")).content.decode()
    assert "新申诉：市教育局 · 负责人完成" in listing and ">新申诉<" in listing  # the kind's tag
    page = open_notice(client, notice)
    assert page.status_code == 200
    html = page.content.decode()
    assert "负责人已于11月完成，见证书" in html and f"appeal-answer-{appeal.pk}" in html


def test_filing_through_the_sheet_notifies_and_emails_the_bureau(
        client, scheme, bureau, admin_a, dept_a, django_capture_on_commit_callbacks,
        mailoutbox):
    bureau.email = "bureau@example.gov.cn"
    bureau.save(update_fields=["email"])
    bureau_staff("no_address")
    client.force_login(admin_a)
    heads = item(scheme, "training-heads")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("assessment_scoring:appeal_file",
                                       args=[YEAR, dept_a.pk, heads.pk]),
                               {"reason": "负责人已于11月完成"})
    assert response.status_code == 302
    assert Notification.objects.count() == 2  # the one without an address is told in the app
    [email] = mailoutbox
    assert email.to == ["bureau@example.gov.cn"]
    assert email.subject == "新申诉：市教育局 · 负责人完成"
    assert "负责人已于11月完成" in email.body and BASE + INBOX in email.body
    assert email.extra_headers["Content-Language"] == "zh-hans"
    html = email.alternatives[0][0]
    assert "查看申诉" in html and (BASE + INBOX).replace("&", "&amp;") in html


def test_an_english_speaking_bureau_account_gets_english(
        scheme, bureau, admin_a, dept_a, django_capture_on_commit_callbacks):
    UserProfile.objects.create(user=bureau, preferred_language="en")
    with django_capture_on_commit_callbacks(execute=True):
        file(scheme, dept_a, admin_a)
    [notice] = notices(bureau)
    assert notice.title == "New appeal: 市教育局 · 负责人完成"
    assert (f"{admin_a.first_name} appealed the points of “负责人完成” in the 2026 assessment "
            "of 市教育局. Points when filed: ") in notice.body
    assert "Reason: 负责人已于11月完成，见证书" in notice.body


# --- Answering ----------------------------------------------------------------------------------


def test_accepting_notifies_the_department_admins_with_the_new_points(
        client, scheme, bureau, admin_a, admin_b, dept_a, django_capture_on_commit_callbacks,
        mailoutbox):
    admin_a.email = "admin_a@example.gov.cn"
    admin_a.save(update_fields=["email"])
    colleague = department_admin(dept_a, "admin_a2")
    appeal = file(scheme, dept_a, admin_a)  # filed outside a commit: no notices
    with django_capture_on_commit_callbacks(execute=True):
        services.appeal_answer(appeal=appeal, accept=True, reply="核实无误，予以调整",
                               new_points="1", user=bureau)
    [notice] = notices(admin_a)
    assert notice.kind == NotificationKind.APPEAL_ANSWERED
    assert notice.title == "申诉已采纳：负责人完成"
    assert "该项得分改为 1 分" in notice.body and "答复：核实无误，予以调整" in notice.body
    sheet = reverse("assessment_scoring:sheet", args=[YEAR, dept_a.pk])
    assert notice.url == f"{sheet}#appeal-entry-{appeal.pk}"
    assert [n.title for n in notices(colleague)] == ["申诉已采纳：负责人完成"]
    assert not notices(bureau) and not notices(admin_b)
    [email] = mailoutbox
    assert email.to == ["admin_a@example.gov.cn"] and email.subject == notice.title

    client.force_login(admin_a)
    page = open_notice(client, notice)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="appeal-entry-{appeal.pk}"' in html and "核实无误，予以调整" in html


def test_rejecting_notifies_the_filer_with_the_reply(
        client, scheme, bureau, admin_a, dept_a, django_capture_on_commit_callbacks):
    appeal = file(scheme, dept_a, admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.appeal_answer(appeal=appeal, accept=False, reply="未见证明材料", user=bureau)
    [notice] = notices(admin_a)
    assert notice.title == "申诉已驳回：负责人完成"
    assert "得分不变" in notice.body and "答复：未见证明材料" in notice.body
    client.force_login(admin_a)
    page = open_notice(client, notice)
    assert page.status_code == 200 and "未见证明材料" in page.content.decode()


# --- Refused writes tell nobody -----------------------------------------------------------------


def test_refused_filings_and_answers_notify_nobody(
        scheme, bureau, admin_a, admin_b, dept_a, django_capture_on_commit_callbacks,
        mailoutbox):
    appeal = file(scheme, dept_a, admin_a)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for refused in (
                lambda: file(scheme, dept_a, admin_b),  # another department's admin
                lambda: file(scheme, dept_a, admin_a, reason="再次申诉"),  # already pending
                lambda: file(scheme, dept_a, admin_a, reason="  ", code="org-rules"),
                lambda: services.appeal_answer(appeal=appeal, accept=True, reply="",
                                               new_points="1", user=admin_a),  # not bureau
                lambda: services.appeal_answer(appeal=appeal, accept=True, reply="",
                                               user=bureau)):  # no new points
            with pytest.raises(ValidationError):
                refused()
    assert not callbacks and not Notification.objects.exists() and not mailoutbox
    services.appeal_answer(appeal=appeal, accept=False, reply="维持", user=bureau)
    with (django_capture_on_commit_callbacks(execute=True) as callbacks,
          pytest.raises(ValidationError)):  # already answered
        services.appeal_answer(appeal=appeal, accept=False, reply="改判", user=bureau)
    assert not callbacks and not Notification.objects.exists()
    assert Appeal.objects.count() == 1


# --- Query count --------------------------------------------------------------------------------


def _file_and_commit(scheme, department, user, code, capture) -> int:
    with CaptureQueriesContext(connection) as queries, capture(execute=True):
        file(scheme, department, user, code=code)
    return len(queries)


def test_the_query_count_does_not_grow_with_the_bureau(
        scheme, bureau, admin_a, dept_a, django_capture_on_commit_callbacks, mailoutbox):
    bureau.email = "bureau@example.gov.cn"
    bureau.save(update_fields=["email"])
    few = _file_and_commit(scheme, dept_a, admin_a, "training-heads",
                           django_capture_on_commit_callbacks)
    for number in range(25):
        user_in_role(roles.BUREAU_STAFF, f"bureau_{number}", email=f"b{number}@example.gov.cn")
    many = _file_and_commit(scheme, dept_a, admin_a, "training-completion",
                            django_capture_on_commit_callbacks)
    assert Notification.objects.filter(kind=NotificationKind.APPEAL_FILED).count() == 1 + 26
    assert len(mailoutbox) == 1 + 26
    assert many <= few, (few, many)


# --- Escaping -----------------------------------------------------------------------------------


def test_reason_and_reply_are_escaped_in_the_notification_list_and_mail(
        client, scheme, bureau, admin_a, dept_a, django_capture_on_commit_callbacks,
        mailoutbox):
    admin_a.email = "admin_a@example.gov.cn"
    admin_a.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        appeal = file(scheme, dept_a, admin_a, reason="<script>alert(1)</script>理由")
    client.force_login(bureau)
    html = client.get(reverse("notifications:list")).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;理由" in html
    with django_capture_on_commit_callbacks(execute=True):
        services.appeal_answer(appeal=appeal, accept=False, reply="<script>alert(2)</script>",
                               user=bureau)
    client.force_login(admin_a)
    html = client.get(reverse("notifications:list")).content.decode()
    assert "<script>alert(2)" not in html and "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    [email] = mailoutbox
    assert "<script>" not in email.alternatives[0][0]
    assert "<script>alert(2)</script>" in email.body  # plain text stays as written


def test_a_long_reason_is_cut_in_the_notice(scheme, bureau, admin_a, dept_a,
                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        file(scheme, dept_a, admin_a, reason="理" * 1500)
    [notice] = notices(bureau)
    assert notice.body.endswith("…") and notice.body.count("理") < 600
