"""Wagtail reports and logs as a department admin reaches them: site history (page, results and
CSV/XLSX exports) shows only their own department's objects; page reports are refused and
absent from the menu; bureau staff and superusers still see everything."""

import csv
import io

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from wagtail.log_actions import log
from wagtail.models import Page

from departments import roles
from departments.models import RosterImportJob

from .factories import LearnerFactory, OfficeFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

SITE_HISTORY = "wagtailadmin_reports:site_history"
SITE_HISTORY_RESULTS = "wagtailadmin_reports:site_history_results"
PAGE_REPORTS = ["locked_pages", "workflow", "workflow_tasks", "aging_pages", "page_types_usage"]


@pytest.fixture
def admin_b(role_groups, dept_b):
    user = UserFactory(username="admin_b", first_name="乙部门管理员")
    user.groups.add(Group.objects.get(name=roles.DEPARTMENT_ADMIN))
    dept_b.admins.add(user)
    return user


@pytest.fixture
def history(dept_admin, admin_b, learner_a, learner_b):
    """Log entries of both departments' objects, a page edit and roster jobs."""
    editor = UserFactory(username="page_editor", first_name="内容编辑")
    own = [
        log(learner_a, "wagtail.edit", user=dept_admin),
        log(learner_a.office, "wagtail.edit", user=dept_admin),
        log(learner_a.unit, "wagtail.edit", user=dept_admin),
        log(RosterImportJob.objects.create(created_by=dept_admin, original_name="名单甲.xlsx"),
            "wagtail.create", user=dept_admin),
    ]
    foreign = [
        log(learner_b, "wagtail.edit", user=admin_b),
        log(learner_b.office, "wagtail.edit", user=admin_b),
        log(learner_b.unit, "wagtail.edit", user=admin_b),
        log(learner_b.department, "wagtail.edit", user=admin_b),
        log(RosterImportJob.objects.create(created_by=admin_b, original_name="名单乙.xlsx"),
            "wagtail.create", user=admin_b),
        log(Page.objects.get(depth=2), "wagtail.edit", user=editor, title="页面编辑记录"),
    ]
    return {"own": own, "foreign": foreign, "users": [admin_b, editor]}


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def xlsx_rows(response) -> list[tuple]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(workbook.active.iter_rows(values_only=True))


def test_site_history_shows_a_department_admin_only_their_departments_objects(
    dept_admin_client, history
):
    for name in (SITE_HISTORY, SITE_HISTORY_RESULTS):
        response = dept_admin_client.get(reverse(name))
        assert response.status_code == 200
        content = response.content.decode()
        for entry in history["own"]:
            assert entry.label in content
        for entry in history["foreign"]:
            assert entry.label not in content
        for user in history["users"]:
            assert user.username not in content
            assert user.first_name not in content


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_site_history_exports_hold_only_the_department_admins_own_entries(
    dept_admin_client, history, export
):
    response = dept_admin_client.get(reverse(SITE_HISTORY), {"export": export})
    assert response.status_code == 200
    rows = csv_rows(response) if export == "csv" else xlsx_rows(response)
    labels = sorted(row[1] for row in rows[1:])
    assert labels == sorted(entry.label for entry in history["own"])
    flat = repr(rows)
    assert "admin_b" not in flat and "乙部门管理员" not in flat and "页面编辑记录" not in flat


def test_site_history_filters_offer_no_other_departments_users_or_page_types(
    dept_admin_client, history, admin_b
):
    content = dept_admin_client.get(reverse(SITE_HISTORY)).content.decode()
    assert f'value="{admin_b.pk}"' not in content
    # Filtering on another department's admin by id does not bring their entries back.
    response = dept_admin_client.get(reverse(SITE_HISTORY_RESULTS), {"user": admin_b.pk})
    for entry in history["foreign"]:
        assert entry.label not in response.content.decode()


@pytest.mark.parametrize("who", ["bureau", "superuser"])
def test_bureau_staff_and_superusers_still_see_every_departments_history(
    client, history, bureau_user, who
):
    user = bureau_user if who == "bureau" else UserFactory(username="root", is_superuser=True)
    client.force_login(user)
    content = client.get(reverse(SITE_HISTORY_RESULTS)).content.decode()
    expected = history["own"] + history["foreign"]
    if who == "bureau":  # page entries follow Wagtail's page permissions, which bureau lacks
        expected = expected[:-1]
    for entry in expected:
        assert entry.label in content
    rows = csv_rows(client.get(reverse(SITE_HISTORY), {"export": "csv"}))
    assert len(rows) - 1 == len(expected)


def test_department_admin_with_no_department_sees_no_entries(client, role_groups, history):
    orphan = UserFactory(username="orphan_admin")
    orphan.groups.add(Group.objects.get(name=roles.DEPARTMENT_ADMIN))
    client.force_login(orphan)
    rows = csv_rows(client.get(reverse(SITE_HISTORY), {"export": "csv"}))
    assert rows[1:] == []


def assert_refused(response):
    """Wagtail answers a missing permission with a redirect to the dashboard (or 403/404)."""
    assert response.status_code in (403, 404) or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    ), response.status_code


@pytest.mark.parametrize("report", PAGE_REPORTS)
def test_page_reports_are_refused_to_department_admins(dept_admin_client, report):
    for suffix in ("", "_results"):
        assert_refused(dept_admin_client.get(reverse(f"wagtailadmin_reports:{report}{suffix}")))
        assert_refused(dept_admin_client.get(
            reverse(f"wagtailadmin_reports:{report}{suffix}"), {"export": "csv"}))


def test_reports_menu_lists_nothing_for_department_admins(dept_admin_client, client):
    urls = [reverse(f"wagtailadmin_reports:{report}") for report in [*PAGE_REPORTS]]
    urls.append(reverse(SITE_HISTORY))
    content = dept_admin_client.get(reverse("wagtailadmin_home")).content.decode()
    for url in urls:
        assert url not in content
    client.force_login(UserFactory(username="root", is_superuser=True))
    superuser_menu = client.get(reverse("wagtailadmin_home")).content.decode()
    assert all(url in superuser_menu for url in urls)  # the check looks at the real menu


def test_page_and_content_histories_are_refused_to_department_admins(dept_admin_client):
    from quizzes.models import QuestionBank

    bank = QuestionBank.objects.create(name="题库")
    page = Page.objects.get(depth=2)
    for url in (
        reverse("wagtailadmin_pages:history", args=[page.pk]),
        reverse("wagtailsnippets_quizzes_questionbank:history", args=[bank.pk]),
        reverse("wagtailsnippets_quizzes_questionbank:list"),
        reverse("wagtailusers_users:index"),
    ):
        assert_refused(dept_admin_client.get(url))


def test_history_of_another_departments_learner_answers_404(dept_admin_client, history,
                                                             learner_b):
    response = dept_admin_client.get(reverse("org_learners:history", args=[learner_b.pk]))
    assert response.status_code == 404


# ---- CSV exports are neutralised like the XLSX ones ------------------------------------------


@pytest.fixture
def formula_office(dept_a):
    return OfficeFactory(unit=UnitFactory(department=dept_a, code="UF1", name="=1+2"),
                         name="财务科")


def test_site_history_csv_neutralises_cells_a_spreadsheet_would_run(bureau_client,
                                                                     formula_office):
    log(formula_office, "wagtail.edit")
    rows = csv_rows(bureau_client.get(reverse(SITE_HISTORY), {"export": "csv"}))
    assert rows[1][1] == "'=1+2 / 财务科"
    xlsx = xlsx_rows(bureau_client.get(reverse(SITE_HISTORY), {"export": "xlsx"}))
    assert xlsx[1][1] == "=1+2 / 财务科"  # stored as text by Wagtail, shown as written


@pytest.mark.parametrize("name", ["=1+2", "+1+2", "-1+2", "@SUM(A1)", "\t=1", "\r=1"])
def test_learner_csv_export_neutralises_every_formula_prefix(dept_admin_client, office_a, name):
    learner = LearnerFactory(office=office_a, staff_number="A0100")
    learner.user.first_name = name
    learner.user.save()
    rows = csv_rows(dept_admin_client.get(reverse("org_learners:index"), {"export": "csv"}))
    (row,) = [row for row in rows[1:] if row[0] == "A0100"]
    assert row[1] == "'" + name


# ---- the learner export has its columns -------------------------------------------------------


def test_learner_csv_export_rows_are_complete_and_in_scope(
    dept_admin_client, office_a, learner_b, django_assert_max_num_queries
):
    learners = [LearnerFactory(office=office_a, staff_number=f"A{i:04d}", phone="13800000000")
                for i in range(1, 31)]
    with django_assert_max_num_queries(15):  # independent of the number of learners
        response = dept_admin_client.get(reverse("org_learners:index"), {"export": "csv"})
        rows = csv_rows(response)
    assert response.status_code == 200
    assert rows[0] == ["工号", "姓名", "部门", "预算单位", "内设机构", "机构类型", "职务类别",
                       "手机号码", "电子邮件", "有效", "账号已开通"]
    assert all(rows[1:]), "no blank lines"
    by_number = {row[0]: row for row in rows[1:]}
    assert set(by_number) == {learner.staff_number for learner in learners}
    assert learner_b.staff_number not in by_number
    for learner in learners:
        row = by_number[learner.staff_number]
        assert row[1:5] == [learner.user.first_name, "财政局", learner.unit.name, "财务科"]
        assert row[5] == "业务机构" and row[6] == "业务人员" and row[7] == "13800000000"


def test_learner_xlsx_export_rows_are_complete(dept_admin_client, learner_a):
    rows = xlsx_rows(dept_admin_client.get(reverse("org_learners:index"), {"export": "xlsx"}))
    assert rows[1][:5] == ("A0001", learner_a.user.first_name, "财政局", learner_a.unit.name,
                           "财务科")


@pytest.mark.parametrize("viewset", ["org_units", "org_offices", "org_departments"])
def test_listings_without_export_columns_refuse_export_instead_of_blank_lines(
    bureau_client, learner_a, viewset
):
    assert bureau_client.get(reverse(f"{viewset}:index"), {"export": "csv"}).status_code == 404
    assert bureau_client.get(reverse(f"{viewset}:index")).status_code == 200



def test_site_history_query_count_does_not_grow_with_entries(dept_admin_client, history,
                                                              learner_a, dept_admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert dept_admin_client.get(reverse(SITE_HISTORY_RESULTS)).status_code == 200
        return len(queries)

    few = count()
    for _ in range(30):
        log(learner_a, "wagtail.edit", user=dept_admin)
    assert count() == few
