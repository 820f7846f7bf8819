"""Local development on the embedded defaults (SQLite, filesystem Celery broker, console email)."""

from .base import *
from .base import VAR_DIR, env

# A fresh clone has no var/: create it so that `migrate` can open the SQLite file there (the
# Celery folders under it are made by config.celery, media and static by their writers).
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
STORAGES["staticfiles"] = {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
