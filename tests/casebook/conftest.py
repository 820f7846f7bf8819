"""Fixtures for the casebook tests: functional classes, the case library, cases, users."""

from __future__ import annotations

import pytest

from casebook.services import (
    case_index_ensure,
    case_upsert,
    functional_classes_load,
    indicators_sync,
)
from portal.services import site_home_ensure

from .factories import case_data, indicator_data


@pytest.fixture
def func_classes(db):
    functional_classes_load()


@pytest.fixture
def home(db):
    return site_home_ensure()


@pytest.fixture
def case_index(home, func_classes):
    return case_index_ensure(home=home)


@pytest.fixture
def make_case(case_index):
    def make(**overrides):
        return case_upsert(index=case_index, data=case_data(**overrides))

    return make


@pytest.fixture
def make_indicators(func_classes):
    def make(*items):
        return indicators_sync(items=[indicator_data(**item) for item in items])

    return make


@pytest.fixture
def learner_client(client, django_user_model):
    user = django_user_model.objects.create_user(username="learner1", password="x")
    client.force_login(user)
    return client
