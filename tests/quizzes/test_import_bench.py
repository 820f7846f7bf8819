"""Timing of a 1,000-question import (run with QUIZ_BENCH=1; skipped otherwise)."""

import os
import time

import pytest

from quizzes import services

from .conftest import essay, fill, multiple, single, true_false

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("QUIZ_BENCH"), reason="benchmark: set QUIZ_BENCH=1"),
]


def test_import_1000_questions_timing(bank):
    makers = [single, multiple, true_false, fill, essay]
    data = [makers[i % 5](text=f"第{i}题：{makers[i % 5].__name__}",
                          category=f"阶段{i % 5}/小类{i % 7}") for i in range(1000)]
    started = time.perf_counter()
    report = services.questions_import(bank=bank, questions=data)
    elapsed = time.perf_counter() - started
    assert report.ok and report.created == 1000
    print(f"\nquestions_import 1000 questions: {elapsed:.2f} s")
