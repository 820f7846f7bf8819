"""The overview's participation metrics against one hand-written SQL aggregate, same run.

    python bench/assessment_bench.py [--existing] [--database-url URL] [--repeat 7]
        [--departments 300] [--learners 60000] [--attempts 600000] [--seed 1]

Measured: `assessments.metrics.plan_participation(plan=...)` (what the bureau overview, the JSON
report and the scoring read) against ONE raw SQL statement (`hand_written_sql`, portable
SQLite/PostgreSQL, placeholders only; one small query before it finds the plan's exam quizzes and
pass marks, as the metrics do) that computes the same per-department numbers. Compared, per
department: roster in total and by position (head, finance, business, other) and exempt
learners; completed learners in total and by position; heads required and completed; offices of
each kind (business, finance, general) with a roster, participating and active; exam
participants, passes and average best; practice-quiz participants, passes and average best;
business staff who passed a goal-setting exercise and the average best of those who submitted
one; and the flags (finance_only, head_incomplete, low_business_coverage at the default 50 %,
no_activity, identical_submissions), derived from the SQL's numbers, its count of learners with
any activity and its own search for identical goal-setting submissions. Counts must be equal,
averages within 1e-6. Not compared: the per-requirement table (required / started / completed /
overdue / exempt), which the metrics compute in the same statement, and the names of the heads
who have not completed (their count is compared). Both sides run under the same conditions
(`SET LOCAL jit = off` on PostgreSQL), --repeat times, alternating; the medians are compared
(target: the metrics within 2× of the SQL). Any disagreement fails the run (exit 1).

Data: with --existing, the load set already in the database (`manage.py generate_load_data`;
the newest plan it made). Otherwise a throw-away database is built with generate_load_data at
the given sizes: a temporary SQLite file, or beside --database-url / DATABASE_URL (e.g.
PostgreSQL) a fresh test database (test_<name>) dropped at the end, so the named database is
never written to.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET = 2.0
POSITIONS = ("head", "finance", "business", "other")
OFFICE_KINDS = ("business", "finance", "general")
# Counts (compared exactly), then averages (compared to 1e-6), then the flags.
COUNTS = (
    "roster", *(f"roster_{position}" for position in POSITIONS), "exempt",
    "completed", *(f"completed_{position}" for position in POSITIONS),
    "heads", "heads_completed",
    *(f"{kind}_offices_{what}" for kind in OFFICE_KINDS
      for what in ("total", "participating", "active")),
    "exam_participants", "exam_passed", "practice_participants", "practice_passed",
    "goal_setting_passed", "active_learners",
    "identical_submissions")
AVERAGES = ("exam_average_best", "practice_average_best", "goal_setting_average_best")
FIELDS = (*COUNTS, *AVERAGES, "flags")
TOLERANCE = 1e-6
LOW_BUSINESS_COVERAGE = 0.5  # the metrics' default threshold


SQL = """
WITH asg AS (
  SELECT a.user_id,
    CASE WHEN EXISTS (SELECT 1 FROM courses_planexemption e
                      WHERE e.assignment_id = a.id AND e.revoked_at IS NULL)
      THEN 1 ELSE 0 END AS exempt,
    CASE WHEN EXISTS (SELECT 1 FROM courses_enrolment en
                      WHERE en.user_id = a.user_id AND en.course_id = r.course_id
                        AND en.status = 'completed' AND en.completed_at >= %s
                        AND en.completed_at < %s)
      THEN 1 ELSE 0 END AS done
  FROM courses_planassignment a
  JOIN courses_planrequirement r ON r.id = a.requirement_id
  WHERE r.plan_id = %s AND a.withdrawn_at IS NULL
), per_user AS (
  SELECT user_id, SUM(1 - exempt) AS open_n,
    SUM(CASE WHEN exempt = 0 AND done = 1 THEN 1 ELSE 0 END) AS done_n
  FROM asg GROUP BY user_id
), les AS (
  SELECT DISTINCT user_id FROM courses_lessoncompletion
  WHERE completed_at >= %s AND completed_at < %s
), att AS (
  SELECT t.user_id,
    MAX(CASE WHEN t.quiz_id IN ({exam_in}) THEN 1 END) AS exam_taken,
    MAX(CASE WHEN {exam_pass} THEN 1 ELSE 0 END) AS exam_passed,
    MAX(CASE WHEN t.quiz_id IN ({exam_in}) THEN t.percent END) AS exam_best,
    MAX(CASE WHEN q.mode = 'practice' THEN 1 END) AS practice_taken,
    MAX(CASE WHEN q.mode = 'practice' AND t.passed THEN 1 ELSE 0 END) AS practice_passed,
    MAX(CASE WHEN q.mode = 'practice' THEN t.percent END) AS practice_best
  FROM quizzes_attempt t JOIN quizzes_quiz q ON q.id = t.quiz_id
  WHERE t.status = 'graded' AND t.submitted_at >= %s AND t.submitted_at < %s
  GROUP BY t.user_id
), sub AS (
  SELECT s.user_id,
    MAX(CASE WHEN e.kind = 'goal_setting' THEN 1 END) AS goal_taken,
    MAX(CASE WHEN e.kind = 'goal_setting' AND s.passed THEN 1 ELSE 0 END) AS goal_passed,
    MAX(CASE WHEN e.kind = 'goal_setting' THEN s.score END) AS goal_best
  FROM casebook_exercisesubmission s JOIN casebook_exercise e ON e.id = s.exercise_id
  WHERE s.created_at >= %s AND s.created_at < %s
  GROUP BY s.user_id
), lr AS (
  SELECT l.position, l.office_id, o.kind AS office_kind, u.department_id,
    CASE WHEN pu.open_n > 0 THEN 1 ELSE 0 END AS on_roster,
    CASE WHEN pu.open_n > 0 AND pu.done_n = pu.open_n THEN 1 ELSE 0 END AS completed,
    CASE WHEN pu.done_n > 0 THEN 1 ELSE 0 END AS any_done,
    CASE WHEN les.user_id IS NOT NULL OR att.user_id IS NOT NULL OR sub.user_id IS NOT NULL
      THEN 1 ELSE 0 END AS active,
    att.exam_taken, att.exam_passed, att.exam_best,
    att.practice_taken, att.practice_passed, att.practice_best,
    sub.goal_taken, sub.goal_passed, sub.goal_best
  FROM departments_learner l
  JOIN {users} au ON au.id = l.user_id
  JOIN departments_office o ON o.id = l.office_id
  JOIN departments_unit u ON u.id = o.unit_id
  JOIN per_user pu ON pu.user_id = l.user_id
  LEFT JOIN les ON les.user_id = l.user_id
  LEFT JOIN att ON att.user_id = l.user_id
  LEFT JOIN sub ON sub.user_id = l.user_id
  WHERE l.is_active AND au.is_active {targets}
), offices AS (
  SELECT department_id, office_kind, MAX(any_done) AS participating, MAX(active) AS active
  FROM lr WHERE on_roster = 1 GROUP BY department_id, office_id, office_kind
), office_totals AS (
  SELECT department_id, {office_columns}
  FROM offices GROUP BY department_id
), people AS (
  SELECT department_id, SUM(on_roster) AS roster, {position_columns},
    SUM(1 - on_roster) AS exempt, SUM(completed) AS completed,
    SUM(CASE WHEN on_roster = 1 AND exam_taken = 1 THEN 1 ELSE 0 END) AS exam_participants,
    SUM(CASE WHEN on_roster = 1 AND exam_taken = 1 AND exam_passed = 1 THEN 1 ELSE 0 END)
      AS exam_passed,
    AVG(CASE WHEN on_roster = 1 AND exam_taken = 1 THEN exam_best END) AS exam_average_best,
    SUM(CASE WHEN on_roster = 1 AND practice_taken = 1 THEN 1 ELSE 0 END)
      AS practice_participants,
    SUM(CASE WHEN on_roster = 1 AND practice_taken = 1 AND practice_passed = 1 THEN 1 ELSE 0
        END) AS practice_passed,
    AVG(CASE WHEN on_roster = 1 AND practice_taken = 1 THEN practice_best END)
      AS practice_average_best,
    SUM(CASE WHEN on_roster = 1 AND position = 'business' AND goal_taken = 1
             AND goal_passed = 1 THEN 1 ELSE 0 END) AS goal_setting_passed,
    AVG(CASE WHEN on_roster = 1 AND position = 'business' AND goal_taken = 1 THEN goal_best
        END) AS goal_setting_average_best,
    SUM(CASE WHEN on_roster = 1 THEN active ELSE 0 END) AS active_learners
  FROM lr GROUP BY department_id
), goal AS (
  SELECT s.user_id, s.input_digest
  FROM casebook_exercisesubmission s JOIN casebook_exercise e ON e.id = s.exercise_id
  WHERE e.kind = 'goal_setting' AND s.created_at >= %s AND s.created_at < %s
    AND s.input_digest <> ''
), shared AS (
  SELECT input_digest FROM goal
  GROUP BY input_digest HAVING MIN(user_id) <> MAX(user_id)
), identical AS (
  SELECT DISTINCT u.department_id
  FROM goal g
  JOIN shared sh ON sh.input_digest = g.input_digest
  JOIN departments_learner l ON l.user_id = g.user_id
  JOIN departments_office o ON o.id = l.office_id
  JOIN departments_unit u ON u.id = o.unit_id
  GROUP BY u.department_id, g.input_digest HAVING MIN(g.user_id) <> MAX(g.user_id)
)
SELECT p.department_id, {select_columns},
  CASE WHEN i.department_id IS NULL THEN 0 ELSE 1 END AS identical_submissions
FROM people p
LEFT JOIN office_totals t ON t.department_id = p.department_id
LEFT JOIN identical i ON i.department_id = p.department_id
"""


def _statement() -> tuple[str, str, str]:
    """The column lists of `SQL` spelled out per position and office kind."""
    positions = ",\n    ".join(
        f"SUM(CASE WHEN position = '{position}' THEN on_roster ELSE 0 END) "
        f"AS roster_{position},\n    SUM(CASE WHEN position = '{position}' THEN completed "
        f"ELSE 0 END) AS completed_{position}" for position in POSITIONS)
    offices = ",\n    ".join(
        f"SUM(CASE WHEN office_kind = '{kind}' THEN 1 ELSE 0 END) AS {kind}_offices_total,\n"
        f"    SUM(CASE WHEN office_kind = '{kind}' THEN participating ELSE 0 END)"
        f" AS {kind}_offices_participating,\n"
        f"    SUM(CASE WHEN office_kind = '{kind}' THEN active ELSE 0 END)"
        f" AS {kind}_offices_active" for kind in OFFICE_KINDS)
    office_columns = {f"{kind}_offices_{what}" for kind in OFFICE_KINDS
                      for what in ("total", "participating", "active")}
    select = ", ".join(
        f"{'t' if name in office_columns else 'p'}.{name}"
        for name in (*COUNTS, *AVERAGES)
        if name not in ("heads", "heads_completed", "identical_submissions"))
    return positions, offices, select


def _exam_pass_sql(plan) -> tuple[list[int], str, list]:
    """The plan's exam quizzes and the SQL condition for a passing attempt on them (the course's
    pass mark when it sets one, else the quiz's own verdict), as the metrics define it."""
    from courses.models import PlanRequirement
    from quizzes.models import Mode

    marks: dict[int, int | None] = {}
    for requirement in (PlanRequirement.objects.filter(plan=plan)
                        .select_related("course__required_quiz").order_by("sort_order", "pk")):
        quiz = requirement.course.required_quiz
        if quiz is not None and quiz.mode == Mode.EXAM:
            marks.setdefault(quiz.pk, requirement.course.required_quiz_pass_percent)
    clauses, params = [], []
    for quiz_id, mark in marks.items():
        if mark is None:
            clauses.append("(t.quiz_id = %s AND t.passed)")
            params.append(quiz_id)
        else:
            clauses.append("(t.quiz_id = %s AND t.percent >= %s)")
            params += [quiz_id, mark]
    return list(marks), " OR ".join(clauses) or "1 = 0", params


def _flags(numbers: dict) -> str:
    """The overview's flags from the numbers (the metrics' rules, default threshold)."""
    flags = []
    if numbers["finance_offices_participating"] and not numbers[
            "business_offices_participating"]:
        flags.append("finance_only")
    if numbers["heads"] > numbers["heads_completed"]:
        flags.append("head_incomplete")
    business = numbers["business_offices_total"]
    if business and numbers["business_offices_participating"] / business < (
            LOW_BUSINESS_COVERAGE):
        flags.append("low_business_coverage")
    if numbers["roster"] and not numbers["active_learners"]:
        flags.append("no_activity")
    if numbers["identical_submissions"]:
        flags.append("identical_submissions")
    return ",".join(flags)


def hand_written_sql(plan) -> dict[int, dict]:
    """The per-department numbers in one statement (portable SQLite/PostgreSQL SQL)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from assessments.metrics import plan_window

    start, end = (connection.ops.adapt_datetimefield_value(value)
                  for value in plan_window(plan))
    exam_ids, exam_pass, exam_params = _exam_pass_sql(plan)
    users = get_user_model()._meta.db_table
    targets = ("" if plan.all_departments else
               "AND u.department_id IN (SELECT department_id FROM "
               "courses_trainingplan_departments WHERE trainingplan_id = %s)")
    exam_in = ", ".join(["%s"] * len(exam_ids)) or "NULL"
    positions, offices, select = _statement()
    # Only placeholders, the user table and the clauses built above are interpolated.
    sql = SQL.format(users=users, targets=targets, exam_pass=exam_pass, exam_in=exam_in,
                     position_columns=positions, office_columns=offices,
                     select_columns=select)
    params = [start, end, plan.pk, start, end, *exam_ids, *exam_params, *exam_ids, start, end,
              start, end, *([] if plan.all_departments else [plan.pk]), start, end]
    # The same conditions as the metrics, which turn PostgreSQL's JIT compiler off for their
    # transaction (`assessments.metrics`): the comparison is of the queries, not of the setting.
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    numbers = {}
    for row in rows:
        values = dict(zip(names, row, strict=True))
        item = {name: int(values.get(name) or 0) for name in COUNTS
                if name not in ("heads", "heads_completed")}
        item["heads"], item["heads_completed"] = item["roster_head"], item["completed_head"]
        item.update({name: None if values[name] is None else float(values[name])
                     for name in AVERAGES})
        item["flags"] = _flags(item)
        numbers[values["department_id"]] = item
    return numbers


def numbers_from_metrics(participations) -> dict[int, dict]:
    """The same numbers read from `plan_participation` (departments with nobody assigned left
    out, as the SQL has no row for them)."""
    numbers = {}
    for p in participations:
        if not p.roster_total and not p.exempt:
            continue
        item = {"roster": p.roster_total, "exempt": p.exempt, "completed": p.completed_total,
                "heads": p.heads_required, "heads_completed": p.heads_completed}
        for position in POSITIONS:
            item[f"roster_{position}"] = p.roster_by_position[position]
            item[f"completed_{position}"] = p.completed_by_position[position]
        for kind in OFFICE_KINDS:
            stats = p.offices[kind]
            item.update({f"{kind}_offices_total": stats.total,
                         f"{kind}_offices_participating": stats.participating,
                         f"{kind}_offices_active": stats.active})
        exam_rate = p.exact["exam_pass_rate"]  # a Fraction: passed = rate × participants
        item["exam_participants"] = p.exam["participants"]
        item["exam_passed"] = (int(exam_rate * p.exam["participants"])
                               if exam_rate is not None else 0)
        item["practice_participants"] = p.practice["participants"]
        item["practice_passed"] = (round(p.practice["pass_rate"] * p.practice["participants"])
                                   if p.practice["pass_rate"] is not None else 0)
        item["goal_setting_passed"] = p.goal_setting["business_passed"]
        item["exam_average_best"] = p.exam["average_best"]
        item["practice_average_best"] = p.practice["average_best"]
        item["goal_setting_average_best"] = p.goal_setting["average_best"]
        # Learners with learning activity and identical submissions are not shown on their own:
        # they are compared through the flags (no_activity, identical_submissions).
        item["flags"] = ",".join(p.flags)
        numbers[p.department_id] = item
    return numbers


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= TOLERANCE
    return a == b


def disagreements(metrics: dict, sql: dict) -> list[str]:
    """Every department and number on which the two differ (empty when they agree)."""
    problems = []
    for department_id in sorted(set(metrics) | set(sql)):
        a, b = metrics.get(department_id), sql.get(department_id)
        if a is None or b is None:
            problems.append(f"department {department_id}: only in "
                            f"{'the SQL' if a is None else 'the metrics'}")
            continue
        problems += [f"department {department_id} {name}: metrics {a[name]}, SQL {b.get(name)}"
                     for name in FIELDS
                     # a number the metrics do not show on its own is compared via the flags
                     if name in a and not _same(a[name], b.get(name))]
    return problems


def measure(plan, *, repeat: int) -> dict:
    """Both sides `repeat` times, alternating; medians, their ratio and whether they agree."""
    from assessments.metrics import plan_participation

    times = {"metrics": [], "sql": []}
    participations = sql = None
    for _round in range(repeat):
        started = time.perf_counter()
        participations = plan_participation(plan=plan)
        times["metrics"].append(time.perf_counter() - started)
        started = time.perf_counter()
        sql = hand_written_sql(plan)
        times["sql"].append(time.perf_counter() - started)
    medians = {side: statistics.median(values) for side, values in times.items()}
    return {"times": times, "medians": medians,
            "ratio": medians["metrics"] / medians["sql"] if medians["sql"] else float("inf"),
            "departments": len(participations),
            "problems": disagreements(numbers_from_metrics(participations), sql)}


def load_plan():
    """The newest plan generate_load_data made."""
    from assessments.management.commands.generate_load_data import PLAN_MARK
    from courses.models import TrainingPlan

    return (TrainingPlan.objects.filter(title__contains=PLAN_MARK, published_at__isnull=False)
            .order_by("-pk").first())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--existing", action="store_true",
                        help="Use the load set already in the database.")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--departments", type=int, default=300)
    parser.add_argument("--learners", type=int, default=60000)
    parser.add_argument("--attempts", type=int, default=600000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="jixiao-bench-")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    test_db = None
    try:
        if not args.existing:
            if connection.vendor == "sqlite":
                call_command("migrate", verbosity=0)
            else:
                test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
            call_command("generate_load_data", departments=args.departments,
                         learners=args.learners, attempts=args.attempts, seed=args.seed)
        plan = load_plan()
        if plan is None:
            raise SystemExit("No load data here: run manage.py generate_load_data first, or "
                             "leave out --existing.")
        result = measure(plan, repeat=args.repeat)
    finally:
        if test_db is not None:
            connection.creation.destroy_test_db(test_db, verbosity=0)
        connection.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"database: {connection.vendor}, plan: {plan.title}, departments: "
          f"{result['departments']}, median of {args.repeat} runs each")
    for side, label in (("metrics", "plan_participation (metrics)"),
                        ("sql", "hand-written SQL aggregate")):
        values = ", ".join(f"{t:.3f}" for t in result["times"][side])
        print(f"  {label:<32} {result['medians'][side]:8.3f} s   ({values})")
    verdict = "PASS" if result["ratio"] <= TARGET else "FAIL"
    print(f"  ratio {result['ratio']:.2f}x  (target ≤ {TARGET:.0f}x)  {verdict}")
    if result["problems"]:
        print("The numbers disagree:\n  " + "\n  ".join(result["problems"][:20]))
        raise SystemExit(1)
    print("  the numbers agree for every department")


if __name__ == "__main__":
    main()
