"""The score sheet's POST actions: override (with its reason), back to the computed points,
manual points with evidence and files, appeals filed by a department admin and answered by the
bureau, compute, lock and unlock; what is refused changes nothing and says why in Chinese;
scope (foreign ids 404, bureau actions refused to department admins), hostile input and CSRF."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from assessments import services
from assessments.models import (
    Appeal,
    AppealStatus,
    AssessmentScheme,
    AuditAction,
    AuditEntry,
    ItemScore,
    ScoreSource,
)
from tests.assessments.scoring_ui_helpers import *  # noqa: F403 - the fixtures
from tests.assessments.scoring_ui_helpers import YEAR, item, score, sheet_url
from tests.courses.membership_helpers import department_admin

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(f"assessment_scoring:{name}", args=[YEAR, *args])


def flashes(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


def post(client, target: str, data=None, **kwargs):
    """POST and follow the redirect back to the sheet (the flash messages are on it)."""
    return client.post(target, data or {}, follow=True, **kwargs)


def state(scheme_obj) -> tuple:
    """Everything a refused action must leave alone."""
    return (sorted(ItemScore.objects.filter(scheme=scheme_obj).values_list(
        "pk", "points", "source", "reason", "evidence")),
        AuditEntry.objects.count(), Appeal.objects.count(),
        list(Appeal.objects.values_list("status", "reply")),
        AssessmentScheme.objects.filter(pk=scheme_obj.pk).values_list("locked_at").get())


# --- Override -----------------------------------------------------------------------------------


def test_an_override_without_a_reason_is_refused_and_changes_nothing(client, scheme, bureau,
                                                                     dept_a):
    target = score(scheme, dept_a, "training-completion")
    before = state(scheme)
    client.force_login(bureau)
    response = post(client, url("override", target.pk), {"points": "1.0", "reason": "  "})
    assert "请填写修改理由" in flashes(response)
    assert response.redirect_chain[-1][0].startswith(sheet_url(dept_a))
    assert state(scheme) == before


def test_an_override_with_a_reason_changes_the_points_and_shows_why(client, scheme, bureau,
                                                                    admin_a, dept_a):
    target = score(scheme, dept_a, "training-completion")
    client.force_login(bureau)
    response = post(client, url("override", target.pk),
                    {"points": "1.2", "reason": "抽查发现两人代学"})
    assert response.status_code == 200 and "已调整" in flashes(response)
    target.refresh_from_db()
    assert str(target.points) == "1.20" and target.source == ScoreSource.OVERRIDE
    assert AuditEntry.objects.filter(action=AuditAction.OVERRIDE, reason="抽查发现两人代学",
                                     user=bureau).exists()
    client.force_login(admin_a)  # the department sees the reason on its sheet
    html = client.get(sheet_url(dept_a)).content.decode()
    assert "抽查发现两人代学" in html and 'data-source="override"' in html
    # Back to the computed points, with a reason.
    client.force_login(bureau)
    response = post(client, url("override_clear", target.pk), {"reason": "复核后恢复"})
    target.refresh_from_db()
    assert target.source == ScoreSource.COMPUTED and target.points == target.computed_points


def test_override_points_outside_the_range_or_not_numbers_are_refused(client, scheme, bureau,
                                                                      dept_a):
    target = score(scheme, dept_a, "training-completion")
    before = state(scheme)
    client.force_login(bureau)
    for points in ("9", "-1", "abc", "1e400", "NaN", "1" * 40):
        response = post(client, url("override", target.pk), {"points": points, "reason": "理由"})
        assert flashes(response), points
    assert state(scheme) == before


# --- Manual points ------------------------------------------------------------------------------


def test_manual_points_above_the_maximum_are_refused_and_change_nothing(client, scheme, bureau,
                                                                        dept_a):
    rules = item(scheme, "org-rules")  # at most 3
    before = state(scheme)
    client.force_login(bureau)
    response = post(client, url("manual", dept_a.pk, rules.pk),
                    {"points": "3.01", "evidence": "制度文件"})
    assert "分值必须在 0.00 至 3.00 分之间" in flashes(response)
    assert state(scheme) == before


def test_manual_points_with_evidence_and_a_file_are_kept(client, scheme, bureau, dept_a,
                                                         dept_b, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    rules = item(scheme, "org-rules")
    client.force_login(bureau)
    upload = SimpleUploadedFile("制度.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    response = post(client, url("manual", dept_a.pk, rules.pk),
                    {"points": "2.5", "evidence": "制度文件齐全", "evidence_file": upload})
    assert "已录入" in flashes(response)
    saved = score(scheme, dept_a, "org-rules")
    assert str(saved.points) == "2.50" and saved.evidence == "制度文件齐全"
    assert saved.evidence_file.name.endswith(".pdf")
    page = response.content.decode()
    download = url("evidence", saved.pk)
    assert download in page
    assert saved.evidence_file.url not in page  # never a public media address

    # The file comes through the scoped view: the bureau and the department's own admin get it,
    # another department's admin gets 404, as does a score without a file.
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
    assert "attachment" in response["Content-Disposition"]
    client.force_login(department_admin(dept_a, "admin_a_files"))
    assert client.get(download).status_code == 200
    client.force_login(department_admin(dept_b, "admin_b_files"))
    assert client.get(download).status_code == 404
    client.force_login(bureau)
    no_file = score(scheme, dept_a, "training-heads")
    assert client.get(url("evidence", no_file.pk)).status_code == 404


@pytest.mark.parametrize("name,size", [("evil.exe", 10), ("report.pdf.html", 10),
                                       ("big.pdf", 10 * 1024 * 1024 + 1)])
def test_bad_or_oversized_evidence_files_are_refused(client, scheme, bureau, dept_a, settings,
                                                     tmp_path, name, size):
    settings.MEDIA_ROOT = tmp_path
    before = state(scheme)
    client.force_login(bureau)
    upload = SimpleUploadedFile(name, b"x" * size)
    response = post(client, url("manual", dept_a.pk, item(scheme, "org-rules").pk),
                    {"points": "2", "evidence": "材料", "evidence_file": upload})
    assert "佐证文件过大" in flashes(response) or "不接受此类型的佐证文件" in flashes(response)
    assert state(scheme) == before
    assert not list(tmp_path.rglob("*.*"))


# --- Appeals ------------------------------------------------------------------------------------


def test_an_appeal_filed_by_the_department_and_answered_by_the_bureau_is_seen_by_both(
        client, scheme, bureau, admin_a, dept_a):
    heads = item(scheme, "training-heads")
    client.force_login(admin_a)
    response = post(client, url("appeal_file", dept_a.pk, heads.pk), {"reason": "   "})
    assert "请填写申诉理由" in flashes(response)
    assert not Appeal.objects.exists()
    response = post(client, url("appeal_file", dept_a.pk, heads.pk),
                    {"reason": "负责人已于11月完成，见证书"})
    assert "已提交" in flashes(response)
    appeal = Appeal.objects.get()
    # A second appeal on the same item while the first waits is refused.
    response = post(client, url("appeal_file", dept_a.pk, heads.pk), {"reason": "再次申诉"})
    assert Appeal.objects.count() == 1 and flashes(response)
    # The department admin cannot answer it.
    response = client.post(url("appeal_answer", appeal.pk),
                           {"decision": "accept", "new_points": "1", "reply": "同意"})
    assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    client.force_login(bureau)
    html = client.get(sheet_url(dept_a)).content.decode()
    assert "负责人已于11月完成，见证书" in html and f'id="appeal-answer-{appeal.pk}"' in html
    response = post(client, url("appeal_answer", appeal.pk),
                    {"decision": "accept", "new_points": "", "reply": ""})
    assert flashes(response)  # accepting needs the new points
    response = post(client, url("appeal_answer", appeal.pk),
                    {"decision": "accept", "new_points": "1", "reply": "核实无误"})
    assert "已采纳" in flashes(response)
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.ACCEPTED and str(appeal.new_points) == "1.00"
    assert score(scheme, dept_a, "training-heads").source == ScoreSource.APPEAL
    client.force_login(admin_a)
    html = client.get(sheet_url(dept_a)).content.decode()
    assert "核实无误" in html and 'data-appeal-status="accepted"' in html
    html = client.get(url("appeals")).content.decode()
    assert "核实无误" in html and "appeal-answer-" not in html


def test_a_rejection_needs_a_reply(client, scheme, bureau, admin_a, dept_a):
    appeal = services.appeal_file(scheme=scheme, department=dept_a,
                                  item=item(scheme, "training-heads"), reason="理由", user=admin_a)
    client.force_login(bureau)
    response = post(client, url("appeal_answer", appeal.pk), {"decision": "reject"})
    assert "答复" in flashes(response)
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING
    response = post(client, url("appeal_answer", appeal.pk),
                    {"decision": "reject", "reply": "证书日期在计划之外"})
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.REJECTED and "已驳回" in flashes(response)


def test_hostile_text_is_escaped_and_oversized_text_refused(client, scheme, bureau, admin_a,
                                                            dept_a):
    heads = item(scheme, "training-heads")
    client.force_login(admin_a)
    before = state(scheme)
    response = post(client, url("appeal_file", dept_a.pk, heads.pk), {"reason": "长" * 2001})
    assert "2000" in flashes(response)
    assert state(scheme) == before
    script = '<script>alert("x")</script>'
    post(client, url("appeal_file", dept_a.pk, heads.pk), {"reason": script})
    html = client.get(sheet_url(dept_a)).content.decode()
    assert script not in html and "&lt;script&gt;" in html
    client.force_login(bureau)
    target = score(scheme, dept_a, "training-completion")
    before = state(scheme)
    response = post(client, url("override", target.pk), {"points": "1", "reason": "长" * 1001})
    assert "1000" in flashes(response)
    assert state(scheme) == before
    for page in (url("appeals"), url("audit"), sheet_url(dept_a)):
        html = client.get(page).content.decode()
        assert script not in html and "&lt;script&gt;" in html, page


# --- Scope --------------------------------------------------------------------------------------


def test_a_department_admin_gets_404_for_another_departments_ids(client, scheme, bureau,
                                                                 admin_a, dept_b):
    foreign_score = score(scheme, dept_b, "training-heads")
    foreign_appeal = services.appeal_file(
        scheme=scheme, department=dept_b, item=item(scheme, "training-heads"), reason="理由",
        user=department_admin(dept_b, "admin_b"))
    before = state(scheme)
    client.force_login(admin_a)
    data = {"points": "1", "reason": "理由", "evidence": "材料", "decision": "accept",
            "new_points": "1", "reply": "答复"}
    for target in (url("override", foreign_score.pk), url("override_clear", foreign_score.pk),
                   url("manual", dept_b.pk, item(scheme, "org-rules").pk),
                   url("appeal_file", dept_b.pk, item(scheme, "training-heads").pk),
                   url("appeal_answer", foreign_appeal.pk)):
        assert client.post(target, data).status_code == 404, target
    assert state(scheme) == before


def test_bureau_actions_are_refused_to_a_department_admin_on_their_own_department(
        client, scheme, admin_a, dept_a):
    before = state(scheme)
    client.force_login(admin_a)
    data = {"points": "1", "reason": "理由", "evidence": "材料"}
    for target in (url("override", score(scheme, dept_a, "training-heads").pk),
                   url("manual", dept_a.pk, item(scheme, "org-rules").pk),
                   url("compute"), url("lock"), url("unlock")):
        response = client.post(target, data)
        assert response.status_code == 302, target
        assert response.url == reverse("wagtailadmin_home"), target
    assert state(scheme) == before


def test_actions_answer_only_post(client, scheme, bureau, dept_a):
    client.force_login(bureau)
    for target in (url("compute"), url("lock"), url("unlock"),
                   url("override", score(scheme, dept_a, "training-heads").pk)):
        assert client.get(target).status_code == 405, target


def test_csrf_is_enforced(scheme, bureau, dept_a):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(bureau)
    target = score(scheme, dept_a, "training-completion")
    before = state(scheme)
    response = csrf_client.post(url("override", target.pk), {"points": "1", "reason": "理由"})
    assert response.status_code == 403
    assert state(scheme) == before


# --- Compute, lock, unlock ----------------------------------------------------------------------


def test_compute_is_queued_after_the_request_and_says_so(client, scheme, bureau,
                                                         django_capture_on_commit_callbacks,
                                                         monkeypatch):
    from assessments import tasks

    queued = []
    monkeypatch.setattr(tasks.assessment_compute, "delay",
                        lambda *args: queued.append(args))
    client.force_login(bureau)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, url("compute"))
    assert "计算已开始" in flashes(response)
    assert queued == [(scheme.pk, bureau.pk)]


def test_a_locked_scheme_refuses_every_post(client, scheme, bureau, admin_a, dept_a,
                                            monkeypatch, django_capture_on_commit_callbacks):
    from assessments import tasks

    appeal = services.appeal_file(scheme=scheme, department=dept_a,
                                  item=item(scheme, "training-completion"), reason="理由",
                                  user=admin_a)
    services.appeal_answer(appeal=appeal, accept=False, reply="驳回", user=bureau)
    pending = services.appeal_file(scheme=scheme, department=dept_a,
                                   item=item(scheme, "training-goal-setting"), reason="理由",
                                   user=admin_a)
    client.force_login(bureau)
    response = post(client, url("lock"))
    assert flashes(response)  # a pending appeal blocks the lock
    services.appeal_answer(appeal=pending, accept=False, reply="驳回", user=bureau)
    response = post(client, url("lock"))
    assert "已锁定" in flashes(response)
    queued = []
    monkeypatch.setattr(tasks.assessment_compute, "delay", lambda *args: queued.append(args))
    before = state(scheme)
    target = score(scheme, dept_a, "training-completion")
    attempts = [
        (bureau, url("override", target.pk), {"points": "1", "reason": "理由"}),
        (bureau, url("override_clear", target.pk), {"reason": "理由"}),
        (bureau, url("manual", dept_a.pk, item(scheme, "org-rules").pk),
         {"points": "1", "evidence": "材料"}),
        (bureau, url("compute"), {}),
        (bureau, url("lock"), {}),
        (admin_a, url("appeal_file", dept_a.pk, item(scheme, "training-heads").pk),
         {"reason": "理由"}),
    ]
    for user, target_url, data in attempts:
        client.force_login(user)
        with django_capture_on_commit_callbacks(execute=True):
            response = post(client, target_url, data)
        assert "锁定" in flashes(response), target_url
    assert state(scheme) == before and queued == []
    client.force_login(bureau)
    response = post(client, url("unlock"), {"reason": ""})
    assert flashes(response) and state(scheme) == before
    response = post(client, url("unlock"), {"reason": "更正一处录入错误"})
    assert "已解锁" in flashes(response)
    assert not AssessmentScheme.objects.get(pk=scheme.pk).is_locked
    assert AuditEntry.objects.filter(action=AuditAction.UNLOCKED,
                                     reason="更正一处录入错误").exists()


def test_next_only_returns_to_these_pages(client, scheme, bureau, dept_a):
    client.force_login(bureau)
    target = score(scheme, dept_a, "training-completion")
    for next_url in ("https://evil.example/", "//evil.example/", "/admin/users/"):
        response = client.post(url("override", target.pk),
                               {"points": "1", "reason": "理由", "next": next_url})
        assert response.url.startswith(sheet_url(dept_a)), next_url
    response = client.post(url("lock"), {"next": url("appeals")})
    assert response.url == url("appeals")
