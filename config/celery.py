"""Celery application: settings under the CELERY_ namespace, tasks discovered in every app."""

import logging
import os
import warnings
from pathlib import Path

from celery import Celery
from celery.exceptions import SecurityWarning

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")


def _filesystem_hostname_notice(record: logging.LogRecord) -> bool:
    # Kombu's filesystem transport has no host; it still warns "No hostname was supplied" on
    # every connection. Harmless for the embedded default, so the notice is dropped.
    return not record.getMessage().startswith("No hostname was supplied")


logging.getLogger("kombu.connection").addFilter(_filesystem_hostname_notice)
if (os.environ["DJANGO_SETTINGS_MODULE"].endswith(".dev")
        and hasattr(os, "geteuid") and os.geteuid() == 0):
    # Development containers often run as root; Celery then warns on every start. It refuses
    # to run as root only with pickle, which we never accept (JSON only), so in dev the
    # warning is noise. Production keeps it.
    warnings.filterwarnings("ignore", category=SecurityWarning)

app = Celery("jixiao")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _ensure_filesystem_queue(sender, **kwargs):
    """The filesystem transport (embedded default) needs its folders before the first message."""
    if str(sender.conf.broker_url or "").startswith("filesystem://"):
        options = sender.conf.broker_transport_options or {}
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            if options.get(key):
                Path(options[key]).mkdir(parents=True, exist_ok=True)
