"""Demo activity for `seed_demo`: a year of training on the demo organisation, and its appraisal.

Runs after the courses (their plan must exist). The records go through the services the site
itself uses: enrolment and the course status (`courses.services.enrolment_ensure`,
`enrolment_recompute`), quiz attempts started, graded and marked (`quizzes.services`),
goal-setting tables graded by the checker and stored as submissions (`casebook.exercises`),
exemptions granted by the department admins (`courses.membership.exemption_grant`). Two
shortcuts write exactly what the real path writes: a finished lesson is stored as the study time
its heartbeats add up to and the completion `lesson_complete` creates (two bulk writes per
learner; the course status is then derived once, by `enrolment_recompute`), and an attempt's
answers are stored on its drawn questions in one write instead of one autosave each, before
`attempt_submit` grades them.

The pattern is the bureau's report (REPORT §4.3): in `PROBLEM_DEPARTMENTS` only finance staff
take part (their business staff have no login), so those departments come out `finance_only`;
strong and weak departments; the three districts differ; some heads have not finished; three
business staff of one department hand in the same goal table (`identical_submissions`).

Deterministic (one `random.Random` per learner, seeded with the staff number) and idempotent: a
learner who already has records of the plan's courses is left alone, and each appraisal step
(scheme, computation, override, manual points, appeal) is done once. The demo walkthrough
accounts (the learners of `DEMO_ACCOUNTS`) get no records, so their journey starts afresh.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction
from django.utils import timezone

ORDER = 60  # after the courses (50): the plan and its courses must exist

SEED = 2026
# Share of a department's staff who complete their required course (the rest start it or do
# nothing). Strong and weak city departments; the districts differ (201 strong, 203 weak, 202
# in PROBLEM_DEPARTMENTS). Departments not listed: DEFAULT_STRENGTH.
STRENGTH = {
    "101": 0.9, "102": 0.85, "105": 0.7, "106": 0.8, "108": 0.6, "109": 0.35, "110": 0.5,
    "111": 0.65, "112": 0.3, "113": 0.75, "115": 0.95, "116": 0.7, "117": 0.45,
    "201": 0.85, "203": 0.4,
}
DEFAULT_STRENGTH = 0.6
PROBLEM_FINANCE_STRENGTH = 0.85  # finance staff of the problem departments do take part
STRONG = 0.8  # heads of departments this strong finish; elsewhere less often than their staff
HEAD_FACTOR = 0.7
# Business staff of this department hand in one identical goal table (a proxy-completion sign).
IDENTICAL_DEPARTMENT, IDENTICAL_COUNT = "106", 3
ESSAY_TEXT = ("绩效目标要与部门职责和项目内容相关，指标细化量化，指标值有测算依据，并与预算资金"
              "相匹配；定性指标写明分级标准。")
ANNUAL_GOAL_ENDINGS = ("", "确保按期完成。", "年底前全部完工并通过验收。", "保障师生安全。",
                       "资金使用规范，按进度支付。")

User = get_user_model()


@dataclass
class Course:
    """One required course of the plan, with what completing it takes."""

    page: object
    lessons: list
    quiz: object | None
    exercise: object | None


def seed(*, log) -> dict[str, int]:
    """A year of activity on this year's demo plan, then its appraisal; counts for the summary."""
    plan = _demo_plan()
    if plan is None:
        log("assessments: no demo training plan (courses missing); no activity seeded")
        return {}
    counts = activity_seed(plan=plan, log=log)
    counts.update(appraisal_seed(plan=plan, log=log))
    return counts


def _demo_plan():
    from courses.models import TrainingPlan

    year = timezone.localdate().year
    return (TrainingPlan.objects.filter(year=year, title=f"{year}年度预算绩效管理培训计划",
                                        published_at__isnull=False).first())


# --- Activity ------------------------------------------------------------------------------------

def activity_seed(*, plan, log, now: dt.datetime | None = None) -> dict[str, int]:
    """Learning records for every activated demo learner who has none yet (see the module)."""
    from casebook.models import ExerciseSubmission
    from courses.models import Enrolment, LessonCompletion, PlanExemption
    from departments.demo_organisation import DEMO_ACCOUNTS, PROBLEM_DEPARTMENTS
    from departments.models import Learner
    from quizzes.models import Attempt

    now = now or timezone.now()
    opens = timezone.make_aware(dt.datetime.combine(plan.opens_on, dt.time(9)))
    courses = _plan_courses(plan)
    if not courses:
        return {}
    walkthrough = {a["username"] for a in DEMO_ACCOUNTS if a["role"] == "learner"}
    course_ids = [c.page.pk for c in courses.values()]
    busy = set(Enrolment.objects.filter(course_id__in=course_ids)
               .values_list("user_id", flat=True))
    # Exempted first, so the exempted have no records of the requirement they are excused from.
    busy |= _exemptions_seed(plan=plan, course_ids=course_ids)
    learners = list(Learner.objects.filter(is_active=True)
                    .exclude(user__password__startswith=UNUSABLE_PASSWORD_PREFIX)
                    .exclude(user__username__in=walkthrough)
                    .select_related("user", "office__unit__department")
                    .order_by("staff_number"))
    marker = User.objects.filter(username="reviewer").first()
    identical = [lr.pk for lr in learners
                 if lr.office.unit.department.code == IDENTICAL_DEPARTMENT
                 and lr.position == "business"][:IDENTICAL_COUNT]
    shared_table: dict = {}
    seeded = 0
    for learner in learners:
        if learner.user_id in busy:
            continue
        code = learner.office.unit.department.code
        if code in PROBLEM_DEPARTMENTS:
            strength = PROBLEM_FINANCE_STRENGTH if learner.office.kind == "finance" else 0.0
        else:
            strength = STRENGTH.get(code, DEFAULT_STRENGTH)
        rng = random.Random(f"{SEED}:{learner.staff_number}")  # noqa: S311 - demo data
        course = courses.get(learner.position)
        if course is None:
            continue
        if learner.position == "head" and strength < STRONG:
            strength *= HEAD_FACTOR
        roll = rng.random()
        outcome = ("completed" if roll < strength
                   else "started" if roll < strength + (1 - strength) / 2 else "none")
        if learner.pk in identical:
            outcome = "completed"
        if outcome == "none":
            continue
        # The learner's first visit: somewhere in the plan's window so far; every later step
        # follows within days and never after `now`.
        span = max((now - opens).total_seconds(), 3600)
        clock = _Clock(start=opens + dt.timedelta(seconds=span * rng.uniform(0.02, 0.8)),
                       end=now - dt.timedelta(minutes=5), rng=rng)
        with transaction.atomic():
            _learner_activity(user=learner.user, course=course, outcome=outcome, rng=rng,
                              clock=clock, marker=marker,
                              shared=shared_table if learner.pk in identical else None)
        seeded += 1
    log(f"activity: {seeded} learners given a year of records")
    return {
        "enrolments": Enrolment.objects.filter(course_id__in=course_ids).count(),
        "lesson completions": LessonCompletion.objects.count(),
        "graded attempts": Attempt.objects.filter(status="graded").count(),
        "exercise submissions": ExerciseSubmission.objects.count(),
        "exemptions": PlanExemption.objects.filter(revoked_at__isnull=True).count(),
    }


class _Clock:
    """The moments of one learner's steps: forward by a random gap, capped at `end`."""

    def __init__(self, *, start: dt.datetime, end: dt.datetime, rng: random.Random):
        self.now, self.end, self.rng = min(start, end), end, rng

    def step(self, *, minutes: tuple[int, int]) -> dt.datetime:
        self.now = min(self.now + dt.timedelta(minutes=self.rng.randint(*minutes)), self.end)
        return self.now


def _plan_courses(plan) -> dict[str, Course]:
    """The plan's required course per position, with lessons, required quiz and exercise."""
    from courses.models import LessonPage

    found = {}
    for requirement in plan.requirements.select_related(
            "course__required_quiz", "course__required_exercise__case").order_by("sort_order"):
        page = requirement.course
        found.setdefault(requirement.position, Course(
            page=page, lessons=list(LessonPage.objects.live().child_of(page).order_by("path")),
            quiz=page.required_quiz, exercise=page.required_exercise))
    return found


def _learner_activity(*, user, course: Course, outcome: str, rng: random.Random, clock: _Clock,
                      marker, shared: dict | None) -> None:
    """One learner's year: lessons studied and finished, the course's quiz and exercise, then
    the enrolment brought in line with the completion rule at the moment of the last step."""
    from courses.services import enrolment_ensure, enrolment_recompute

    enrolment_ensure(user=user, course=course.page, now=clock.now)
    lessons = course.lessons if outcome == "completed" else course.lessons[
        :rng.randint(1, max(1, len(course.lessons) - 1))]
    _lessons_finish(user=user, lessons=lessons, clock=clock, rng=rng)
    good = outcome == "completed"
    if course.quiz is not None and (good or rng.random() < 0.5):
        # Up to the quiz's attempt limit (3 for practice) until passed.
        for _try in range(course.quiz.max_attempts or 3):
            accuracy = rng.uniform(0.9, 1.0) if good else rng.uniform(0.3, 0.7)
            attempt = _attempt_take(quiz=course.quiz, user=user, accuracy=accuracy, rng=rng,
                                    clock=clock, marker=marker)
            if attempt.passed or not good:
                break
    if course.exercise is not None and (good or rng.random() < 0.5):
        _goal_table_submit(exercise=course.exercise, user=user, good=good, rng=rng,
                           shared=shared)
    # Before the commit that sends the graded/scored signals: their receivers then find the
    # course already in line and leave the completion time as it was.
    enrolment_recompute(user=user, course=course.page, now=clock.step(minutes=(1, 30)))


def _lessons_finish(*, user, lessons, clock: _Clock, rng: random.Random) -> None:
    """What `lesson_complete` stores for each lesson ("已学完" once its minimum study time has
    passed), in two writes: the study time the heartbeats add up to, and the completions. The
    course status is derived afterwards by `enrolment_recompute`, as `lesson_complete` does."""
    from courses.models import CompletionHow, LessonCompletion, LessonStudy

    studies, completions = [], []
    for lesson in lessons:
        seconds = lesson.min_study_minutes * 60 + rng.randint(30, 900)
        at = clock.step(minutes=(20, 3 * 24 * 60))
        studies.append(LessonStudy(user=user, lesson=lesson, seconds_studied=seconds,
                                   last_heartbeat_at=at))
        completions.append(LessonCompletion(user=user, lesson=lesson, completed_at=at,
                                            how=CompletionHow.EXPLICIT, seconds_studied=seconds))
    LessonStudy.objects.bulk_create(studies, ignore_conflicts=True)
    LessonCompletion.objects.bulk_create(completions, ignore_conflicts=True)


def _answer(aq, *, correct: bool, rng: random.Random) -> dict:
    """A right or a wrong answer to a drawn question, in the form the autosave stores."""
    from quizzes import types

    if aq.kind in (types.SINGLE, types.MULTIPLE):
        choices = list(aq.version.choices.all())
        right = sorted(c.pk for c in choices if c.is_correct)
        wrong = [c.pk for c in choices if not c.is_correct]
        return {"choices": right if correct or not wrong else [rng.choice(wrong)]}
    if aq.kind == types.TRUE_FALSE:
        return {"value": bool(aq.version.answer_true) == correct}
    if aq.kind == types.FILL:
        return {"blanks": [accepted[0] if correct else "不清楚" for accepted in aq.version.blanks]}
    return {"text": ESSAY_TEXT}


def _attempt_take(*, quiz, user, accuracy: float, rng: random.Random, clock: _Clock, marker):
    """Start an attempt, answer it (each question right with `accuracy`), submit it; essays
    are marked by the demo reviewer, as the marking page would."""
    from quizzes.models import AttemptQuestion
    from quizzes.services import attempt_start, attempt_submit, marking_save

    started = clock.step(minutes=(30, 5 * 24 * 60))
    attempt = attempt_start(quiz=quiz, user=user, now=started, rng=rng)
    rows = list(attempt.attempt_questions.select_related("version")
                .prefetch_related("version__choices").order_by("order"))
    answered = started + dt.timedelta(minutes=rng.randint(5, 20))
    for aq in rows:
        aq.answer = _answer(aq, correct=rng.random() < accuracy, rng=rng)
        aq.answered_at = answered
    AttemptQuestion.objects.bulk_update(rows, ["answer", "answered_at"])
    attempt = attempt_submit(attempt=attempt, now=answered)
    if attempt.status == "submitted" and marker is not None:
        for aq in rows:
            if aq.kind == "essay":
                share = Decimal(str(round(accuracy, 1)))
                marking_save(attempt_question=aq, marker=marker,
                             points=(aq.points * share).quantize(Decimal("0.01")),
                             feedback="要点基本完整。", now=answered + dt.timedelta(days=1))
        attempt.refresh_from_db()
    clock.now = max(clock.now, answered)
    return attempt


def _goal_table(exercise, *, good: bool, rng: random.Random) -> dict:
    """The learner's goal table: the case's reference table as they rewrote it (rows in their
    own order, a few left out; far fewer when they did not finish)."""
    from casebook.exercises import grading

    reference = grading.reference_table(exercise).to_dict()
    rows = list(reference["indicators"])
    keep = len(rows) - rng.randint(0, 1) if good else max(1, len(rows) // 3)
    rows = rng.sample(rows, keep)
    return {"overall_goal": reference.get("overall_goal", ""),
            "annual_goal": (reference.get("annual_goal") or "") + rng.choice(ANNUAL_GOAL_ENDINGS),
            "indicators": rows}


def _goal_table_submit(*, exercise, user, good: bool, rng: random.Random,
                       shared: dict | None) -> None:
    """Grade the table with the exercise's checker and store it (`submission_create`)."""
    from casebook.exercises import grading
    from casebook.exercises.services import submission_create

    for _try in range(3):
        data = _goal_table(exercise, good=good, rng=rng)
        if shared is not None:
            data = shared.setdefault("table", data)  # the first one's table, handed on
        table = grading.table_for_exercise(exercise, data)
        graded = grading.grade_goal_setting(exercise, table)
        submission_create(exercise=exercise, user=user, input_data=table.to_dict(),
                          graded=graded)
        if graded.passed or not good or shared is not None:
            return


def _exemptions_seed(*, plan, course_ids: list[int]) -> set[int]:
    """A couple of exemptions, each granted by the department's own admin to someone who has
    not started (idempotent); the user ids of everyone exempted from this plan."""
    from courses.membership import exemption_grant
    from courses.models import ExemptionReason, PlanAssignment, PlanExemption
    from departments.demo_organisation import DEMO_ACCOUNTS

    wanted = [("jyj_admin", "business", ExemptionReason.LONG_LEAVE,
               "病假，预计休假至年底，无法参加本年度培训。"),
              ("zjj_admin", "finance", ExemptionReason.SECONDMENT,
               "借调至市重点项目指挥部，全年脱产。")]
    admins = {a["username"]: a["department_code"] for a in DEMO_ACCOUNTS}
    walkthrough = [a["username"] for a in DEMO_ACCOUNTS if a["role"] == "learner"]
    for username, position, reason, note in wanted:
        admin = User.objects.filter(username=username).first()
        if admin is None:
            continue
        base = PlanAssignment.objects.filter(
            requirement__plan=plan, withdrawn_at__isnull=True, requirement__position=position,
            user__learner__office__unit__department__code=admins[username])
        if PlanExemption.objects.filter(assignment__in=base, revoked_at__isnull=True).exists():
            continue  # this department's demo exemption is in place
        assignment = (base.exclude(user__username__in=walkthrough)
                      .exclude(user__password__startswith=UNUSABLE_PASSWORD_PREFIX)
                      .exclude(user__course_enrolments__course_id__in=course_ids)
                      .order_by("user__learner__staff_number").first())
        if assignment is not None:
            exemption_grant(assignment=assignment, reason=reason, note=note, user=admin)
    return set(PlanExemption.objects.filter(
        assignment__requirement__plan=plan, revoked_at__isnull=True)
        .values_list("assignment__user_id", flat=True))


# --- Appraisal ----------------------------------------------------------------------------------

MANUAL_POINTS = [
    # (department code, item code, points as a share of the item's maximum, evidence)
    ("101", "org-rules", Decimal("1"),
     "年度部门预算绩效管理制度健全，已印发本部门绩效管理实施细则（演示）。"),
    ("104", "cooperation", Decimal("0.5"),
     "绩效管理工作由计划财务科单独承担，业务科室未建立配合机制（演示）。"),
    ("115", "goals-on-time", Decimal("1"),
     "按时报送绩效目标，资料完整（演示）。"),
]
OVERRIDE_DEPARTMENT = "105"
OVERRIDE_REASON = ("该部门负责人因参加省里集中培训，年度考试改为线下补考并已通过，经局务会研究"
                   "按完成计算（演示）。")
APPEAL_REASON = ("本部门业务科室人员已参加线下集中培训，签到表已报送，请求复核业务人员目标编制"
                 "练习通过率得分（演示）。")


def appraisal_seed(*, plan, log) -> dict[str, int]:
    """The year's default scheme computed, one override, a few manual points, one appeal."""
    try:
        from assessments import services
    except ImportError:  # the scoring services are not installed in this checkout
        log("assessments: scoring services not available; no scheme seeded")
        return {}
    from assessments.models import Appeal, AssessmentScheme, ItemScore, SchemeItem, ScoreSource
    from departments.models import Department

    bureau = User.objects.filter(username="czj_jixiao").first()
    scheme = services.scheme_default_create(year=plan.year, plan=plan, user=bureau)
    if scheme.is_locked:
        return {"assessment schemes": AssessmentScheme.objects.count()}
    if scheme.computed_at is None:
        services.scores_compute(scheme=scheme, user=bureau)
        scheme.refresh_from_db()
    items = list(scheme.items.all())
    automatic = [item for item in items if item.is_automatic]
    manual = [item for item in items if not item.is_automatic]
    departments = {d.code: d for d in Department.objects.all()}
    if automatic and not ItemScore.objects.filter(scheme=scheme,
                                                  source=ScoreSource.OVERRIDE).exists():
        heads_item = next((i for i in automatic if i.metric == "heads_completion_rate"),
                          automatic[0])
        score = (ItemScore.objects.filter(scheme=scheme, item=heads_item,
                                          department__code=OVERRIDE_DEPARTMENT).first())
        if score is not None:
            services.score_override(score=score, points=heads_item.max_points,
                                    reason=OVERRIDE_REASON, user=bureau)
    by_code = {item.code: item for item in manual}
    for code, item_code, share, evidence in MANUAL_POINTS:
        item = by_code.get(item_code) or (manual[0] if manual else None)
        department = departments.get(code)
        if item is None or department is None or ItemScore.objects.filter(
                scheme=scheme, item=item, department=department,
                points__isnull=False).exists():
            continue
        services.score_manual_set(scheme=scheme, department=department, item=item,
                                  points=(item.max_points * share).quantize(Decimal("0.01")),
                                  evidence=evidence, user=bureau)
    appellant = User.objects.filter(username="zjj_admin").first()
    department = departments.get("104")
    goal_item = next((i for i in automatic if i.metric == "goal_setting_pass_rate"), None)
    if (appellant and department and goal_item
            and not Appeal.objects.filter(scheme=scheme, department=department).exists()):
        services.appeal_file(scheme=scheme, department=department, item=goal_item,
                             reason=APPEAL_REASON, user=appellant)
    return {"assessment schemes": AssessmentScheme.objects.count(),
            "scheme items": SchemeItem.objects.filter(scheme=scheme).count(),
            "item scores": ItemScore.objects.filter(scheme=scheme).count(),
            "appeals": Appeal.objects.filter(scheme=scheme).count()}
