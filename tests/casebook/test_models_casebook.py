"""Functional classes, checker settings and model constraints."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from casebook.models import (
    CasePage,
    FunctionalClass,
    FunctionalClassLevel,
    GoalRuleSettings,
)
from casebook.selectors import checker_config_for
from casebook.services import (
    functional_class_current,
    functional_classes_load,
    goal_rule_settings_save,
)

pytestmark = pytest.mark.django_db


def test_functional_classes_load_is_idempotent_and_keeps_former_names():
    first = functional_classes_load()
    count = FunctionalClass.objects.count()
    assert functional_classes_load() == first
    assert FunctionalClass.objects.count() == count
    assert FunctionalClass.objects.filter(level="class", valid_to__isnull=True).count() == 30
    assert functional_class_current(code="210", year=2017).name == "医疗卫生与计划生育支出"
    assert functional_class_current(code="210", year=2025).name == "卫生健康支出"
    assert functional_class_current(code="210").name == "卫生健康支出"
    sub = functional_class_current(code="20502")
    assert sub.level == FunctionalClassLevel.SUBCLASS and sub.parent.code == "205"


def test_functional_class_validation_rejects_bad_codes_and_years(func_classes):
    edu = functional_class_current(code="205")
    with pytest.raises(ValidationError) as exc:
        FunctionalClass(level="subclass", code="21004", name="公共卫生", parent=edu).full_clean()
    assert "code" in exc.value.message_dict
    with pytest.raises(ValidationError):
        FunctionalClass(level="class", code="99", name="x").full_clean()
    with pytest.raises(ValidationError) as exc:
        FunctionalClass(level="class", code="998", name="x", valid_from=2020,
                        valid_to=2019).full_clean()
    assert "valid_to" in exc.value.message_dict


def test_functional_class_parent_constraint_in_database(func_classes):
    with pytest.raises(IntegrityError), transaction.atomic():
        FunctionalClass.objects.create(level="subclass", code="20599", name="无上级")


def test_case_budget_must_be_positive_in_database(make_case):
    case = make_case()
    with pytest.raises(IntegrityError), transaction.atomic():
        CasePage.objects.filter(pk=case.pk).update(budget_wan=Decimal("0"))


def test_checker_config_for_returns_saved_overrides_or_none(func_classes, django_user_model):
    assert checker_config_for(framework="2021", year=2026) is None
    user = django_user_model.objects.create_user(username="bureau1")
    row = goal_rule_settings_save(year=2026, framework="2021",
                                  overrides={"vague_words": ["明显", "显著"]}, user=user)
    assert row.updated_by == user
    assert checker_config_for(framework="2021", year=2026) == {"vague_words": ["明显", "显著"]}
    assert checker_config_for(framework="2020", year=2026) is None
    assert checker_config_for(framework="2021", year=2025) is None


def test_saved_overrides_reach_the_rules_engine(func_classes):
    from casebook.rules.config import load_config

    goal_rule_settings_save(year=2026, framework="2021", overrides={"vague_words": ["明显"]})
    assert load_config("2021", 2026).vague_words == ["明显"]


def test_invalid_overrides_are_rejected_and_nothing_saved(func_classes):
    with pytest.raises(ValidationError) as exc:
        goal_rule_settings_save(year=2026, framework="2021", overrides={"no_such_setting": 1})
    assert "overrides" in exc.value.message_dict
    with pytest.raises(ValidationError):
        goal_rule_settings_save(year=2026, framework="2021", overrides=["not", "a", "dict"])
    assert not GoalRuleSettings.objects.exists()


def test_one_settings_row_per_year_and_framework(func_classes):
    goal_rule_settings_save(year=2026, framework="2021", overrides={})
    goal_rule_settings_save(year=2026, framework="2021", overrides={"vague_words": ["明显"]})
    assert GoalRuleSettings.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        GoalRuleSettings.objects.create(year=2026, framework="2021", overrides={})
