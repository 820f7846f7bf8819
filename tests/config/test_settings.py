"""Production settings: required variables, `check --deploy`, and what scaling out relies on."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "SECRET_KEY": "x7Qp2vLz9mKc4RtY8wNb3HjF6sDg1AeUo5IiPqZxCvBnMlKjHgFdSaQwErTyUiOp",
    "ALLOWED_HOSTS": "jixiao.czj.example,10.0.0.5",
    "DATABASE_URL": "postgres://jixiao:pw@db.internal:5432/jixiao",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
}

DUMP_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "debug": s.DEBUG, "db_engine": s.DATABASES["default"]["ENGINE"],
    "cache": s.CACHES["default"]["BACKEND"], "cache_location": s.CACHES["default"].get("LOCATION"),
    "session_engine": s.SESSION_ENGINE, "broker": s.CELERY_BROKER_URL,
    "media_backend": s.STORAGES["default"]["BACKEND"],
    "media_options": s.STORAGES["default"].get("OPTIONS", {}),
    "static_backend": s.STORAGES["staticfiles"]["BACKEND"],
    "middleware": s.MIDDLEWARE,
    "db_options": s.DATABASES["default"].get("OPTIONS", {}),
}))
"""


def run_with(env_vars: dict, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"),
           "DJANGO_SETTINGS_MODULE": "config.settings.production", **env_vars}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def production_settings(**overrides) -> dict:
    result = run_with({**PRODUCTION_ENV, **overrides}, "-c", DUMP_SETTINGS)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("missing", sorted(PRODUCTION_ENV))
def test_production_refuses_to_start_without_each_required_variable(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_with(env, "-c", DUMP_SETTINGS)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_production_rejects_sqlite_and_a_non_redis_broker():
    sqlite = run_with({**PRODUCTION_ENV, "DATABASE_URL": "sqlite:////tmp/x.sqlite3"}, "-c",
                      DUMP_SETTINGS)
    assert sqlite.returncode != 0 and "PostgreSQL" in sqlite.stderr
    broker = run_with({**PRODUCTION_ENV, "CELERY_BROKER_URL": "filesystem://"}, "-c",
                      DUMP_SETTINGS)
    assert broker.returncode != 0 and "Redis" in broker.stderr


def test_check_deploy_is_clean_with_production_variables_set():
    result = run_with(PRODUCTION_ENV, "manage.py", "check", "--deploy", "--fail-level",
                      "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_shares_state_between_hosts_through_postgres_and_redis():
    s = production_settings()
    assert s["debug"] is False
    assert s["db_engine"] == "django.db.backends.postgresql"
    assert s["broker"].startswith("redis://")
    # Cache in Redis (login throttling counters are shared by all web hosts) ...
    assert s["cache"] == "config.cache.RedisCache"
    assert s["cache_location"] == PRODUCTION_ENV["CELERY_BROKER_URL"]
    # ... and sessions in the database behind it, never in process memory or local files.
    assert s["session_engine"] == "django.contrib.sessions.backends.cached_db"
    # Static files: WhiteNoise's compressed manifest storage, each URL worked out once.
    assert s["static_backend"] == "config.storage.StaticStorage"
    from django.utils.module_loading import import_string
    from whitenoise.storage import CompressedManifestStaticFilesStorage

    assert issubclass(import_string(s["static_backend"]),
                      CompressedManifestStaticFilesStorage)
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in s["middleware"]
    assert s["media_backend"] == "django.core.files.storage.FileSystemStorage"


def test_production_prepares_the_exam_statements_unless_switched_off():
    # quizzes.rowload.cursor: psycopg prepares a statement after its 5th run on a connection.
    assert production_settings()["db_options"]["prepare_threshold"] == 5
    off = production_settings(DB_PREPARED_STATEMENTS="0")["db_options"]
    assert "prepare_threshold" not in off


def test_production_media_goes_to_s3_compatible_storage_when_a_bucket_is_configured():
    s = production_settings(AWS_STORAGE_BUCKET_NAME="jixiao-media",
                            AWS_S3_ENDPOINT_URL="http://minio.internal:9000",
                            AWS_ACCESS_KEY_ID="key", AWS_SECRET_ACCESS_KEY="secret")
    assert s["media_backend"] == "storages.backends.s3.S3Storage"
    assert s["media_options"]["bucket_name"] == "jixiao-media"
    assert s["media_options"]["endpoint_url"] == "http://minio.internal:9000"


def test_embedded_defaults_need_no_server():
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    result = subprocess.run(
        [sys.executable, "-c", DUMP_SETTINGS], cwd=ROOT, capture_output=True, text=True,
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    s = json.loads(result.stdout.strip().splitlines()[-1])
    assert s["db_engine"] == "django.db.backends.sqlite3"
    assert s["broker"] == "filesystem://"
    assert s["cache"] == "django.core.cache.backends.db.DatabaseCache"
