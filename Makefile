# 绩效学堂 — two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.requirements-installed
DJANGO := $(BIN)/python manage.py
PG_URL ?= postgres://postgres@127.0.0.1:5432/jixiao
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test venv setup messages lint bench bench-assessment loadtest clean test-sqlite test-postgres

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	@touch $(STAMP)

venv: $(STAMP)

messages: venv
	$(DJANGO) compile_translations

setup: venv messages
	@mkdir -p var/celery/queue var/celery/processed var/media
	$(DJANGO) migrate --noinput
	$(DJANGO) createcachetable
	$(DJANGO) seed_demo
	$(DJANGO) collectstatic --noinput -v 0

run: setup
	HOST=$(HOST) PORT=$(PORT) $(BIN)/honcho -f Procfile.dev start

# The whole suite: SQLite (unit, page, browser tests), then PostgreSQL (every database test
# again, plus the integration tests with a real Celery worker on Redis). Without PostgreSQL the
# second pass is skipped with a message, unless REQUIRE_SERVICES=1 (CI), where it fails.
test: venv messages
	$(DJANGO) collectstatic --noinput -v 0 --settings=config.settings.test
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

# pytest exits 5 when a marker filter selects no test; that is not a failure of the suite.
PYTEST_OK = rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest: no tests selected in this pass"; rc=0; fi; exit $$rc

test-sqlite:
	@$(BIN)/pytest -m "not integration" $(PYTEST_ARGS); $(PYTEST_OK)

test-postgres:
	@if $(BIN)/python -m tests.services postgres "$(PG_URL)"; then \
		DATABASE_URL="$(PG_URL)" $(BIN)/pytest -m "not e2e" $(PYTEST_ARGS); $(PYTEST_OK); \
	elif [ "$$REQUIRE_SERVICES" = "1" ]; then \
		echo "PostgreSQL is required (REQUIRE_SERVICES=1) but does not answer at $(PG_URL)"; exit 1; \
	else \
		echo "SKIPPED: PostgreSQL pass — no server at $(PG_URL) (set PG_URL, or REQUIRE_SERVICES=1 to fail)"; \
	fi

lint: venv
	$(BIN)/ruff check .
	$(DJANGO) makemigrations --check --dry-run --settings=config.settings.test
	$(BIN)/python -m tests.check_catalogue site/locale/zh_Hans/LC_MESSAGES/django.po \
		--overrides site/locale_overrides/zh_Hans/LC_MESSAGES/django.po

bench: venv
	@for b in bench/*_bench.py; do [ "$$b" = bench/assessment_bench.py ] && continue; \
		echo "== $$b"; $(BIN)/python $$b || exit 1; done
	@echo "== bench/assessment_bench.py (quick size on SQLite; province scale: make bench-assessment)"
	@$(BIN)/python bench/assessment_bench.py --departments 30 --learners 6000 --attempts 60000 --repeat 3

# Participation metrics against one hand-written SQL aggregate on the province-scale load set,
# on PostgreSQL (PG_URL; built in a throw-away test database). BENCH_ARGS for --help options.
bench-assessment: venv
	DATABASE_URL="$(PG_URL)" $(BIN)/python bench/assessment_bench.py $(BENCH_ARGS)

# Exam-day HTTP load harness (bench/loadtest, README "Load test"): gunicorn with the production
# settings on PostgreSQL + Redis, driven by wrk. Quick mode (a few minutes) by default; FULL=1
# for concurrency 16/64/256 and the takers search; LOADTEST_ARGS for any option (--help).
loadtest: venv messages
	$(BIN)/python -m bench.loadtest $(if $(FULL),--full) $(LOADTEST_ARGS)

clean:
	rm -rf var/db.sqlite3* var/celery var/static var/celerybeat-schedule*
