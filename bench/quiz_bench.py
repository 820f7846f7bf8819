"""Autosave and submit throughput against a baseline measured in the same run.

    python bench/quiz_bench.py [--requests 500] [--questions 20] [--database-url URL]

Baseline: a minimal logged-in Django view that does one INSERT, through the same middleware
stack and the Django test Client. Measured: the autosave endpoint (one answer per request) and
the submit endpoint (grading a paper of --questions answered questions). Prints requests per
second, queries per request and the ratio to the baseline. Uses a throw-away SQLite database
unless --database-url is given.
"""

import argparse
import os
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="jixiao-bench-")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.contrib.auth.decorators import login_required
    from django.core.management import call_command
    from django.db import connection
    from django.http import JsonResponse
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.urls import path

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from quizzes import choice_tokens, services
    from quizzes.types import ChoiceData, QuestionData

    with connection.cursor() as cursor:
        key = "SERIAL PRIMARY KEY" if connection.vendor == "postgresql" else "INTEGER PRIMARY KEY"
        cursor.execute(f"CREATE TABLE IF NOT EXISTS bench_baseline (id {key}, "
                       "user_id INTEGER NOT NULL, value VARCHAR(50) NOT NULL)")

    @login_required
    def baseline(request):
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_baseline (user_id, value) VALUES (%s, %s)",
                           [request.user.pk, request.POST.get("value", "")])
        return JsonResponse({"saved": True})

    from config import urls as project_urls

    urlconf = types.ModuleType("quiz_bench_urls")
    urlconf.urlpatterns = [path("bench/baseline/", baseline), *project_urls.urlpatterns]
    sys.modules["quiz_bench_urls"] = urlconf

    user = get_user_model().objects.create_user("bench", password="x")  # noqa: S106
    bank = services.question_bank_get_or_create(name="bench")
    questions = [services.question_create(bank=bank, data=QuestionData(
        kind="single", text=f"题{i}", choices=[ChoiceData("对", True), ChoiceData("错")]))
        for i in range(args.questions)]
    quiz = services.quiz_create(title="bench", questions=questions, is_draft=False,
                                mode="practice")
    client = Client()
    client.force_login(user)

    def run(label, make_request, n):
        with CaptureQueriesContext(connection) as queries:
            elapsed = 0.0
            for i in range(n):
                start = time.perf_counter()
                response = make_request(i)
                elapsed += time.perf_counter() - start
                assert response.status_code in (200, 302), (label, response.status_code)
        return n / elapsed, len(queries) / n

    with override_settings(ROOT_URLCONF="quiz_bench_urls"):
        base_rps, base_q = run("baseline", lambda i: client.post(
            "/bench/baseline/", {"value": str(i)}), args.requests)

        attempt = services.attempt_start(quiz=quiz, user=user)
        rows = list(attempt.attempt_questions.select_related("version").prefetch_related(
            "version__choices"))
        choices = {aq.pk: [choice_tokens.choice_token(attempt_question_id=aq.pk, choice_id=c.pk)
                           for c in aq.version.choices.all()] for aq in rows}

        def autosave(i):
            aq = rows[i % len(rows)]
            return client.post(f"/quizzes/attempts/{attempt.pk}/autosave/", {
                "question": aq.pk, f"q{aq.pk}": choices[aq.pk][i % 2]})

        save_rps, save_q = run("autosave", autosave, args.requests)
        services.attempt_submit(attempt=attempt)

        submits = max(20, args.requests // 10)
        prepared = []
        total = 0.0
        n_queries = 0
        for _ in range(submits):
            attempt = services.attempt_start(quiz=quiz, user=user)
            for aq in attempt.attempt_questions.all():
                services.attempt_answer_save(attempt=attempt, attempt_question_id=aq.pk,
                                             raw=[choices_for(aq)])
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.post(f"/quizzes/attempts/{attempt.pk}/submit/")
                total += time.perf_counter() - start
            n_queries += len(queries)
            assert response.status_code == 302
            prepared.append(attempt.pk)
        submit_rps, submit_q = submits / total, n_queries / submits

    print(f"database: {connection.vendor}; {args.requests} requests, "
          f"{args.questions} questions per paper")
    print(f"baseline (one INSERT):  {base_rps:8.1f} req/s  {base_q:5.1f} queries/req")
    print(f"autosave:               {save_rps:8.1f} req/s  {save_q:5.1f} queries/req  "
          f"ratio {save_rps / base_rps:.2f}")
    print(f"submit ({args.questions} questions):  {submit_rps:8.1f} req/s  {submit_q:5.1f} "
          f"queries/req  ratio {submit_rps / base_rps:.2f}")


def choices_for(aq):
    """The right option's posted value (its token in this attempt)."""
    from quizzes import choice_tokens

    choice_id = aq.version.choices.filter(is_correct=True).values_list("pk", flat=True)[0]
    return choice_tokens.choice_token(attempt_question_id=aq.pk, choice_id=choice_id)


if __name__ == "__main__":
    main()
