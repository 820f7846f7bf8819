"""Demo quizzes for `seed_demo`: the demo bank from `quizzes.demo_questions`, a practice quiz per
stage of budget performance management, and the annual exam for department heads. Idempotent."""

from importlib import import_module

from django.db import transaction

from quizzes import services, types
from quizzes.models import Category, FeedbackTiming, GradingMethod, Mode, Question, Quiz

ORDER = 30

BANK_NAME = "预算绩效管理演示题库"
STAGES = ["事前评估", "目标管理", "运行监控", "绩效评价", "结果应用"]
PRACTICE_SIZE = 10
EXAM_TITLE = "部门负责人预算绩效管理年度考试"
# 20 questions drawn by rules (kind × count), 30 minutes, pass mark 80.
EXAM_RULES = [(types.SINGLE, 10), (types.MULTIPLE, 4), (types.TRUE_FALSE, 4), (types.FILL, 2)]


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
        if available and not Quiz.objects.filter(title=title).exists():
            services.quiz_create(
                title=title,
                description=f"{stage}环节的随堂练习：即时反馈，不限次数，错题自动进入错题本。",
                mode=Mode.PRACTICE, is_draft=False, random_order=True,
                feedback_timing=FeedbackTiming.EACH, pass_mark=60,
                draw_rules=[{"bank": bank, "category": category,
                             "count": min(PRACTICE_SIZE, available)}])
    if not Quiz.objects.filter(title=EXAM_TITLE).exists():
        rules = []
        for kind, count in EXAM_RULES:
            available = Question.objects.filter(bank=bank, kind=kind, is_active=True).count()
            if available:
                rules.append({"bank": bank, "kind": kind, "count": min(count, available)})
        if rules:
            services.quiz_create(
                title=EXAM_TITLE,
                description="年度必修考试：20 道题，限时 30 分钟，80 分及格；到时自动交卷。",
                mode=Mode.EXAM, is_draft=False, random_order=True, time_limit_minutes=30,
                pass_mark=80, max_attempts=3, grading_method=GradingMethod.HIGHEST,
                success_text="恭喜通过年度考试。", fail_text="未达到 80 分，请复习后再次参加考试。",
                draw_rules=rules)
    return {
        "questions": Question.objects.filter(bank=bank).count(),
        "quizzes": Quiz.objects.count(),
    }
