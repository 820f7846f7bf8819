"""Roster upload page (preview -> confirm), background jobs, cleanup, template, CLI."""

import io
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from departments import tasks
from departments.models import Learner, RosterImportJob
from departments.roster import roster_parse, roster_rows_dump
from departments.services import roster_jobs_cleanup

from .conftest import make_csv, make_xlsx, roster_rows

pytestmark = pytest.mark.django_db
UPLOAD = reverse("departments_roster:upload")


def upload(client, data, name="roster.xlsx", **extra):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, data), **extra})


def test_upload_shows_preview_then_confirm_imports(bureau_client):
    response = upload(bureau_client, make_xlsx(roster_rows(3)))
    job = RosterImportJob.objects.get()
    assert response["Location"] == reverse("departments_roster:preview", args=[job.pk])
    assert job.status == RosterImportJob.Status.UPLOADED and Learner.objects.count() == 0

    page = bureau_client.get(response["Location"]).content.decode()
    assert "A0001" in page and "人员3" in page  # first rows
    assert job.report["preview"]["created"] == 3

    response = bureau_client.post(reverse("departments_roster:preview", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == RosterImportJob.Status.SUCCEEDED and job.report["created"] == 3
    assert Learner.objects.count() == 3
    assert (
        "3" in bureau_client.get(reverse("departments_roster:job", args=[job.pk])).content.decode()
    )
    # Confirming twice imports once.
    bureau_client.post(reverse("departments_roster:preview", args=[job.pk]))
    assert Learner.objects.count() == 3


def test_preview_lists_all_errors_and_offers_no_confirm(bureau_client):
    rows = roster_rows(3)
    rows[0][5], rows[2][8] = "后勤", "司机"
    upload(bureau_client, make_xlsx(rows))
    job = RosterImportJob.objects.get()
    assert job.status == RosterImportJob.Status.FAILED and not job.file
    page = bureau_client.get(reverse("departments_roster:preview", args=[job.pk])).content.decode()
    assert "后勤" in page and "司机" in page
    assert "Confirm and import" not in page
    bureau_client.post(reverse("departments_roster:preview", args=[job.pk]))
    assert Learner.objects.count() == 0


def test_upload_post_without_csrf_token_is_refused(bureau_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bureau_user)
    response = client.post(
        UPLOAD, {"file": SimpleUploadedFile("r.xlsx", make_xlsx(roster_rows(1)))}
    )
    assert response.status_code == 403
    assert not RosterImportJob.objects.exists()

    page = client.get(UPLOAD)
    token = page.cookies["csrftoken"].value
    response = client.post(
        UPLOAD,
        {
            "file": SimpleUploadedFile("r.xlsx", make_xlsx(roster_rows(1))),
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302 and RosterImportJob.objects.count() == 1


def test_learners_and_anonymous_cannot_reach_the_upload_page(client, learner_a, role_groups):
    assert client.get(UPLOAD).status_code == 302  # to login
    client.force_login(learner_a.user)
    response = client.get(UPLOAD)
    assert response.status_code in (302, 403)
    assert (
        response.status_code == 403
        or "login" in response["Location"]
        or response["Location"] == reverse("wagtailadmin_home")
    )


def test_department_admin_may_import_only_own_department(dept_admin_client, dept_b):
    rows = roster_rows(1) + roster_rows(1, dept="B01", dept_name="教育局", unit="UB9", start=2)
    upload(dept_admin_client, make_xlsx(rows))
    job = RosterImportJob.objects.get()
    assert job.status == RosterImportJob.Status.FAILED
    assert any(e["column"] == "部门编码" and e["row"] == 3 for e in job.report["errors"])
    upload(dept_admin_client, make_xlsx(roster_rows(2)))
    job = RosterImportJob.objects.latest("pk")
    dept_admin_client.post(reverse("departments_roster:preview", args=[job.pk]))
    assert Learner.objects.count() == 2


def test_large_upload_is_queued_on_commit_and_runs_in_the_task(
    bureau_client, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.ROSTER_ASYNC_THRESHOLD = 5
    upload(bureau_client, make_csv(roster_rows(8)), name="big.csv")
    job = RosterImportJob.objects.get()
    sent = []
    monkeypatch.setattr(tasks.roster_import_job_run, "delay", lambda job_id: sent.append(job_id))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = bureau_client.post(reverse("departments_roster:preview", args=[job.pk]))
    assert len(callbacks) == 1 and sent == [job.pk]
    job.refresh_from_db()
    assert job.status == RosterImportJob.Status.PENDING and Learner.objects.count() == 0

    progress_page = bureau_client.get(response["Location"]).content.decode()
    assert reverse("departments_roster:status", args=[job.pk]) in progress_page

    tasks.roster_import_job_run(job.pk)  # the task function, called directly
    job.refresh_from_db()
    assert job.status == RosterImportJob.Status.SUCCEEDED
    assert (job.rows_done, job.rows_total) == (8, 8) and Learner.objects.count() == 8
    status = bureau_client.get(reverse("departments_roster:status", args=[job.pk])).json()
    assert status["finished"] and status["percent"] == 100


def test_redelivered_task_is_a_no_op(bureau_user):
    job = RosterImportJob.objects.create(
        created_by=bureau_user,
        original_name="r.xlsx",
        status=RosterImportJob.Status.PENDING,
        rows_total=2,
    )
    rows = roster_parse(data=make_xlsx(roster_rows(2)), filename="r.xlsx").rows
    job.file.save("r.rows.json", ContentFile(roster_rows_dump(rows)))
    tasks.roster_import_job_run(job.pk)
    Learner.objects.all().delete()
    tasks.roster_import_job_run(job.pk)  # redelivered: already claimed, does nothing
    tasks.roster_import_job_run(999999)  # gone: quiet
    assert Learner.objects.count() == 0
    job.refresh_from_db()
    assert job.status == RosterImportJob.Status.SUCCEEDED


def test_other_users_jobs_are_not_visible_to_department_admins(dept_admin_client, bureau_user):
    job = RosterImportJob.objects.create(created_by=bureau_user, original_name="x.xlsx")
    for name in ("preview", "job", "status"):
        url = reverse(f"departments_roster:{name}", args=[job.pk])
        assert dept_admin_client.get(url).status_code == 404


def test_cleanup_deletes_files_of_old_finished_jobs_only(bureau_user):
    old = timezone.now() - timedelta(days=8)
    finished_old = RosterImportJob.objects.create(
        status=RosterImportJob.Status.SUCCEEDED, finished_at=old
    )
    finished_new = RosterImportJob.objects.create(
        status=RosterImportJob.Status.SUCCEEDED, finished_at=timezone.now()
    )
    running = RosterImportJob.objects.create(status=RosterImportJob.Status.RUNNING)
    for job in (finished_old, finished_new, running):
        job.file.save("r.csv", ContentFile(b"x"))
    storage, old_name = finished_old.file.storage, finished_old.file.name

    assert tasks.roster_jobs_cleanup() == 1
    finished_old.refresh_from_db()
    finished_new.refresh_from_db()
    assert not finished_old.file and not storage.exists(old_name)
    assert finished_new.file and RosterImportJob.objects.count() == 3
    assert roster_jobs_cleanup() == 0


def test_template_download_has_headers_instructions_and_dropdowns(bureau_client, tmp_path):
    response = bureau_client.get(reverse("departments_roster:template"))
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]][:3] == ["部门编码", "部门名称", "单位编码"]
    assert "填写说明" in workbook.sheetnames
    formulas = [dv.formula1 for dv in sheet.data_validations.dataValidation]
    assert '"财务,业务,综合"' in formulas and '"负责人,财务人员,业务人员,其他"' in formulas

    path = tmp_path / "t.xlsx"
    call_command("roster_template", "-o", str(path))
    assert load_workbook(path).worksheets[0]["H1"].value == "工号"


def test_import_roster_command_ok_dry_run_and_errors(tmp_path, capsys):
    good = tmp_path / "good.xlsx"
    good.write_bytes(make_xlsx(roster_rows(2)))
    call_command("import_roster", str(good), "--dry-run")
    assert Learner.objects.count() == 0
    call_command("import_roster", str(good))
    assert Learner.objects.count() == 2
    assert "2" in capsys.readouterr().out

    bad_rows = roster_rows(3, start=5)
    bad_rows[1][8] = "司机"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(make_csv(bad_rows))
    with pytest.raises(CommandError):
        call_command("import_roster", str(bad))
    assert "司机" in capsys.readouterr().err
    assert Learner.objects.count() == 2

    call_command("import_roster", str(good), "--deactivate-missing")
    with pytest.raises(CommandError):
        call_command("import_roster", str(tmp_path / "nope.xlsx"))


def test_import_roster_command_exit_code_from_the_shell(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"%PDF-1.4 not a workbook")
    result = subprocess.run(
        [sys.executable, "manage.py", "import_roster", str(bad), "--settings=config.settings.test"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode != 0
