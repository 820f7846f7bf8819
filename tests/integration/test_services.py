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
    from config.cache import RedisCache

    cache = RedisCache(redis_url, {"KEY_PREFIX": "jixiao-test"})
    cache.set("probe", {"部门": "市教育局"}, 30)
    assert cache.get("probe") == {"部门": "市教育局"}
    assert cache.get_many(["probe", "absent"]) == {"probe": {"部门": "市教育局"}}
    assert cache.add("probe-count", 1, 30) and not cache.add("probe-count", 5, 30)
    assert cache.incr("probe-count") == 2 and cache.get("probe-count") == 2
    cache.delete_many(["probe", "probe-count"])
    assert cache.get("probe") is None and cache.get("probe-count") is None


def test_redis_cache_keeps_one_client_per_connection_pool(redis_url):
    """One `redis.Redis` per pool for the cache's life, not one per operation (Django's own
    client builds a new one each time); reads and writes share it with one server."""
    from config.cache import RedisCache

    cache = RedisCache(redis_url, {"KEY_PREFIX": "jixiao-test"})
    client = cache._cache
    first = client.get_client("k")
    assert client.get_client("k", write=True) is first
    cache.set("probe", 1, 30)
    cache.get("probe")
    assert client.get_client("k") is first
    assert first.connection_pool is client._pools[0]
    cache.delete("probe")
