"""Exam-day HTTP load harness: gunicorn with the production settings on PostgreSQL and Redis,
driven by Debian's wrk with a Lua script, against baselines measured in the same run.

    make loadtest            # quick mode (a few minutes)
    make loadtest FULL=1     # concurrency 16/64/256 and the takers search
    .venv/bin/python -m bench.loadtest --help

Modules: `settings` (production plus the benchmark URLconf), `urls`/`views` (the baselines),
`fixtures` (learners, sessions, the exam), `plans` (what wrk sends), `results` (what came back),
`run` (the driver), `lua/driver.lua` (the wrk script).
"""
