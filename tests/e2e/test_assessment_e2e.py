"""The yearly assessment (考核) on the seeded demo, in Chromium, on a laptop (1366×900) and a phone
(390×844).

- The bureau (`czj_jixiao`) opens the overview, finds 市住建局 (104, in PROBLEM_DEPARTMENTS)
  flagged 仅财务参与, drills into it and sees its missing business offices listed first; exports
  the overview XLSX and reads it back with openpyxl (headers, and 104's numbers as the page shows
  them); computes the scores; overrides an automatic item of 104 (refused without a reason, then
  with one); tries to lock while the demo's appeal is pending (refused), answers it, locks, and a
  change sent from a sheet opened before the lock is refused with the Chinese message.
- The department admin of 104 (`zjj_admin`) sees only their department (the overview sends them
  to it; another department's pages answer 404), files an appeal on an item of their sheet; the
  bureau answers it in the appeals inbox; the department admin reads the answer in the history.

Every page is screenshotted into the test's --output folder; nothing may scroll sideways at
390 px (the wide tables scroll inside their own wrappers), and the browser may log no console
error and no failed request (the deliberate 404s excepted).
"""

from __future__ import annotations

import io
import os
import re
import sqlite3
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import pgettext

from assessments import exports as assessment_exports
from assessments import metrics
from assessments.models import (
    Appeal,
    AppealStatus,
    AssessmentScheme,
    ItemScore,
    ScoreSource,
)
from departments.demo_organisation import DEMO_ACCOUNTS, PROBLEM_DEPARTMENTS
from departments.models import Department
from tests.e2e.admin_layout import admin_shot
from tests.e2e.test_screens import BrowserLog, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIZES = {"1366": {"width": 1366, "height": 900}, "390": {"width": 390, "height": 844}}
PASSWORDS = {account["username"]: account["password"] for account in DEMO_ACCOUNTS}
BUREAU, PROBLEM_ADMIN = "czj_jixiao", "zjj_admin"
PROBLEM, OTHER = "104", "101"  # 市住建局 (finance_only in the demo), 市教育局
OVERRIDE_REASON = "抽查发现部分业务人员由财务人员代为完成，酌情调减（E2E）。"
APPEAL_REASON = "本局负责人已参加线下集中培训并通过考试，请求按完成计算（E2E）。"
APPEAL_REPLY = "经核实签到表与考试记录属实，予以采纳（E2E）。"
DEMO_APPEAL_REPLY = "线下培训不计入平台参与率，维持原分（E2E）。"


@pytest.fixture(scope="module")
def demo_snapshot(django_db_setup, django_db_blocker):
    """`seed_demo` once for the module (it takes a minute): a copy of the seeded in-memory SQLite
    database that each test restores, so every test starts from the same fresh demo. None on
    another database (PostgreSQL): each test seeds for itself."""
    from django.db import connection

    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield None
        return
    with django_db_blocker.unblock():
        call_command("seed_demo", stdout=io.StringIO())
        connection.ensure_connection()
        snapshot = sqlite3.connect(":memory:", check_same_thread=False)
        connection.connection.backup(snapshot)
        # The database is left as the tests before found it; each test restores the copy.
        call_command("flush", interactive=False, verbosity=0)
    yield snapshot
    snapshot.close()


@pytest.fixture
def demo(live_server, demo_snapshot):
    """The seeded demo site with this year's plan, its activity and its appraisal."""
    from django.db import connection

    cache.clear()  # the login throttle starts afresh
    if demo_snapshot is None:
        call_command("seed_demo", stdout=io.StringIO())
    else:
        connection.ensure_connection()
        demo_snapshot.backup(connection.connection)
        ContentType.objects.clear_cache()
    return live_server


class Shots:
    """Screenshots of the whole admin page (the viewport stretched to main's height for the
    shot), numbered in walking order; notes any page whose content is wider than the screen
    outside a scroll wrapper, and any id given to two elements (a score sheet's appeal forms
    and its appeal history once shared `appeal-<pk>`)."""

    def __init__(self, output_path: str, size: dict, prefix: str):
        self.folder, self.size, self.prefix, self.number = output_path, size, prefix, 0
        self.overflowing: list[str] = []
        self.duplicate_ids: list[str] = []
        os.makedirs(output_path, exist_ok=True)

    def __call__(self, page, name: str) -> None:
        self.number += 1
        path = os.path.join(self.folder,
                            f"{self.prefix}-{self.size['width']}-{self.number:02d}-{name}.png")
        for problem in admin_shot(page, path, size=self.size):
            found = self.duplicate_ids if problem.startswith("repeated ids") else self.overflowing
            found.append(f"{name}: {page.url} {problem}")


def console_errors(log: BrowserLog, *, expected_404: tuple[str, ...] = ()) -> list[str]:
    """Console errors and warnings, except Chromium's note on the 404s asked for on purpose."""
    return [line for line in log.console
            if not ("status of 404" in line
                    and any(line.startswith(f"{url} console.") for url in expected_404))]


def messages(page) -> str:
    """The flash messages Wagtail shows at the top of the page after a POST."""
    box = page.locator(".messages")
    return box.inner_text() if box.count() else ""


def chinese(text) -> str:
    """A translated text as the Chinese pages show it."""
    with translation.override("zh-hans"):
        return str(text)


def finance_only_label() -> str:
    return chinese(metrics.FLAG_LABELS["finance_only"])


def overview_headers() -> list[str]:
    """The overview workbook's header row, in Chinese."""
    with translation.override("zh-hans"):
        return [str(column.header) for column in assessment_exports.overview_columns()]


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def percent(value) -> str:
    """A fraction as the pages show it (assessments.charts.percent_text)."""
    return "—" if value is None else f"{float(value) * 100:.1f}%".replace(".0%", "%")


def open_page(page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, (url, response and response.status)


def submit(page, form) -> None:
    """Submit a form and wait for the page it redirects to."""
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def context_for(browser, size: str):
    context = browser.new_context(viewport=SIZES[size], locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    log = BrowserLog()
    log.watch(page)
    return context, page, log


@pytest.mark.parametrize("size", SIZES)
def test_bureau_finds_a_finance_only_department_exports_scores_and_locks(
        browser, demo, output_path, size):
    url = demo.url
    year = timezone.localdate().year
    scheme = AssessmentScheme.objects.get(year=year)
    problem = Department.objects.get(code=PROBLEM)
    assert PROBLEM in PROBLEM_DEPARTMENTS
    pending = Appeal.objects.filter(scheme=scheme, status=AppealStatus.PENDING)
    assert pending.count() >= 1, "the demo files an appeal that waits for an answer"
    shots = Shots(output_path, SIZES[size], "assessment-bureau")
    context, page, log = context_for(browser, size)

    # 1. The overview: 市住建局 carries 仅财务参与; its row links to the department page.
    login(page, demo, BUREAU, PASSWORDS[BUREAU])
    open_page(page, f"{url}/admin/assessment/")
    table = page.locator("#assessment-departments")
    row = table.locator(f"tr[data-department='{PROBLEM}']")
    assert row.count() == 1
    flags = row.locator("[data-flag]")
    assert "finance_only" in [flags.nth(i).get_attribute("data-flag")
                              for i in range(flags.count())]
    assert finance_only_label() in row.locator("[data-col=flags]").inner_text()
    cells = {col: row.locator(f"[data-col={col}]").inner_text().split("\n")[0].strip()
             for col in ("completion", "coverage", "points", "weighted", "heads")}
    coverage_ratio = row.locator("[data-col=coverage] small").inner_text().strip()
    assert coverage_ratio.startswith("0/"), coverage_ratio  # no business office took part
    assert cells["coverage"] == "0%", cells
    assert int(page.locator("[data-flag-count=finance_only]").inner_text()) >= 1
    shots(page, "overview")
    # The flag filter keeps only the finance-only departments, 104 among them.
    page.select_option("#assessment-flag", "finance_only")
    with page.expect_navigation():
        page.locator("#assessment-filters button[type=submit]").click()
    codes = [code for code in table.locator("tbody tr").evaluate_all(
        "rows => rows.map(row => row.dataset.department)") if code]
    assert PROBLEM in codes and set(codes) <= set(PROBLEM_DEPARTMENTS), codes
    shots(page, "overview-finance-only")

    # 2. Drill into 104: the business offices that took no part come first, named.
    with page.expect_navigation():
        table.locator(f"tr[data-department='{PROBLEM}'] th a").first.click()
    assert page.url.startswith(f"{url}/admin/assessment/{year}/departments/{problem.pk}/")
    missing = page.locator("#missing-business-offices")
    assert re.search(r"\d+ 个业务机构尚未参与", missing.locator("h2").inner_text()), (
        missing.inner_text())
    missing_ids = missing.locator("li[data-office]").evaluate_all(
        "items => items.map(item => item.dataset.office)")
    assert missing_ids
    # Listed before every other table of the page.
    first_section = page.locator("#assessment-department > section, "
                                 "#assessment-department .assessment-section").first
    assert first_section.get_attribute("id") == "missing-business-offices"
    # ... and they are exactly the business offices marked 否 in the units table.
    not_taking_part = page.locator("#department-offices tr[data-office]").evaluate_all(
        """rows => rows.filter(row => row.querySelector('.assessment-no')
                                  && row.cells[1].innerText.includes('业务'))
                       .map(row => row.dataset.office)""")
    assert sorted(missing_ids) == sorted(not_taking_part)
    assert page.locator("#department-flags [data-flag=finance_only]").count() == 1
    shots(page, "department-104")

    # 3. The overview XLSX: downloaded, opened with openpyxl; 104's row matches the page.
    open_page(page, f"{url}/admin/assessment/?year={year}")
    with page.expect_download() as download_info:
        page.locator("#assessment-links a[href*='/overview/']").click()
    download = download_info.value
    downloads = (download.url,)
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    xlsx_path = os.path.join(output_path, f"assessment-overview-{size}.xlsx")
    download.save_as(xlsx_path)
    workbook = openpyxl.load_workbook(xlsx_path, read_only=True)
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    headers = [str(header) for header in rows[0]]
    expected = overview_headers()
    assert headers == expected, headers
    assert all(re.search(r"[\u4e00-\u9fff]", header) for header in headers), headers
    column = {header: index for index, header in enumerate(headers)}
    [record] = [r for r in rows[1:] if str(r[0]) == PROBLEM]

    def value(msgid: str):
        return record[column[chinese(pgettext("assessment export", msgid))]]

    assert value("Department") == problem.name
    assert percent(value("Completion rate")) == cells["completion"], (record, cells)
    assert percent(value("Business-office coverage")) == cells["coverage"], (record, cells)
    assert percent(value("Weighted completion rate")) == cells["weighted"], (record, cells)
    assert f"{value('Heads completed')}/{value('Heads required')}" == cells["heads"]
    assert f"{value('Business offices taking part')}/{value('Business offices')}" == (
        coverage_ratio)
    assert f"{Decimal(str(value('Training points'))):.2f}" == cells["points"], (record, cells)
    assert finance_only_label() in str(value("Flags"))
    assert len(workbook.sheetnames) >= 2  # the missing offices, the definitions, ...
    workbook.close()

    # 4. Compute the scores from the results page.
    computed_before = scheme.computed_at
    open_page(page, f"{url}/admin/assessment-scores/{year}/")
    shots(page, "results")
    submit(page, page.locator("#scheme-compute-form"))
    assert "计算已开始" in messages(page), messages(page)
    # Eager Celery (the test settings) computes before the redirect; a real worker a moment later.
    for _attempt in range(40):
        scheme.refresh_from_db()
        if scheme.computed_at is not None and scheme.computed_at > computed_before:
            break
        page.wait_for_timeout(250)
    assert scheme.computed_at is not None and scheme.computed_at > computed_before

    # 5. Override an automatic item of 104: refused without a reason, done with one.
    sheet_url = f"{url}/admin/assessment-scores/{year}/departments/{problem.pk}/"
    open_page(page, sheet_url)
    score = (ItemScore.objects.filter(scheme=scheme, department=problem,
                                      item__kind="automatic", source=ScoreSource.COMPUTED)
             .exclude(item__metric="goal_setting_pass_rate")  # the demo's appeal is on it
             .select_related("item").order_by("item__sort_order", "item__pk").first())
    assert score is not None
    item = score.item
    before = (score.points, score.source)
    new_points = min(item.max_points, (score.points or Decimal(0)) + Decimal("0.25"))
    if new_points == score.points:
        new_points = item.max_points - Decimal("0.5")
    form = page.locator(f"#override-{item.pk}")
    form.locator("xpath=ancestor::details[1]/summary").click()
    form.locator("input[name=points]").fill(str(new_points))
    # The browser asks for the reason first; past that, the server refuses too.
    assert form.locator("textarea[name=reason]").evaluate("el => el.validity.valueMissing")
    form.locator("textarea[name=reason]").evaluate("el => el.removeAttribute('required')")
    submit(page, form)
    assert "请填写修改理由" in messages(page), messages(page)
    score.refresh_from_db()
    assert (score.points, score.source) == before
    shots(page, "override-refused")
    form = page.locator(f"#override-{item.pk}")
    if not form.is_visible():
        form.locator("xpath=ancestor::details[1]/summary").click()
    form.locator("input[name=points]").fill(str(new_points))
    form.locator("textarea[name=reason]").fill(OVERRIDE_REASON)
    submit(page, form)
    assert f"已调整“{item.name}”的得分" in messages(page), messages(page)
    score.refresh_from_db()
    assert score.source == ScoreSource.OVERRIDE and score.points == new_points
    assert score.reason == OVERRIDE_REASON
    item_row = page.locator(f"#item-{item.pk}")
    assert item_row.locator("[data-source=override]").count() == 1
    assert OVERRIDE_REASON in item_row.inner_text()
    assert compact(item_row.locator("[data-points]").inner_text()) == f"{new_points:.2f}"
    shots(page, "override-done")

    # 6. Locking waits for the pending appeals: refused, then the demo's appeal is answered.
    open_page(page, f"{url}/admin/assessment-scores/{year}/")
    assert page.locator("#pending-appeals").count() == 1
    submit(page, page.locator("#scheme-lock-form"))
    assert "请先答复待处理的申诉再锁定方案" in messages(page), messages(page)
    scheme.refresh_from_db()
    assert not scheme.is_locked
    shots(page, "lock-refused")
    open_page(page, f"{url}/admin/assessment-scores/{year}/appeals/?status=pending")
    for appeal in list(pending.select_related("item")):
        answer = page.locator(f"#appeal-answer-{appeal.pk}")
        answer.locator("input[value=reject]").check()
        answer.locator("textarea[name=reply]").fill(DEMO_APPEAL_REPLY)
        shots(page, "appeal-answer")
        submit(page, answer)
        assert f"已驳回对“{appeal.item.name}”的申诉" in messages(page), messages(page)
    assert not pending.exists()
    shots(page, "appeals-answered")

    # 7. A second tab keeps 104's sheet open with an override form filled in; the first tab
    # locks the scheme; the change sent afterwards is refused and changes nothing.
    stale = context.new_page()
    log.watch(stale)
    open_page(stale, sheet_url)
    other = (ItemScore.objects.filter(scheme=scheme, department=problem, item__kind="automatic")
             .exclude(pk=score.pk).select_related("item").first())
    stale_form = stale.locator(f"#override-{other.item.pk}")
    stale_form.locator("xpath=ancestor::details[1]/summary").click()
    stale_form.locator("input[name=points]").fill(str(other.item.max_points))
    stale_form.locator("textarea[name=reason]").fill("锁定后的修改（E2E）。")

    open_page(page, f"{url}/admin/assessment-scores/{year}/")
    submit(page, page.locator("#scheme-lock-form"))
    assert "考核方案已锁定：得分不能再修改" in messages(page), messages(page)
    assert page.locator("#scheme-locked").is_visible()
    assert page.locator("#scheme-lock-form").count() == 0
    scheme.refresh_from_db()
    assert scheme.is_locked
    shots(page, "locked")

    other_before = (other.points, other.source)
    submit(stale, stale_form)
    assert "该考核方案已锁定，得分不能再修改" in messages(stale), messages(stale)
    other.refresh_from_db()
    assert (other.points, other.source) == other_before
    # The locked sheet offers no form to change the points any more.
    assert stale.locator("#scheme-locked").is_visible()
    assert stale.locator(f"#override-{other.item.pk}").count() == 0
    shots(stale, "change-refused-when-locked")
    context.close()

    assert shots.overflowing == [], "\n".join(shots.overflowing)
    assert shots.duplicate_ids == [], "\n".join(shots.duplicate_ids)
    problems = log.failures(downloads=downloads)
    assert problems == [], "\n".join(problems)
    assert log.console == [], "\n".join(log.console)


@pytest.mark.parametrize("size", SIZES)
def test_department_admin_sees_only_their_department_and_appeals_an_item(
        browser, demo, output_path, size):
    url = demo.url
    year = timezone.localdate().year
    scheme = AssessmentScheme.objects.get(year=year)
    own, foreign = (Department.objects.get(code=PROBLEM), Department.objects.get(code=OTHER))
    department_url = f"{url}/admin/assessment/{year}/departments/{own.pk}/"
    sheet_url = f"{url}/admin/assessment-scores/{year}/departments/{own.pk}/"
    forbidden = (f"{url}/admin/assessment/{year}/departments/{foreign.pk}/",
                 f"{url}/admin/assessment-scores/{year}/departments/{foreign.pk}/",
                 f"{url}/admin/assessment-exports/{year}/department/?department={foreign.pk}",
                 f"{url}/admin/assessment/{year}/report.json?department={OTHER}")
    shots = Shots(output_path, SIZES[size], "assessment-department-admin")
    context, page, log = context_for(browser, size)

    # 1. The overview is the bureau's: the department admin lands on their own department.
    login(page, demo, PROBLEM_ADMIN, PASSWORDS[PROBLEM_ADMIN])
    open_page(page, f"{url}/admin/assessment/")
    assert page.url == department_url
    assert page.locator("#assessment-department").get_attribute("data-department") == PROBLEM
    assert page.locator("#missing-business-offices li").count() >= 1
    # Nothing links to the other departments; the page offers no way back to an overview (the
    # admin menu's 参与与考核 leads here again).
    assert page.locator(f"a[href*='/departments/{foreign.pk}/']").count() == 0
    assert page.locator("#assessment-department a[href*='/admin/assessment/?']").count() == 0
    shots(page, "own-department")

    # 2. Another department's pages answer 404, URL by URL.
    for address in forbidden:
        response = page.goto(address)
        assert response is not None and response.status == 404, (address, response.status)
    shots(page, "foreign-department-404")

    # 3. Their score sheet: file an appeal on an item with no appeal yet.
    open_page(page, sheet_url)
    assert page.locator("#scheme-compute-form, #scheme-lock-form").count() == 0
    assert page.locator("form[id^=override-]").count() == 0
    appealed = {appeal.item_id for appeal in Appeal.objects.filter(scheme=scheme,
                                                                   department=own)}
    item = next(score.item for score in ItemScore.objects.filter(
        scheme=scheme, department=own, item__kind="automatic").select_related("item")
        .order_by("item__sort_order", "item__pk") if score.item_id not in appealed)
    form = page.locator(f"#appeal-{item.pk}")
    form.locator("xpath=ancestor::details[1]/summary").click()
    form.locator("textarea[name=reason]").fill(APPEAL_REASON)
    shots(page, "appeal-form")
    submit(page, form)
    assert f"已提交对“{item.name}”的申诉" in messages(page), messages(page)
    appeal = Appeal.objects.get(scheme=scheme, department=own, item=item)
    assert appeal.status == AppealStatus.PENDING and appeal.reason == APPEAL_REASON
    history = page.locator(f"#appeal-entry-{appeal.pk}")
    assert history.get_attribute("data-appeal-status") == AppealStatus.PENDING
    assert APPEAL_REASON in history.inner_text()
    assert page.locator(f"form#appeal-{item.pk}").count() == 0  # one pending appeal per item
    shots(page, "appeal-filed")

    # 4. The bureau answers it in the appeals inbox (accepted, with new points).
    login(page, demo, BUREAU, PASSWORDS[BUREAU])
    open_page(page, f"{url}/admin/assessment-scores/{year}/appeals/?status=pending")
    row = page.locator(f"tr#appeal-{appeal.pk}")
    assert own.name in row.inner_text() and APPEAL_REASON in row.inner_text()
    answer = page.locator(f"#appeal-answer-{appeal.pk}")
    new_points = item.max_points
    answer.locator("input[value=accept]").check()
    answer.locator("input[name=new_points]").fill(str(new_points))
    answer.locator("textarea[name=reply]").fill(APPEAL_REPLY)
    shots(page, "bureau-answers")
    submit(page, answer)
    assert f"已采纳对“{item.name}”的申诉" in messages(page), messages(page)
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.ACCEPTED and appeal.new_points == new_points
    score = ItemScore.objects.get(scheme=scheme, department=own, item=item)
    assert score.points == new_points and score.source == ScoreSource.APPEAL

    # 5. The department admin reads the answer in the item's history.
    login(page, demo, PROBLEM_ADMIN, PASSWORDS[PROBLEM_ADMIN])
    open_page(page, sheet_url)
    history = page.locator(f"#appeal-entry-{appeal.pk}")
    assert history.get_attribute("data-appeal-status") == AppealStatus.ACCEPTED
    text = history.inner_text()
    assert APPEAL_REASON in text and APPEAL_REPLY in text and "已采纳" in text, text
    assert compact(page.locator(f"#item-{item.pk} [data-points]").inner_text()) == (
        f"{new_points:.2f}")
    history.scroll_into_view_if_needed()
    shots(page, "answer-seen")
    context.close()

    assert shots.overflowing == [], "\n".join(shots.overflowing)
    assert shots.duplicate_ids == [], "\n".join(shots.duplicate_ids)
    problems = log.failures(expected_404=forbidden)
    assert problems == [], "\n".join(problems)
    errors = console_errors(log, expected_404=forbidden)
    assert errors == [], "\n".join(errors)
