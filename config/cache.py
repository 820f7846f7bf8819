"""Django's Redis cache, keeping one `redis.Redis` client per connection pool.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` for every cache operation, and
each one fills its table of ~170 response callbacks: on the exam path (the session read, the
draw plan and its bank generation) that was three of them per request, about 0.5 ms of a
worker's CPU in a start. A `redis.Redis` over a connection pool is safe to share, and Django
keeps a cache backend (so this client and its pools) per thread anyway.
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        # Keyed by the pool's identity: the pools live as long as this client does.
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    """The production cache backend (`config.cache.RedisCache`)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
