"""Indicator library search against a full scan and a raw indexed SQL lookup, in the same run.

    python bench/indicator_search_bench.py [--count 100000] [--repeat 30] [--seed 2026]
        [--database-url URL] [--sqlite-path FILE] [--fresh]

Uses a throw-away SQLite file (or ``--sqlite-path``, kept between runs, or ``--database-url``
for PostgreSQL), fills it up to ``--count`` synthetic indicators (``indicators_generate``;
``--fresh`` empties the library first), runs ANALYZE (PostgreSQL: VACUUM ANALYZE, as autovacuum
would, so that index-only scans are possible), then for each query class times the median of
``--repeat`` calls of:

  * auto: ``indicators_autocomplete(q=...)`` - the goal-table editor's call (20 shortest hits);
  * count: ``indicators_search(q=...).count()`` - the search page's count;
  * page: the search page's first 25 rows (``indicators_search(q=...)[:25]``);
  * scan-auto / scan-count: the same two answered by ``search_key LIKE '%term%'`` on every row;
  * base: ``SELECT id FROM casebook_indicator WHERE natural_key = %s`` (unique-index lookup),
    the unit of the ratios (``x`` columns = time / base).

Every query's result set is also checked against the scan (ids and autocomplete order); a
difference aborts the run.
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

# (class, query): the classes the issue asks for, with a few variants each.
QUERIES = [
    ("rare multi-char", "农家书屋"),
    ("rare multi-char", "黑臭水体提升改造"),
    ("rare multi-char", "异地就医结算验收"),
    ("common 1-char", "率"),
    ("common 1-char", "度"),
    ("common 2-char", "满意"),
    ("common 2-char", "合格"),
    ("digits", "2025"),
    ("digits", "12345"),
    ("digits", "第3批"),
    ("latin / mixed", "pm2.5"),
    ("latin / mixed", "LED路灯"),
    ("latin / mixed", "5G基站"),
    ("no match", "不存在的词"),
    ("no match", "度满"),
    ("multi-term", "培训 满意度"),
    ("multi-term", "乡镇 合格率"),
    ("multi-term", "2023年 老旧小区 率"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--sqlite-path", default="")
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        path = args.sqlite_path or f"{tempfile.mkdtemp(prefix='jixiao-bench-')}/bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(path).resolve()}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models.functions import Length

    call_command("migrate", verbosity=0)
    from casebook.models import Indicator, IndicatorGram
    from casebook.models.indicators import IndicatorGramStat
    from casebook.selectors import (
        indicator_query_terms,
        indicators_autocomplete,
        indicators_search,
    )
    from casebook.services import functional_classes_load, indicators_generate

    functional_classes_load()
    if args.fresh:
        with connection.cursor() as cursor:
            for model in (IndicatorGram, IndicatorGramStat, Indicator):
                cursor.execute(f"DELETE FROM {model._meta.db_table}")  # noqa: S608
    existing = Indicator.objects.count()
    if existing < args.count:
        started = time.perf_counter()
        indicators_generate(count=args.count - existing, seed=args.seed + existing)
        print(f"generated {args.count - existing} indicators in "
              f"{time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        connection.connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    total = Indicator.objects.count()
    print(f"database: {connection.vendor}; indicators: {total}; "
          f"distinct names: {Indicator.objects.values('name').distinct().count()}; "
          f"grams: {IndicatorGram.objects.count()}; "
          f"distinct grams: {IndicatorGramStat.objects.count()}")
    keys = list(Indicator.objects.order_by("pk").values_list("natural_key", flat=True)
                [:: max(1, total // 64)])

    def timed(func) -> float:
        func(0)  # warm up
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

    def scan_qs(query):
        qs = Indicator.objects.all()
        for term in indicator_query_terms(query):
            qs = qs.filter(search_key__contains=term)
        return qs

    def scan_auto(query):
        return list(scan_qs(query).annotate(n=Length("name")).order_by("n", "pk")
                    .values_list("pk", flat=True)[:20])

    base_ms = timed(baseline)
    print(f"baseline (unique-index lookup): {base_ms:.3f} ms   (x = ms / baseline)")
    header = (f"{'class':<16}{'query':<18}{'hits':>7}{'auto ms':>9}{'x':>6}{'count ms':>10}"
              f"{'x':>6}{'page ms':>9}{'scan-auto':>10}{'scan-cnt':>9}{'x':>6}{'speedup':>8}")
    print(header)
    rows = []
    for klass, query in QUERIES:
        found = set(indicators_search(q=query).values_list("pk", flat=True))
        expected = set(scan_qs(query).values_list("pk", flat=True))
        auto = [r["id"] for r in indicators_autocomplete(q=query)]
        if found != expected or auto != scan_auto(query):
            raise SystemExit(f"MISMATCH for {query!r}: search {len(found)} vs scan "
                             f"{len(expected)}")
        auto_ms = timed(lambda i, q=query: indicators_autocomplete(q=q))
        count_ms = timed(lambda i, q=query: indicators_search(q=q).count())
        page_ms = timed(lambda i, q=query: list(indicators_search(q=q)[:25]))
        scan_auto_ms = timed(lambda i, q=query: scan_auto(q))
        scan_count_ms = timed(lambda i, q=query: scan_qs(q).count())
        rows.append((klass, auto_ms, count_ms, scan_auto_ms, scan_count_ms))
        label = query if len(query) <= 9 else query[:8] + "…"
        pad = 18 - sum(2 if ord(c) > 0x2E80 else 1 for c in label)
        print(f"{klass:<16}{label}{' ' * max(pad, 1)}{len(found):>7}{auto_ms:>9.2f}"
              f"{auto_ms / base_ms:>6.0f}{count_ms:>10.2f}{count_ms / base_ms:>6.0f}"
              f"{page_ms:>9.2f}{scan_auto_ms:>10.2f}{scan_count_ms:>9.2f}"
              f"{scan_auto_ms / base_ms:>6.0f}{scan_auto_ms / auto_ms:>7.1f}x")
    print("per class, median of the queries (ms; x = / baseline):")
    for klass in dict.fromkeys(k for k, *_ in rows):
        mine = [r for r in rows if r[0] == klass]
        auto = statistics.median(r[1] for r in mine)
        count = statistics.median(r[2] for r in mine)
        scan = statistics.median(r[3] for r in mine)
        scan_count = statistics.median(r[4] for r in mine)
        print(f"  {klass:<16} auto {auto:7.2f} ({auto / base_ms:5.0f}x)  count {count:7.2f} "
              f"({count / base_ms:5.0f}x)  scan {scan:7.2f} ({scan / base_ms:5.0f}x)  "
              f"scan count {scan_count:7.2f}")
    print(f"median auto/baseline over all queries: "
          f"{statistics.median(r[1] for r in rows) / base_ms:.0f}x; all results equal the scan")


if __name__ == "__main__":
    main()
