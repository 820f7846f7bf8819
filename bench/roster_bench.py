"""Roster import throughput against a baseline measured in the same run.

    python bench/roster_bench.py [--rows 5000] [--database-url URL]

Baseline: bulk_create of the same users and learners into existing offices (the least work an
import must do). Measured: roster_import() of the same rows (validation, departments, units,
offices, users, learners, missing-people report), then a re-import where nothing changes.
Prints seconds, queries and the ratio to the baseline. Uses a throw-away SQLite database unless
--database-url is given.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="jixiao-bench-")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from departments.models import Department, Learner, Office, Unit
    from departments.roster import RosterRow
    from departments.services import roster_import

    User = get_user_model()
    rows = [
        RosterRow(department_code=f"D{i % 20:02d}", department_name=f"部门{i % 20:02d}",
                  unit_code=f"U{i % 60:03d}", unit_name=f"单位{i % 60:03d}",
                  office_name=("财务科", "业务一科", "办公室")[i % 3],
                  office_kind=("财务", "业务", "综合")[i % 3], name=f"学员{i}",
                  staff_number=f"B{i:06d}", position=("财务人员", "业务人员", "其他")[i % 3],
                  phone=f"139{i:08d}", email="")
        for i in range(args.rows)
    ]

    def timed(label, func):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            func()
            seconds = time.perf_counter() - started
        print(f"{label:<34} {seconds:8.3f} s {len(queries.captured_queries):6d} queries")
        return seconds

    # Baseline: offices exist; insert users and learners with two bulk_creates.
    def baseline():
        with transaction.atomic():
            dept = Department.objects.create(code="BASE", name="基线部门")
            unit = Unit.objects.create(code="BASE-U", name="基线单位", department=dept)
            office = Office.objects.create(unit=unit, name="基线科", kind="business")
            users = User.objects.bulk_create(
                [User(username=f"base{i}", first_name=f"学员{i}", password="!x")  # noqa: S106 - unusable password marker
                 for i in range(args.rows)])
            Learner.objects.bulk_create(
                [Learner(user=u, office=office, staff_number=f"base{i}", position="business")
                 for i, u in enumerate(users)])

    base = timed(f"baseline bulk_create ({args.rows})", baseline)
    first = timed(f"roster_import, new ({args.rows})", lambda: roster_import(rows=rows))
    again = timed(f"roster_import, unchanged ({args.rows})", lambda: roster_import(rows=rows))
    print(f"ratio new/baseline:       {first / base:6.2f}x")
    print(f"ratio unchanged/baseline: {again / base:6.2f}x")


if __name__ == "__main__":
    main()
