"""In Chromium: a business-staff learner opens a case, fills the goal table with mistakes in the
web editor, sees the findings on the rows, fixes them and passes."""

from __future__ import annotations

import copy

import pytest

from casebook.services import case_index_ensure, case_upsert, functional_classes_load
from departments.models import Position
from portal.services import site_home_ensure
from tests.departments.factories import PASSWORD, LearnerFactory

from .exercise_helpers import ANNUAL_GOAL, make_exercise
from .factories import CLEAN_ROWS, case_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def login(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def fill_row(page, index: int, row: dict) -> None:
    body = page.locator("tbody[data-row]").nth(index)
    body.locator("[data-field=level1]").select_option(row["level1"])
    body.locator("[data-field=level2]").select_option(row["level2"])
    body.locator("[data-field=name]").fill(row["name"])
    body.locator("[data-field=name]").press("Escape")
    if row["op"]:
        body.locator("[data-field=op]").select_option(row["op"])
    body.locator("[data-field=value]").fill(row["value"])
    body.locator("[data-field=unit]").fill(row["unit"])
    basis = row["basis"].split("（")[0]
    body.locator("[data-field=basis]").select_option(basis)
    body.locator("[data-field=explanation]").fill(row["explanation"])


def test_business_learner_fixes_findings_and_passes(live_server, page, output_path):
    functional_classes_load()
    index = case_index_ensure(home=site_home_ensure())
    case = case_upsert(index=index, data=case_data())
    exercise = make_exercise(case, "goal_setting", pass_mark=70,
                             title="绩效目标编制：校舍维修")
    learner = LearnerFactory(staff_number="E0001", position=Position.BUSINESS)
    login(page, live_server, learner.staff_number)

    page.goto(f"{live_server.url}{case.url}")
    assert case.title in page.content()
    page.goto(f"{live_server.url}/casebook/exercises/{exercise.pk}/")
    page.wait_for_selector("#goal-editor")
    rows = copy.deepcopy(CLEAN_ROWS)
    wrong = copy.deepcopy(rows)
    wrong[1]["op"], wrong[1]["value"] = "", "明显提高"   # vague value
    wrong[2]["unit"] = ""                               # missing unit
    page.fill("#annual-goal", ANNUAL_GOAL)
    for i, row in enumerate(wrong):
        fill_row(page, i, row)
    # Reorder with the editor: move the last row up and back down again.
    last = page.locator("tbody[data-row]").nth(6)
    last.locator("button[data-action=up]").click()
    page.locator("tbody[data-row]").nth(5).locator("button[data-action=down]").click()
    assert page.locator("tbody[data-row]").nth(6).locator(
        "[data-field=name]").input_value() == rows[6]["name"]
    page.click("button[data-action=add]")
    assert page.locator("tbody[data-row]").count() == 9
    page.screenshot(path=f"{output_path}/exercise-goal-editor-filled.png", full_page=True)
    page.click("#submit-goal-table")
    page.wait_for_selector("#result")
    assert page.locator("#result-failed").count() == 1
    vague_row = page.locator("tbody.goal-row--error", has=page.locator(
        f"input[value='{rows[1]['name']}']"))
    assert vague_row.locator("li[data-rule=R04]").count() == 1
    unit_row = page.locator("tbody.goal-row--error", has=page.locator(
        f"input[value='{rows[2]['name']}']"))
    assert unit_row.locator("li[data-rule=R05]").count() == 1
    vague_row.scroll_into_view_if_needed()
    page.screenshot(path=f"{output_path}/exercise-goal-findings-on-rows.png", full_page=True)

    # Fix the two rows in the pre-filled editor and resubmit.
    vague_row.locator("[data-field=op]").select_option(">=")
    vague_row.locator("[data-field=value]").fill(rows[1]["value"])
    unit_row.locator("[data-field=unit]").fill(rows[2]["unit"])
    page.click("#submit-goal-table")
    page.wait_for_selector("#result-passed")
    assert page.locator("#attempt-history tbody tr").count() == 2
    assert page.locator("#coverage .coverage--yes").count() == 6
    page.screenshot(path=f"{output_path}/exercise-goal-passed.png", full_page=True)
