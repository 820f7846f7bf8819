"""Settings for the pytest suite: fast hashing, in-memory email, isolated temp folders."""

import tempfile

from .base import *
from .base import env

DEBUG = False
SECRET_KEY = "test-only-secret-key"  # noqa: S105 - test settings only
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# A worker process started by the integration tests must see the same files.
MEDIA_ROOT = env("TEST_MEDIA_ROOT", default=None) or tempfile.mkdtemp(prefix="jixiao-test-media-")
# Made here, so removed when the test run ends (tests/conftest.py), unless it was given.
MEDIA_ROOT_IS_TEMPORARY = not env("TEST_MEDIA_ROOT", default=None)
STORAGES["staticfiles"] = {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# Tests call services directly; eager mode is only a safety net for code paths that enqueue.
CELERY_BROKER_URL = env("TEST_CELERY_BROKER_URL", default="memory://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_TASK_ALWAYS_EAGER = env.bool("TEST_CELERY_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
AXES_ENABLED = True
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "root": {"handlers": [], "level": "WARNING"}}
# Serve static files straight from the finders (browser tests need the CSS without collectstatic).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
