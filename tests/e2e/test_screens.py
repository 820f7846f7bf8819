"""Every learner page fits a laptop (1366×900) and a phone (390×844): no horizontal scrolling,
no console errors, no failed requests (the favicon included), and screenshots of each page under
var/test-output/ to look at. Staff see public pages without the userbar's accessibility checker."""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field

import pytest
from django.core.management import call_command

from casebook.models import CasePage, Exercise
from courses.models import CoursePage, LessonPage
from portal.models import PolicyDocumentPage
from quizzes.models import Quiz
from tests.departments.factories import PASSWORD, LearnerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
GOAL_CASE = "CASE-EDU-01"
GOAL_COURSE = "绩效目标管理"
PRACTICE_QUIZ = "目标管理练习"


@dataclass
class BrowserLog:
    """What the browser complained about while the test walked the pages."""

    console: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        page.on("console", lambda message: self.console.append(
            f"{page.url} console.{message.type}: {message.text}")
            if message.type in ("error", "warning") or "axe" in message.text else None)
        page.on("pageerror", lambda error: self.console.append(f"{page.url} {error}"))
        page.on("requestfailed", lambda request: self.failed.append(
            f"{request.url} failed: {request.failure}"))
        page.on("response", lambda response: self.failed.append(
            f"{response.url} answered {response.status}") if response.status >= 400 else None)

    # Requests that may be cancelled while they are in flight without anything being wrong:
    # a study-time heartbeat when the learner leaves the lesson (the server only counts the
    # time between beats it receives), an indicator suggestion the goal editor aborts when the
    # next key or the submit supersedes it, and the browser's own favicon fetch, which the
    # next navigation abandons.
    CANCELLABLE = ("/heartbeat/", "/casebook/indicators/autocomplete", "/favicon.ico")

    def failures(self, *, expected_404: tuple[str, ...] = (),
                 downloads: tuple[str, ...] = ()) -> list[str]:
        """Failed requests and error answers, except a cancelled request that may be cancelled
        (ERR_ABORTED of a CANCELLABLE address), the 404s a test asked for on purpose
        (addresses starting with one of `expected_404`), and the navigation Chromium abandons
        (ERR_ABORTED) when its answer turns out to be a download (one of `downloads`)."""
        def excused(line: str) -> bool:
            url = line.split(" answered ")[0].split(" failed:")[0]
            if line.endswith("failed: net::ERR_ABORTED"):
                return url in downloads or any(path in url for path in self.CANCELLABLE)
            return line.endswith("answered 404") and any(
                url.startswith(prefix) for prefix in expected_404)
        return [line for line in self.failed if not excused(line)]


@pytest.fixture
def demo_site(live_server):
    """The demo content (cases, exercises, policies, quizzes) and one business-office learner."""
    call_command("seed_demo", stdout=io.StringIO())
    LearnerFactory(staff_number="S0001", position="business")
    return live_server


def login(page, live_server, username: str, password: str = PASSWORD) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"{username} could not log in"


def horizontal_overflow(page) -> tuple[int, int]:
    """(document scroll width, viewport width) of the page as shown."""
    return tuple(page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"))


def record(page, output_path: str, name: str, overflowing: list[str]) -> None:
    """Screenshot the whole page and note it if it scrolls sideways."""
    os.makedirs(output_path, exist_ok=True)
    page.screenshot(path=os.path.join(output_path, f"{name}.png"), full_page=True)
    scroll_width, inner_width = horizontal_overflow(page)
    if scroll_width > inner_width:
        overflowing.append(f"{name}: {page.url} is {scroll_width}px wide in {inner_width}px")


def fill_goal_rows(page) -> None:
    """Two rows of a goal table with a level-1/level-2 choice each, one of them vague."""
    rows = page.locator("tbody[data-row]")
    first, second = rows.nth(0), rows.nth(1)
    first.locator("[data-field=level1]").select_option("产出指标")
    first.locator("[data-field=level2]").select_option("数量指标")
    first.locator("[data-field=name]").fill("完成校舍维修改造面积")
    first.locator("[data-field=name]").press("Escape")
    first.locator("[data-field=op]").select_option(">=")
    first.locator("[data-field=value]").fill("5000")
    first.locator("[data-field=unit]").fill("平方米")
    second.locator("[data-field=level1]").select_option("满意度指标")
    second.locator("[data-field=level2]").select_option("服务对象满意度指标")
    second.locator("[data-field=name]").fill("学生家长满意度")
    second.locator("[data-field=name]").press("Escape")
    second.locator("[data-field=value]").fill("明显提高")


def walk_learner_pages(page, live_server, output_path: str) -> list[str]:
    """Open every learner page once (submitting what makes result pages exist)."""
    url = live_server.url
    overflowing: list[str] = []
    policy = PolicyDocumentPage.objects.live().order_by("path").first()
    case = CasePage.objects.get(code=GOAL_CASE)
    exercises = {exercise.kind: exercise for exercise in
                 Exercise.objects.filter(published=True).order_by("-pk")}

    for name, path in [("home", "/"), ("policy-index", "/policies/"),
                       ("policy", policy.url), ("case-index", "/cases/"), ("case", case.url),
                       ("indicator-library", "/casebook/indicators/?q=满意度"),
                       ("search", "/search/?q=绩效目标"),
                       ("certificate-verify-form", "/certificates/verify/")]:
        page.goto(url + path)
        record(page, output_path, name, overflowing)

    login(page, live_server, "S0001")
    page.goto(url + "/")
    record(page, output_path, "home-learner", overflowing)
    page.goto(url + case.url)
    record(page, output_path, "case-learner", overflowing)
    # The training pages (the whole journey is in test_training_journey_e2e.py).
    course = CoursePage.objects.live().get(title=GOAL_COURSE)
    lesson = LessonPage.objects.live().child_of(course).order_by("path").first()
    for name, path in [("my-training", "/my/training/"), ("course", course.url),
                       ("notifications", "/my/notifications/")]:
        page.goto(url + path)
        record(page, output_path, name, overflowing)
    # The lesson's first study-time heartbeat is answered before the walk moves on (leaving
    # while it is in flight makes the browser cancel it, which is no error of the page).
    with page.expect_event("requestfinished", lambda request: "/heartbeat/" in request.url):
        page.goto(url + lesson.url)
    record(page, output_path, "lesson", overflowing)
    for kind, exercise in sorted(exercises.items()):
        page.goto(f"{url}/casebook/exercises/{exercise.pk}/")
        record(page, output_path, f"exercise-{kind}", overflowing)
    goal = Exercise.objects.get(case__code=GOAL_CASE, kind="goal_setting")
    page.goto(f"{url}/casebook/exercises/{goal.pk}/")
    fill_goal_rows(page)
    page.click("#submit-goal-table")
    page.wait_for_selector("#result")
    record(page, output_path, "exercise-goal_setting-result", overflowing)

    quiz = Quiz.objects.get(title=PRACTICE_QUIZ)
    page.goto(f"{url}/quizzes/")
    record(page, output_path, "quiz-index", overflowing)
    page.goto(f"{url}/quizzes/{quiz.pk}/")
    record(page, output_path, "quiz-detail", overflowing)
    page.click("main form button[type=submit]")
    page.wait_for_selector("#attempt-form")
    page.locator("#attempt-form input[type=radio]").first.check()
    record(page, output_path, "quiz-take", overflowing)
    page.click("button[value=finish]")
    page.wait_for_selector("#confirm-submit")
    record(page, output_path, "quiz-submit", overflowing)
    page.click("#confirm-submit")
    page.wait_for_selector("#result-summary")
    record(page, output_path, "quiz-result", overflowing)
    page.goto(f"{url}/quizzes/wrong-answers/")
    record(page, output_path, "wrong-answer-book", overflowing)
    page.goto(f"{url}/quizzes/progress/")
    record(page, output_path, "quiz-progress", overflowing)
    page.goto(f"{url}/accounts/profile/")
    record(page, output_path, "account", overflowing)
    return overflowing


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366x900", "390x844"])
def test_learner_pages_fit_the_screen_without_console_errors(
    browser, demo_site, output_path, viewport
):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    log = BrowserLog()
    log.watch(page)
    overflowing = walk_learner_pages(page, demo_site, output_path)
    context.close()
    assert overflowing == [], "\n".join(overflowing)
    assert log.failures() == [], "\n".join(log.failures())
    assert log.console == [], "\n".join(log.console)


def test_goal_editor_fits_without_scrolling_and_keeps_its_row_actions(
    browser, demo_site, output_path
):
    """No column of the editor is cut off (the table does not scroll inside its box either) and
    every row's up / down / remove buttons are on screen and work, on a laptop and a phone."""
    goal = Exercise.objects.get(case__code=GOAL_CASE, kind="goal_setting")
    for viewport in (LAPTOP, PHONE):
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        page = context.new_page()
        login(page, demo_site, "S0001")
        page.goto(f"{demo_site.url}/casebook/exercises/{goal.pk}/")
        box = page.locator("#goal-editor .table-scroll")
        assert box.evaluate("el => el.scrollWidth <= el.clientWidth"), viewport
        rows = page.locator("tbody[data-row]")
        for action in ("up", "down", "remove"):
            button = rows.nth(1).locator(f"button[data-action={action}]")
            button.scroll_into_view_if_needed()
            place = button.bounding_box()
            assert button.is_visible() and place is not None, (viewport, action)
            assert place["x"] >= 0 and place["x"] + place["width"] <= viewport["width"], (
                viewport, action, place)
        rows.nth(1).locator("[data-field=name]").fill("受益学生人数")
        rows.nth(1).locator("button[data-action=up]").click()
        assert rows.nth(0).locator("[data-field=name]").input_value() == "受益学生人数"
        count = rows.count()
        rows.nth(0).locator("button[data-action=remove]").click()
        assert rows.count() == count - 1
        page.screenshot(path=os.path.join(output_path, f"goal-editor-{viewport['width']}.png"),
                        full_page=True)
        context.close()


def test_level2_choices_follow_level1_and_the_tables_framework(browser, demo_site):
    """Choosing 一级指标 leaves only its own 二级指标 in the dropdown (2021 framework here)."""
    goal = Exercise.objects.get(case__code=GOAL_CASE, kind="goal_setting")
    assert goal.effective_framework == "2021"
    context = browser.new_context(viewport=LAPTOP, locale="zh-CN")
    page = context.new_page()
    login(page, demo_site, "S0001")
    page.goto(f"{demo_site.url}/casebook/exercises/{goal.pk}/")
    row = page.locator("tbody[data-row]").first
    level2 = row.locator("[data-field=level2]")

    def offered() -> list[str]:
        return [text for text in level2.locator("option").all_inner_texts() if text != "—"]

    row.locator("[data-field=level1]").select_option("成本指标")
    assert offered() == ["经济成本指标", "社会成本指标", "生态环境成本指标"]
    level2.select_option("社会成本指标")
    row.locator("[data-field=level1]").select_option("满意度指标")
    assert offered() == ["服务对象满意度指标"]
    assert level2.input_value() == ""  # a level-2 class of another level 1 is not kept
    row.locator("[data-field=level1]").select_option("")
    assert "数量指标" in offered() and "服务对象满意度指标" in offered()
    context.close()


def test_staff_see_public_pages_without_the_accessibility_checker(
    browser, demo_site, django_user_model
):
    """The userbar stays for editors, but no axe run logs to the console of a public page."""
    django_user_model.objects.create_superuser("editor1", password=PASSWORD)
    case = CasePage.objects.get(code=GOAL_CASE)
    context = browser.new_context(viewport=LAPTOP, locale="zh-CN")
    page = context.new_page()
    log = BrowserLog()
    log.watch(page)
    login(page, demo_site, "editor1")
    for path in ("/", "/policies/", case.url):
        page.goto(demo_site.url + path)
        page.wait_for_load_state("networkidle")
        assert page.locator("wagtail-userbar, [data-wagtail-userbar], #wagtail-userbar-template"
                            ).count() >= 1
        assert page.locator("#checker-axe-configuration").count() == 0
    context.close()
    assert [line for line in log.console if re.search("axe", line, re.I)] == []
    assert log.failures() == []
    assert log.console == []
