"""A fresh clone works with the plain Django sequence and keeps its state under var/
(issue 9 §5): `migrate` creates var/ and the cache table, `seed_demo` needs no
`createcachetable`, and Celery's filesystem transport writes its control files under var/."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

DECLARE_BROADCAST_QUEUE = """
from kombu import Exchange, Queue
from config.celery import app
broadcast = Exchange("celery.pidbox", type="fanout")
with app.connection_for_write() as connection:
    Queue("probe", broadcast)(connection.default_channel).declare()
print(app.conf.broker_transport_options["control_folder"])
"""


def run_in(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """Run Python with the dev settings from `folder`, its state in `folder`/var (not yet there)."""
    env = {"PATH": os.environ["PATH"], "HOME": str(folder), "PYTHONPATH": str(ROOT),
           "DJANGO_SETTINGS_MODULE": "config.settings.dev", "VAR_DIR": str(folder / "var")}
    return subprocess.run([sys.executable, *args], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=180)


def test_migrate_then_seed_demo_work_without_var_folder_or_createcachetable(tmp_path):
    migrate = run_in(tmp_path, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0")
    assert migrate.returncode == 0, migrate.stderr
    assert (tmp_path / "var" / "db.sqlite3").is_file()

    seed = run_in(tmp_path, str(ROOT / "manage.py"), "seed_demo")
    assert seed.returncode == 0, seed.stderr
    assert "django_cache" not in seed.stderr
    assert not (tmp_path / "control").exists()


def test_celery_filesystem_transport_keeps_its_control_files_under_var(tmp_path):
    result = run_in(tmp_path, "-c", DECLARE_BROADCAST_QUEUE)
    assert result.returncode == 0, result.stderr
    control = tmp_path / "var" / "celery" / "control"
    assert result.stdout.strip().splitlines()[-1] == str(control)
    assert (control / "celery.pidbox.exchange").is_file()
    assert not (tmp_path / "control").exists()  # Kombu's default: the working directory
