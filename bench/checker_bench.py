"""Goal-table checker speed against a baseline measured in the same run.

    python bench/checker_bench.py [--rows 50] [--repeat 300]

Table: the indicator rows of the demo cases (casebook/demo_cases.py) repeated (with numbered
names) up to --rows rows. Baseline: json.loads of the table and a pass over every row reading
every field (the least work any checker must do). Measured: json.loads + GoalTable.from_dict +
check_goal_table (all rules R01–R22). Prints the median milliseconds of each and the ratio.
The rules engine is pure Python: no Django setup or database is needed.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from casebook.demo_cases import CASES  # noqa: E402 - plain data, no Django imports
from casebook.rules.checker import check_goal_table  # noqa: E402
from casebook.rules.table import GoalTable  # noqa: E402

ROW_KEYS = ("level1", "level2", "name", "op", "value", "unit", "basis")


def build_table(rows: int) -> str:
    # The repository's own demo cases, so the benchmark needs nothing beside the repository.
    source = [{key: row.get(key) for key in ROW_KEYS}
              for case in CASES for row in case["indicators"]]
    goal = CASES[0]["overall_goal"]
    indicators = []
    for i in range(rows):
        row = dict(source[i % len(source)])
        row["name"] = f"{row['name']}{i}"
        row["explanation"] = "按统计报表计算，数据来源为验收报告。"
        indicators.append(row)
    return json.dumps({"framework": "2021", "project": "基准测试项目", "budget_wan": 860,
                       "year": 2025, "multi_year": False, "overall_goal": goal,
                       "indicators": indicators}, ensure_ascii=False)


def baseline(text: str) -> int:
    data = json.loads(text)
    touched = 0
    for row in data["indicators"]:
        for key in ("level1", "level2", "name", "op", "value", "unit", "basis", "explanation"):
            touched += len(str(row.get(key, "")))
    return touched


def measured(text: str):
    return check_goal_table(GoalTable.from_dict(json.loads(text)))


def timed(func, text: str, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        func(text)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    text = build_table(args.rows)
    measured(text)  # warm-up (imports, regex compilation)
    base_ms = timed(baseline, text, args.repeat)
    check_ms = timed(measured, text, args.repeat)
    result = measured(text)
    print(f"rows: {args.rows}  findings: {len(result.findings)}  repeat: {args.repeat}")
    print(f"baseline json.loads + row pass: {base_ms:.3f} ms (median)")
    print(f"check_goal_table incl. parsing: {check_ms:.3f} ms (median)")
    print(f"ratio: {check_ms / base_ms:.1f}x")
    if args.rows <= 50:
        print(f"budget (a 50-row table well under 50 ms): {'OK' if check_ms < 50 else 'MISSED'}")


if __name__ == "__main__":
    main()
