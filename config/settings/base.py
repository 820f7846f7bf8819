"""Settings shared by every environment. Values come from the environment (django-environ)."""

from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SITE_DIR = BASE_DIR / "site"

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)
# Local state of the embedded defaults: SQLite file, Celery's filesystem queue, media, static.
VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var"))).resolve()

# --- Core -------------------------------------------------------------------
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Project apps (dependencies point down: assessments -> courses -> quizzes, casebook ->
    # departments, portal)
    "portal",
    "departments",
    "quizzes",
    "casebook",
    "courses",
    "assessments",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    # Django
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Third party
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.ChineseFirstLocaleMiddleware",
    # After the language is chosen (its 400 is translated), before anything reads the session.
    "portal.middleware.RequestTextGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "departments.middleware.ForcePasswordChangeMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, so that it sees the outcome of authentication (django-axes docs).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SITE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                # Lazy: counted only when the header renders, never for anonymous visitors.
                "courses.notifications.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True


def postgresql_prepared(database: dict) -> None:
    """Prepared statements for the exam path's written-out queries (quizzes.rowload.cursor):
    psycopg prepares one after its 5th run on a connection, and PostgreSQL no longer parses
    and plans it each time. The ORM's queries are not prepared (they bind on the client).
    DB_PREPARED_STATEMENTS=0 turns this off, e.g. behind a pooler in transaction mode that
    cannot keep prepared statements (PgBouncer before 1.21)."""
    if database["ENGINE"] == "django.db.backends.postgresql" and env.bool(
            "DB_PREPARED_STATEMENTS", default=True):
        database.setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)


postgresql_prepared(DATABASES["default"])

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions -----------------------------------------------------
# Embedded default: the database cache, shared by every process on the machine.
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://django_cache")}
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Authentication ---------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses locked-out credentials before any other backend runs.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Django's defaults, plus a fast hasher for one-time initial passwords (departments.hashers).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "departments.hashers.InitialPasswordHasher",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:profile"
# Where a learner (a roster record, no admin access) lands after logging in without a `next`:
# 我的培训. Staff, bureau, department admins and reviewers keep LOGIN_REDIRECT_URL.
LEARNER_LOGIN_REDIRECT_URL = "my_training"
LOGOUT_REDIRECT_URL = "/"

# django-axes: throttled logins (5 failures per username + IP, then a 15 minute lock).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# Public certificate verification (/certificates/verify/<code>/): lookups per client address
# (the address as django-axes sees it) in a window, against enumeration; then 429.
CERTIFICATE_VERIFY_RATE_LIMIT = env.int("CERTIFICATE_VERIFY_RATE_LIMIT", default=30)
CERTIFICATE_VERIFY_RATE_WINDOW = env.int("CERTIFICATE_VERIFY_RATE_WINDOW_SECONDS", default=600)

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# site/locale: our strings (first, so they win). site/locale_overrides: only translations
# Wagtail/Django lack for msgids of theirs (tests/check_catalogue.py keeps the two apart and
# refuses project entries that relabel one of their msgids; ours take a pgettext context).
LOCALE_PATHS = [SITE_DIR / "locale", SITE_DIR / "locale_overrides"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
WAGTAIL_CONTENT_LANGUAGES = [("zh-hans", "简体中文")]
# Slugs are ASCII (pinyin for Chinese titles): see portal.slugs.
WAGTAIL_ALLOW_UNICODE_SLUGS = False

# --- Static and media -------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
STATICFILES_DIRS = [SITE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "config.storage.StaticStorage"},
}
# Uploads: rosters and question files are read in memory up to this size.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
ROSTER_MAX_UPLOAD_BYTES = env.int("ROSTER_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
ROSTER_MAX_ROWS = env.int("ROSTER_MAX_ROWS", default=50_000)
# Imports with more rows than this run in the background worker.
ROSTER_ASYNC_THRESHOLD = env.int("ROSTER_ASYNC_THRESHOLD", default=500)
# Every uploaded .xlsx (portal.uploads): refused before parsing when the zip would unpack past
# these sizes or is compressed beyond any real spreadsheet (zip bombs); rows are streamed and
# reading stops at a cell longer than Excel's own limit, and a sheet with more than the caller's
# row limit plus UPLOAD_MAX_BLANK_ROWS rows (filled or blank) is refused rather than read on.
# The shared-strings part (every text cell of a workbook, loaded before any row is read) is
# refused past UPLOAD_XLSX_MAX_SHARED_STRINGS_BYTES; a real 50,000-row roster needs about 9 MB.
UPLOAD_XLSX_MAX_UNCOMPRESSED_BYTES = env.int(
    "UPLOAD_XLSX_MAX_UNCOMPRESSED_BYTES", default=100 * 1024 * 1024
)
UPLOAD_XLSX_MAX_PART_BYTES = env.int("UPLOAD_XLSX_MAX_PART_BYTES", default=50 * 1024 * 1024)
UPLOAD_XLSX_MAX_COMPRESSION_RATIO = env.int("UPLOAD_XLSX_MAX_COMPRESSION_RATIO", default=100)
UPLOAD_XLSX_MAX_PARTS = env.int("UPLOAD_XLSX_MAX_PARTS", default=1000)
UPLOAD_XLSX_MAX_SHARED_STRINGS_BYTES = env.int(
    "UPLOAD_XLSX_MAX_SHARED_STRINGS_BYTES", default=16 * 1024 * 1024
)
UPLOAD_MAX_BLANK_ROWS = env.int("UPLOAD_MAX_BLANK_ROWS", default=100_000)
UPLOAD_MAX_CELL_CHARS = env.int("UPLOAD_MAX_CELL_CHARS", default=32_767)
UPLOAD_JSON_MAX_DEPTH = env.int("UPLOAD_JSON_MAX_DEPTH", default=32)

# --- Email ------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="jixiao@localhost")
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
# Seconds before an unanswering mail server counts as down (reminders then retry later).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# Reminders (courses.reminders): e-mails per worker task, and how long a claimed but unsent
# row waits before the resend sweep takes it (a killed worker's rows; see its services).
REMINDERS_BATCH_SIZE = env.int("REMINDERS_BATCH_SIZE", default=200)
REMINDERS_RESEND_AFTER_SECONDS = env.int("REMINDERS_RESEND_AFTER_SECONDS", default=300)

# --- Celery -----------------------------------------------------------------
# Embedded default: Kombu's filesystem transport under var/celery, so a real worker runs on one
# machine with no server; production sets CELERY_BROKER_URL to Redis.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
_celery_dir = VAR_DIR / "celery"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        # Exchange bindings (remote control, broadcast); Kombu's default is ./control, which
        # wrote control/*.exchange into whatever directory a worker was started from.
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Results are not used for control flow (jobs record progress in the database); keep none.
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Periodic tasks are declared here, in one place.
    "purge-finished-import-files": {
        "task": "departments.tasks.roster_jobs_cleanup",
        "schedule": 6 * 60 * 60,
    },
    "quizzes-expire-overdue-attempts": {
        "task": "quizzes.tasks.attempts_expire_overdue",
        "schedule": 60,
    },
    # Training plan reminders, digests and escalations, once a day in the site's time zone.
    "courses-reminders-dispatch": {
        "task": "courses.tasks.reminders_dispatch",
        "schedule": crontab(hour=7, minute=30),
    },
    "courses-reminders-resend-unsent": {
        "task": "courses.tasks.reminders_resend_unsent",
        "schedule": 10 * 60,
    },
    # Nightly safety nets: plan membership against the whole roster (a change no signal
    # reported), then any certificate that is due and missing.
    "courses-plan-membership-sync-all": {
        "task": "courses.tasks.plan_membership_sync_all",
        "schedule": crontab(hour=2, minute=0),
    },
    "courses-certificates-issue": {
        "task": "courses.tasks.certificates_issue",
        "schedule": crontab(hour=2, minute=30),
    },
    # Department assessment: recompute every unlocked scheme after the nightly syncs.
    "assessments-compute-all": {
        "task": "assessments.tasks.assessment_compute_all",
        "schedule": crontab(hour=3, minute=0),
    },
    # Assessment export files (and their jobs) are deleted after 7 days.
    "assessments-exports-cleanup": {
        "task": "assessments.tasks_exports.assessment_exports_cleanup",
        "schedule": crontab(hour=3, minute=30),
    },
}
# Task modules outside an app's tasks.py (autodiscovery only imports tasks.py).
CELERY_IMPORTS = ["assessments.tasks_exports"]
# Assessment exports with more rows than this (departments, or a department's learners) are
# built by the worker, with a progress page; smaller ones download at once.
ASSESSMENT_EXPORT_SYNC_LIMIT = env.int("ASSESSMENT_EXPORT_SYNC_LIMIT", default=200)

# Wagtail 8's own background jobs run on django-tasks; run them in-process.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# --- Wagtail ----------------------------------------------------------------
WAGTAIL_SITE_NAME = "绩效学堂"
WAGTAILADMIN_BASE_URL = env("WAGTAILADMIN_BASE_URL", default="http://127.0.0.1:8000")
# The site's address as users reach it, for links in e-mails (我的培训).
SITE_BASE_URL = env("SITE_BASE_URL", default=WAGTAILADMIN_BASE_URL)
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "doc", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "xls",
                          "zip", "ofd"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
# Offline intranets: the admin must not call out to wagtail.io or link to external guides.
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAIL_PASSWORD_RESET_ENABLED = False  # Offline intranets: administrators reset passwords.
WAGTAILUSERS_PASSWORD_REQUIRED = True

# --- Logging ----------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A 403 is logged as django.request's one line, without the PermissionDenied traceback.
    "filters": {"permission_denied_one_line": {"()": "portal.logfilters.PermissionDeniedOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler",
                             "filters": ["permission_denied_one_line"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Wagtail's per-page background jobs (django-tasks) and page-action logs are noise here.
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
