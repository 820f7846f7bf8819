"""Question import throughput against a baseline measured in the same run.

    python bench/quiz_import_bench.py [--count 1000] [--database-url URL]

Baseline: bulk_create of the same number of rows into one table (question categories), the
least work any import of N items does. Measured: questions_import() of N mixed questions
(validation, categories, questions, versions, choices). Prints seconds, queries and the ratio.
Uses a throw-away SQLite database unless --database-url is given.
"""

import argparse
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
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
    from quizzes import services, types
    from quizzes.models import Category
    from quizzes.types import ChoiceData, QuestionData

    def question(i: int) -> QuestionData:
        category = f"阶段{i % 5}/小类{i % 7}"
        kind = i % 4
        if kind == 0:
            return QuestionData(kind=types.SINGLE, text=f"第{i}题 单选", category=category,
                                choices=[ChoiceData("甲", correct=True), ChoiceData("乙"),
                                         ChoiceData("丙"), ChoiceData("丁")],
                                points=Decimal(2), explanation="解析")
        if kind == 1:
            return QuestionData(kind=types.MULTIPLE, text=f"第{i}题 多选", category=category,
                                choices=[ChoiceData("甲", correct=True),
                                         ChoiceData("乙", correct=True), ChoiceData("丙")],
                                points=Decimal(3), explanation="解析")
        if kind == 2:
            return QuestionData(kind=types.TRUE_FALSE, text=f"第{i}题 判断", category=category,
                                answer_true=True, points=Decimal(2), explanation="解析")
        return QuestionData(kind=types.FILL, text=f"第{i}题 填空{{{{1}}}}", category=category,
                            blanks=[["答案"]], points=Decimal(2), explanation="解析")

    data = [question(i) for i in range(args.count)]

    def timed(label, func):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            func()
            seconds = time.perf_counter() - started
        print(f"{label:<40} {seconds:8.3f} s {len(queries.captured_queries):6d} queries")
        return seconds

    def baseline():
        with transaction.atomic():
            Category.objects.bulk_create(
                [Category(name=f"基线{i}", path=f"基线/{i}") for i in range(args.count)])

    base = timed(f"baseline bulk_create ({args.count} rows)", baseline)
    bank = services.question_bank_get_or_create(name="基准题库")

    def run_import():
        report = services.questions_import(bank=bank, questions=data)
        assert report.ok, report.errors[:3]

    measured = timed(f"questions_import ({args.count} questions)", run_import)
    print(f"ratio import/baseline: {measured / base:6.2f}x")


if __name__ == "__main__":
    main()
