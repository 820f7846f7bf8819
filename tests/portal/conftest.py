"""Fixtures for the portal tests: the site tree built through the portal services."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from portal.services import policy_document_upsert, policy_index_ensure, site_home_ensure

_numbers = itertools.count(1)


def policy_data(**overrides) -> dict:
    """A valid policy dict (the schema of portal.services.policy_document_upsert)."""
    n = next(_numbers)
    data = {
        "title": f"预算绩效管理办法{n}",
        "doc_number": f"测财绩〔2024〕{n}号",
        "issuer": "测试市财政局",
        "level": "city",
        "publish_date": dt.date(2024, 1, 1) + dt.timedelta(days=n % 300),
        "effective_date": None,
        "status": "current",
        "stages": ["goals"],
        "is_summary": False,
        "clauses": [
            {"number": "第一条", "heading": "目的", "text": "为加强预算绩效管理，制定本办法。"},
            {"number": "第二条", "heading": "绩效目标",
             "text": "绩效目标应当指向明确、细化量化。\n第二段。"},
        ],
        "related": [],
    }
    data.update(overrides)
    return data


@pytest.fixture
def home(db):
    return site_home_ensure()


@pytest.fixture
def policy_index(home):
    return policy_index_ensure(home=home)


@pytest.fixture
def make_policy(policy_index):
    def make(**overrides):
        return policy_document_upsert(index=policy_index, data=policy_data(**overrides))

    return make
