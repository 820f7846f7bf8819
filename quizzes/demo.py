"""Demo quizzes for `seed_demo`: the demo bank from `quizzes.demo_questions`, a practice quiz per
stage of budget performance management, and the annual exam for department heads. Idempotent."""

from importlib import import_module

from django.db import transaction
from django.db.models import Q

from quizzes import selectors, services, types
from quizzes.models import Category, FeedbackTiming, GradingMethod, Mode, Question, Quiz

ORDER = 30

BANK_NAME = "预算绩效管理演示题库"
STAGES = ["事前评估", "目标管理", "运行监控", "绩效评价", "结果应用"]
PRACTICE_SIZE = 10
EXAM_TITLE = "部门负责人预算绩效管理年度考试"
# 20 questions drawn by rules covering all five stages (stage × kind × count), 30 minutes,
# pass mark 80: per stage 2 single + 1 multiple + 1 true/false (fill-in on alternate stages).
EXAM_STAGE_RULES = [(types.SINGLE, 2), (types.MULTIPLE, 1), (types.TRUE_FALSE, 1)]
EXAM_FILL_STAGES = {"目标管理", "绩效评价"}  # these stages draw a fill-in instead of true/false


def _exam_rules(bank) -> list[dict]:
    """The annual exam's draw rules for the stages present in the bank (capped by what exists)."""
    rules = []
    for stage in STAGES:
        category = Category.objects.filter(parent=None, name=stage).first()
        if category is None:
            continue
        for kind, count in EXAM_STAGE_RULES:
            if kind == types.TRUE_FALSE and stage in EXAM_FILL_STAGES:
                kind = types.FILL
            available = Question.objects.filter(
                bank=bank, kind=kind, is_active=True, current_version__isnull=False).filter(
                Q(category=category) | Q(category__path__startswith=f"{stage}/")).count()
            if available:
                rules.append({"bank": bank, "category": category, "kind": kind,
                              "count": min(count, available)})
    return rules


def _demo_questions() -> list[types.QuestionData]:
    try:
        module = import_module("quizzes.demo_questions")
    except ImportError:
        return []
    return list(getattr(module, "QUESTIONS", []))


@transaction.atomic
def seed(*, log) -> dict[str, int]:
    """Create or complete the demo bank and quizzes; return counts for the summary."""
    bank = services.question_bank_get_or_create(name=BANK_NAME)
    existing = set(Question.objects.filter(bank=bank).values_list(
        "kind", "current_version__text"))
    new = [q for q in _demo_questions() if (q.kind, q.text.strip()) not in existing]
    if new:
        report = services.questions_import(bank=bank, questions=new)
        if report.errors:
            raise RuntimeError(f"demo questions are invalid: {report.errors[:3]}")
        log(f"questions: {report.created} imported {report.by_kind}")
    for stage in STAGES:
        category = Category.objects.filter(parent=None, name=stage).first()
        if category is None:
            continue
        available = Question.objects.filter(bank=bank, is_active=True).filter(
            category__path__startswith=stage).count()
        title = f"{stage}练习"
        if not available:
            continue
        rules = [{"bank": bank, "category": category, "count": min(PRACTICE_SIZE, available)}]
        practice = Quiz.objects.filter(title=title).first()
        if practice is None:
            services.quiz_create(
                title=title,
                description=f"{stage}环节的随堂练习：即时反馈，不限次数，错题自动进入错题本。",
                mode=Mode.PRACTICE, is_draft=False, random_order=True,
                feedback_timing=FeedbackTiming.EACH, pass_mark=60, draw_rules=rules)
        elif services.quiz_draw_rules_set(quiz=practice, rules=rules):
            log(f"quiz {title}: draw rules updated")
    rules = _exam_rules(bank)
    exam = Quiz.objects.filter(title=EXAM_TITLE).first()
    if exam is None and rules:
        services.quiz_create(
            title=EXAM_TITLE,
            description=("年度必修考试：20 道题，覆盖五个环节，限时 30 分钟，得分率达到 80% "
                         "及格；到时自动交卷。开放时间与首页公布的培训期一致。"),
            mode=Mode.EXAM, is_draft=False, random_order=True, shuffle_choices=True,
            time_limit_minutes=30, pass_mark=80, max_attempts=3,
            grading_method=GradingMethod.HIGHEST,
            success_text="恭喜通过年度考试。",
            fail_text="得分率未达到及格线（80%），请复习后再次参加考试。",
            draw_rules=rules)
    elif exam is not None and rules and services.quiz_draw_rules_set(quiz=exam, rules=rules):
        log(f"quiz {EXAM_TITLE}: draw rules updated to cover {len(STAGES)} stages")
    exam = Quiz.objects.filter(title=EXAM_TITLE).first()
    window = selectors.training_window()
    # The annual exam is open exactly during the training window the home page announces, so
    # the two never disagree (portal seeds the home page first: ORDER 20).
    if exam is not None and window is not None and services.quiz_window_follow_training(
            quiz=exam, start=window.start, end=window.end):
        log(f"quiz {EXAM_TITLE}: open {window.start} to {window.end}, as the home page says")
    return {
        "questions": Question.objects.filter(bank=bank).count(),
        "quizzes": Quiz.objects.count(),
    }
