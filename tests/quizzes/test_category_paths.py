"""Renaming or moving a question category takes its sub-categories along, so questions filed
under them stay under the category in filters and draw rules; two categories cannot end up
with the same path."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quizzes.models import Category


@pytest.fixture
def tree(db):
    root = Category.objects.create(name="事前评估")
    child = Category.objects.create(name="基础", parent=root)
    grandchild = Category.objects.create(name="案例", parent=child)
    other = Category.objects.create(name="目标管理")
    return root, child, grandchild, other


def _paths():
    return set(Category.objects.values_list("path", flat=True))


def test_renaming_a_category_renames_its_sub_categories(tree):
    root, *_rest = tree
    root.name = "事前绩效评估"
    root.full_clean()
    root.save()
    assert _paths() == {"事前绩效评估", "事前绩效评估/基础", "事前绩效评估/基础/案例", "目标管理"}


def test_moving_a_category_moves_its_sub_categories(tree):
    _root, child, grandchild, other = tree
    child.parent = other
    child.full_clean()
    child.save()
    grandchild.refresh_from_db()
    assert grandchild.path == "目标管理/基础/案例"
    assert _paths() == {"事前评估", "目标管理", "目标管理/基础", "目标管理/基础/案例"}


def test_a_name_taken_under_the_same_parent_is_refused_with_nothing_changed(tree):
    root, child, _grandchild, other = tree
    Category.objects.create(name="进阶", parent=root)
    child.name = "进阶"
    with pytest.raises(ValidationError) as error:
        child.full_clean()
    assert "name" in error.value.message_dict
    assert _paths() == {"事前评估", "事前评估/基础", "事前评估/基础/案例", "事前评估/进阶",
                        "目标管理"}
    # A sibling name is not a clash elsewhere.
    other.name = "基础"
    other.full_clean()


def test_saving_without_a_change_touches_no_other_category(tree):
    root, *_rest = tree
    with CaptureQueriesContext(connection) as queries:
        root.save()
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "quizzes_category"')]
    assert len(updates) == 1  # its own row only
    assert "事前评估/基础/案例" in _paths()
