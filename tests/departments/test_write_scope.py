"""Every write path checks the object's *current* department at write time: roster import and its
jobs, the learner form, deletion and bulk actions, password tools. Moving a learner between
departments is the bureau's alone and is recorded in the transfer log."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from departments import roles, services
from departments.forms import LearnerForm
from departments.models import Learner, LearnerTransfer, RosterImportJob, Unit
from departments.roster import RosterRow

from .conftest import make_xlsx, roster_rows
from .factories import PASSWORD, LearnerFactory, OfficeFactory, UnitFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
UPLOAD = reverse("departments_roster:upload")
PASSWORDS = reverse("departments_roster:initial_passwords")


def _row(staff_number, *, department="A01", department_name="财政局", unit="UA1",
         unit_name="财政局本级", office="财务科", name="冒名顶替", row_number=2):
    return RosterRow(department_code=department, department_name=department_name, unit_code=unit,
                     unit_name=unit_name, office_name=office, office_kind="财务", name=name,
                     staff_number=staff_number, position="财务人员", row_number=row_number)


def _upload(client, rows):
    upload = SimpleUploadedFile("名单.xlsx", make_xlsx(rows))
    return client.post(UPLOAD, {"file": upload}, follow=True)


def _unchanged(learner):
    fresh = Learner.objects.select_related("user", "office").get(pk=learner.pk)
    return (fresh.office_id, fresh.user.first_name, fresh.user.password) == (
        learner.office_id, learner.user.first_name, learner.user.password)


# --- Roster import -------------------------------------------------------------------------------


def test_import_row_for_learner_of_other_department_is_refused_and_names_the_row(
        dept_admin_client, learner_a, learner_b):
    takeover = ["A01", "财政局", "UA1", "财政局本级", "财务科", "财务", "改名", "B0001", "财务人员",
                "", ""]
    rows = [*roster_rows(1), takeover]
    content = _upload(dept_admin_client, rows).content.decode()
    assert "第 3 行“工号”列：工号 B0001 已属于其他部门，请联系财政局调整" in content
    assert "更新学员 1" not in content
    # Nothing imported: not the taken-over learner, not the legitimate new row either.
    assert _unchanged(learner_b)
    assert not Learner.objects.filter(staff_number="A0001").exclude(pk=learner_a.pk).exists()
    assert Learner.objects.count() == 2
    assert not LearnerTransfer.objects.exists()


def test_import_job_confirm_is_refused_when_the_learner_was_moved_out_after_the_preview(
        dept_admin, dept_admin_client, learner_a, office_b):
    job = services.roster_job_upload(
        user=dept_admin,
        uploaded_file=SimpleUploadedFile("r.xlsx", make_xlsx(
            [["A01", "财政局", "UA1", "财政局本级", "财务科", "财务", "改名", "A0001", "财务人员",
              "", ""]])),
    )
    assert job.status == RosterImportJob.Status.UPLOADED
    Learner.objects.filter(pk=learner_a.pk).update(office=office_b)  # the bureau moved them
    dept_admin_client.post(reverse("departments_roster:preview", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == RosterImportJob.Status.FAILED
    assert "工号 A0001 已属于其他部门" in str(job.report["errors"])
    learner = Learner.objects.select_related("user", "office").get(pk=learner_a.pk)
    assert learner.office == office_b and learner.user.first_name != "改名"


def test_department_admin_import_cannot_rename_their_department(dept_admin_client, dept_a):
    content = _upload(dept_admin_client, roster_rows(2, dept_name="财政局（新）")).content.decode()
    assert "部门名称“财政局（新）”与登记的名称“财政局”不一致；只有财政局可以修改部门名称" in content
    dept_a.refresh_from_db()
    assert dept_a.name == "财政局"
    assert not Learner.objects.exists()


def test_department_admin_import_may_rename_a_unit_of_their_department(dept_admin, dept_a):
    UnitFactory(department=dept_a, code="UA1", name="旧名称")
    report = services.roster_import(rows=[_row("A0009", unit_name="新名称")],
                                    department_codes={"A01"}, actor=dept_admin)
    assert report.ok, report.errors
    assert Unit.objects.get(code="UA1").name == "新名称"


def test_admin_of_two_departments_cannot_move_a_learner_between_them(dept_admin, learner_a,
                                                                     dept_b):
    dept_b.admins.add(dept_admin)
    report = services.roster_import(
        rows=[_row("A0001", department="B01", department_name="教育局", unit="UB9",
                   unit_name="教育局本级")],
        department_codes={"A01", "B01"}, actor=dept_admin)
    assert [e.column for e in report.errors] == ["工号"]
    assert "工号 A0001 属于部门 A01，而不是 B01；只有财政局可以把学员调到其他部门" in \
        report.errors[0].message
    assert Learner.objects.get(pk=learner_a.pk).office_id == learner_a.office_id
    assert not LearnerTransfer.objects.exists()


def test_bureau_import_moving_a_learner_records_the_transfer(bureau_user, learner_a, office_b):
    report = services.roster_import(
        rows=[_row("A0001", department="B01", department_name="教育局", unit="UB1",
                   unit_name=office_b.unit.name, office="业务科")],
        actor=bureau_user)
    assert report.ok and report.updated == 1, report.errors
    transfer = LearnerTransfer.objects.get()
    assert (transfer.learner_id, transfer.from_department.code, transfer.to_department.code,
            transfer.from_office_id, transfer.to_office_id, transfer.moved_by, transfer.via) == (
        learner_a.pk, "A01", "B01", learner_a.office_id, office_b.pk, bureau_user, "import")


def test_job_of_a_user_who_is_no_longer_admin_of_the_department_fails(
        dept_admin, dept_a, bureau_client):
    job = services.roster_job_upload(
        user=dept_admin, uploaded_file=SimpleUploadedFile("r.xlsx", make_xlsx(roster_rows(2))))
    assert job.status == RosterImportJob.Status.UPLOADED
    dept_a.admins.remove(dept_admin)
    # Even confirmed by bureau staff, the job runs with its creator's scope as it is now.
    bureau_client.post(reverse("departments_roster:preview", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == RosterImportJob.Status.FAILED
    assert "您只能导入本部门的学员" in str(job.report["errors"])
    assert not Learner.objects.exists()


def test_job_whose_creator_was_deleted_does_not_run_with_bureau_scope(
        dept_admin, bureau_user):
    job = services.roster_job_upload(
        user=dept_admin, uploaded_file=SimpleUploadedFile("r.xlsx", make_xlsx(roster_rows(2))))
    dept_admin.delete()
    job.refresh_from_db()
    assert job.created_by is None
    job = services.roster_job_confirm(job=job, user=bureau_user)
    assert job.status == RosterImportJob.Status.FAILED
    assert not Learner.objects.exists()


def test_confirming_another_users_job_by_id_is_refused(dept_admin, role_groups, dept_b, client):
    job = services.roster_job_upload(
        user=dept_admin, uploaded_file=SimpleUploadedFile("r.xlsx", make_xlsx(roster_rows(2))))
    other = User.objects.create_user("admin_b", password=PASSWORD)
    other.groups.add(Group.objects.get(name=roles.DEPARTMENT_ADMIN))
    dept_b.admins.add(other)
    client.force_login(other)
    response = client.post(reverse("departments_roster:preview", args=[job.pk]))
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        services.roster_job_confirm(job=job, user=other)
    job.refresh_from_db()
    assert job.status == RosterImportJob.Status.UPLOADED
    assert not Learner.objects.exists()


# --- Learner form --------------------------------------------------------------------------------


def _learner_data(learner, office, **overrides):
    return {"staff_number": learner.staff_number, "name": learner.user.first_name, "email": "",
            "office": office.pk, "position": "finance", "phone": "", "is_active": "on",
            **overrides}


def test_department_admin_cannot_edit_a_learner_of_another_department_by_posting(
        dept_admin_client, learner_b, office_a):
    url = reverse("org_learners:edit", args=[learner_b.pk])
    response = dept_admin_client.post(url, _learner_data(learner_b, office_a, name="劫持"))
    assert response.status_code == 404
    assert _unchanged(learner_b)


def test_admin_of_two_departments_cannot_move_a_learner_with_the_edit_form(
        dept_admin, dept_admin_client, learner_a, office_b):
    office_b.unit.department.admins.add(dept_admin)
    url = reverse("org_learners:edit", args=[learner_a.pk])
    response = dept_admin_client.post(url, _learner_data(learner_a, office_b))
    assert response.status_code == 200
    assert "只有财政局可以把学员调到其他部门" in response.content.decode()
    assert Learner.objects.get(pk=learner_a.pk).office_id == learner_a.office_id
    assert not LearnerTransfer.objects.exists()


def test_form_refuses_to_save_a_learner_who_left_the_users_scope_since_it_was_read(
        dept_admin, learner_a, office_a, office_b):
    form = LearnerForm(_learner_data(learner_a, office_a, name="劫持"), instance=learner_a,
                       for_user=dept_admin)
    assert form.is_valid(), form.errors
    Learner.objects.filter(pk=learner_a.pk).update(office=office_b)  # moved by the bureau
    with pytest.raises(PermissionDenied):
        form.save()
    learner = Learner.objects.select_related("user").get(pk=learner_a.pk)
    assert learner.office_id == office_b.pk and learner.user.first_name != "劫持"


def test_bureau_moving_a_learner_with_the_edit_form_records_the_transfer(
        bureau_client, bureau_user, learner_a, office_b):
    url = reverse("org_learners:edit", args=[learner_a.pk])
    response = bureau_client.post(url, _learner_data(learner_a, office_b))
    assert response.status_code == 302, response.context["form"].errors
    transfer = LearnerTransfer.objects.get()
    assert (transfer.from_department.code, transfer.to_department.code, transfer.moved_by,
            transfer.via) == ("A01", "B01", bureau_user, "edit")


def test_moving_within_the_department_is_not_a_transfer(dept_admin_client, learner_a, dept_a):
    other_office = OfficeFactory(unit=learner_a.office.unit, name="综合科")
    url = reverse("org_learners:edit", args=[learner_a.pk])
    assert dept_admin_client.post(url, _learner_data(learner_a, other_office)).status_code == 302
    assert Learner.objects.get(pk=learner_a.pk).office == other_office
    assert not LearnerTransfer.objects.exists()


# --- Delete and bulk actions ---------------------------------------------------------------------


def test_department_admin_cannot_delete_a_learner_of_another_department_by_posting(
        dept_admin_client, learner_b):
    url = reverse("org_learners:delete", args=[learner_b.pk])
    assert dept_admin_client.post(url).status_code == 404
    assert Learner.objects.filter(pk=learner_b.pk).exists()


@pytest.mark.parametrize("app_label,model_name,action", [
    ("departments", "learner", "delete"),  # no bulk action is registered for learners
    ("auth", "user", "delete"),  # Wagtail's user bulk actions need user permissions
    ("auth", "user", "set_active_state"),
    ("auth", "user", "assign_role"),
])
def test_bulk_actions_cannot_reach_learners_of_another_department(
        dept_admin_client, learner_b, app_label, model_name, action):
    url = reverse("wagtail_bulk_action", args=[app_label, model_name, action])
    target = learner_b.pk if model_name == "learner" else learner_b.user_id
    response = dept_admin_client.post(f"{url}?id={target}", {"mark_as_active": "", "role": ""})
    assert response.status_code in (302, 403, 404)
    if response.status_code == 302:
        assert response["Location"] == reverse("wagtailadmin_home")
    assert Learner.objects.filter(pk=learner_b.pk).exists()
    assert User.objects.get(pk=learner_b.user_id).is_active


# --- Password tools ------------------------------------------------------------------------------


def test_password_service_refuses_learners_outside_the_users_scope(
        dept_admin, learner_a, learner_b):
    with pytest.raises(PermissionDenied):
        services.initial_passwords_issue(learners=[learner_a, learner_b], user=dept_admin)
    with pytest.raises(PermissionDenied):
        services.learner_password_reset(learner=learner_b, user=dept_admin)
    for learner in (learner_a, learner_b):
        fresh = Learner.objects.select_related("user").get(pk=learner.pk)
        assert fresh.user.check_password(PASSWORD) and not fresh.must_change_password


def test_password_service_rechecks_scope_at_write_time(dept_admin, learner_a, office_b):
    selected = list(Learner.objects.filter(pk=learner_a.pk))  # read while still in scope
    Learner.objects.filter(pk=learner_a.pk).update(office=office_b)
    with pytest.raises(PermissionDenied):
        services.initial_passwords_issue(learners=selected, user=dept_admin)
    assert User.objects.get(pk=learner_a.user_id).check_password(PASSWORD)


def test_department_admin_cannot_reset_a_password_by_posting_another_departments_id(
        dept_admin_client, learner_b):
    url = reverse("departments_roster:password_reset", args=[learner_b.pk])
    assert dept_admin_client.post(url).status_code == 404
    response = dept_admin_client.post(PASSWORDS, {"staff_numbers": "B0001"})
    assert response.status_code == 200 and response.context["form"].errors
    assert User.objects.get(pk=learner_b.user_id).check_password(PASSWORD)


def test_issuing_passwords_for_only_privileged_learners_says_why(
        dept_admin, dept_admin_client, office_a):
    LearnerFactory(office=office_a, user=dept_admin, staff_number="admin_a")
    response = dept_admin_client.post(PASSWORDS, {"staff_numbers": "admin_a"})
    assert response.status_code == 200
    assert not response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "未发放任何密码：所选学员的账户都具有管理权限（admin_a）" in response.content.decode()
    assert User.objects.get(pk=dept_admin.pk).check_password(PASSWORD)


# --- Transfer log in the admin -------------------------------------------------------------------


@pytest.fixture
def transfer(bureau_user, learner_a, office_b):
    return LearnerTransfer.objects.create(
        learner=learner_a, from_department=learner_a.department,
        to_department=office_b.unit.department, from_office=learner_a.office, to_office=office_b,
        moved_by=bureau_user, via=LearnerTransfer.Via.EDIT)


def test_bureau_reads_the_transfer_log_but_nobody_edits_it(bureau_client, transfer, client):
    content = bureau_client.get(reverse("org_learner_transfers:index")).content.decode()
    assert "A0001" in content and "学员编辑表单" in content
    assert reverse("org_learner_transfers:index") in bureau_client.get(
        reverse("wagtailadmin_home")).content.decode()
    assert bureau_client.get(
        reverse("org_learner_transfers:inspect", args=[transfer.pk])).status_code == 200
    superuser = User.objects.create_superuser("root_user", "r@example.invalid", PASSWORD)
    client.force_login(superuser)
    for name, args in (("add", []), ("edit", [transfer.pk]), ("delete", [transfer.pk])):
        response = client.post(reverse(f"org_learner_transfers:{name}", args=args),
                               {"via": "import"})
        assert response.status_code in (302, 403)
        assert response.get("Location") in (None, reverse("wagtailadmin_home"))
    transfer.refresh_from_db()
    assert transfer.via == "edit" and LearnerTransfer.objects.count() == 1


def test_department_admins_do_not_see_the_transfer_log(dept_admin_client, transfer):
    home = dept_admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("org_learner_transfers:index") not in home
    response = dept_admin_client.get(reverse("org_learner_transfers:index"))
    assert response.status_code in (302, 403)
    response = dept_admin_client.get(
        reverse("org_learner_transfers:inspect", args=[transfer.pk]))
    assert response.status_code in (302, 403, 404)
    assert "A0001" not in response.content.decode()

