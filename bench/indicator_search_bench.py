"""Indicator library search against a raw indexed SQL lookup measured in the same run.

    python bench/indicator_search_bench.py [--count 100000] [--repeat 20] [--database-url URL]

Builds a throw-away database (SQLite unless --database-url) with ``--count`` synthetic
indicators (``generate_indicators``), then times, per query:
  * search: ``indicators_autocomplete`` (gram index + final substring check, shortest names
    first, 20 results) and the search page's count;
  * baseline: ``SELECT id FROM casebook_indicator WHERE natural_key = %s`` (a unique index);
  * scan: the same autocomplete done as a plain ``name LIKE '%q%'`` (what the index avoids).
Prints milliseconds per call and the ratios search/baseline and scan/baseline.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUERIES = ["率", "满意", "校舍维修", "路灯新建合格率", "样例012345", "培训 满意度", "不存在的词"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="jixiao-bench-")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models.functions import Length

    call_command("migrate", verbosity=0)
    from casebook.models import Indicator, IndicatorGram
    from casebook.selectors import indicators_autocomplete, indicators_search
    from casebook.services import functional_classes_load, indicators_generate

    functional_classes_load()
    existing = Indicator.objects.count()
    if existing < args.count:
        started = time.perf_counter()
        indicators_generate(count=args.count - existing)
        print(f"generated {args.count - existing} indicators in "
              f"{time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"database: {connection.vendor}; indicators: {Indicator.objects.count()}; "
          f"grams: {IndicatorGram.objects.count()}")
    keys = list(Indicator.objects.order_by("?").values_list("natural_key", flat=True)[:50])

    def timed(func) -> float:
        func()  # warm up
        samples = []
        for i in range(args.repeat):
            started = time.perf_counter()
            func(i)
            samples.append(time.perf_counter() - started)
        return statistics.median(samples) * 1000

    def baseline(i=0):
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM casebook_indicator WHERE natural_key = %s",
                           [keys[i % len(keys)]])
            cursor.fetchall()

    base_ms = timed(baseline)
    print(f"baseline (unique-index lookup): {base_ms:.3f} ms")
    print(f"{'query':<16}{'hits':>8}{'search ms':>11}{'ratio':>8}{'count ms':>10}"
          f"{'scan ms':>10}{'ratio':>8}")
    ratios = []
    for query in QUERIES:
        hits = indicators_search(q=query).count()
        search_ms = timed(lambda i=0, q=query: indicators_autocomplete(q=q))
        count_ms = timed(lambda i=0, q=query: indicators_search(q=q).count())
        terms = query.split()

        def scan(i=0, terms=terms):
            qs = Indicator.objects.all()
            for term in terms:
                qs = qs.filter(search_key__contains=term)
            list(qs.annotate(n=Length("name")).order_by("n", "pk").values_list("pk")[:20])

        scan_ms = timed(scan)
        ratios.append(search_ms / base_ms)
        print(f"{query:<16}{hits:>8}{search_ms:>11.2f}{search_ms / base_ms:>8.0f}"
              f"{count_ms:>10.2f}{scan_ms:>10.2f}{scan_ms / base_ms:>8.0f}")
    print(f"median ratio search/baseline: {statistics.median(ratios):.0f}")


if __name__ == "__main__":
    main()
