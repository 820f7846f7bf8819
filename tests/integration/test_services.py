"""Health endpoint against the production-shaped services: PostgreSQL and Redis."""

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_health_is_ok_on_postgresql_with_redis_as_broker(client, postgres_required, redis_url):
    from config.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = redis_url
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


def test_redis_cache_backend_round_trips(redis_url):
    from django.core.cache.backends.redis import RedisCache

    cache = RedisCache(redis_url, {"KEY_PREFIX": "jixiao-test"})
    cache.set("probe", {"部门": "市教育局"}, 30)
    assert cache.get("probe") == {"部门": "市教育局"}
    cache.delete("probe")
