"""Certificates: issued once when a plan (or a certificate course) is done, never again after a
revocation; the learner's page and PDF (owner only, Chinese text read back with pdftotext); the
public verification page (only the allowed fields, 404 for unknown or hostile codes, rate-limited
per address); the 证书 admin list (scoped, revoke for the bureau only) and query counts."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses import tasks
from courses.certificates import services as certificate_services
from courses.certificates.pdf import LocalOnlyFetcher, certificate_pdf
from courses.certificates.selectors import verification_code_normalise
from courses.certificates.services import (
    ERROR_NOT_BUREAU,
    ERROR_REASON_REQUIRED,
    certificate_revoke,
    certificates_issue_due,
)
from courses.models import (
    Certificate,
    Enrolment,
    EnrolmentStatus,
    ExemptionReason,
    Notification,
    NotificationKind,
    PlanAssignment,
    PlanExemption,
    PlanRequirement,
    TrainingPlan,
)
from courses.services import lesson_complete, plan_assign, plan_publish
from departments import roles
from departments.services import roles_ensure
from tests.departments.factories import (
    DepartmentFactory,
    LearnerFactory,
    OfficeFactory,
    UnitFactory,
    UserFactory,
)
from tests.portal.test_chinese_first import ALLOWED_TERMS, LATIN_RUN, visible_text
from tests.query_budget import assert_listing_budget

pytestmark = pytest.mark.django_db

YEAR = 2026
OPENS, DUE, MAKEUP = dt.date(YEAR, 1, 1), dt.date(YEAR, 6, 30), dt.date(YEAR, 7, 31)
SHOTS = Path("/tmp/shots_h2")


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()  # the verification throttle lives in the (per-process) test cache
    yield
    cache.clear()


@pytest.fixture
def dept(db):
    return DepartmentFactory(code="A01", name="市财政局")


@pytest.fixture
def other_dept(db):
    return DepartmentFactory(code="B01", name="市教育局")


def person(dept, position: str, number: str, name: str = ""):
    office = OfficeFactory(unit=UnitFactory(department=dept))
    learner = LearnerFactory(office=office, position=position, staff_number=number)
    if name:
        learner.user.first_name = name
        learner.user.email = f"{number.lower()}@example.org"
        learner.user.save(update_fields=["first_name", "email"])
    return learner.user


@pytest.fixture
def bureau(db):
    roles_ensure()
    user = UserFactory(username="bureau", first_name="绩效科")
    user.groups.add(Group.objects.get(name=roles.BUREAU_STAFF))
    return user


@pytest.fixture
def dept_admin(db, dept):
    roles_ensure()
    user = UserFactory(username="admin_a", first_name="部门管理员")
    user.groups.add(Group.objects.get(name=roles.DEPARTMENT_ADMIN))
    dept.admins.add(user)
    return user


def make_plan(*courses_by_position, title="2026年度预算绩效管理培训计划", opens=OPENS, due=DUE,
              makeup=MAKEUP) -> TrainingPlan:
    plan = TrainingPlan.objects.create(
        year=opens.year, title=title, opens_on=opens, due_on=due, makeup_until=makeup,
        all_departments=True, min_credit_hours=Decimal("2.0"))
    for order, (position, course) in enumerate(courses_by_position):
        PlanRequirement.objects.create(plan=plan, position=position, course=course,
                                       sort_order=order)
    plan_publish(plan=plan, user=None, now=at(opens), enqueue=False)
    plan_assign(plan=plan)
    return plan


def complete(user, course, *, on: dt.date = dt.date(YEAR, 3, 1)) -> Enrolment:
    enrolment, _created = Enrolment.objects.update_or_create(
        user=user, course=course, defaults={
            "status": EnrolmentStatus.COMPLETED, "completed_at": at(on),
            "credited_hours": course.credit_hours})
    return enrolment


def exempt(user, course, *, by=None) -> PlanExemption:
    assignment = PlanAssignment.objects.get(user=user, requirement__course=course)
    return PlanExemption.objects.create(assignment=assignment, reason=ExemptionReason.LONG_LEAVE,
                                        note="长期病假", created_by=by)


def with_hours(course, hours: str):
    type(course).objects.filter(pk=course.pk).update(credit_hours=Decimal(hours))
    return type(course).objects.get(pk=course.pk)


@pytest.fixture
def two_courses(make_course):
    return (with_hours(make_course(title="负责人专题", lessons=1), "2.0"),
            make_course(title="绩效评价：单位自评与重点评价", lessons=1))


# --- Issuing -----------------------------------------------------------------------------------


def test_issuing_twice_issues_one_certificate_with_a_snapshot_serial_and_code(dept, make_course):
    course = make_course()
    user = person(dept, "business", "L0001", name="李明")
    plan = make_plan(("business", course))
    complete(user, course)

    first = certificates_issue_due(now=at(dt.date(YEAR, 3, 2)))
    second = certificates_issue_due(now=at(dt.date(YEAR, 3, 3)))

    assert len(first) == 1 and second == []
    certificate = Certificate.objects.get()
    assert certificate.plan == plan and certificate.course is None
    assert re.fullmatch(rf"JX{YEAR}-\d{{6}}", certificate.serial)
    assert certificate.serial == f"JX{YEAR}-{certificate.pk:06d}"
    assert re.fullmatch(r"\d{16}", certificate.code)
    assert (certificate.holder_name, certificate.department_name, certificate.title) == (
        "李明", "市财政局", "2026年度预算绩效管理培训计划")
    assert certificate.credit_hours == Decimal("1.5")
    assert certificate.issued_at == at(dt.date(YEAR, 3, 2))
    notice = Notification.objects.get()
    assert notice.user == user and notice.kind == NotificationKind.CERTIFICATE
    assert "证书" in notice.title and plan.title in notice.title
    assert notice.url == f"/certificates/{certificate.serial}/"


def test_exempt_and_completed_requirements_issue_the_certificate_with_the_completed_hours(
        dept, two_courses, bureau):
    briefing, evaluation = two_courses
    head = person(dept, "head", "H0001", name="王局长")
    make_plan(("head", briefing), ("head", evaluation))
    complete(head, briefing)
    exempt(head, evaluation, by=bureau)

    [certificate] = certificates_issue_due()

    assert certificate.user == head
    assert certificate.credit_hours == Decimal("2.0")  # the exempt course earns nothing


def test_one_open_requirement_issues_nothing(dept, two_courses):
    briefing, evaluation = two_courses
    head = person(dept, "head", "H0001")
    make_plan(("head", briefing), ("head", evaluation))
    complete(head, briefing)
    Enrolment.objects.create(user=head, course=evaluation)  # in progress

    assert certificates_issue_due() == []
    assert not Certificate.objects.exists() and not Notification.objects.exists()


def test_exempt_from_everything_issues_nothing(dept, make_course):
    course = make_course()
    user = person(dept, "business", "L0001")
    make_plan(("business", course))
    exempt(user, course)

    assert certificates_issue_due() == []


def test_late_completion_issues_the_certificate_but_after_the_makeup_deadline_none(
        dept, make_course):
    course = make_course()
    late = person(dept, "business", "L0001")
    too_late = person(dept, "business", "L0002")
    make_plan(("business", course))
    complete(late, course, on=dt.date(YEAR, 7, 15))  # after due, before the make-up deadline
    complete(too_late, course, on=dt.date(YEAR, 8, 15))  # counts as overdue

    issued = certificates_issue_due(now=at(dt.date(YEAR, 9, 1)))

    assert [c.user for c in issued] == [late]


def test_unpublished_plans_withdrawn_assignments_and_other_positions_issue_nothing(
        dept, make_course):
    course = make_course()
    user = person(dept, "business", "L0001")
    plan = TrainingPlan.objects.create(year=YEAR, title="草稿计划", opens_on=OPENS, due_on=DUE,
                                       makeup_until=MAKEUP)
    PlanRequirement.objects.create(plan=plan, position="business", course=course)
    PlanAssignment.objects.create(user=user, requirement=plan.requirements.get())
    complete(user, course)
    assert certificates_issue_due() == []  # not published

    plan_publish(plan=plan, user=None, enqueue=False)
    PlanAssignment.objects.update(withdrawn_at=timezone.now())
    assert certificates_issue_due() == []  # the only assignment was withdrawn


def test_a_course_that_issues_certificates_gives_one_per_completion(dept, make_course):
    awarding = with_hours(make_course(title="绩效运行监控", issues_certificate=True), "3.0")
    plain = make_course(title="结果应用与信息公开")
    user = person(dept, "finance", "F0001", name="赵会计")
    complete(user, awarding)
    complete(user, plain)

    [certificate] = certificates_issue_due(user_ids=[user.pk])
    assert certificates_issue_due(user_ids=[user.pk]) == []

    assert certificate.course_id == awarding.pk and certificate.plan is None
    assert (certificate.title, certificate.credit_hours) == ("绩效运行监控", Decimal("3.0"))


def test_only_the_given_plan_or_users_are_issued(dept, make_course):
    course = make_course()
    awarding = make_course(title="单独证书课程", issues_certificate=True)
    first = person(dept, "business", "L0001")
    second = person(dept, "business", "L0002")
    plan = make_plan(("business", course))
    for user in (first, second):
        complete(user, course)
        complete(user, awarding)

    assert [c.user for c in certificates_issue_due(user_ids=[first.pk], plan=plan)] == [first]
    assert {(c.user_id, c.course_id) for c in certificates_issue_due(user_ids=[first.pk])} == {
        (first.pk, awarding.pk)}
    assert certificates_issue_due(user_ids=[]) == []
    assert len(certificates_issue_due()) == 2  # the second learner's two


def test_a_parallel_issuer_is_skipped_and_the_others_are_still_issued(dept, make_course,
                                                                      monkeypatch):
    course = make_course()
    users = [person(dept, "business", f"L000{n}") for n in range(3)]
    plan = make_plan(("business", course))
    for user in users:
        complete(user, course)
    real_insert = certificate_services._insert

    def racing_insert(rows):
        # Another worker issues the first learner's certificate just before this batch lands.
        Certificate.objects.create(user=users[0], plan=plan, serial="JX-OTHER", code="9" * 16,
                                   holder_name="x", title="x", credit_hours=1,
                                   issued_at=timezone.now())
        return real_insert(rows)

    monkeypatch.setattr(certificate_services, "_insert", racing_insert)
    issued = certificates_issue_due()

    assert sorted(c.user_id for c in issued) == [users[1].pk, users[2].pk]
    assert Certificate.objects.count() == 3
    assert Notification.objects.count() == 2
    assert all(re.fullmatch(r"JX\d{4}-\d{6}", c.serial) for c in issued)


def test_issuing_in_bulk_costs_the_same_queries_for_3_or_30_learners(dept, make_course):
    course = make_course()
    awarding = make_course(title="单独证书课程", issues_certificate=True)
    plan = make_plan(("business", course))

    def learners_done(count: int, start: int) -> None:
        for n in range(start, start + count):
            user = person(dept, "business", f"Q{n:04d}")
            complete(user, course)
            complete(user, awarding)

    learners_done(3, 0)
    plan_assign(plan=plan)
    with CaptureQueriesContext(connection) as small:
        assert len(certificates_issue_due()) == 6
    learners_done(30, 100)
    plan_assign(plan=plan)
    with CaptureQueriesContext(connection) as large:
        assert len(certificates_issue_due()) == 60
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]
    assert len(small) <= 16


def test_completing_the_last_lesson_issues_the_certificate_once_after_commit(
        dept, make_course, django_capture_on_commit_callbacks):
    course = make_course(lessons=1, issues_certificate=True)
    user = person(dept, "business", "L0001")
    today = timezone.localdate()
    make_plan(("business", course), opens=today - dt.timedelta(days=30),
              due=today + dt.timedelta(days=30), makeup=today + dt.timedelta(days=60))
    lesson = course.get_children().specific().get()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        lesson_complete(user=user, lesson=lesson)
    assert not Certificate.objects.exists()  # nothing before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    kinds = sorted("plan" if c.plan_id else "course" for c in Certificate.objects.all())
    assert kinds == ["course", "plan"]
    callbacks[0]()  # a second run changes nothing
    assert Certificate.objects.count() == 2


def test_two_completions_in_one_transaction_queue_one_run(dept, make_course,
                                                          django_capture_on_commit_callbacks):
    from django.db import transaction

    from courses.certificates.services import certificates_issue_after_commit

    first = person(dept, "business", "L0001")
    second = person(dept, "business", "L0002")
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        certificates_issue_after_commit(user_id=first.pk)
        certificates_issue_after_commit(user_id=second.pk)
        certificates_issue_after_commit(user_id=first.pk)
    assert len(callbacks) == 1
    assert callbacks[0].user_ids == {first.pk, second.pk}


def test_the_nightly_task_issues_and_ignores_a_missing_plan(dept, make_course):
    course = make_course()
    user = person(dept, "business", "L0001")
    plan = make_plan(("business", course))
    complete(user, course)

    assert tasks.certificates_issue(plan_id=plan.pk + 1000) == 0
    assert tasks.certificates_issue() == 1
    assert tasks.certificates_issue() == 0


# --- Revoking ----------------------------------------------------------------------------------


@pytest.fixture
def issued(dept, make_course):
    course = make_course()
    user = person(dept, "business", "L0001", name="李明")
    make_plan(("business", course))
    complete(user, course)
    [certificate] = certificates_issue_due(now=at(dt.date(YEAR, 3, 2)))
    return certificate


def test_revoking_needs_the_bureau_and_a_reason_and_writes_nothing_otherwise(issued, dept_admin,
                                                                             bureau):
    with pytest.raises(PermissionDenied) as refused:
        certificate_revoke(certificate=issued, reason="弄虚作假", user=dept_admin)
    assert str(refused.value) == str(ERROR_NOT_BUREAU)
    for reason in ("", "   ", None):
        with pytest.raises(ValidationError) as invalid:
            certificate_revoke(certificate=issued, reason=reason, user=bureau)
        assert invalid.value.messages == [str(ERROR_REASON_REQUIRED)]
    for reason in ("x" * 501, "含\x00空字符"):
        with pytest.raises(ValidationError):
            certificate_revoke(certificate=issued, reason=reason, user=bureau)
    issued.refresh_from_db()
    assert issued.revoked_at is None and issued.revoke_reason == ""


def test_a_revoked_certificate_is_not_issued_again_and_verification_says_revoked(issued, bureau):
    certificate_revoke(certificate=issued, reason="考试成绩作废", user=bureau,
                       now=at(dt.date(YEAR, 4, 1)))
    with pytest.raises(ValidationError):  # twice: the first revocation stands
        certificate_revoke(certificate=issued, reason="再次撤销", user=bureau)

    assert certificates_issue_due() == []
    assert Certificate.objects.count() == 1
    issued.refresh_from_db()
    assert (issued.revoke_reason, issued.revoked_by) == ("考试成绩作废", bureau)

    page = Client().get(f"/certificates/verify/{issued.code}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "已撤销" in text and "2026年4月1日" in text
    assert "考试成绩作废" not in text  # the reason stays internal


# --- The public verification page ---------------------------------------------------------------


def latin_words(html: str) -> list[str]:
    """Runs of Latin letters a Chinese reader would meet (as tests/portal/test_chinese_first)."""
    return [word for word in LATIN_RUN.findall(visible_text(html)) if word not in ALLOWED_TERMS]


def test_verification_shows_exactly_the_allowed_fields(issued):
    user = issued.user
    response = Client().get(f"/certificates/verify/{issued.code}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("private") or "no-cache" in response[
        "Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    fields = dict(re.findall(r'data-field="(\w+)">([^<]*)<', html))
    assert fields == {
        "serial": issued.serial, "holder_name": "李明", "department_name": "市财政局",
        "title": "2026年度预算绩效管理培训计划", "credit_hours": "1.5",
        "issued_at": "2026年3月2日", "validity": "有效"}
    labels = re.findall(r'<th scope="row">([^<]+)</th>', html)
    assert labels == ["证书编号", "姓名", "单位", "培训计划", "学时", "发证日期", "状态"]
    for secret in ("L0001", user.username, user.email, f"/{user.pk}/", issued.code, "notes"):
        assert secret not in visible_text(html), secret
    assert not latin_words(html)


def test_unknown_and_hostile_codes_get_a_plain_not_found_page(issued):
    client = Client()
    unknown = "1234567890123456" if issued.code != "1234567890123456" else "6543210987654321"
    response = client.get(f"/certificates/verify/{unknown}/")
    assert response.status_code == 404
    assert "证书不存在" in response.content.decode()
    assert issued.serial not in response.content.decode()
    for hostile in ("9" * 5000, "％００", "%00", "%E4%B8%AD%E6%96%87", "abc%00def",
                    "'%20OR%201=1--", "%F0%9F%98%80" * 10, "%FF%FE", "1234567890123456" + "0"):
        response = client.get(f"/certificates/verify/{hostile}/")
        assert response.status_code in (400, 404), hostile
    cache.clear()
    # A code typed with spaces or full-width digits still finds the certificate.
    spaced = " ".join(issued.code[i:i + 4] for i in range(0, 16, 4))
    assert client.get(f"/certificates/verify/{spaced}/").status_code == 200
    wide = issued.code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert client.get(f"/certificates/verify/{wide}/").status_code == 200


def test_the_code_normaliser_refuses_what_is_not_16_digits():
    assert verification_code_normalise("1234-5678 9012-3456") == "1234567890123456"
    assert verification_code_normalise("１２３４５６７８９０１２３４５６") == "1234567890123456"
    for bad in ("", "123", "1" * 17, "１２３４" * 3 + "abcd", "1234\x00" * 4, "١٢٣٤" * 4, None,
                "1" * 65, "12345678901234５6" + "\u200b"):
        assert verification_code_normalise(bad) is None, bad


def test_the_verification_page_is_rate_limited_per_address(issued, settings):
    settings.CERTIFICATE_VERIFY_RATE_LIMIT = 3
    settings.CERTIFICATE_VERIFY_RATE_WINDOW = 600
    client = Client(REMOTE_ADDR="10.0.0.7")
    statuses = [client.get(f"/certificates/verify/{issued.code}/").status_code
                for _n in range(3)]
    assert statuses == [200, 200, 200]
    limited = client.get(f"/certificates/verify/{issued.code}/")
    assert limited.status_code == 429
    assert limited["Retry-After"] == "600"
    html = limited.content.decode()
    assert "查询过于频繁" in visible_text(html) and "10 分钟" in visible_text(html)
    assert not latin_words(html)
    # Unknown codes count too (that is what enumeration uses), and a forged proxy header does
    # not make a new address.
    spoofed = client.get("/certificates/verify/1111222233334444/",
                         HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert spoofed.status_code == 429
    assert Client(REMOTE_ADDR="10.0.0.8").get(
        f"/certificates/verify/{issued.code}/").status_code == 200


def test_the_verification_form_sends_a_typed_code_to_its_page(issued):
    client = Client()
    form = client.get("/certificates/verify/")
    assert form.status_code == 200 and 'name="code"' in form.content.decode()
    assert not latin_words(form.content.decode())
    typed = "-".join(issued.code[i:i + 4] for i in range(0, 16, 4))
    response = client.get("/certificates/verify/", {"code": typed})
    assert response.status_code == 302
    assert response["Location"] == f"/certificates/verify/{issued.code}/"
    for bad in ("12", "x" * 10000, "中文验证码", "1234" * 3 + "abcd"):
        response = client.get("/certificates/verify/", {"code": bad})
        assert response.status_code == 400
        assert "16 位数字" in response.content.decode()
    assert client.get("/certificates/verify/", {"code": "\x00"}).status_code == 400

# --- The learner's pages and the PDF ------------------------------------------------------------


def test_the_owner_sees_the_certificate_and_others_get_404(issued, dept):
    owner = Client()
    owner.force_login(issued.user)
    page = owner.get(f"/certificates/{issued.serial}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert issued.serial in html and f"/certificates/{issued.serial}/pdf/" in html
    assert f"http://testserver/certificates/verify/{issued.code}/" in html
    assert not latin_words(html)

    stranger = Client()
    stranger.force_login(person(dept, "business", "L0099"))
    for url in (f"/certificates/{issued.serial}/", f"/certificates/{issued.serial}/pdf/",
                "/certificates/JX2026-999999/pdf/", "/certificates/" + "A" * 40 + "/pdf/"):
        assert stranger.get(url).status_code == 404, url
    anonymous = Client().get(f"/certificates/{issued.serial}/pdf/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def pdf_text(data: bytes, tmp_path: Path) -> str:
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) missing")
def test_the_pdf_download_reads_back_in_chinese(issued, tmp_path):
    client = Client()
    client.force_login(issued.user)
    response = client.get(f"/certificates/{issued.serial}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''%E8%AF%81%E4%B9%A6-" + issued.serial + ".pdf" in disposition
    assert response.content.startswith(b"%PDF")

    text = pdf_text(response.content, tmp_path)
    compact = re.sub(r"\s+", "", text)
    for expected in ("培训合格证书", "兹证明李明（市财政局）已完成《2026年度预算绩效管理培训计划》",
                     "共计1.5学时", f"证书编号{issued.serial}", "姓名李明", "单位市财政局",
                     "培训计划2026年度预算绩效管理培训计划", "学时1.5", "发证日期2026年3月2日",
                     "验证码：" + issued.code, "绩效学堂",
                     f"http://testserver/certificates/verify/{issued.code}/"):
        assert expected in compact, (expected, text)
    info = subprocess.run(["pdfinfo", str(tmp_path / "certificate.pdf")], check=True,
                          capture_output=True, text=True).stdout
    assert re.search(r"Page size:\s+841\.89 x 595\.\d+ pts \(A4\)", info), info
    assert re.search(r"Pages:\s+1\b", info), info
    fonts = subprocess.run(["pdffonts", str(tmp_path / "certificate.pdf")], check=True,
                           capture_output=True, text=True).stdout
    embedded = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert {row[0].split("+")[-1] for row in embedded} == {
        "Noto-Serif-CJK-SC", "Noto-Serif-CJK-SC-Bold", "Noto-Sans-CJK-SC"}, fonts
    assert all(row[-5:-2] == ["yes", "yes", "yes"] for row in embedded), fonts  # emb sub uni


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils (pdftoppm) missing")
def test_page_one_of_the_pdf_renders_landscape_with_ink(issued, tmp_path):
    from PIL import Image

    data = certificate_pdf(certificate=issued, verify_url="http://jixiao.example/v/")
    (tmp_path / "c.pdf").write_bytes(data)
    SHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
                    str(tmp_path / "c.pdf"), str(SHOTS / "certificate_page1")], check=True)
    image = Image.open(SHOTS / "certificate_page1.png").convert("L")
    width, height = image.size
    assert width > height  # A4 landscape
    dark = sum(image.histogram()[:128])
    assert dark > 0.005 * width * height  # text and frame drawn, not an empty page


@pytest.mark.skipif(not shutil.which("pdfinfo"), reason="poppler-utils (pdfinfo) missing")
def test_the_longest_names_and_titles_still_fit_on_one_page(issued, tmp_path):
    issued.holder_name, issued.department_name, issued.title = "名" * 150, "部" * 200, "题" * 255
    (tmp_path / "long.pdf").write_bytes(certificate_pdf(certificate=issued, verify_url="http://x/"))
    info = subprocess.run(["pdfinfo", str(tmp_path / "long.pdf")], check=True,
                          capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+1\b", info), info


def test_the_pdf_fetches_nothing_from_outside(issued):
    fetcher = LocalOnlyFetcher()
    hostile = issued
    hostile.holder_name = '<img src="http://203.0.113.1/track.png">李明'
    hostile.title = '<link rel="stylesheet" href="https://cdn.example/x.css">计划'
    data = certificate_pdf(certificate=hostile, verify_url="http://x/", fetcher=fetcher)
    assert data.startswith(b"%PDF")
    assert fetcher.refused == []  # escaped as text, nothing was even asked for
    with pytest.raises(ValueError):
        fetcher.fetch("http://203.0.113.1/track.png")
    with pytest.raises(ValueError):
        fetcher.fetch("file:///etc/passwd")
    assert fetcher.refused == ["http://203.0.113.1/track.png", "file:///etc/passwd"]


def test_a_revoked_certificate_cannot_be_downloaded(issued, bureau):
    certificate_revoke(certificate=issued, reason="撤销", user=bureau)
    client = Client()
    client.force_login(issued.user)
    assert client.get(f"/certificates/{issued.serial}/pdf/").status_code == 404
    page = client.get(f"/certificates/{issued.serial}/").content.decode()
    assert "已撤销" in page and "/pdf/" not in page


def test_my_training_lists_certificates_at_a_constant_query_count(issued, dept,
                                                                   django_assert_max_num_queries,
                                                                   make_course, bureau):
    client = Client()
    client.force_login(issued.user)
    client.get("/my/training/")
    with CaptureQueriesContext(connection) as one:
        html = client.get("/my/training/").content.decode()
    assert "我的证书" in html and issued.serial in html
    assert f"/certificates/{issued.serial}/pdf/" in html
    for number in range(4):
        course = make_course(title=f"证书课程{number}", issues_certificate=True, lessons=1)
        complete(issued.user, course)
    certificates_issue_due()
    revoked = Certificate.objects.filter(user=issued.user, course__isnull=False).first()
    certificate_revoke(certificate=revoked, reason="撤销", user=bureau)
    with CaptureQueriesContext(connection) as five:
        html = client.get("/my/training/").content.decode()
    assert html.count('data-serial="') == 5
    assert html.count('data-revoked="true"') == 1
    assert len(five) <= len(one) + 2, [q["sql"][:100] for q in five.captured_queries]


def test_my_training_without_certificates_says_how_to_earn_one(dept):
    client = Client()
    client.force_login(person(dept, "business", "L0001"))
    html = client.get("/my/training/").content.decode()
    assert "我的证书" in html and 'data-serial="' not in html


def test_the_course_page_shows_its_certificate(dept, make_course):
    course = make_course(title="绩效运行监控", issues_certificate=True, lessons=1)
    user = person(dept, "business", "L0001")
    complete(user, course)
    [certificate] = certificates_issue_due()
    client = Client()
    client.force_login(user)
    html = client.get(course.url).content.decode()
    assert certificate.serial in html and f"/certificates/{certificate.serial}/pdf/" in html


# --- The 证书 admin list -------------------------------------------------------------------------


def test_the_bureau_lists_searches_filters_and_revokes(issued, bureau, make_course, dept):
    client = Client()
    client.force_login(bureau)
    listing = client.get("/admin/certificates/")
    assert listing.status_code == 200
    assert issued.serial in listing.content.decode()
    assert issued.serial in client.get("/admin/certificates/", {"q": "李明"}).content.decode()
    assert issued.serial in client.get("/admin/certificates/",
                                       {"q": issued.serial[-6:]}).content.decode()
    assert issued.serial not in client.get("/admin/certificates/",
                                           {"q": "没有此人"}).content.decode()
    assert issued.serial not in client.get("/admin/certificates/",
                                           {"revoked": "true"}).content.decode()
    assert issued.serial in client.get("/admin/certificates/",
                                       {"plan": issued.plan_id}).content.decode()
    assert f"/admin/certificates/revoke/{issued.pk}/" in listing.content.decode()
    assert client.get(f"/admin/certificates/inspect/{issued.pk}/").status_code == 200
    for url in ("/admin/certificates/new/", f"/admin/certificates/edit/{issued.pk}/",
                f"/admin/certificates/delete/{issued.pk}/"):
        assert client.get(url).status_code in (302, 403, 404), url

    form = client.get(f"/admin/certificates/revoke/{issued.pk}/")
    assert form.status_code == 200
    empty = client.post(f"/admin/certificates/revoke/{issued.pk}/", {"reason": "  "})
    assert empty.status_code == 200
    issued.refresh_from_db()
    assert issued.revoked_at is None
    done = client.post(f"/admin/certificates/revoke/{issued.pk}/", {"reason": "学时认定有误"})
    assert done.status_code == 302
    issued.refresh_from_db()
    assert issued.revoke_reason == "学时认定有误" and issued.revoked_by == bureau
    assert issued.serial in client.get("/admin/certificates/",
                                       {"revoked": "true"}).content.decode()


def test_a_department_admin_sees_only_their_department_and_cannot_revoke(
        issued, dept_admin, other_dept, make_course):
    course = make_course(title="外单位证书课程", issues_certificate=True, lessons=1)
    outsider = person(other_dept, "business", "B0001", name="外单位学员")
    complete(outsider, course)
    [foreign] = certificates_issue_due(user_ids=[outsider.pk])

    client = Client()
    client.force_login(dept_admin)
    html = client.get("/admin/certificates/").content.decode()
    assert issued.serial in html and foreign.serial not in html
    assert "/admin/certificates/revoke/" not in html
    assert client.get(f"/admin/certificates/inspect/{issued.pk}/").status_code == 200
    assert client.get(f"/admin/certificates/inspect/{foreign.pk}/").status_code == 404
    assert client.post(f"/admin/certificates/revoke/{issued.pk}/",
                       {"reason": "越权"}).status_code in (302, 403)
    issued.refresh_from_db()
    assert issued.revoked_at is None


def test_learners_cannot_open_the_admin_list(issued):
    client = Client()
    client.force_login(issued.user)
    assert client.get("/admin/certificates/").status_code in (302, 403)


def test_the_admin_list_costs_the_same_queries_for_more_certificates(
        issued, bureau, dept_admin, dept, make_course, django_assert_max_num_queries):
    rounds = iter(range(10))

    def grow():
        round_ = next(rounds)
        courses = [make_course(title=f"证书课程{round_}-{n}", issues_certificate=True, lessons=1)
                   for n in range(3)]
        for n in range(4):
            user = person(dept, "business", f"G{round_}{n:03d}", name=f"学员{round_}{n}")
            for course in courses:
                complete(user, course)
        certificates_issue_due()

    for user in (bureau, dept_admin):
        client = Client()
        client.force_login(user)
        assert_listing_budget(client, "/admin/certificates/", budget=40, grow=grow,
                              assert_max_num_queries=django_assert_max_num_queries)


def test_the_pdf_for_an_english_browser_is_still_the_chinese_certificate(issued, tmp_path):
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) missing")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(issued.user)
    client.cookies["django_language"] = "en"
    text = pdf_text(client.get(f"/certificates/{issued.serial}/pdf/").content, tmp_path)
    assert "培训合格证书" in re.sub(r"\s+", "", text)


def test_the_certificate_notice_is_written_in_each_holders_language(dept, make_course):
    from wagtail.users.models import UserProfile

    course = make_course()
    chinese = person(dept, "business", "L0001", name="李明")
    english = person(dept, "business", "L0002", name="王芳")
    UserProfile.objects.update_or_create(user=english, defaults={"preferred_language": "en"})
    make_plan(("business", course))
    complete(chinese, course)
    complete(english, course)

    certificates_issue_due(now=at(dt.date(YEAR, 3, 2)))

    assert "证书" in Notification.objects.get(user=chinese).title
    assert Notification.objects.get(user=english).title.startswith("Certificate issued")
