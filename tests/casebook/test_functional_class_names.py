"""Functional classes renamed in 2019 (207, 210, 220) appear once in filters, and their former
names are marked as such wherever rows are listed (issue 9 §4)."""

import pytest
from django.utils import translation

from casebook.models import FunctionalClass, FunctionalClassLevel
from casebook.selectors import case_func_classes

pytestmark = pytest.mark.django_db


def test_former_names_are_marked_in_choosers(func_classes):
    rows = FunctionalClass.objects.filter(code="210", level=FunctionalClassLevel.CLASS)
    with translation.override("zh-hans"):
        labels = [str(row) for row in rows]
    assert len(labels) == 2
    assert labels[0] == "210 卫生健康支出"  # the current name first, unmarked
    assert labels[1] == "210 医疗卫生与计划生育支出（旧称，2014—2018年）"


def test_case_filter_lists_a_renamed_class_once_under_its_current_name(make_case, case_index):
    make_case(func_class_code="210", func_subclass=None, year=2017)
    make_case(func_class_code="210", func_subclass=None, year=2024)

    choices = case_func_classes(index=case_index)

    assert [code for code, _name in choices].count("210") == 1
    assert ("210", "卫生健康支出") in choices
