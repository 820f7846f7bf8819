"""Publishing an annual plan to many learners, and rebuild_progress for them, against plain
bulk_create baselines measured in the same run.

    python bench/plan_bench.py [--learners 50000] [--repeat 3] [--database-url URL]

Data: --learners active learners (bulk) in 8 departments × 5 units × 3 offices, positions head /
business / finance / other; three courses built as Wagtail pages (the heads' course embeds the
exam in its last lesson and asks 80 % of it; the business course embeds a practice quiz and
requires a passed goal-setting exercise; the finance course is lessons only); a published plan
with a requirement for each of head, business and finance.

Measured, each with its baseline in the same run (target: within 3×):
  (a) baseline: bulk_create of as many PlanAssignment rows as the plan assigns (then deleted);
  (b) plan_assign(plan=plan), and a second, idempotent run;
  (c) half the learners get an enrolment, lesson completions, graded attempts and exercise
      submissions (bulk); baseline: bulk_create of as many Enrolment rows (then deleted);
      then progress_rebuild() (which completes lessons and courses, and issues the
      certificates now due after each commit: shown with and without that part), and a second
      run on the now consistent database (which must change nothing).
Each pair (baseline, measured) runs --repeat times, alternating, with the state reset in between;
the best time of each is compared (the machine may be shared). Prints seconds, queries and the
ratio to the baseline, with PASS/FAIL against 3×; exits 0 unless something errors. Queries are
counted with an execute wrapper (no debug cursor, whose SQL formatting would slow both sides).

Database: a throw-away SQLite file, or --database-url / DATABASE_URL (e.g. PostgreSQL): there the
run creates a fresh test database beside it (test_<name>) and drops it at the end, so the named
database is never written to.
"""

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET = 3.0


class QueryCounter:
    """Counts statements sent to the database (bulk inserts count once per batch)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


CERT_BASELINE = "(d) baseline bulk_create Certificate+Notification"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=50000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="jixiao-bench-")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    test_db = None
    if connection.vendor == "sqlite":
        call_command("migrate", verbosity=0)
    else:
        test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args)
    finally:
        if test_db is not None:
            connection.creation.destroy_test_db(test_db, verbosity=0)
        connection.close()
        shutil.rmtree(tmp, ignore_errors=True)


def run(args) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from casebook.demo_cases import CASES
    from casebook.exercises.services import exercise_ensure
    from casebook.models import ExerciseSubmission
    from casebook.services import case_index_ensure, case_upsert, functional_classes_load
    from courses.authoring import course_index_ensure
    from courses.models import (
        Certificate,
        CompletionHow,
        CoursePage,
        Enrolment,
        LessonCompletion,
        LessonPage,
        Notification,
        PlanAssignment,
        PlanRequirement,
        TrainingPlan,
    )
    from courses.services import plan_assign, plan_publish, progress_rebuild
    from departments.models import Department, Learner, Office, Unit
    from portal.services import page_publish, site_home_ensure
    from quizzes.models import Attempt, AttemptStatus
    from quizzes.services import quiz_create

    User = get_user_model()
    n = args.learners
    now = timezone.now()
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}), "
          f"learners: {n}")

    # --- Content: three courses, an exam, a practice quiz, an exercise -------------------------
    home = site_home_ensure()
    index = course_index_ensure(home=home)
    functional_classes_load()
    case = case_upsert(index=case_index_ensure(home=home), data=CASES[0])
    exercise, _created = exercise_ensure(case=case, kind="goal_setting",
                                         title="绩效目标编制练习")
    exam = quiz_create(title="部门负责人预算绩效管理年度考试", is_draft=False, mode="exam",
                       pass_mark=60)
    practice = quiz_create(title="绩效目标管理练习", is_draft=False, mode="practice",
                           pass_mark=60)

    def quiz_block(quiz):
        return {"type": "quiz", "value": {"quiz": quiz.pk, "intro": "", "button_label": ""}}

    def course(title, positions, embed: dict, **rule):
        page = CoursePage(title=title, live=False, stage="goals", positions=positions,
                          credit_hours=Decimal("2.0"), intro="基准测试课程。",
                          objectives="会写绩效目标", **rule)
        index.add_child(instance=page)
        page = page_publish(page)
        for number in (1, 2, 3):
            body = [{"type": "text", "value": f"<p>第{number}课正文</p>"}]
            body += embed.get(number, [])
            lesson = LessonPage(title=f"{title}第{number}课", live=False, body=body)
            page.add_child(instance=lesson)
            page_publish(lesson)
        page = CoursePage.objects.get(pk=page.pk)
        return page, list(LessonPage.objects.child_of(page).order_by("path"))

    heads, heads_lessons = course("负责人专题", ["head"], {3: [quiz_block(exam)]},
                                  required_quiz=exam, required_quiz_pass_percent=80)
    goals, goals_lessons = course("绩效目标管理", ["business"], {2: [quiz_block(practice)]},
                                  required_exercise=exercise)
    evaluation, evaluation_lessons = course("绩效评价", ["finance"], {})
    course_of = {"head": (heads, heads_lessons), "business": (goals, goals_lessons),
                 "finance": (evaluation, evaluation_lessons),
                 "other": (evaluation, evaluation_lessons)}

    # --- Learners (bulk) --------------------------------------------------------------------
    offices = []
    for d in range(8):
        department = Department.objects.create(code=f"BD{d}", name=f"基准部门{d}")
        for u in range(5):
            unit = Unit.objects.create(code=f"BD{d}U{u}", name=f"基准单位{d}-{u}",
                                       department=department)
            offices += [Office.objects.create(unit=unit, name=name, kind=kind) for name, kind
                        in (("财务科", "finance"), ("业务科", "business"), ("办公室", "general"))]

    def position(i: int) -> str:
        return "head" if i % 20 == 0 else ("finance", "business", "business", "other")[i % 4]

    users = User.objects.bulk_create(
        [User(username=f"plan{i:06d}", first_name=f"学员{i}", password="!bench")  # noqa: S106 - unusable password marker
         for i in range(n)], batch_size=2000)
    Learner.objects.bulk_create(
        [Learner(user=user, office=offices[i % len(offices)], staff_number=f"P{i:06d}",
                 position=position(i)) for i, user in enumerate(users)], batch_size=2000)
    positions = {i: position(i) for i in range(n)}

    # --- The plan ---------------------------------------------------------------------------
    plan = TrainingPlan.objects.create(
        year=2026, title="2026年度预算绩效管理培训计划", opens_on=dt.date(2026, 3, 1),
        due_on=dt.date(2026, 11, 30), makeup_until=dt.date(2026, 12, 31),
        all_departments=True, min_credit_hours=Decimal("2.0"))
    requirement_of = {}
    for order, (pos, page) in enumerate((("head", heads), ("business", goals),
                                         ("finance", evaluation))):
        requirement_of[pos] = PlanRequirement.objects.create(
            plan=plan, position=pos, course=page, sort_order=order)
    plan_publish(plan=plan, user=None, enqueue=False)

    steps: dict[str, dict] = {}
    # Courses completed by the rebuild issue certificates after each commit (as a learner's own
    # completion does); that part is timed separately, so the table shows both.
    issuing = {"seconds": 0.0, "queries": 0, "issued": 0, "counter": None}
    import courses.certificates.services as certificate_services

    issue_due = certificate_services.certificates_issue_due

    def timed_issue_due(**kwargs):
        counter = issuing["counter"]
        before = counter.count if counter else 0
        started = time.perf_counter()
        issued = issue_due(**kwargs)
        issuing["seconds"] += time.perf_counter() - started
        issuing["queries"] += (counter.count - before) if counter else 0
        issuing["issued"] += len(issued)
        return issued

    certificate_services.certificates_issue_due = timed_issue_due

    def measure(label, rows, func, *, split: str = ""):
        """Run `func` once, timed and counted; the step keeps every time (the best is shown).
        `split`: also record the run without the certificates it issued, under that label."""
        counter = QueryCounter()
        issuing.update(seconds=0.0, queries=0, issued=0, counter=counter)
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            value = func()
            seconds = time.perf_counter() - started
        issuing["counter"] = None
        step = steps.setdefault(label, {"rows": rows, "times": [], "queries": 0})
        step["times"].append(seconds)
        step["queries"] = counter.count
        if split:
            step = steps.setdefault(split, {"rows": rows, "times": [], "queries": 0})
            step["times"].append(seconds - issuing["seconds"])
            step["queries"] = counter.count - issuing["queries"]
            step["issued"] = issuing["issued"]
        return value

    # (a) + (b): baseline and plan_assign alternate, so a busy machine slows both alike -----
    pairs = [(users[i].pk, requirement_of[pos].pk) for i, pos in positions.items()
             if pos in requirement_of]
    for _round in range(args.repeat):
        measure("(a) baseline bulk_create PlanAssignment", len(pairs), lambda: (
            PlanAssignment.objects.bulk_create(
                [PlanAssignment(user_id=user_id, requirement_id=requirement_id)
                 for user_id, requirement_id in pairs])))
        PlanAssignment.objects.filter(requirement__plan=plan).delete()
        created = measure("(b) plan_assign", len(pairs), lambda: plan_assign(plan=plan))
        if created != len(pairs):
            raise SystemExit(f"plan_assign created {created} assignments, expected "
                             f"{len(pairs)}")
        created = measure("(b) plan_assign again (nothing new)", 0,
                          lambda: plan_assign(plan=plan))
        if created != 0:
            raise SystemExit(f"plan_assign re-run created {created} assignments")
        if _round < args.repeat - 1:
            PlanAssignment.objects.filter(requirement__plan=plan).delete()

    # (c) -----------------------------------------------------------------------------------
    started_at = timezone.make_aware(dt.datetime(2026, 4, 1, 9, 0))
    enrolled = list(range(0, n, 2))
    Enrolment.objects.bulk_create(
        [Enrolment(user_id=users[i].pk, course=course_of[positions[i]][0],
                   requirement=requirement_of.get(positions[i]), started_at=started_at)
         for i in enrolled], batch_size=2000)
    completions, attempts, submissions = [], [], []
    for i in enrolled:
        user_id, pos = users[i].pk, positions[i]
        lessons = course_of[pos][1]
        share = (i // 2) % 10
        done = lessons if share < 6 else lessons[:1] if share < 9 else []
        if pos == "head" and share in (0, 1):
            done = lessons[:2]  # the exam's lesson is left to be completed by the exam
        completions += [LessonCompletion(user_id=user_id, lesson=lesson,
                                         how=CompletionHow.EXPLICIT, completed_at=started_at,
                                         seconds_studied=300) for lesson in done]
        if pos == "head":
            percent = (85, 70, 92)[(i // 2) % 3]
            attempts.append(Attempt(quiz=exam, user_id=user_id, number=1,
                                    status=AttemptStatus.GRADED, submitted_at=started_at,
                                    graded_at=started_at, score=percent, max_score=100,
                                    percent=percent, passed=percent >= exam.pass_mark))
        elif pos == "business":
            attempts.append(Attempt(quiz=practice, user_id=user_id, number=1,
                                    status=AttemptStatus.GRADED, submitted_at=started_at,
                                    graded_at=started_at, score=90, max_score=100,
                                    percent=90, passed=True))
            score = (80, 90, 40)[(i // 2) % 3]
            submissions.append(ExerciseSubmission(
                exercise=exercise, user_id=user_id, attempt_number=1, input={}, result={},
                input_digest=ExerciseSubmission.digest_of({}), auto_score=score, score=score,
                passed=score >= exercise.pass_mark))
    LessonCompletion.objects.bulk_create(completions, batch_size=2000)
    Attempt.objects.bulk_create(attempts, batch_size=2000)
    ExerciseSubmission.objects.bulk_create(submissions, batch_size=2000)

    others = list(range(1, n, 2))
    for _round in range(args.repeat):
        measure("(c) baseline bulk_create Enrolment", len(others), lambda: (
            Enrolment.objects.bulk_create(
                [Enrolment(user_id=users[i].pk, course=course_of[positions[i]][0],
                           requirement=requirement_of.get(positions[i]), started_at=now)
                 for i in others])))
        Enrolment.objects.filter(started_at=now).delete()
        if _round:  # back to the state before the first rebuild
            LessonCompletion.objects.filter(how=CompletionHow.AUTOMATIC).delete()
            Enrolment.objects.update(status="in_progress", completed_at=None, credited_hours=0)
            Certificate.objects.all().delete()
            Notification.objects.all().delete()
        report = measure("(c) progress_rebuild", len(enrolled), lambda: progress_rebuild(),
                         split="(c)   of which without certificate issuing")
        again = measure("(c) progress_rebuild again (consistent)", len(enrolled),
                        lambda: progress_rebuild())
        if again.lessons_completed or again.status_changes:
            raise SystemExit("progress_rebuild changed something on a consistent database")

    # (d) The certificates the first rebuild issued are extra rows (a certificate and a
    # notification each): their baseline is a plain bulk_create of as many of both.
    issued = steps["(c)   of which without certificate issuing"].get("issued", 0)
    if issued:
        holders = [users[i].pk for i in enrolled][:issued]
        for _round in range(args.repeat):
            Certificate.objects.all().delete()
            Notification.objects.all().delete()
            stamp = timezone.now()

            def certificate_rows(stamp=stamp):
                Certificate.objects.bulk_create(
                    [Certificate(user_id=user_id, plan=plan, serial=f"B{k}", code=f"{k:016d}",
                                 holder_name="x", title=plan.title, credit_hours=Decimal("1"),
                                 issued_at=stamp) for k, user_id in enumerate(holders)],
                    batch_size=2000)
                Notification.objects.bulk_create(
                    [Notification(user_id=user_id, kind="certificate", title=plan.title,
                                  url="/my/training/", created_at=stamp) for user_id in holders],
                    batch_size=2000)
            measure(CERT_BASELINE, issued,
                    certificate_rows)
        steps["(d) certificate issuing within the rebuild"] = {
            "rows": issued, "queries": "-",
            "times": [total - rest for total, rest in zip(
                steps["(c) progress_rebuild"]["times"],
                steps["(c)   of which without certificate issuing"]["times"], strict=True)]}

    # --- Report -----------------------------------------------------------------------------
    print(f"best of {args.repeat} runs each; queries of one run")
    print(f"{'step':<50} {'rows':>7} {'seconds':>9} {'queries':>8} {'ratio':>7}  "
          f"vs {TARGET:.0f}x")
    baseline = None
    for label, step in steps.items():
        seconds = min(step["times"])
        if "baseline" in label:
            baseline, ratio, verdict = seconds, "", ""
        elif label == "(c) progress_rebuild" and CERT_BASELINE in steps:
            # It also writes the certificates it issues: compared below with both baselines.
            ratio, verdict = f"{seconds / baseline:6.2f}x", "(see total)"
        else:
            ratio = f"{seconds / baseline:6.2f}x"
            verdict = "PASS" if seconds <= TARGET * baseline else "FAIL"
        print(f"{label:<50} {step['rows']:>7} {seconds:9.3f} {step['queries']:>8} {ratio:>7}  "
              f"{verdict}")
    if CERT_BASELINE in steps:
        rebuild = min(steps["(c) progress_rebuild"]["times"])
        both = (min(steps["(c) baseline bulk_create Enrolment"]["times"])
                + min(steps[CERT_BASELINE]["times"]))
        print(f"{'total: rebuild with its certificates':<50} {'':>7} {rebuild:9.3f} {'':>8} "
              f"{rebuild / both:6.2f}x  {'PASS' if rebuild <= TARGET * both else 'FAIL'}"
              f"  (vs the Enrolment and Certificate+Notification baselines together)")
    print(f"progress_rebuild: {len(report.lessons_completed)} lessons completed, "
          f"{len(report.status_changes)} enrolments changed, "
          f"{steps['(c)   of which without certificate issuing'].get('issued', 0)} certificates "
          f"issued after commit; the second run changed nothing")

if __name__ == "__main__":
    main()
