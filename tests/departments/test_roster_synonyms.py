"""Roster import accepts the words people write for office kinds and positions (issue 9 §4):
the admin's own labels, the usual synonyms, any width or case; the template lists them."""

import io

import openpyxl
import pytest
from django.urls import reverse

from departments.models import Learner, Office, OfficeKind, Position
from departments.roster import normalise_office_kind, normalise_position
from departments.services import roster_import_file

from .conftest import make_xlsx, roster_rows

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("written", "kind"), [
    ("业务机构", OfficeKind.BUSINESS), ("业务处室", OfficeKind.BUSINESS),
    ("业务科室", OfficeKind.BUSINESS), ("业务", OfficeKind.BUSINESS),
    ("财务机构", OfficeKind.FINANCE), ("财务科", OfficeKind.FINANCE),
    ("财务处", OfficeKind.FINANCE), ("综合", OfficeKind.GENERAL),
    ("综合机构", OfficeKind.GENERAL), ("办公室", OfficeKind.GENERAL),
    (" 业务 机构 ", OfficeKind.BUSINESS), ("Business", OfficeKind.BUSINESS),
    ("ＦＩＮＡＮＣＥ", OfficeKind.FINANCE),  # full-width letters
])
def test_office_kind_synonyms_are_accepted(written, kind):
    assert normalise_office_kind(written) == kind


@pytest.mark.parametrize(("written", "position"), [
    ("负责人", Position.HEAD), ("主要负责人", Position.HEAD), ("分管负责人", Position.HEAD),
    ("财务人员", Position.FINANCE), ("会计", Position.FINANCE),
    ("业务人员", Position.BUSINESS), ("其它", Position.OTHER), ("HEAD", Position.HEAD),
])
def test_position_synonyms_are_accepted(written, position):
    assert normalise_position(written) == position


@pytest.mark.parametrize("written", ["后勤", "业务机构x", "", "司机"])
def test_unknown_words_are_still_refused(written):
    assert normalise_office_kind(written) is None
    assert normalise_position(written) is None


def test_roster_with_the_admins_own_labels_imports_business_office_and_head():
    rows = roster_rows(2, office="业务一科", kind="业务机构", position="主要负责人")
    rows[1][5], rows[1][8] = "业务处室", "分管负责人"

    report = roster_import_file(data=make_xlsx(rows), filename="roster.xlsx")

    assert not report.errors, [str(e) for e in report.errors]
    office = Office.objects.get(name="业务一科")
    assert office.kind == OfficeKind.BUSINESS
    assert set(Learner.objects.values_list("position", flat=True)) == {Position.HEAD}


def test_roster_with_an_unknown_kind_still_writes_nothing():
    rows = roster_rows(1, kind="后勤机构")
    report = roster_import_file(data=make_xlsx(rows), filename="roster.xlsx")
    assert any(e.column == "机构类型" for e in report.errors)
    assert not Learner.objects.exists()


def test_template_instructions_list_the_accepted_words(bureau_client):
    response = bureau_client.get(reverse("departments_roster:template"))
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    notes = {row[0]: row[2] for row in workbook["填写说明"].iter_rows(values_only=True) if row}

    for word in ("业务机构", "业务处室", "业务科室", "财务机构", "财务科", "财务处", "办公室"):
        assert word in notes["机构类型"]
    for word in ("主要负责人", "分管负责人"):
        assert word in notes["职务类别"]
    assert "也接受" in notes["机构类型"]  # Chinese, as the rest of the sheet
    # The drop-down only warns, so a typed synonym can be kept.
    validations = workbook["名单"].data_validations.dataValidation
    assert {v.errorStyle for v in validations} == {"warning"}
