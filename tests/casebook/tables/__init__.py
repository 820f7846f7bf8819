"""Goal-table inputs for the rules-engine tests (JSON files of the interchange format)."""

import copy
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load(name: str) -> dict:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def clean_table(framework: str = "2021") -> dict:
    """The clean 8-row road-maintenance table, in the 2021 or the 2020 structure."""
    data = copy.deepcopy(load("clean_2021.json"))
    if framework == "2020":
        data["framework"] = "2020"
        for row in data["indicators"]:
            if row["level1"] == "成本指标":
                row["level1"], row["level2"] = "产出指标", "成本指标"
    return data


def reference_tables(framework: str = "2021") -> list[tuple[str, dict]]:
    """The report's five reference tables (REPORT §3.2), optionally in the 2020 structure."""
    tables = []
    for case in load("reference_cases.json")["cases"]:
        data = copy.deepcopy(case["table"])
        if framework == "2020":
            data["framework"] = "2020"
            for row in data["indicators"]:
                if row["level1"] == "成本指标":
                    row["level1"], row["level2"] = "产出指标", "成本指标"
        tables.append((case["id"], data))
    return tables
