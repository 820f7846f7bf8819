"""The production settings, unchanged but for the URLconf, which adds the two baseline views.

Every production value (PostgreSQL, Redis cache and broker, cached_db sessions, persistent
connections, the whole middleware stack) comes from config.settings.production and the
environment the driver sets; plain HTTP is allowed with SECURE_SSL_REDIRECT=0 there."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.loadtest.urls"
