"""The goal editor offers only the 二级指标 of a row's 一级指标, from the exercise's framework."""

from __future__ import annotations

import copy
import json
import re

import pytest

from casebook.rules.config import LEVEL2_2020, LEVEL2_2021
from tests.departments.factories import LearnerFactory

from .exercise_helpers import make_exercise, table_post
from .factories import CLEAN_ROWS

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner_client(client, db):
    client.force_login(LearnerFactory().user)
    return client


def level2_data(page: str) -> list:
    """The level-2 choices the page hands to the editor script."""
    found = re.search(r'<script id="goal-level2-options" type="application/json">(.*?)</script>',
                      page, re.S)
    assert found, "the editor page carries no level-2 data"
    return json.loads(found.group(1))


def level2_choices(page: str, row_name: str) -> list[str]:
    """The options of the level-2 select in the editor row that holds ``row_name``."""
    for body in re.findall(r'<tbody class="goal-row[^"]*" data-row>.*?</tbody>', page, re.S):
        if f'value="{row_name}"' in body:
            select = re.search(r'<select name="ind-\d+-level2".*?</select>', body, re.S).group(0)
            return [value for value in re.findall(r'<option value="([^"]*)"', select) if value]
    raise AssertionError(f"no editor row for {row_name}")


def test_editor_data_follows_the_2021_framework(learner_client, make_case):
    exercise = make_exercise(make_case(), "goal_setting")
    page = learner_client.get(f"/casebook/exercises/{exercise.pk}/").content.decode()
    assert level2_data(page) == [[level1, names] for level1, names in LEVEL2_2021.items()]


def test_editor_data_follows_the_2020_framework_of_the_exercise(learner_client, make_case):
    exercise = make_exercise(make_case(), "goal_setting", framework="2020")
    page = learner_client.get(f"/casebook/exercises/{exercise.pk}/").content.decode()
    data = level2_data(page)
    assert data == [[level1, names] for level1, names in LEVEL2_2020.items()]
    assert "成本指标" in dict(data)["产出指标"]  # 2020: cost is a level-2 class of output
    assert "成本指标" not in dict(data)


def test_revised_rows_offer_only_the_level2_classes_of_their_level1(learner_client, make_case):
    exercise = make_exercise(make_case(), "goal_setting")
    rows = copy.deepcopy(CLEAN_ROWS)
    satisfaction = next(row for row in rows if row["level1"] == "满意度指标")
    cost = next(row for row in rows if row["level1"] == "成本指标")
    response = learner_client.post(f"/casebook/exercises/{exercise.pk}/", table_post(rows))
    page = learner_client.get(response["Location"]).content.decode()
    assert level2_choices(page, satisfaction["name"]) == ["服务对象满意度指标"]
    assert level2_choices(page, cost["name"]) == LEVEL2_2021["成本指标"]
