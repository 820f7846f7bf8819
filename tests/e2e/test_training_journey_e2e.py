"""The training journey on the seeded demo, in Chromium, on a laptop (1366×900) and a phone
(390×844): the demo business-staff learner lands on 我的培训, follows the required goal-setting
course, finishes a lesson, passes the embedded practice quiz and the goal-setting exercise,
finishes the other lessons, sees the course and the plan complete, finds the certificate in the
header's notifications, downloads the PDF (text read back with pdftotext, page 1 rendered with
pdftoppm) and checks its code on the public verification page. The demo head lands on 我的培训
and sees the heads' briefing with the annual exam in its completion rule.

Two things are set up in the database, never read from the page:
- the lessons' minimum study times (6-8 minutes each in the demo) are set to 0 after the test
  has seen the first lesson refuse "已学完" while its time is not up;
- the answers: the correct options of the drawn questions, the case's reference goal table. The
  practice quiz may draw an essay (the 目标管理 pool holds three); an essay waits for a marker, so
  the demo reviewer marks it through the marking service, as the marking page would.
Screenshots, the PDF and its page-1 PNG go to the test's --output folder.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction

from courses.demo import PLAN_REQUIREMENTS
from courses.models import Certificate, CoursePage, LessonPage, NotificationKind, TrainingPlan
from departments.demo_organisation import DEMO_ACCOUNTS
from quizzes import choice_tokens, types
from quizzes.models import Attempt, AttemptStatus
from quizzes.services import marking_save
from tests.e2e.test_screens import BrowserLog, horizontal_overflow, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIZES = {"1366": {"width": 1366, "height": 900}, "390": {"width": 390, "height": 844}}
PASSWORDS = {account["username"]: account["password"] for account in DEMO_ACCOUNTS}
BUSINESS, HEAD = "W35504", "W75329"
REQUIRED = dict(PLAN_REQUIREMENTS)  # position -> course title of the demo plan
GOAL_COURSE, HEADS_COURSE = REQUIRED["business"], REQUIRED["head"]


@pytest.fixture
def demo(live_server):
    """The seeded demo site (organisation, courses, this year's plan published and assigned)."""
    cache.clear()  # the verification page's rate limit and the login throttle start afresh
    call_command("seed_demo", stdout=io.StringIO())
    return live_server


class Shots:
    """Full-page screenshots, numbered in walking order; notes any page that scrolls sideways."""

    def __init__(self, output_path: str, width: int):
        self.folder, self.width, self.number = output_path, width, 0
        self.overflowing: list[str] = []
        os.makedirs(output_path, exist_ok=True)

    def __call__(self, page, name: str) -> None:
        self.number += 1
        page.screenshot(path=os.path.join(
            self.folder, f"journey-{self.width}-{self.number:02d}-{name}.png"), full_page=True)
        scroll_width, inner_width = horizontal_overflow(page)
        if scroll_width > inner_width:
            self.overflowing.append(f"{name}: {page.url} is {scroll_width}px in {inner_width}px")


class Autosaves:
    """The quiz page's answer autosaves in flight (a choice saves at once, typed text 0.8 s after
    the last key and again on leaving the field). The test lets them settle before the next
    answer: the live server's in-memory SQLite refuses two writes at the same moment."""

    def __init__(self, page):
        self.page, self.pending = page, set()
        page.on("request", lambda request: self.pending.add(request)
                if "/autosave/" in request.url else None)
        page.on("requestfinished", lambda request: self.pending.discard(request))
        page.on("requestfailed", lambda request: self.pending.discard(request))

    def settle(self, quiet_ms: int) -> None:
        quiet = 0
        while quiet < quiet_ms:
            self.page.wait_for_timeout(50)
            quiet = 0 if self.pending else quiet + 50


def answer_correctly(page, attempt: Attempt) -> list:
    """Answer every drawn question right, with the answers read from the database; the essays
    (which only a marker can score) get a text. The essays' attempt questions, for marking."""
    essays = []
    autosaves = Autosaves(page)
    rows = attempt.attempt_questions.select_related("version").prefetch_related(
        "version__choices").order_by("order")
    for aq in rows:
        name = f"#attempt-form [name='q{aq.pk}']"
        if aq.kind in (types.SINGLE, types.MULTIPLE):
            for choice in aq.version.choices.all():
                if choice.is_correct:
                    token = choice_tokens.choice_token(attempt_question_id=aq.pk,
                                                       choice_id=choice.pk)
                    page.check(f"{name}[value='{token}']")
                    autosaves.settle(300)
            continue
        if aq.kind == types.TRUE_FALSE:
            page.check(f"{name}[value='{'true' if aq.version.answer_true else 'false'}']")
            autosaves.settle(300)
            continue
        if aq.kind == types.FILL:
            for index, accepted in enumerate(aq.version.blanks):
                page.fill(f"#attempt-form [name='q{aq.pk}_{index}']", accepted[0])
                page.evaluate("document.activeElement.blur()")
                autosaves.settle(300)
        else:
            page.fill(name, "绩效目标要指向明确、细化量化、合理可行，并与预算资金相匹配。")
            essays.append(aq)
        page.evaluate("document.activeElement.blur()")
        autosaves.settle(1000)  # the save on leaving the field and the delayed one
    return essays


def fill_goal_table(page, table: dict) -> None:
    """Type a goal table into the exercise's web editor, adding rows as needed."""
    page.fill("#annual-goal", table["annual_goal"] or table["overall_goal"])
    rows = table["indicators"]
    while page.locator("tbody[data-row]").count() < len(rows):
        page.click("#goal-editor button[data-action=add]")
    for index, row in enumerate(rows):
        body = page.locator("tbody[data-row]").nth(index)
        body.locator("[data-field=level1]").select_option(row["level1"])
        body.locator("[data-field=level2]").select_option(row["level2"])
        body.locator("[data-field=name]").fill(row["name"])
        body.locator("[data-field=name]").press("Escape")
        body.locator("[data-field=op]").select_option(row["op"] or "")
        body.locator("[data-field=value]").fill(row["value"])
        body.locator("[data-field=unit]").fill(row["unit"] or "")
        body.locator("[data-field=basis]").select_option(row["basis"] or "")
        body.locator("[data-field=explanation]").fill(row.get("explanation") or "")


def finish_lesson(page) -> None:
    """Click 已学完 on the open lesson and see it ticked."""
    page.click("button[data-finish-button]")
    page.wait_for_load_state()
    assert "本节已学完" in page.locator("main").inner_text()
    assert page.locator(".lesson__finish .course__done").inner_text().startswith("✓")


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("size", SIZES)
def test_business_learner_completes_the_goal_course_and_verifies_the_certificate(
        browser, demo, output_path, size):
    url = demo.url
    shots = Shots(output_path, int(size))
    learner = get_user_model().objects.select_related(
        "learner__office__unit__department").get(username=BUSINESS)
    plan = TrainingPlan.objects.get(published_at__isnull=False,
                                    requirements__assignments__user=learner)
    course = CoursePage.objects.live().select_related(
        "required_quiz", "required_exercise").get(title=GOAL_COURSE)
    lessons = list(LessonPage.objects.live().child_of(course).order_by("path"))
    quiz, exercise = course.required_quiz, course.required_exercise
    assert quiz is not None and exercise is not None and exercise.kind == "goal_setting"
    # The plan asks only this course of business staff, so finishing it finishes the plan and
    # the plan certificate is due (the course issues no certificate of its own).
    assert list(plan.requirements.filter(assignments__user=learner).values_list(
        "course__title", flat=True)) == [GOAL_COURSE]
    assert not course.issues_certificate

    context = browser.new_context(viewport=SIZES[size], locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    log = BrowserLog()
    log.watch(page)

    # 1. Log in and land on 我的培训: the required course, its due date, 未开始.
    login(page, demo, BUSINESS, PASSWORDS[BUSINESS])
    assert page.url == f"{url}/my/training/"
    plan_card = page.locator(f"section.plan[data-plan='{plan.pk}']")
    assert plan.title in plan_card.locator("h2").inner_text()
    assert f"截止日期 {plan.due_on:%Y-%m-%d}" in plan_card.locator(".plan__meta").inner_text()
    row = plan_card.locator(f"tr[data-course='{course.pk}']")
    assert plan_card.locator("tbody tr").count() == 1
    assert row.locator("th").inner_text() == GOAL_COURSE
    assert row.get_attribute("data-status") == "not_started"
    assert row.locator(".badge").inner_text() == "未开始"
    assert row.get_by_role("link", name="开始学习").is_visible()
    shots(page, "my-training-not-started")

    # 2. The course page: the rule in plain Chinese, nothing done yet.
    row.get_by_role("link", name=GOAL_COURSE).click()
    page.wait_for_load_state()
    assert page.url == f"{url}{course.url}"
    rule = page.locator(".course__rule-text").inner_text()
    assert f"学完全部 {len(lessons)} 节课" in rule
    assert f"通过测验《{quiz.title}》（{course.quiz_pass_percent}%）" in rule
    assert f"通过练习《{exercise.title}》" in rule
    assert page.locator(".lesson-item--done").count() == 0
    shots(page, "course-start")

    # 3. The first lesson refuses 已学完 until its minimum study time has passed.
    page.locator(".course__rule").get_by_role("link", name="开始学习").click()
    page.wait_for_load_state()
    assert page.url == f"{url}{lessons[0].url}"
    finish = page.locator("button[data-finish-button]")
    assert finish.is_disabled()
    assert finish.evaluate("button => getComputedStyle(button).cursor") == "not-allowed"
    assert f"最短学习时间：{lessons[0].min_study_minutes} 分钟" in page.locator(
        ".lesson__finish").inner_text()
    shots(page, "lesson-1-study-time")
    # Waiting 6 minutes per lesson is not what this test is about (tests/courses/test_progress.py
    # covers the heartbeats): from here on the lessons ask no minimum.
    LessonPage.objects.filter(pk__in=[lesson.pk for lesson in lessons]).update(
        min_study_minutes=0)
    page.reload()
    finish_lesson(page)
    shots(page, "lesson-1-finished")
    page.locator(".breadcrumb").get_by_role("link", name=GOAL_COURSE).click()
    page.wait_for_load_state()
    ticked = page.locator(".lesson-item--done")
    assert ticked.count() == 1 and lessons[0].title in ticked.inner_text()
    assert ticked.locator(".tick").inner_text() == "✓"

    # 4. The practice quiz embedded in the last lesson: answered right, passed.
    page.locator(".lesson-list").get_by_role("link", name=lessons[-1].title).click()
    page.wait_for_load_state()
    page.locator(".quiz-block").get_by_role("link").click()
    page.wait_for_load_state()
    page.click("main form[action$='/start/'] button[type=submit]")
    page.wait_for_selector("#attempt-form")
    attempt = Attempt.objects.get(user=learner, quiz=quiz, status=AttemptStatus.IN_PROGRESS)
    html = page.content()
    assert "choice--correct" not in html and "question__answer" not in html
    assert not re.search(r'name="q\d+" value="\d{1,9}"', html), "option ids in the page"
    essays = answer_correctly(page, attempt)
    shots(page, "quiz-answered")
    page.click("button[value=finish]")
    page.wait_for_selector("#confirm-submit")
    page.click("#confirm-submit")
    page.wait_for_selector("#result-summary")
    if essays:  # the demo reviewer marks the essay, as on the marking page
        reviewer = get_user_model().objects.get(username="reviewer")
        for aq in essays:
            with transaction.atomic():
                marking_save(attempt_question=aq, marker=reviewer, points=aq.points,
                             feedback="要点齐全。")
        page.reload()
    assert page.locator("#result-summary .ok.result-verdict").inner_text() == "及格", (
        page.locator("#result-summary").inner_text())
    shots(page, "quiz-passed")

    # 5. The goal-setting exercise embedded in the same lesson: the reference table, passed.
    page.goto(f"{url}{lessons[-1].url}")
    page.locator(".exercise-block", has_text=exercise.title).get_by_role("link").click()
    page.wait_for_selector("#goal-editor")
    fill_goal_table(page, exercise.case.reference_table())
    page.click("#submit-goal-table")
    page.wait_for_selector("#result")
    assert page.locator("#result-passed").count() == 1, page.locator("#result").inner_text()
    shots(page, "exercise-passed")

    # 6. The remaining lessons, then the course is complete.
    for lesson in lessons[1:]:
        page.goto(f"{url}{course.url}")
        page.locator(".lesson-list").get_by_role("link", name=lesson.title).click()
        page.wait_for_load_state()
        finish_lesson(page)
    shots(page, "last-lesson-finished")
    page.goto(f"{url}{course.url}")
    done = page.locator(".course__rule .course__done").inner_text()
    assert "已于" in done and f"获得 {course.credit_hours} 学时" in done, done
    assert page.locator(".lesson-item--done").count() == len(lessons)
    assert page.locator(".course__remaining").count() == 0
    shots(page, "course-complete")

    # 7. 我的培训: 已完成 and the plan certificate; the header counts the notification.
    certificate = Certificate.objects.get(user=learner, plan=plan)
    page.goto(f"{url}/my/training/")
    row = page.locator(f"section.plan[data-plan='{plan.pk}'] tr[data-course='{course.pk}']")
    assert row.get_attribute("data-status") == "completed"
    assert row.locator(".badge").inner_text() == "已完成"
    certificates = page.locator("#my-certificates")
    assert certificate.serial in certificates.inner_text()
    assert plan.title in certificates.inner_text()
    badge = page.locator("header a.nav-notifications")
    unread = int(badge.locator(".count-badge").inner_text())
    assert unread >= 1 and badge.is_visible()
    box = badge.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= SIZES[size]["width"], box
    shots(page, "my-training-completed")

    # 8. The notification list shows the certificate; opening it leads to the certificate.
    badge.click()
    page.wait_for_selector("#notification-list")
    notice = page.locator(f".notification[data-kind='{NotificationKind.CERTIFICATE}']")
    assert notice.count() == 1
    assert f"您已获得证书：{plan.title}" in notice.inner_text()
    assert "notification--unread" in notice.get_attribute("class")
    shots(page, "notifications")
    notice.locator(".notification__open button").click()
    page.wait_for_load_state()
    assert page.url == f"{url}/certificates/{certificate.serial}/"
    assert page.locator(".certificate-fields").get_by_text(learner.get_full_name()).count() >= 1
    shots(page, "certificate")

    # 9. The PDF: the name, department and plan in its text; page 1 as a picture.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载证书（PDF）").click()
    download = download_info.value
    assert download.suggested_filename == f"证书-{certificate.serial}.pdf"
    pdf_path = os.path.join(output_path, f"journey-{size}-certificate.pdf")
    download.save_as(pdf_path)
    with open(pdf_path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    if shutil.which("pdftotext") and shutil.which("pdftoppm"):
        text = compact(subprocess.run(["pdftotext", pdf_path, "-"], check=True,
                                      capture_output=True, text=True).stdout)
        name, department = learner.get_full_name(), learner.learner.office.unit.department.name
        assert f"兹证明{name}（{department}）已完成《{plan.title}》" in text, text
        assert certificate.serial in text and f"{url}/certificates/verify/" in text, text
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                        pdf_path, os.path.join(output_path, f"journey-{size}-certificate-page1")],
                       check=True)

    # 10. Anyone checks the code shown on the certificate page: 有效.
    code = page.locator(".certificate-code").inner_text()
    assert compact(code) == certificate.code
    page.goto(f"{url}/certificates/verify/")
    page.fill("#certificate-code", code)
    page.locator("main form").get_by_role("button").click()
    page.wait_for_load_state()
    assert page.url == f"{url}/certificates/verify/{certificate.code}/"
    status = page.locator("#check-status").inner_text()
    assert "有效" in status and "撤销" not in status, status
    assert page.locator("[data-field=holder_name]").inner_text() == learner.get_full_name()
    assert page.locator("[data-field=title]").inner_text() == plan.title
    assert BUSINESS not in page.locator("main").inner_text()
    shots(page, "verified")
    context.close()

    assert shots.overflowing == [], "\n".join(shots.overflowing)
    assert log.failures() == [], "\n".join(log.failures())
    assert log.console == [], "\n".join(log.console)


@pytest.mark.parametrize("size", SIZES)
def test_demo_head_sees_the_briefing_with_the_annual_exam_required(
        browser, demo, output_path, size):
    url = demo.url
    shots = Shots(output_path, int(size))
    head = get_user_model().objects.get(username=HEAD)
    course = CoursePage.objects.live().select_related("required_quiz").get(title=HEADS_COURSE)
    exam = course.required_quiz
    assert exam is not None and exam.mode == "exam"
    plan = TrainingPlan.objects.get(published_at__isnull=False,
                                    requirements__assignments__user=head)
    context = browser.new_context(viewport=SIZES[size], locale="zh-CN")
    page = context.new_page()
    log = BrowserLog()
    log.watch(page)

    login(page, demo, HEAD, PASSWORDS[HEAD])
    assert page.url == f"{url}/my/training/"
    plan_card = page.locator(f"section.plan[data-plan='{plan.pk}']")
    row = plan_card.locator(f"tr[data-course='{course.pk}']")
    assert row.locator("th").inner_text() == HEADS_COURSE
    assert row.locator(".badge").inner_text() == "未开始"
    assert f"{plan.due_on:%Y-%m-%d}" in plan_card.locator(".plan__meta").inner_text()
    shots(page, "head-my-training")

    row.get_by_role("link", name=HEADS_COURSE).click()
    page.wait_for_load_state()
    rule = page.locator(".course__rule-text").inner_text()
    assert f"通过测验《{exam.title}》（{course.quiz_pass_percent}%）" in rule, rule
    assert course.quiz_pass_percent == 80
    remaining = page.locator(".course__remaining").inner_text()
    assert f"测验《{exam.title}》" in remaining, remaining
    shots(page, "head-course")
    context.close()

    assert shots.overflowing == [], "\n".join(shots.overflowing)
    assert log.failures() == [], "\n".join(log.failures())
    assert log.console == [], "\n".join(log.console)
