"""The export URLs end to end: who may download what (bureau, own department, foreign 404,
learners, anonymous), small exports streamed at once with a Chinese file name, large ones as a
background job with progress and a download only its requester gets, and the task itself."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone, translation
from openpyxl import load_workbook

from assessments import exports
from assessments.models import ExportJob, ExportStatus
from assessments.report import participation_report
from assessments.services import scheme_default_create, scores_compute
from courses.services import plan_assign
from departments import roles
from departments.models import OfficeKind
from tests.assessments.conftest import department_make, learner_make
from tests.courses.membership_helpers import bureau_staff, department_admin, user_in_role
from tests.departments.factories import UserFactory

pytestmark = pytest.mark.django_db

YEAR = 2026
QUERY_BUDGET = 40
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_url(kind: str, year: int = YEAR, department=None) -> str:
    url = f"/admin/assessment-exports/{year}/{kind}/"
    return url if department is None else f"{url}?department={department}"


def job_url(job) -> str:
    return f"/admin/assessment-exports/jobs/{job.pk}/"


def download_url(job) -> str:
    return f"/admin/assessment-exports/jobs/{job.pk}/download/"


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def bureau(world):
    return bureau_staff("bureau")


@pytest.fixture
def admin_a(world):
    return department_admin(world.departments["A"], "admin_a")


def login(client, user):
    client.force_login(user)
    return client


def workbook(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return load_workbook(io.BytesIO(content))


def body(sheet) -> list[dict]:
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row, strict=True)) for row in rows]


# --- Small exports: streamed at once -----------------------------------------------------------


def test_bureau_downloads_the_overview_with_the_report_numbers(client, bureau, world):
    response = login(client, bureau).get(export_url("overview"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote('参训情况_2026.xlsx')}" in disposition
    report = participation_report(year=YEAR)
    rows = body(workbook(response)["总览"])
    assert [row["部门代码"] for row in rows] == [d["code"] for d in report["departments"]]
    for row, department in zip(rows, report["departments"], strict=True):
        assert row["应训人数"] == department["roster"]["total"]
        assert row["已完成人数"] == department["completed"]["total"]
        assert row["参训完成率"] == department["completion_rate"]
        assert row["加权完成率"] == department["weighted_completion_rate"]
        assert row["业务处室覆盖率"] == department["offices"]["business"]["coverage"]
        assert row["考试合格率"] == department["exam"]["pass_rate"]
        assert row["培训得分"] == department["training_points"]
    missing = body(workbook(login(client, bureau).get(export_url("overview")))["未参训业务处室"])
    assert {"部门代码": "201", "部门名称": "甲区", "预算单位": "单位201-01",
            "内设机构": "业务科2"} in missing


def test_department_admin_downloads_their_own_department(client, admin_a, world):
    a = world.departments["A"]
    response = login(client, admin_a).get(export_url("department", department=a.pk))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert quote(f"参训情况_2026_{a.name}.xlsx") in response["Content-Disposition"]
    book = workbook(response)
    assert book.sheetnames == ["部门概况", "处室参训情况", "人员完成情况", "口径说明"]
    summary = dict(list(book["部门概况"].iter_rows(values_only=True))[1:])
    report = participation_report(year=YEAR, department_code=a.code)["departments"][0]
    assert summary["部门代码"] == "101"
    assert summary["应训人数"] == report["roster"]["total"]
    assert summary["参训完成率"] == report["completion_rate"]
    learners = body(book["人员完成情况"])
    assert {row["工号"] for row in learners} >= {world.learners["a_bus1"].staff_number}


def test_department_admin_gets_404_for_a_foreign_department(client, admin_a, world):
    client = login(client, admin_a)
    for key in ("B", "C", "D"):
        foreign = world.departments[key]
        assert client.get(export_url("department", department=foreign.pk)).status_code == 404
        assert client.get(export_url("sheets", department=foreign.pk)).status_code == 404


def test_malformed_department_ids_are_404(client, bureau, world):
    client = login(client, bureau)
    for value in ["", "abc", "1.5", "-1", "+1", " 1", "１", "1e3", "99999999999999999999999",
                  "<script>"]:
        for kind in ("department", "sheets"):
            response = client.get(export_url(kind), {"department": value})
            assert response.status_code == 404, (kind, value)


def test_department_export_without_a_department_is_404(client, bureau, world):
    assert login(client, bureau).get(export_url("department")).status_code == 404


BAD_PATHS = [
    "/admin/assessment-exports/2026/everything/",
    "/admin/assessment-exports/2026/OVERVIEW/",
    "/admin/assessment-exports/1999/overview/",
    "/admin/assessment-exports/99999999999999999999/overview/",
    "/admin/assessment-exports/2031/overview/",  # no plan that year
    "/admin/assessment-exports/2031/sheets/",  # no scheme that year
    "/admin/assessment-exports/abc/overview/",
    "/admin/assessment-exports/jobs/abc/",
    "/admin/assessment-exports/jobs/0/",
    "/admin/assessment-exports/jobs/99999999999999999999999/",
    "/admin/assessment-exports/jobs/99999999999999999999999/download/",
]


def test_bad_kinds_years_and_ids_are_404(client, bureau, world):
    client = login(client, bureau)
    for path in BAD_PATHS:
        assert client.get(path).status_code == 404, path


def test_the_overview_is_the_bureaus_only(client, admin_a, world):
    response = login(client, admin_a).get(export_url("overview"))
    assert response.status_code == 302  # Wagtail's answer to PermissionDenied
    assert response["Content-Type"] != XLSX


def test_learners_editors_and_anonymous_users_get_no_export(client, world):
    a = world.departments["A"]
    urls = [export_url("overview"), export_url("department", department=a.pk),
            export_url("sheets")]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    login(client, world.learners["a_bus1"].user)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Content-Type"] != XLSX
    login(client, user_in_role(roles.EDITOR, "editor"))
    for url in urls:
        response = client.get(url)
        assert response.status_code in (302, 403) and response["Content-Type"] != XLSX


@pytest.fixture
def scheme(world):
    scheme = scheme_default_create(year=YEAR, plan=world.plan)
    scores_compute(scheme=scheme)
    return scheme


def test_score_sheets_of_a_department_admin_hold_only_their_department(client, admin_a, world,
                                                                       scheme):
    response = login(client, admin_a).get(export_url("sheets"))
    assert response.status_code == 200
    assert quote("考核评分_2026_市教育局.xlsx") in response["Content-Disposition"]
    book = workbook(response)
    assert [row["部门代码"] for row in body(book["得分汇总"])] == ["101"]
    assert {row["部门代码"] for row in body(book["评分明细"])} == {"101"}


def test_bureau_score_sheets_hold_every_department(client, bureau, world, scheme):
    response = login(client, bureau).get(export_url("sheets"))
    assert quote("考核评分_2026.xlsx") in response["Content-Disposition"]
    book = workbook(response)
    codes = [row["部门代码"] for row in body(book["得分汇总"])]
    assert set(codes) == {"101", "201", "301", "401"}
    details = body(book["评分明细"])
    assert len(details) == 4 * scheme.items.count()
    a = world.departments["A"]
    single = workbook(login(client, bureau).get(export_url("sheets", department=a.pk)))
    assert [row["部门代码"] for row in body(single["得分汇总"])] == ["101"]


def grow_world(world) -> None:
    """Two more departments with a learner of each position, assigned to the plan."""
    for code in ("501", "502"):
        _department, (finance, business) = department_make(
            code, offices=(OfficeKind.FINANCE, OfficeKind.BUSINESS))
        for number, (office, position) in enumerate(
                [(finance, "head"), (finance, "finance"), (business, "business"),
                 (business, "business")]):
            learner_make(office, position, f"{code}-{number}")
    for number in range(4):
        learner_make(world.offices["a_bus2"], "business", f"A-MORE-{number}")
    plan_assign(plan=world.plan)


def test_overview_and_department_exports_cost_a_fixed_number_of_queries(
        client, bureau, world, django_assert_max_num_queries):
    client = login(client, bureau)
    urls = [export_url("overview"), export_url("department", department=world.departments["A"].pk)]
    for url in urls:
        client.get(url)
    small = []
    for url in urls:
        with django_assert_max_num_queries(QUERY_BUDGET) as captured:
            assert client.get(url).status_code == 200
        small.append(len(captured))
    grow_world(world)
    for url, before in zip(urls, small, strict=True):
        with django_assert_max_num_queries(QUERY_BUDGET) as captured:
            assert client.get(url).status_code == 200
        assert len(captured) <= before, url


# --- Large exports: a background job -----------------------------------------------------------


def test_a_large_export_asks_before_starting_and_a_link_starts_nothing(client, bureau, world,
                                                                       settings):
    settings.ASSESSMENT_EXPORT_SYNC_LIMIT = 1
    response = login(client, bureau).get(export_url("overview"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "后台生成" in response.content.decode()
    assert not ExportJob.objects.exists()


def test_a_large_export_runs_as_a_job_the_requester_downloads(
        client, bureau, world, settings, django_capture_on_commit_callbacks):
    settings.ASSESSMENT_EXPORT_SYNC_LIMIT = 1
    client = login(client, bureau)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(export_url("overview"))
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job_url(job)
    assert len(callbacks) == 1 and job.status == ExportStatus.QUEUED
    assert job.requested_by == bureau and job.params["year"] == YEAR
    # While queued: the page polls, the JSON says so, there is nothing to download.
    page = client.get(job_url(job))
    assert page.status_code == 200 and 'id="export-progress"' in page.content.decode()
    state = client.get(job_url(job) + "?format=json").json()
    assert state["status"] == "queued" and not state["finished"] and state["download_url"] == ""
    assert client.get(download_url(job)).status_code == 404
    callbacks[0]()  # the worker (eager in tests)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.progress == 100 and job.finished_at
    state = client.get(job_url(job) + "?format=json").json()
    assert state["finished"] and state["download_url"] == download_url(job)
    assert 'id="export-download"' in client.get(job_url(job)).content.decode()
    response = client.get(download_url(job))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert quote("参训情况_2026.xlsx") in response["Content-Disposition"]
    rows = body(workbook(response)["总览"])
    assert [row["部门代码"] for row in rows] == ["101", "201", "301", "401"]


def test_a_job_is_the_requesters_only(client, bureau, world, settings,
                                      django_capture_on_commit_callbacks):
    settings.ASSESSMENT_EXPORT_SYNC_LIMIT = 1
    with django_capture_on_commit_callbacks(execute=True):
        login(client, bureau).post(export_url("overview"))
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.DONE
    other = bureau_staff("bureau2")
    client = login(client, other)
    for url in (job_url(job), job_url(job) + "?format=json", download_url(job)):
        assert client.get(url).status_code == 404
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert login(client, superuser).get(download_url(job)).status_code == 200


def test_a_second_click_reuses_the_unfinished_job(client, bureau, world, settings,
                                                  django_capture_on_commit_callbacks):
    settings.ASSESSMENT_EXPORT_SYNC_LIMIT = 1
    client = login(client, bureau)
    with django_capture_on_commit_callbacks(execute=False):
        first = client.post(export_url("overview"))
        second = client.post(export_url("overview"))
    assert first["Location"] == second["Location"]
    assert ExportJob.objects.count() == 1


def test_a_department_admins_large_department_export_is_their_job(
        client, admin_a, world, settings, django_capture_on_commit_callbacks):
    settings.ASSESSMENT_EXPORT_SYNC_LIMIT = 1
    a = world.departments["A"]
    client = login(client, admin_a)
    assert client.get(export_url("department", department=a.pk)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(export_url("department", department=a.pk))
    job = ExportJob.objects.get()
    assert response["Location"] == job_url(job)
    assert job.status == ExportStatus.DONE, job.error
    response = client.get(download_url(job))
    assert quote(f"参训情况_2026_{a.name}.xlsx") in response["Content-Disposition"]
    assert workbook(response)["部门概况"]["B3"].value == a.name
    foreign = world.departments["B"]
    assert client.post(export_url("department", department=foreign.pk)).status_code == 404
    assert ExportJob.objects.count() == 1


# --- The task ----------------------------------------------------------------------------------


def job_for(user, kind="overview", department_ids=None) -> ExportJob:
    return ExportJob.objects.create(kind=kind, requested_by=user, params={
        "year": YEAR, "department_ids": department_ids, "language": "zh-hans"})


def test_the_task_saves_progress_and_a_redelivered_task_is_a_no_op(bureau, world, monkeypatch):
    from assessments.tasks_exports import assessment_export_run

    build = exports.export_build
    saved = []

    def watched(spec, progress=None):
        def record(done, total):
            progress(done, total)
            saved.append(ExportJob.objects.get(pk=job.pk).progress)

        return build(spec, progress=record)

    monkeypatch.setattr(exports, "export_build", watched)
    job = job_for(bureau)
    assessment_export_run(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.file.name.endswith(".xlsx")
    assert job.progress == 100 and job.error == ""
    assert len(saved) >= 3 and saved == sorted(saved) and 0 < saved[0] < saved[-1] < 100
    name = job.file.name
    assert exports.export_job_run(job_id=job.pk) is None  # redelivered: nothing happens
    job.refresh_from_db()
    assert job.file.name == name and job.status == ExportStatus.DONE


def test_a_job_whose_requester_lost_the_scope_fails_with_a_chinese_message(admin_a, world):
    a = world.departments["A"]
    job = job_for(admin_a, kind="department", department_ids=[a.pk])
    a.admins.remove(admin_a)
    exports.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and not job.file
    assert job.error == "您已无权导出这些部门的数据。"


def test_a_department_admin_job_for_the_overview_is_refused(admin_a, world):
    job = job_for(admin_a)
    exports.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.error == "您已无权导出这些部门的数据。"


def test_an_unexpected_error_fails_the_job_with_a_message(bureau, world, monkeypatch, client):
    def broken(spec, progress=None):
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "export_build", broken)
    job = job_for(bureau)
    exports.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.finished_at
    assert job.error.startswith("导出文件生成失败") and str(job.pk) in job.error
    assert "disk full" not in job.error
    page = login(client, bureau).get(job_url(job)).content.decode()
    assert "导出文件生成失败" in page and 'id="export-download"' not in page
    assert login(client, bureau).get(download_url(job)).status_code == 404


def test_a_job_for_a_year_without_a_plan_fails_with_a_message(bureau, world):
    job = ExportJob.objects.create(kind="overview", requested_by=bureau,
                                   params={"year": 2031, "department_ids": None})
    exports.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and "2031" in job.error


def test_a_job_lost_with_its_worker_fails_and_a_new_click_starts_a_new_one(
        client, bureau, world, settings, django_capture_on_commit_callbacks):
    settings.ASSESSMENT_EXPORT_SYNC_LIMIT = 1
    lost, running = job_for(bureau), job_for(bureau)
    ExportJob.objects.filter(pk=lost.pk).update(
        status=ExportStatus.RUNNING, created_at=timezone.now() - dt.timedelta(hours=3))
    ExportJob.objects.filter(pk=running.pk).update(status=ExportStatus.RUNNING)
    client = login(client, bureau)
    state = client.get(job_url(lost) + "?format=json").json()
    assert state["status"] == "failed" and state["finished"] and state["error"]
    assert client.get(job_url(running) + "?format=json").json()["status"] == "running"
    assert exports.export_job_run(job_id=lost.pk) is None  # a late worker leaves it alone
    assert exports.export_job_run(job_id=running.pk) is None  # claimed already
    ExportJob.objects.filter(pk=running.pk).delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(export_url("overview"))
    new = ExportJob.objects.latest("pk")
    assert new.pk not in (lost.pk, running.pk) and response["Location"] == job_url(new)
    assert new.status == ExportStatus.DONE


def test_old_jobs_and_their_files_are_cleaned_up(bureau, world):
    from assessments.tasks_exports import assessment_exports_cleanup

    old, recent = job_for(bureau), job_for(bureau)
    old.file.save("old.xlsx", ContentFile(b"x"))
    storage, name = old.file.storage, old.file.name
    ExportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    assert assessment_exports_cleanup() == 1
    assert list(ExportJob.objects.all()) == [recent]
    assert not storage.exists(name)


def test_a_removed_file_is_404_not_500(client, bureau, world):
    job = job_for(bureau)
    exports.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    job.file.storage.delete(job.file.name)
    assert login(client, bureau).get(download_url(job)).status_code == 404


def test_the_worker_knows_the_export_tasks_and_beat_cleans_up(settings):
    from assessments.tasks_exports import assessment_exports_cleanup
    from config.celery import app

    app.loader.import_default_modules()
    assert "assessments.tasks_exports.assessment_export_run" in app.tasks
    assert assessment_exports_cleanup.name in app.tasks
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert assessment_exports_cleanup.name in scheduled
