"""The public case page shows 单位自评 as a 单位自评表 with Chinese headings, not raw keys."""

from __future__ import annotations

import re

import pytest

from .exercise_helpers import demo_case, make_exercise
from .factories import case_data

pytestmark = pytest.mark.django_db

RAW_KEYS = ("budget_wan", "executed_wan", "rows", "name", "level1", "target", "op", "actual",
            "points", "score", "total", "grade")


def selfeval_section(page: str) -> str:
    start = page.index('class="case-selfeval"')
    return page[start:page.index("</section>", start)]


def headings(section: str) -> list[str]:
    return re.findall(r"<th[^>]*>([^<]*)</th>", section)


def visible_text(section: str) -> str:
    return re.sub(r"<[^>]+>", " ", section)


def test_self_evaluation_reads_as_a_chinese_self_evaluation_table(client, make_case):
    case = make_case(**{**demo_case("CASE-EDU-01"), "findings": "见自评表。"})
    section = selfeval_section(client.get(case.url).content.decode())
    assert "<caption>单位自评表</caption>" in section
    assert headings(section) == [
        "年度预算数", "执行数",
        "序号", "一级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
        "总分", "等级",
    ]
    text = visible_text(section)
    assert "860 万元" in text and "842.8 万元" in text
    assert "≤ 1200" in text and "≥ 5000" in text and "2025-09-05" in text
    assert not any(re.search(rf"\b{key}\b", text) for key in RAW_KEYS)


def test_self_evaluation_table_keeps_the_results_hidden_during_the_exercise(client, make_case):
    case = make_case(**{**demo_case("CASE-EDU-01"), "findings": "见自评表。"})
    make_exercise(case, "self_evaluation", pass_mark=80)
    section = selfeval_section(client.get(case.url).content.decode())
    assert headings(section) == ["年度预算数", "执行数", "序号", "一级指标", "三级指标",
                                 "年度指标值", "实际完成值", "分值"]
    assert "96.26" not in section and "11.52" not in section


def test_self_evaluation_remarks_are_shown_under_their_chinese_label(client, make_case):
    data = {**case_data()["self_evaluation"], "remarks": "抽查10所学校"}
    case = make_case(self_evaluation=data)
    section = selfeval_section(client.get(case.url).content.decode())
    assert "备注" in headings(section) and "抽查10所学校" in section
    assert "91.72" in section and "培训人次" in section  # total computed from the rows
