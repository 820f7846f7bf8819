"""Certificates in Chromium: a learner finds the certificate on 我的培训, opens it, downloads the
PDF (page 1 rendered to PNG with pdftoppm, its Chinese text read back with pdftotext) and opens
the verification page; a visitor with no account checks a typed code. Laptop and phone widths,
screenshots under the --output folder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from courses.authoring import course_index_ensure
from courses.certificates.services import certificates_issue_due
from courses.models import CoursePage, Enrolment, EnrolmentStatus
from portal.services import page_publish, site_home_ensure
from tests.departments.factories import (
    PASSWORD,
    DepartmentFactory,
    LearnerFactory,
    OfficeFactory,
    UnitFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def certificate(live_server):
    """A business-office learner who completed a course that issues its own certificate."""
    cache.clear()
    home = site_home_ensure()
    index = course_index_ensure(home=home)
    course = CoursePage(title="绩效运行监控", live=False, stage="monitoring",
                        positions=["business"], credit_hours=Decimal("2.5"),
                        intro="运行监控的方法。", issues_certificate=True)
    index.add_child(instance=course)
    course = page_publish(course)
    department = DepartmentFactory(code="A01", name="市财政局")
    learner = LearnerFactory(office=OfficeFactory(unit=UnitFactory(department=department)),
                             staff_number="S0001", position="business")
    learner.user.first_name = "李明"
    learner.user.save(update_fields=["first_name"])
    Enrolment.objects.create(user=learner.user, course=course, status=EnrolmentStatus.COMPLETED,
                             completed_at=timezone.now(), credited_hours=course.credit_hours)
    [issued] = certificates_issue_due(user_ids=[learner.user.pk])
    return issued


def login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def shot(page, output_path: str, name: str) -> None:
    os.makedirs(output_path, exist_ok=True)
    page.screenshot(path=os.path.join(output_path, f"{name}.png"), full_page=True)


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366x900", "390x844"])
def test_a_learner_downloads_the_certificate_and_opens_its_verification_page(
        browser, live_server, certificate, output_path, viewport):
    width = viewport["width"]
    context = browser.new_context(viewport=viewport, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    login(page, live_server, "S0001")

    page.goto(f"{live_server.url}/my/training/")
    section = page.locator("#my-certificates")
    assert "我的证书" in section.inner_text()
    assert certificate.serial in section.inner_text()
    assert fits(page), "我的培训 scrolls sideways"
    shot(page, output_path, f"certificates-my-training-{width}")

    section.get_by_role("link", name="绩效运行监控").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/certificates/{certificate.serial}/")
    assert fits(page), "the certificate page scrolls sideways"
    shot(page, output_path, f"certificate-detail-{width}")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载证书（PDF）").click()
    download = download_info.value
    assert download.suggested_filename == f"证书-{certificate.serial}.pdf"
    pdf_path = os.path.join(output_path, f"certificate-{width}.pdf")
    download.save_as(pdf_path)
    if shutil.which("pdftoppm") and shutil.which("pdftotext"):
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                        pdf_path, os.path.join(output_path, f"certificate-page1-{width}")],
                       check=True)
        text = subprocess.run(["pdftotext", pdf_path, "-"], check=True, capture_output=True,
                              text=True).stdout
        compact = re.sub(r"\s+", "", text)
        assert "兹证明李明（市财政局）已完成《绩效运行监控》，共计2.5学时" in compact, text
        assert f"{live_server.url}/certificates/verify/{certificate.code}/" in compact, text

    page.get_by_role("link", name="打开验证页面").click()
    page.wait_for_load_state()
    status = page.locator("#check-status").inner_text()
    assert "有效" in status and "已撤销" not in status
    assert page.locator("[data-field=holder_name]").inner_text() == "李明"
    assert "S0001" not in page.locator("main").inner_text()
    assert fits(page), "the verification page scrolls sideways"
    shot(page, output_path, f"certificate-verify-{width}")
    context.close()
    assert errors == [], errors


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366x900", "390x844"])
def test_a_visitor_types_a_code_and_an_unknown_one_is_not_found(
        browser, live_server, certificate, output_path, viewport):
    width = viewport["width"]
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/certificates/verify/")
    assert fits(page)
    shot(page, output_path, f"certificate-verify-form-{width}")
    spaced = " ".join(certificate.code[i:i + 4] for i in range(0, 16, 4))
    page.fill("#certificate-code", spaced)
    page.get_by_role("button", name="验证").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/certificates/verify/{certificate.code}/")
    assert page.locator("[data-field=serial]").inner_text() == certificate.serial
    assert page.locator("nav").get_by_text("登录").count() >= 1  # no account needed

    response = page.goto(f"{live_server.url}/certificates/verify/0000111122223333/")
    assert response.status == 404
    assert "证书不存在" in page.locator("main").inner_text()
    assert fits(page)
    shot(page, output_path, f"certificate-not-found-{width}")
    context.close()
