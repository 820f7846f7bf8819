"""The server-rendered SVG chart: the numbers are in it, text is escaped, bars are scaled to the
value and clamped, a missing denominator draws no bar, and the permission helpers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.http import Http404

from assessments import charts
from assessments.admin.dashboards import change_points, change_text, default_year
from assessments.permissions import department_for, departments_in_scope, user_may_view_assessment

SVG = "{http://www.w3.org/2000/svg}"


def chart(groups):
    return charts.grouped_bars_svg(
        groups=groups,
        series=[charts.Series("业务机构", "chart__bar--business"),
                charts.Series("财务机构", "chart__bar--finance")],
        title="业务机构与财务机构参与情况", description="说明 <b>", chart_id="c1")


def group(name, business, finance):
    return charts.BarGroup(label=name, bars=(
        charts.ratio_bar(numerator=business[0], denominator=business[1],
                         fraction=business[0] / business[1] if business[1] else None,
                         department=name, series="业务机构"),
        charts.ratio_bar(numerator=finance[0], denominator=finance[1],
                         fraction=finance[0] / finance[1] if finance[1] else None,
                         department=name, series="财务机构")))


def test_the_svg_is_well_formed_labelled_and_holds_the_numbers():
    svg = str(chart([group("市教育局", (3, 4), (1, 1)), group("<script>区", (0, 2), (0, 0))]))
    root = ET.fromstring(svg)  # noqa: S314 - our own output: well-formed, every name escaped
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "业务机构与财务机构参与情况"
    assert "<script>" not in svg and "&lt;script&gt;区" in svg and "说明 &lt;b&gt;" in svg
    texts = ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]
    assert any("3/4 · 75%" in text for text in texts)
    assert any("1/1 · 100%" in text for text in texts)
    assert any("0/2 · 0%" in text for text in texts)
    widths = [rect.get("width") for rect in root.iter(f"{SVG}rect")
              if rect.get("class", "").startswith("chart__bar") and rect.get("y") != "4"]
    # 75 % and 100 % of the bar area (78 %), 0 % for 0/2, and no bar for 0/0 finance offices.
    assert widths == [f"{0.75 * charts.BAR_AREA:.2f}%", f"{charts.BAR_AREA:.2f}%", "0.00%"]
    assert svg.count("<title>") >= 5  # every bar and value carries its tooltip


def test_the_chart_fits_any_width_without_scaling_text():
    svg = str(chart([group("市教育局", (1, 2), (1, 1))]))
    assert 'width="100%"' in svg and "viewBox" not in svg
    positions = [float(x) for x in re.findall(r'(?:x|x1|x2|width)="([\d.]+)%"', svg)]
    assert positions and max(positions) <= 100  # nothing beyond the chart's width


def test_an_empty_chart_says_so_and_long_names_are_shortened_visibly_only():
    assert "No departments" in str(chart([])) or "没有" in str(chart([]))
    name = "很长的部门名称" * 10
    svg = str(chart([group(name, (1, 2), (1, 1))]))
    assert name in svg  # the full name in the <title>
    assert (name[:charts.LABEL_MAX_CHARS - 1] + "…") in svg


def test_values_above_one_are_clamped():
    bar = charts.Bar(value=1.7, text="x", title="t")
    svg = str(charts.grouped_bars_svg(
        groups=[charts.BarGroup(label="d", bars=(bar,))],
        series=[charts.Series("s", "chart__bar--business")], title="t", description="d"))
    assert f'width="{charts.BAR_AREA:.2f}%"' in svg


def test_percent_and_change_texts():
    assert charts.percent_text(None) == "—"
    assert charts.percent_text(0.5) == "50%" and charts.percent_text(0.625) == "62.5%"
    assert change_points(0.75, 0.6) == 15.0 and change_points(None, 0.5) is None
    assert change_text(None) == "—" and change_text(0.0) == "±0"
    assert change_text(15.0).startswith("+15.0") and change_text(-2.5).startswith("−2.5")


def test_the_default_year_is_this_years_plan_else_the_latest_earlier():
    import datetime as dt

    today = dt.date(2026, 6, 1)
    assert default_year([], today=today) is None
    assert default_year([2027, 2026, 2025], today=today) == 2026
    assert default_year([2025, 2024], today=today) == 2025
    assert default_year([2028, 2027], today=today) == 2027


@pytest.mark.django_db
def test_department_for_answers_404_for_foreign_unknown_and_malformed_ids():
    from tests.courses.membership_helpers import bureau_staff, department_admin
    from tests.departments.factories import DepartmentFactory, LearnerFactory

    own, foreign = DepartmentFactory(), DepartmentFactory()
    admin = department_admin(own, "admin_own")
    assert user_may_view_assessment(admin)
    assert list(departments_in_scope(admin)) == [own]
    assert department_for(admin, own.pk) == own and department_for(admin, str(own.pk)) == own
    for value in (foreign.pk, 0, -1, 2**63, "１", " 1", "+1", "abc", None, 1.5):
        with pytest.raises(Http404):
            department_for(admin, value)
    bureau = bureau_staff()
    assert department_for(bureau, foreign.pk) == foreign
    learner = LearnerFactory().user
    assert not user_may_view_assessment(learner)
    assert not departments_in_scope(learner).exists()
    with pytest.raises(Http404):
        department_for(learner, own.pk)
