"""Admin question import (upload -> preview -> confirm), template download and bank export:
permissions, CSRF, hostile/oversized/wrong files, re-validation, all or nothing."""

import io
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from departments import roles
from quizzes import formats, services, types
from quizzes.forms import UPLOAD_NO_BANK, UPLOAD_TOO_LARGE, UPLOAD_UNKNOWN_FORMAT
from quizzes.models import (
    Category,
    Choice,
    ImportStatus,
    Question,
    QuestionBank,
    QuestionImportJob,
    QuestionVersion,
)
from tests.departments.factories import UserFactory
from tests.fixtures import MOODLE

from .conftest import fill, multiple, single, true_false

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"
FIXTURES = MOODLE
UPLOAD = reverse("quizzes_import:upload")

GIFT = """$CATEGORY: $course$/top/预算绩效管理/目标管理

::目标:: 绩效目标应当<script>alert(1)</script>（  ）。{
  =指向明确、细化量化 # 正确
  ~越多越好
  ####解析：办法要求。
}

::判断:: 项目支出绩效评价只能由财政部门组织开展。{F}
"""


def nothing_written(bank_name=None):
    return (not Question.objects.exists() and not QuestionVersion.objects.exists()
            and not Choice.objects.exists() and not Category.objects.exists()
            and (bank_name is None or not QuestionBank.objects.filter(name=bank_name).exists()))


def upload(client, content: bytes, name="questions.gift.txt", **fields):
    data = {"file": SimpleUploadedFile(name, content), "file_format": "", "bank": "",
            "new_bank": "导入题库", "category_prefix": "", **fields}
    return client.post(UPLOAD, data)


def xlsx_bytes(questions) -> bytes:
    return formats.export(questions, format="xlsx")


@pytest.fixture
def editor_client(client, editor):
    """An editor's admin session in English (the msgids), whatever the catalogue holds."""
    client.force_login(editor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    # The messages the test compares with are rendered in the same language as the pages.
    with translation.override("en"):
        yield client


@pytest.fixture
def bureau(role_groups):
    user = UserFactory(username="bureau-importer")
    user.groups.add(Group.objects.get(name=roles.BUREAU_STAFF))
    return user


def test_upload_preview_then_confirm_imports_everything_once(editor_client, editor):
    response = upload(editor_client, GIFT.encode())
    job = QuestionImportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("quizzes_import:preview", args=[job.pk])
    # The preview writes only the job: no bank, no category, no question.
    assert job.status == ImportStatus.PREVIEWED and job.file_format == "gift"
    assert job.bank is None and job.bank_name == "导入题库" and job.created_by == editor
    assert nothing_written("导入题库")

    html = editor_client.get(response.url).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "指向明确、细化量化" in html and "Confirm and import" in html
    counts = html[html.index('id="import-counts"'):html.index("</table>",
                                                             html.index('id="import-counts"'))]
    assert "Single choice" in counts and "True/false" in counts

    response = editor_client.post(reverse("quizzes_import:preview", args=[job.pk]))
    bank = QuestionBank.objects.get(name="导入题库")
    assert response.status_code == 302 and f"bank={bank.pk}" in response.url
    assert Question.objects.filter(bank=bank).count() == 2
    single_q = Question.objects.get(kind=types.SINGLE)
    assert single_q.category.path == "预算绩效管理/目标管理"
    assert single_q.current_version.created_by == editor
    assert [c.is_correct for c in single_q.current_version.choices.all()] == [True, False]
    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTED and bytes(job.data) == b""
    assert job.bank == bank and job.question_count == 2 and job.imported_at

    again = editor_client.post(reverse("quizzes_import:preview", args=[job.pk]), follow=True)
    assert str(services.IMPORT_JOB_DONE) in again.content.decode()
    assert Question.objects.count() == 2


def test_existing_bank_category_prefix_and_xlsx_inferred(editor_client, bank):
    content = xlsx_bytes([single(), multiple(), true_false(), fill()])
    response = upload(editor_client, content, name="题目.XLSX", bank=bank.pk, new_bank="",
                      category_prefix="2025年度")
    job = QuestionImportJob.objects.get()
    assert response.status_code == 302 and job.file_format == "xlsx" and job.bank == bank
    editor_client.post(reverse("quizzes_import:preview", args=[job.pk]))
    assert bank.questions.count() == 4
    assert set(Category.objects.filter(parent=None).values_list("name", flat=True)) == {
        "2025年度"}


def test_preview_lists_every_error_by_row_and_writes_nothing(editor_client):
    response = upload(editor_client, b"not a spreadsheet", name="a.xlsx")
    assert response.status_code == 200 and 'id="import-errors"' in response.content.decode()
    response = upload(editor_client, _xlsx_with_bad_rows(), name="bad.xlsx")
    html = response.content.decode()
    assert response.status_code == 200 and 'id="import-errors"' in html
    assert "Row 3" in html and "Row 4" in html and "Confirm and import" not in html
    assert not QuestionImportJob.objects.exists() and nothing_written("导入题库")


def _xlsx_with_bad_rows(questions=None) -> bytes:
    """A sheet in the import layout: row 2 valid, row 3 without a stem, row 4 a bad answer."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["题型", "题干", "选项A", "选项B", "正确答案", "分值"])
    sheet.append(["单选", "绩效目标应当？", "明确", "模糊", "A", 2])
    sheet.append(["单选", None, "明确", "模糊", "A", 2])
    sheet.append(["判断", "绩效评价只能由财政开展。", None, None, "也许", 1])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.parametrize("name", ["xxe.xml", "billion_laughs.xml"])
def test_hostile_xml_is_rejected_and_nothing_is_written(editor_client, name):
    response = upload(editor_client, (FILES / name).read_bytes(), name=name)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="import-errors"' in html
    assert "/etc/passwd" not in html or "root:" not in html
    assert not QuestionImportJob.objects.exists() and nothing_written("导入题库")


def test_oversized_empty_and_unknown_files_are_refused(editor_client):
    big = upload(editor_client, b"x" * (5 * 1024 * 1024 + 1), name="big.txt")
    assert big.status_code == 200 and str(UPLOAD_TOO_LARGE) in big.content.decode()
    unknown = upload(editor_client, GIFT.encode(), name="questions.docx")
    assert str(UPLOAD_UNKNOWN_FORMAT) in unknown.content.decode()
    no_bank = upload(editor_client, GIFT.encode(), new_bank="")
    assert str(UPLOAD_NO_BANK) in no_bank.content.decode()
    assert not QuestionImportJob.objects.exists() and nothing_written("导入题库")


def test_wrong_format_chosen_gives_a_clear_error(editor_client):
    response = upload(editor_client, GIFT.encode(), name="questions.txt", file_format="xlsx")
    assert response.status_code == 200 and 'id="import-errors"' in response.content.decode()
    binary = upload(editor_client, b"\x00\x01PK\x03garbage", name="x.gift")
    assert 'id="import-errors"' in binary.content.decode()
    assert not QuestionImportJob.objects.exists() and nothing_written("导入题库")


def test_unsupported_questions_fail_unless_skipped_and_are_listed(editor_client):
    content = (FIXTURES / "questions.gift.txt").read_bytes()
    failed = upload(editor_client, content).content.decode()
    assert "matching" in failed and not QuestionImportJob.objects.exists()
    response = upload(editor_client, content, skip_unsupported="on")
    job = QuestionImportJob.objects.get()
    html = editor_client.get(response.url).content.decode()
    assert 'id="import-skipped"' in html and "numerical" in html
    editor_client.post(reverse("quizzes_import:preview", args=[job.pk]))
    assert Question.objects.count() == 7


def test_confirm_validates_the_stored_file_again(editor_client):
    upload(editor_client, GIFT.encode())
    job = QuestionImportJob.objects.get()
    QuestionImportJob.objects.filter(pk=job.pk).update(data=b"::x:: broken {=")
    response = editor_client.post(reverse("quizzes_import:preview", args=[job.pk]))
    assert response.status_code == 302
    assert nothing_written("导入题库")
    assert QuestionImportJob.objects.get().status == ImportStatus.PREVIEWED


def test_expired_jobs_cannot_be_confirmed_and_are_purged(editor_client, editor):
    upload(editor_client, GIFT.encode())
    job = QuestionImportJob.objects.get()
    QuestionImportJob.objects.filter(pk=job.pk).update(
        created_at=job.created_at - services.IMPORT_JOB_TTL - timedelta(minutes=1))
    page = editor_client.post(reverse("quizzes_import:preview", args=[job.pk]), follow=True)
    assert str(services.IMPORT_JOB_EXPIRED) in page.content.decode()
    assert nothing_written("导入题库")
    upload(editor_client, GIFT.encode())
    assert list(QuestionImportJob.objects.values_list("pk", flat=True)) != [job.pk]
    assert QuestionImportJob.objects.count() == 1


def test_permissions_learners_reviewers_and_other_users_jobs(client, editor, bureau, reviewer,
                                                             user):
    for outsider in (user, reviewer):
        client.force_login(outsider)
        assert client.get(UPLOAD).status_code in (302, 403)
        assert upload(client, GIFT.encode()).status_code in (302, 403)
        assert client.get(reverse("quizzes_import:template")).status_code in (302, 403)
    assert not QuestionImportJob.objects.exists()
    client.force_login(bureau)
    response = upload(client, GIFT.encode())
    assert response.status_code == 302
    job = QuestionImportJob.objects.get()
    client.force_login(editor)
    assert client.get(reverse("quizzes_import:preview", args=[job.pk])).status_code == 404
    assert client.post(reverse("quizzes_import:preview", args=[job.pk])).status_code == 404
    assert nothing_written("导入题库")


def test_csrf_is_required_for_upload_and_confirm(editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    assert upload(client, GIFT.encode()).status_code == 403
    assert not QuestionImportJob.objects.exists()
    page = client.get(UPLOAD).content.decode()
    assert "csrfmiddlewaretoken" in page


def test_upload_page_lists_banks_with_export_links_and_the_template(editor_client, questions,
                                                                    bank):
    html = editor_client.get(UPLOAD).content.decode()
    assert reverse("quizzes_import:template") in html
    assert reverse("quizzes_import:export", args=[bank.pk, "xlsx"]) in html
    assert reverse("quizzes_import:export", args=[bank.pk, "moodle-xml"]) in html
    template = editor_client.get(reverse("quizzes_import:template"))
    assert template.content[:2] == b"PK" and "attachment" in template["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(template.content))
    assert "填写说明" in workbook.sheetnames


def test_bank_export_round_trips_and_is_formula_safe(editor_client, bank,
                                                     django_assert_max_num_queries):
    services.question_create(bank=bank, data=single(text="=HYPERLINK(\"http://x\")题"))
    services.question_create(bank=bank, data=fill())
    with django_assert_max_num_queries(10):
        response = editor_client.get(reverse("quizzes_import:export", args=[bank.pk, "xlsx"]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    texts = [cell.value for cell in sheet["B"]] + [cell.value for row in sheet.iter_rows()
                                                   for cell in row]
    assert not any(isinstance(t, str) and t.startswith("=") for t in texts)
    parsed = formats.parse(response.content, format="xlsx")
    assert parsed.ok and len(parsed.questions) == 2
    xml = editor_client.get(reverse("quizzes_import:export", args=[bank.pk, "moodle-xml"]))
    assert xml.status_code == 200 and b"<quiz>" in xml.content
    assert formats.parse(xml.content, format="moodle-xml").ok
    bad = editor_client.get(reverse("quizzes_import:export", args=[bank.pk, "csv"]))
    assert bad.status_code == 404
