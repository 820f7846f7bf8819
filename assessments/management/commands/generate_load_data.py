"""Build a province-scale synthetic data set for the assessment dashboards and benchmarks.

    python manage.py generate_load_data --departments 300 --learners 60000 \\
        --attempts 600000 --seed 1 [--year 2026] [--batch-size 5000] [--force]

Everything is written with bulk inserts (`bulk_create`, `--batch-size` rows a statement), one
password hash shared by every account, and no signals: departments (every fifth a district),
2–6 budget units each with a general office, a finance office and 1–4 business offices, learners
by position (one head per unit, then finance, business and other staff), their accounts, three
courses (Wagtail pages: heads' course requiring the exam, a goal-setting course requiring a
practice quiz and a goal-setting exercise, an evaluation course), a published plan for the year
targeting the generated departments, its assignments (`courses.services.plan_assign`),
enrolments (completed on time, late within the make-up period, before the plan opened, or only
started), lesson completions, `--attempts` graded attempts on the exam and two practice quizzes,
goal-setting submissions (fingerprint set with `ExerciseSubmission.digest_of`; a few departments
with identical tables) and exemptions. Records are consistent with the completion rules: a
completed enrolment has every lesson, a passed required quiz and a passed required exercise;
an unfinished one misses a lesson.

Generated rows are recognisable by their codes (departments, units and staff numbers start
with `LD<seed>-`). The command refuses a database that holds anything else (departments,
learners or plans not made by it) unless `--force`, and always refuses a seed already loaded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

PREFIX = "LD"
PLAN_MARK = "负载数据"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建文斌宁浩"
CITY_NAMES = ("教育局", "卫生健康委员会", "农牧局", "住房和城乡建设局", "民政局", "人社局",
              "交通运输局", "生态环境局", "文旅局", "自然资源局", "应急管理局", "市场监管局",
              "水务局", "财政局", "医保局", "城管局")
BUSINESS_OFFICES = ("业务一科", "业务二科", "规划科", "项目管理科")


def _timed(stdout, label: str):
    """Print how long the block took."""

    @contextlib.contextmanager
    def block():
        started = time.perf_counter()
        yield
        stdout.write(f"  {label:<44} {time.perf_counter() - started:8.1f} s")

    return block()


@contextlib.contextmanager
def _explicit_created_at(model):
    """Let bulk inserts set `created_at` themselves (it is auto_now_add): the submissions of a
    year are spread over the year, not stamped with the moment of the load."""
    field = model._meta.get_field("created_at")
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = True


class Command(BaseCommand):
    help = ("Build a province-scale synthetic data set (departments, units, offices, learners, "
            "a published plan with assignments, enrolments, lesson completions, graded quiz "
            "attempts, goal-setting submissions, exemptions) with bulk inserts, for the "
            "assessment dashboards and bench/assessment_bench.py. Refuses a database holding "
            "other data unless --force.")

    def add_arguments(self, parser):
        parser.add_argument("--departments", type=int, default=300,
                            help="Departments to create (every fifth a district). Default 300.")
        parser.add_argument("--learners", type=int, default=60000,
                            help="Learners (and accounts) to create. Default 60000.")
        parser.add_argument("--attempts", type=int, default=600000,
                            help="Graded quiz attempts to create, on the exam and two practice "
                                 "quizzes. Default 600000.")
        parser.add_argument("--seed", type=int, default=1,
                            help="Random seed; also part of every generated code (LD<seed>-…). "
                                 "Default 1.")
        parser.add_argument("--year", type=int, default=None,
                            help="The plan's year. Default: the current year.")
        parser.add_argument("--batch-size", type=int, default=5000,
                            help="Rows per INSERT statement. Default 5000.")
        parser.add_argument("--force", action="store_true",
                            help="Run even though the database holds other (non-load) data.")

    def handle(self, *args, **options):
        departments, learners = options["departments"], options["learners"]
        attempts, seed = options["attempts"], options["seed"]
        if departments < 1 or learners < 1 or attempts < 0 or options["batch_size"] < 1:
            raise CommandError("--departments and --learners must be at least 1, --attempts "
                               "at least 0, --batch-size at least 1.")
        self._refuse_unless_allowed(seed=seed, force=options["force"])
        builder = LoadBuilder(
            departments=departments, learners=learners, attempts=attempts, seed=seed,
            year=options["year"] or timezone.localdate().year,
            batch=options["batch_size"], stdout=self.stdout)
        started = time.perf_counter()
        self.stdout.write(f"generate_load_data on {connection.vendor}: {departments} "
                          f"departments, {learners} learners, {attempts} attempts, seed {seed}")
        counts = builder.build()
        for name, value in counts.items():
            self.stdout.write(f"  {name:<28} {value:>10}")
        self.stdout.write(self.style.SUCCESS(
            f"load data ready in {time.perf_counter() - started:.1f} s"))

    def _refuse_unless_allowed(self, *, seed: int, force: bool) -> None:
        from courses.models import TrainingPlan
        from departments.models import Department, Learner

        mine = f"{PREFIX}{seed}-"
        if Department.objects.filter(code__startswith=mine).exists():
            raise CommandError(f"The load data of seed {seed} is already in this database; "
                               f"use another --seed or a fresh database.")
        others = {
            "departments": Department.objects.exclude(code__startswith=PREFIX).count(),
            "learners": Learner.objects.exclude(staff_number__startswith=PREFIX).count(),
            "training plans": TrainingPlan.objects.exclude(title__contains=PLAN_MARK).count(),
        }
        found = {name: n for name, n in others.items() if n}
        if found and not force:
            listed = ", ".join(f"{n} {name}" for name, n in found.items())
            raise CommandError(
                f"This database already holds data that is not load data ({listed}). "
                f"Run on an empty, migrated database, or pass --force to add the load data "
                f"anyway.")


class LoadBuilder:
    """The generation steps, in order; each prints its time."""

    def __init__(self, *, departments: int, learners: int, attempts: int, seed: int, year: int,
                 batch: int, stdout):
        self.n_departments, self.n_learners, self.n_attempts = departments, learners, attempts
        self.seed, self.year, self.batch, self.stdout = seed, year, batch, stdout
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
        self.prefix = f"{PREFIX}{seed}-"
        zone = timezone.get_default_timezone()
        self.opens = dt.date(year, 3, 1)
        self.due = dt.date(year, 10, 31)
        self.makeup = dt.date(year, 12, 31)
        self.zone = zone

    def moment(self, day: dt.date, *, lo: int = 8, hi: int = 20) -> dt.datetime:
        """A time of day on `day` in the site's time zone."""
        return dt.datetime.combine(day, dt.time(self.rng.randint(lo, hi - 1),
                                                self.rng.randint(0, 59))).replace(
            tzinfo=self.zone)

    def day_between(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randint(0, max(0, (end - start).days)))

    def build(self) -> dict[str, int]:
        out = self.stdout
        with _timed(out, "content (courses, quizzes, exercise)"):
            self.content()
        with transaction.atomic():
            with _timed(out, "departments, units, offices"):
                self.organisation()
            with _timed(out, "accounts and learners"):
                self.people()
            with _timed(out, "published plan"):
                self.plan_create()
        with _timed(out, "assignments (plan_assign)"):
            self.assign()
        with transaction.atomic():
            with _timed(out, "exemptions"):
                self.exemptions()
            with _timed(out, "enrolments and lesson completions"):
                self.enrolments()
            with _timed(out, "goal-setting submissions"):
                self.submissions()
            with _timed(out, "graded attempts"):
                self.attempts()
        with _timed(out, "ANALYZE"):
            self.analyze()
        return self.counts

    # --- content ------------------------------------------------------------------------------

    def content(self) -> None:
        from casebook.demo_cases import CASES
        from casebook.exercises.services import exercise_ensure
        from casebook.services import case_index_ensure, case_upsert, functional_classes_load
        from courses.authoring import course_index_ensure
        from portal.services import site_home_ensure
        from quizzes.models import Mode
        from quizzes.services import quiz_create

        home = site_home_ensure()
        index = course_index_ensure(home=home)
        functional_classes_load()
        case = case_upsert(index=case_index_ensure(home=home), data=CASES[0])
        mark = f"（{PLAN_MARK} {self.seed}）"
        self.exercise, _created = exercise_ensure(case=case, kind="goal_setting",
                                                  title=f"绩效目标编制练习{mark}", pass_mark=70)
        self.exam = quiz_create(title=f"部门负责人预算绩效管理年度考试{mark}", is_draft=False,
                                mode=Mode.EXAM, pass_mark=80, max_attempts=3)
        self.goal_practice = quiz_create(title=f"目标管理练习{mark}", is_draft=False,
                                         mode=Mode.PRACTICE, pass_mark=60)
        self.eval_practice = quiz_create(title=f"绩效评价练习{mark}", is_draft=False,
                                         mode=Mode.PRACTICE, pass_mark=60)
        self.courses = {
            "head": self.course(index, f"负责人专题{mark}", ["head"],
                                required_quiz=self.exam),
            "business": self.course(index, f"绩效目标管理{mark}", ["business"],
                                    required_quiz=self.goal_practice,
                                    required_exercise=self.exercise),
            "finance": self.course(index, f"绩效评价{mark}", ["finance"],
                                   required_quiz=self.eval_practice),
        }

    def course(self, index, title: str, positions: list[str], **rule):
        from courses.models import CoursePage, LessonPage
        from portal.services import page_publish

        page = CoursePage(title=title, live=False, stage="goals", positions=positions,
                          credit_hours=Decimal("2.0"), intro="负载测试课程。",
                          objectives="会写绩效目标", **rule)
        index.add_child(instance=page)
        page = page_publish(page)
        for number in (1, 2, 3):
            lesson = LessonPage(title=f"{title}第{number}课", live=False,
                                body=[{"type": "text", "value": f"<p>第{number}课</p>"}])
            page.add_child(instance=lesson)
            page_publish(lesson)
        page = CoursePage.objects.get(pk=page.pk)
        page.lesson_ids = list(LessonPage.objects.child_of(page).order_by("path")
                               .values_list("pk", flat=True))
        return page

    # --- organisation and people ----------------------------------------------------------------

    def organisation(self) -> None:
        from departments.models import Department, DepartmentKind, Office, OfficeKind, Unit

        rng, p = self.rng, self.prefix
        departments = [Department(
            code=f"{p}{i:04d}", sort_order=1000 + i,
            kind=DepartmentKind.DISTRICT if i % 5 == 4 else DepartmentKind.CITY,
            name=(f"第{i // 5 + 1}区" if i % 5 == 4
                  else f"{CITY_NAMES[i % len(CITY_NAMES)]}（{i:04d}）"))
            for i in range(self.n_departments)]
        self.departments = Department.objects.bulk_create(departments, batch_size=self.batch)
        # Strong and weak departments: the share of staff who complete; a few finance-only.
        self.strength = {d.pk: rng.choice((0.2, 0.4, 0.6, 0.75, 0.9)) for d in self.departments}
        self.finance_only = {d.pk for d in self.departments if rng.random() < 0.1}
        units = []
        for department in self.departments:
            for u in range(rng.randint(2, 6)):
                units.append(Unit(code=f"{department.code}-{u:02d}", department=department,
                                  name=f"{department.name}第{u + 1}单位"))
        self.units = Unit.objects.bulk_create(units, batch_size=self.batch)
        offices = []
        for unit in self.units:
            offices.append(Office(unit=unit, name="办公室", kind=OfficeKind.GENERAL))
            offices.append(Office(unit=unit, name="财务科", kind=OfficeKind.FINANCE))
            for name in BUSINESS_OFFICES[:rng.randint(1, len(BUSINESS_OFFICES))]:
                offices.append(Office(unit=unit, name=name, kind=OfficeKind.BUSINESS))
        self.offices = Office.objects.bulk_create(offices, batch_size=self.batch)

    def people(self) -> None:
        """One head per unit (while learners last), then staff by the offices' kinds."""
        from departments.models import Learner, OfficeKind, Position

        rng = self.rng
        by_unit: dict[int, dict[str, list]] = {}
        for office in self.offices:
            by_unit.setdefault(office.unit_id, {}).setdefault(office.kind, []).append(office)
        unit_of = {unit.pk: unit for unit in self.units}
        slots: list[tuple] = []  # (office, position)
        for kinds in by_unit.values():
            if len(slots) < self.n_learners:
                slots.append((kinds[OfficeKind.GENERAL][0], Position.HEAD))
        staff_offices = [o for o in self.offices if o.kind != OfficeKind.GENERAL]
        general = [o for o in self.offices if o.kind == OfficeKind.GENERAL]
        while len(slots) < self.n_learners:
            roll = rng.random()
            if roll < 0.12:
                slots.append((rng.choice(general), Position.OTHER))
            else:
                office = rng.choice(staff_offices)
                slots.append((office, Position.FINANCE if office.kind == OfficeKind.FINANCE
                              else Position.BUSINESS))
        password = make_password("Load#2026data")  # one hash for every account
        User = get_user_model()
        users = [User(username=f"{self.prefix}{i:06d}", password=password, is_active=True,
                      first_name=rng.choice(SURNAMES) + "".join(
                          rng.choice(GIVEN) for _ in range(rng.randint(1, 2))))
                 for i in range(len(slots))]
        users = User.objects.bulk_create(users, batch_size=self.batch)
        learners = [Learner(user=user, office=office, position=position,
                            staff_number=user.username, is_active=rng.random() > 0.01)
                    for user, (office, position) in zip(users, slots, strict=True)]
        self.learners = Learner.objects.bulk_create(learners, batch_size=self.batch)
        self.department_of_office = {o.pk: unit_of[o.unit_id].department_id for o in self.offices}
        self.office_kind = {o.pk: o.kind for o in self.offices}

    def plan_create(self) -> None:
        from courses.models import PlanRequirement, TrainingPlan
        from courses.services import plan_publish

        plan = TrainingPlan.objects.create(
            year=self.year, title=f"{self.year}年度预算绩效管理培训计划（{PLAN_MARK} "
                                  f"{self.seed}）",
            opens_on=self.opens, due_on=self.due, makeup_until=self.makeup,
            all_departments=False, min_credit_hours=Decimal("2.0"))
        through = TrainingPlan.departments.through
        through.objects.bulk_create([through(trainingplan_id=plan.pk, department_id=d.pk)
                                     for d in self.departments], batch_size=self.batch)
        self.requirements = {}
        for order, position in enumerate(("head", "business", "finance")):
            self.requirements[position] = PlanRequirement.objects.create(
                plan=plan, position=position, course=self.courses[position], sort_order=order)
        plan_publish(plan=plan, user=None, enqueue=False)
        self.plan = plan

    def assign(self) -> None:
        from courses.services import plan_assign

        plan_assign(plan=self.plan, batch_size=self.batch)

    # --- records --------------------------------------------------------------------------------

    def exemptions(self) -> None:
        """About 1 % of the assignments, granted with a reason and a note."""
        from courses.models import ExemptionReason, PlanAssignment, PlanExemption

        rng = self.rng
        rows = list(PlanAssignment.objects.filter(requirement__plan=self.plan)
                    .order_by("pk").values_list("pk", "user_id"))
        chosen = [row for row in rows if rng.random() < 0.01]
        reasons = [ExemptionReason.LONG_LEAVE, ExemptionReason.SECONDMENT,
                   ExemptionReason.OTHER]
        PlanExemption.objects.bulk_create(
            [PlanExemption(assignment_id=pk, reason=rng.choice(reasons), note="负载数据：免训。")
             for pk, _user in chosen], batch_size=self.batch)
        self.exempt_users = {user_id for _pk, user_id in chosen}

    def enrolments(self) -> None:
        """Each assigned learner's outcome by their department's strength: completed (mostly
        on time, some late, some before the plan opened), started, or nothing."""
        from courses.models import CompletionHow, Enrolment, LessonCompletion

        rng = self.rng
        requirement = self.requirements
        outcomes: dict[int, str] = {}
        enrolments, completions = [], []
        for learner in self.learners:
            position = learner.position
            if position not in requirement or not learner.is_active:
                continue
            if learner.user_id in self.exempt_users:
                continue
            department_id = self.department_of_office[learner.office_id]
            strength = self.strength[department_id]
            if department_id in self.finance_only and self.office_kind[
                    learner.office_id] != "finance":
                strength = 0.0
            roll = rng.random()
            outcome = ("completed" if roll < strength
                       else "started" if roll < strength + (1 - strength) / 2 else "none")
            outcomes[learner.user_id] = outcome
            if outcome == "none":
                continue
            course = self.courses[position]
            timing = rng.random()
            if outcome == "completed" and timing < 0.03:  # before the plan opened
                start_day = self.day_between(dt.date(self.year, 1, 5), dt.date(self.year, 2, 1))
                end_day = self.day_between(start_day, dt.date(self.year, 2, 27))
            elif outcome == "completed" and timing < 0.11:  # late, within the make-up period
                start_day = self.day_between(dt.date(self.year, 9, 1), self.due)
                end_day = self.day_between(self.due + dt.timedelta(days=1),
                                           self.makeup - dt.timedelta(days=1))
            else:
                start_day = self.day_between(self.opens, self.due - dt.timedelta(days=30))
                end_day = self.day_between(start_day, self.due)
            started_at, done_at = self.moment(start_day), self.moment(end_day, lo=20, hi=22)
            lesson_ids = course.lesson_ids
            finished = (lesson_ids if outcome == "completed"
                        else lesson_ids[:rng.randint(0, len(lesson_ids) - 1)])
            completed = outcome == "completed"
            enrolments.append(Enrolment(
                user_id=learner.user_id, course_id=course.pk,
                requirement_id=requirement[position].pk, started_at=started_at,
                status="completed" if completed else "in_progress",
                completed_at=done_at if completed else None,
                credited_hours=course.credit_hours if completed else Decimal("0"),
                last_lesson_id=finished[-1] if finished else lesson_ids[0]))
            for k, lesson_id in enumerate(finished):
                at = min(started_at + dt.timedelta(hours=6 * (k + 1)), done_at)
                completions.append(LessonCompletion(
                    user_id=learner.user_id, lesson_id=lesson_id, completed_at=at,
                    how=CompletionHow.EXPLICIT, seconds_studied=rng.randint(300, 1500)))
            learner.done_at = done_at
        Enrolment.objects.bulk_create(enrolments, batch_size=self.batch)
        LessonCompletion.objects.bulk_create(completions, batch_size=self.batch)
        self.outcomes = outcomes
        self.counts = {"enrolments": len(enrolments), "lesson completions": len(completions)}

    def submissions(self) -> None:
        """Business staff who worked on the goal-setting course: one or two submissions; the
        completed ones passed. In a few departments two learners hand in the same table."""
        from casebook.models import ExerciseSubmission

        rng = self.rng
        rows = []
        copied: dict[int, dict] = {}
        identical_departments = {d.pk for d in self.departments[::25]}
        for learner in self.learners:
            outcome = self.outcomes.get(learner.user_id)
            if learner.position != "business" or outcome in (None, "none"):
                continue
            department_id = self.department_of_office[learner.office_id]
            tries = 1 if outcome == "completed" and rng.random() < 0.6 else 2
            if outcome == "started" and rng.random() < 0.5:
                continue
            base = getattr(learner, "done_at", None) or self.moment(self.due)
            for number in range(1, tries + 1):
                last = number == tries
                passed = outcome == "completed" and last
                score = Decimal(rng.randint(72, 98) if passed else rng.randint(30, 69))
                table = {"annual_goal": f"年度目标{learner.staff_number}-{number}",
                         "indicators": [{"name": "维修面积", "value": rng.randint(100, 900)}]}
                if department_id in identical_departments and passed:
                    table = copied.setdefault(department_id, table)
                at = base - dt.timedelta(hours=2 * (tries - number + 1))
                rows.append(ExerciseSubmission(
                    exercise_id=self.exercise.pk, user_id=learner.user_id,
                    attempt_number=number, input=table, result={"kind": "goal_setting"},
                    auto_score=score, score=score, passed=passed, created_at=at,
                    input_digest=ExerciseSubmission.digest_of(table)))
        with _explicit_created_at(ExerciseSubmission):
            ExerciseSubmission.objects.bulk_create(rows, batch_size=self.batch)
        self.counts["goal-setting submissions"] = len(rows)

    def attempts(self) -> None:
        """Exactly --attempts graded attempts: heads on the exam (1–3, the completed ones
        passing at the course's mark on the last), everyone else who took part on the two
        practice quizzes (the completed staff pass their course's quiz on the last attempt).
        Streamed to the database a batch at a time."""
        from quizzes.models import Attempt

        rng = self.rng
        exam_users, practice_users = [], []
        for learner in self.learners:
            outcome = self.outcomes.get(learner.user_id)
            if outcome in (None, "none") and not (learner.position == "other"
                                                   and rng.random() < 0.3):
                continue
            if learner.position == "head":
                exam_users.append((learner, outcome))
            else:
                practice_users.append((learner, outcome))
        budget = self.n_attempts
        plan: list[tuple] = []  # (learner, quiz, tries, must_pass)
        for learner, outcome in exam_users:
            tries = min(rng.randint(1, 3), budget)
            if tries:
                plan.append((learner, self.exam, tries, outcome == "completed"))
                budget -= tries
        if practice_users and budget:
            share, extra = divmod(budget, len(practice_users))
            for k, (learner, outcome) in enumerate(practice_users):
                tries = share + (1 if k < extra else 0)
                if not tries:
                    continue
                own = (self.goal_practice if learner.position == "business"
                       else self.eval_practice)
                other = self.eval_practice if own is self.goal_practice else self.goal_practice
                mine = (tries + 1) // 2
                plan.append((learner, own, mine, outcome == "completed"))
                if tries - mine:
                    plan.append((learner, other, tries - mine, False))
        made = 0
        buffer: list = []
        for learner, quiz, tries, must_pass in plan:
            base = getattr(learner, "done_at", None) or self.moment(
                self.day_between(self.opens, self.due))
            for number in range(1, tries + 1):
                passed_needed = must_pass and number == tries
                percent = Decimal(rng.randint(80, 100) if passed_needed
                                  else rng.randint(20, 100))
                if quiz.pk == self.exam.pk and must_pass and not passed_needed:
                    percent = Decimal(rng.randint(40, 79))  # failed before the passing one
                at = base - dt.timedelta(hours=3 * (tries - number + 1))
                buffer.append(Attempt(
                    quiz_id=quiz.pk, user_id=learner.user_id, number=number, status="graded",
                    started_at=at - dt.timedelta(minutes=25), submitted_at=at, graded_at=at,
                    score=percent, max_score=Decimal("100"), percent=percent,
                    passed=percent >= quiz.pass_mark))
                if len(buffer) >= self.batch:
                    Attempt.objects.bulk_create(buffer, batch_size=self.batch)
                    made += len(buffer)
                    buffer = []
        if buffer:
            Attempt.objects.bulk_create(buffer, batch_size=self.batch)
            made += len(buffer)
        self.counts.update({"departments": len(self.departments), "units": len(self.units),
                            "offices": len(self.offices), "learners": len(self.learners),
                            "exemptions": len(self.exempt_users), "graded attempts": made})

    def analyze(self) -> None:
        """Fresh planner statistics, as after any large load."""
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
