"""Settings of the worker that test_reminders_worker starts: the test settings, with e-mail
sent through the real SMTP server the test runs (EMAIL_HOST/EMAIL_PORT from the environment)
and tasks on a queue of the test's own, so that no other worker on the same Redis takes them."""

from config.settings.test import *  # noqa: F403
from config.settings.test import env

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
CELERY_TASK_DEFAULT_QUEUE = env("TEST_CELERY_QUEUE", default="celery")
