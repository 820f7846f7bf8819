"""Scoring services: computing, overrides, manual points, locking, the audit trail, appeals,
results and their query counts, checked against hand-computed points."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments import selectors, services
from assessments.models import (
    Appeal,
    AppealStatus,
    AuditAction,
    AuditEntry,
    DepartmentResult,
    ItemKind,
    ItemScore,
    ScoreSource,
)
from tests.assessments.scoring_helpers import default_scheme, participation_of, small_scheme
from tests.courses.membership_helpers import bureau_staff, department_admin
from tests.departments.factories import DepartmentFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def bureau(db):
    return bureau_staff("bureau")


@pytest.fixture
def depts(db):
    return [DepartmentFactory(code=f"1{n:02d}", name=f"局{n}", sort_order=n) for n in range(3)]


@pytest.fixture
def scheme(db):
    return default_scheme()


def compute(scheme, depts, user=None, **numbers):
    """Compute with hand-made participations: numbers[code] = kwargs of participation_of."""
    rows = [participation_of(dept, **numbers.get(dept.code, {})) for dept in depts]
    return services.scores_compute(scheme=scheme, user=user, participation=rows)


def score(scheme, dept, code) -> ItemScore:
    return ItemScore.objects.get(scheme=scheme, department=dept, item__code=code)


def snapshot(scheme):
    """Everything a refused change must leave as it was."""
    return (sorted(ItemScore.objects.filter(scheme=scheme).values_list(
                "pk", "points", "source", "reason", "evidence")),
            sorted(DepartmentResult.objects.filter(scheme=scheme).values_list(
                "department_id", "total", "rank")),
            AuditEntry.objects.filter(scheme=scheme).count(),
            sorted(Appeal.objects.filter(scheme=scheme).values_list("pk", "status", "reply")))


# --- Computing --------------------------------------------------------------------------------


def test_compute_stores_metric_rule_points_and_evidence_for_every_department(
        scheme, depts, bureau):
    compute(scheme, depts, user=bureau, **{
        "100": {"heads": (2, 2), "completed": (3, 4), "goal": (9, 10)},   # 1 + 0.75 + 1.5
        "101": {"heads": (1, 2), "completed": (6, 10), "goal": (0, 0)},   # 0 + 0 + 0 (None)
        "102": {"heads": (0, 0), "completed": (9, 10), "goal": (3, 5)}})  # 0 + 1.5 + 0
    first = score(scheme, depts[0], "training-completion")
    assert (first.metric_value, first.computed_points, first.points, first.source) == (
        D("0.75"), D("0.75"), D("0.75"), ScoreSource.COMPUTED)
    assert "60%" in first.rule_text and "90%" in first.rule_text
    assert "3/4" in first.evidence and "3/5" in first.evidence  # completed, business offices
    assert first.computed_at is not None
    assert score(scheme, depts[0], "training-heads").points == D("1.00")
    assert score(scheme, depts[1], "training-heads").points == D("0.00")      # 1 of 2 heads
    assert score(scheme, depts[1], "training-completion").points == D("0.00")  # exactly 60 %
    empty = score(scheme, depts[1], "training-goal-setting")
    assert empty.metric_value is None and empty.points == D("0.00")
    assert "0/0" in empty.evidence
    assert score(scheme, depts[2], "training-completion").points == D("1.50")  # exactly 90 %
    assert score(scheme, depts[2], "training-heads").metric_value is None
    # Manual items are listed, empty.
    manual = ItemScore.objects.filter(scheme=scheme, item__kind=ItemKind.MANUAL)
    assert manual.count() == 3 * scheme.items.filter(kind=ItemKind.MANUAL).count()
    assert set(manual.values_list("points", flat=True)) == {None}
    results = {r.department_id: r for r in selectors.scheme_results(scheme=scheme)}
    assert results[depts[0].pk].total == D("3.25")
    assert results[depts[0].pk].training_points == D("3.25")
    assert (results[depts[0].pk].rank, results[depts[2].pk].rank,
            results[depts[1].pk].rank) == (1, 2, 3)
    assert results[depts[1].pk].grade == "不合格"


def test_compute_writes_one_audit_entry_per_changed_score(scheme, depts, bureau):
    compute(scheme, depts, user=bureau)
    first = AuditEntry.objects.filter(scheme=scheme, action=AuditAction.COMPUTE,
                                      department__isnull=False)
    assert first.count() == 3 * 3  # every automatic score is new
    compute(scheme, depts, user=bureau)  # nothing changed
    assert first.count() == 9
    compute(scheme, depts, user=bureau, **{"101": {"completed": (7, 10)}})
    assert first.count() == 10
    entry = first.first()
    assert (entry.department_id, entry.item.code, entry.old_value, entry.new_value,
            entry.user) == (depts[1].pk, "training-completion", "1.50", "0.50", bureau)


def test_overrides_keep_their_points_across_recompute(scheme, depts, bureau):
    compute(scheme, depts)
    target = score(scheme, depts[0], "training-completion")
    assert target.points == D("1.50")  # 9 of 10: exactly 90 %, full points
    services.score_override(score=target, points="0.5", reason="名单有误，经核实", user=bureau)
    compute(scheme, depts, **{"100": {"completed": (7, 10)}})
    target.refresh_from_db()
    assert (target.points, target.source, target.reason) == (
        D("0.50"), ScoreSource.OVERRIDE, "名单有误，经核实")
    assert (target.metric_value, target.computed_points) == (D("0.7"), D("0.50"))
    assert DepartmentResult.objects.get(scheme=scheme, department=depts[0]).total == D("3.00")
    services.score_override_clear(score=target, reason="恢复计算值", user=bureau)
    target.refresh_from_db()
    assert (target.points, target.source) == (D("0.50"), ScoreSource.COMPUTED)


def test_override_without_reason_is_refused_and_changes_nothing(scheme, depts, bureau):
    compute(scheme, depts)
    target = score(scheme, depts[0], "training-heads")
    before = snapshot(scheme)
    for reason in ("", "   ", None):
        with pytest.raises(ValidationError) as caught:
            services.score_override(score=target, points="0", reason=reason, user=bureau)
        assert caught.value.messages == [str(services.ERROR_REASON_REQUIRED)]
    assert snapshot(scheme) == before


def test_override_outside_the_items_range_or_by_a_non_bureau_user_is_refused(
        scheme, depts, bureau):
    compute(scheme, depts)
    target = score(scheme, depts[0], "training-heads")
    admin = department_admin(depts[0], "admin_100")
    before = snapshot(scheme)
    for points in ("1.01", "1.005", "-0.5", "abc", "NaN", "Infinity", "", "1e999999",
                   "-1e999999", None, True):
        with pytest.raises(ValidationError):
            services.score_override(score=target, points=points, reason="原因", user=bureau)
    with pytest.raises(ValidationError) as caught:
        services.score_override(score=target, points="0", reason="原因", user=admin)
    assert caught.value.messages == [str(services.ERROR_NOT_BUREAU)]
    with pytest.raises(ValidationError):
        services.scores_compute(scheme=scheme, user=admin)
    manual = score(scheme, depts[0], "org-rules")
    with pytest.raises(ValidationError):  # manual items are entered, not overridden
        services.score_override(score=manual, points="1", reason="原因", user=bureau)
    assert snapshot(scheme) == before


def test_manual_points_within_range_are_kept_with_evidence_and_audit(scheme, depts, bureau):
    compute(scheme, depts)
    item = scheme.items.get(code="org-rules")
    upload = SimpleUploadedFile("制度文件.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    services.score_manual_set(scheme=scheme, department=depts[0], item=item, points="2.5",
                              evidence="印发了内部管理办法", evidence_file=upload, user=bureau)
    stored = score(scheme, depts[0], "org-rules")
    assert (stored.points, stored.source, stored.evidence) == (
        D("2.50"), ScoreSource.MANUAL, "印发了内部管理办法")
    assert stored.evidence_file.name.endswith(".pdf")
    deduction = scheme.items.get(code="deduction")
    services.score_manual_set(scheme=scheme, department=depts[0], item=deduction,
                              points="-3", evidence="违规被通报", user=bureau)
    result = DepartmentResult.objects.get(scheme=scheme, department=depts[0])
    assert result.total == D("4.00") - D("3") + D("2.5")  # 4 training + 2.5 − 3
    entry = AuditEntry.objects.filter(action=AuditAction.MANUAL).first()
    assert (entry.old_value, entry.new_value, entry.reason, entry.user) == (
        "", "-3.00", "违规被通报", bureau)
    # Recomputing keeps the entered points.
    compute(scheme, depts)
    assert score(scheme, depts[0], "org-rules").points == D("2.50")


def test_manual_points_above_the_maximum_or_bad_files_are_refused(scheme, depts, bureau):
    compute(scheme, depts)
    item = scheme.items.get(code="org-rules")
    before = snapshot(scheme)
    with pytest.raises(ValidationError) as caught:
        services.score_manual_set(scheme=scheme, department=depts[0], item=item, points="3.5",
                                  evidence="材料", user=bureau)
    assert "3.00" in caught.value.messages[0] and item.name in caught.value.messages[0]
    with pytest.raises(ValidationError):  # the deduction only goes down to −10
        services.score_manual_set(scheme=scheme, department=depts[0],
                                  item=scheme.items.get(code="deduction"), points="-10.5",
                                  evidence="材料", user=bureau)
    with pytest.raises(ValidationError) as caught:
        services.score_manual_set(scheme=scheme, department=depts[0], item=item, points="1",
                                  evidence=" ", user=bureau)
    assert caught.value.messages == [str(services.ERROR_EVIDENCE_REQUIRED)]
    for name in ("run.exe", "page.html", "noextension", "制度.pdf.svg"):
        with pytest.raises(ValidationError) as caught:
            services.score_manual_set(
                scheme=scheme, department=depts[0], item=item, points="1", evidence="材料",
                evidence_file=SimpleUploadedFile(name, b"x"), user=bureau)
        assert caught.value.messages == [str(services.ERROR_FILE_TYPE)]
    big = SimpleUploadedFile("big.pdf", b"x" * (10 * 1024 * 1024 + 1))
    with pytest.raises(ValidationError) as caught:
        services.score_manual_set(scheme=scheme, department=depts[0], item=item, points="1",
                                  evidence="材料", evidence_file=big, user=bureau)
    assert caught.value.code == "file_too_large"
    with pytest.raises(ValidationError):  # an automatic item is not entered by hand
        services.score_manual_set(scheme=scheme, department=depts[0],
                                  item=scheme.items.get(code="training-heads"), points="1",
                                  evidence="材料", user=bureau)
    assert snapshot(scheme) == before


# --- Locking ----------------------------------------------------------------------------------


def test_a_locked_scheme_refuses_every_change_and_nothing_changes(scheme, depts, bureau):
    compute(scheme, depts)
    admin = department_admin(depts[0], "admin_100")
    item = scheme.items.get(code="training-heads")
    appeal = services.appeal_file(scheme=scheme, department=depts[0], item=item,
                                  reason="负责人已完成", user=admin)
    services.appeal_answer(appeal=appeal, accept=False, reply="未见记录", user=bureau)
    pending = services.appeal_file(scheme=scheme, department=depts[0], item=item,
                                   reason="再次申诉", user=admin)
    services.appeal_answer(appeal=pending, accept=False, reply="维持", user=bureau)
    services.scheme_lock(scheme=scheme, user=bureau)
    scheme.refresh_from_db()
    assert scheme.is_locked
    target = score(scheme, depts[0], "training-heads")
    before = snapshot(scheme)
    attempts = [
        lambda: compute(scheme, depts, **{"100": {"completed": (1, 10)}}),
        lambda: services.score_override(score=target, points="0", reason="原因", user=bureau),
        lambda: services.score_override_clear(score=target, reason="原因", user=bureau),
        lambda: services.score_manual_set(scheme=scheme, department=depts[0],
                                          item=scheme.items.get(code="org-rules"), points="1",
                                          evidence="材料", user=bureau),
        lambda: services.appeal_file(scheme=scheme, department=depts[0], item=item,
                                     reason="申诉", user=admin),
        lambda: services.scores_compute_later(scheme=scheme, user=bureau),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as caught:
            attempt()
        assert caught.value.messages == [str(services.ERROR_LOCKED)]
    with pytest.raises(ValidationError):
        services.scheme_lock(scheme=scheme, user=bureau)
    assert snapshot(scheme) == before
    # Unlocking needs bureau staff and a reason.
    with pytest.raises(ValidationError):
        services.scheme_unlock(scheme=scheme, reason="", user=bureau)
    with pytest.raises(ValidationError):
        services.scheme_unlock(scheme=scheme, reason="更正", user=admin)
    services.scheme_unlock(scheme=scheme, reason="更正数据", user=bureau)
    assert not scheme.is_locked
    entry = AuditEntry.objects.filter(action=AuditAction.UNLOCKED).get()
    assert (entry.reason, entry.user) == ("更正数据", bureau)
    services.score_override(score=target, points="0", reason="原因", user=bureau)


def test_a_pending_appeal_is_answered_before_locking(scheme, depts, bureau):
    compute(scheme, depts)
    admin = department_admin(depts[0], "admin_100")
    appeal = services.appeal_file(scheme=scheme, department=depts[0],
                                  item=scheme.items.get(code="training-heads"), reason="申诉",
                                  user=admin)
    with pytest.raises(ValidationError) as caught:
        services.scheme_lock(scheme=scheme, user=bureau)
    assert caught.value.code == "pending_appeals"
    scheme.refresh_from_db()
    assert not scheme.is_locked
    with pytest.raises(ValidationError):
        services.scheme_lock(scheme=scheme, user=admin)
    services.appeal_answer(appeal=appeal, accept=False, reply="维持原分", user=bureau)
    services.scheme_lock(scheme=scheme, user=bureau)
    scheme.refresh_from_db()
    assert scheme.is_locked


def test_a_locked_scheme_refuses_answering_an_appeal(scheme, depts, bureau):
    compute(scheme, depts)
    admin = department_admin(depts[0], "admin_100")
    appeal = services.appeal_file(scheme=scheme, department=depts[0],
                                  item=scheme.items.get(code="training-heads"), reason="申诉",
                                  user=admin)
    # Locked behind the services' back (e.g. by an older release): answering is refused too.
    type(scheme).objects.filter(pk=scheme.pk).update(locked_at="2026-12-01T00:00Z")
    before = snapshot(scheme)
    with pytest.raises(ValidationError) as caught:
        services.appeal_answer(appeal=appeal, accept=True, reply="", new_points="1",
                               user=bureau)
    assert caught.value.messages == [str(services.ERROR_LOCKED)]
    assert snapshot(scheme) == before


# --- Audit trail ------------------------------------------------------------------------------


def test_the_audit_trail_is_append_only(scheme, depts, bureau):
    compute(scheme, depts, user=bureau)
    entry = AuditEntry.objects.first()
    entry.reason = "改写"
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    with pytest.raises(ValidationError):
        AuditEntry.objects.filter(scheme=scheme).update(reason="改写")
    with pytest.raises(ValidationError):
        AuditEntry.objects.filter(scheme=scheme).delete()
    assert not AuditEntry.objects.filter(reason="改写").exists()


# --- Appeals ----------------------------------------------------------------------------------


def test_appeal_accepted_with_new_points_and_history_on_both_sides(scheme, depts, bureau):
    compute(scheme, depts, **{"100": {"heads": (1, 2)}})
    admin = department_admin(depts[0], "admin_100")
    item = scheme.items.get(code="training-heads")
    appeal = services.appeal_file(scheme=scheme, department=depts[0], item=item,
                                  reason="第二位负责人已调离", user=admin)
    assert (appeal.status, appeal.points_when_filed, appeal.filed_by) == (
        AppealStatus.PENDING, D("0.00"), admin)
    with pytest.raises(ValidationError) as caught:  # one pending appeal per item
        services.appeal_file(scheme=scheme, department=depts[0], item=item, reason="再次",
                             user=admin)
    assert caught.value.messages == [str(services.ERROR_APPEAL_PENDING)]
    with pytest.raises(ValidationError):  # the department admin cannot answer
        services.appeal_answer(appeal=appeal, accept=True, reply="", new_points="1", user=admin)
    with pytest.raises(ValidationError):  # accepting needs the new points, within range
        services.appeal_answer(appeal=appeal, accept=True, reply="", user=bureau)
    with pytest.raises(ValidationError):
        services.appeal_answer(appeal=appeal, accept=True, reply="", new_points="2",
                               user=bureau)
    services.appeal_answer(appeal=appeal, accept=True, reply="核实后同意", new_points="1",
                           user=bureau)
    appeal.refresh_from_db()
    assert (appeal.status, appeal.new_points, appeal.reply, appeal.answered_by) == (
        AppealStatus.ACCEPTED, D("1.00"), "核实后同意", bureau)
    stored = score(scheme, depts[0], "training-heads")
    assert (stored.points, stored.source, stored.reason) == (
        D("1.00"), ScoreSource.APPEAL, "核实后同意")
    assert DepartmentResult.objects.get(scheme=scheme, department=depts[0]).total == D("4.00")
    with pytest.raises(ValidationError) as caught:
        services.appeal_answer(appeal=appeal, accept=False, reply="改判", user=bureau)
    assert caught.value.messages == [str(services.ERROR_APPEAL_ANSWERED)]
    # Appealed points survive a recompute, like an override.
    compute(scheme, depts, **{"100": {"heads": (1, 2)}})
    assert score(scheme, depts[0], "training-heads").points == D("1.00")
    # The sheet shows the history and the trail to both sides.
    sheet = selectors.score_sheet(scheme=scheme, department=depts[0])
    row = next(entry for group in sheet["groups"] for entry in group["items"]
               if entry["item"].code == "training-heads")
    assert [a.status for a in row["appeals"]] == [AppealStatus.ACCEPTED]
    assert row["pending_appeal"] is None
    actions = [entry.action for entry in row["audit"]]
    assert AuditAction.APPEAL_FILED in actions and AuditAction.APPEAL_ACCEPTED in actions


def test_appeal_rejected_needs_a_reply(scheme, depts, bureau):
    compute(scheme, depts)
    admin = department_admin(depts[0], "admin_100")
    appeal = services.appeal_file(scheme=scheme, department=depts[0],
                                  item=scheme.items.get(code="org-rules"), reason="已印发制度",
                                  user=admin)
    before = snapshot(scheme)
    with pytest.raises(ValidationError) as caught:
        services.appeal_answer(appeal=appeal, accept=False, reply="  ", user=bureau)
    assert caught.value.messages == [str(services.ERROR_APPEAL_REPLY)]
    assert snapshot(scheme) == before
    services.appeal_answer(appeal=appeal, accept=False, reply="未提供文件", user=bureau)
    appeal.refresh_from_db()
    assert (appeal.status, appeal.reply) == (AppealStatus.REJECTED, "未提供文件")
    assert score(scheme, depts[0], "org-rules").points is None
    # Once answered, the department may appeal again.
    services.appeal_file(scheme=scheme, department=depts[0],
                         item=scheme.items.get(code="org-rules"), reason="补充了文件",
                         user=admin)


def test_appeals_only_for_the_admins_own_department_checked_at_write_time(
        scheme, depts, bureau):
    compute(scheme, depts)
    admin = department_admin(depts[0], "admin_100")
    item = scheme.items.get(code="training-heads")
    before = snapshot(scheme)
    for user, department in ((admin, depts[1]), (bureau, depts[0])):
        with pytest.raises(ValidationError) as caught:
            services.appeal_file(scheme=scheme, department=department, item=item,
                                 reason="申诉", user=user)
        assert caught.value.messages == [str(services.ERROR_APPEAL_SCOPE)]
    with pytest.raises(ValidationError):  # a reason is required
        services.appeal_file(scheme=scheme, department=depts[0], item=item, reason=" ",
                             user=admin)
    # Scope is read now: removed from the department since the page was loaded → refused.
    assert services._user_administers(admin, depts[0])
    depts[0].admins.remove(admin)
    with pytest.raises(ValidationError):
        services.appeal_file(scheme=scheme, department=depts[0], item=item, reason="申诉",
                             user=admin)
    assert snapshot(scheme) == before
    other = default_scheme(year=2027)
    with pytest.raises(ValidationError):  # an item of another scheme
        services.appeal_file(scheme=other, department=depts[1], item=item, reason="申诉",
                             user=department_admin(depts[1], "admin_101"))


# --- Results ----------------------------------------------------------------------------------


def test_equal_totals_share_a_rank(scheme, depts, bureau):
    compute(scheme, depts, **{
        "100": {"completed": (7, 10)}, "101": {"completed": (7, 10)},
        "102": {"completed": (10, 10)}})
    results = selectors.scheme_results(scheme=scheme)
    assert [(r.department.code, r.rank, r.total) for r in results] == [
        ("102", 1, D("4.00")), ("100", 2, D("3.00")), ("101", 2, D("3.00"))]
    services.score_manual_set(scheme=scheme, department=depts[1],
                              item=scheme.items.get(code="bonus"), points="5",
                              evidence="经验被推广", user=bureau)
    ranks = {r.department.code: r.rank for r in selectors.scheme_results(scheme=scheme)}
    assert ranks == {"101": 1, "102": 2, "100": 3}


def test_flags_come_from_the_participation(scheme, depts):
    compute(scheme, depts, **{"100": {"flags": ("finance_only", "head_incomplete")}})
    result = DepartmentResult.objects.get(scheme=scheme, department=depts[0])
    assert result.flags == ["finance_only", "head_incomplete"]


def test_compute_refuses_a_scheme_without_plan(depts):
    from assessments.models import AssessmentScheme

    bare = AssessmentScheme.objects.create(year=2030, title="无计划")
    with pytest.raises(ValidationError) as caught:
        services.scores_compute(scheme=bare, participation=[])
    assert caught.value.messages == [str(services.ERROR_NO_PLAN)]


def test_compute_costs_the_same_queries_for_2_and_10_departments(
        django_assert_max_num_queries, bureau):
    counts = []
    for year, size in ((2026, 2), (2027, 10)):
        scheme = small_scheme(year)
        departments = [DepartmentFactory(code=f"{year}{n:02d}") for n in range(size)]
        rows = [participation_of(dept) for dept in departments]
        user = type(bureau).objects.get(pk=bureau.pk)  # no role answers cached yet
        with django_assert_max_num_queries(30) as first:
            services.scores_compute(scheme=scheme, user=user, participation=rows)
        with django_assert_max_num_queries(30) as again:
            services.scores_compute(scheme=scheme, user=user, participation=rows)
        counts.append((len(first), len(again)))
        assert ItemScore.objects.filter(scheme=scheme).count() == 4 * size
    assert counts[0] == counts[1], counts


def test_score_sheet_reads_a_fixed_number_of_queries(scheme, depts, bureau,
                                                     django_assert_num_queries):
    compute(scheme, depts)
    admin = department_admin(depts[0], "admin_100")
    for code in ("training-heads", "org-rules", "bonus"):
        services.appeal_file(scheme=scheme, department=depts[0],
                             item=scheme.items.get(code=code), reason="申诉", user=admin)
    with django_assert_num_queries(5):
        sheet = selectors.score_sheet(scheme=scheme, department=depts[0])
        names = [(entry["item"].name, entry["rule"], entry["source_label"],
                  [a.filed_by.username for a in entry["appeals"]])
                 for group in sheet["groups"] for entry in group["items"]]
        assert [a.item.name for a in sheet["appeals"]]
        assert [e.user for e in sheet["audit"]]
    assert len(names) == scheme.items.count()
    org = sheet["groups"][0]
    assert (org["name"], org["max_points"]) == ("组织保障与制度建设", D("10"))
    assert sheet["max_total"] == D("100")  # the full marks: the bonus item comes on top
    assert sheet["total"] == D("4.00")


def test_training_items_use_stored_points_else_the_live_rule(scheme, depts, bureau):
    live = participation_of(depts[0], completed=(3, 4))
    rows = selectors.training_items(scheme=scheme, participation=live)
    assert rows == [
        {"item": "负责人完成年度培训", "code": "training-heads", "metric": 1.0, "points": 1.0,
         "max": 1.0},
        {"item": "参训完成率（业务人员权重≥50%）", "code": "training-completion",
         "metric": 0.75, "points": 0.75, "max": 1.5},
        {"item": "业务人员目标编制实操合格率", "code": "training-goal-setting", "metric": 0.9,
         "points": 1.5, "max": 1.5}]
    compute(scheme, depts)
    target = score(scheme, depts[0], "training-completion")
    services.score_override(score=target, points="0.2", reason="核减", user=bureau)
    selectors.training_items_forget(scheme)
    rows = selectors.training_items(scheme=scheme, participation=live)
    assert rows[1]["points"] == 0.2 and rows[1]["metric"] == 0.9  # stored: what was computed
    assert selectors.training_items(scheme=None, participation=live) == []


def test_appeals_and_audit_selectors_filter_by_department(scheme, depts, bureau):
    compute(scheme, depts, user=bureau)
    first = department_admin(depts[0], "admin_100")
    second = department_admin(depts[1], "admin_101")
    item = scheme.items.get(code="training-heads")
    a = services.appeal_file(scheme=scheme, department=depts[0], item=item, reason="甲",
                             user=first)
    services.appeal_answer(appeal=a, accept=False, reply="否", user=bureau)
    services.appeal_file(scheme=scheme, department=depts[1], item=item, reason="乙",
                         user=second)
    assert [x.reason for x in selectors.appeals_for(scheme=scheme)] == ["乙", "甲"]
    assert [x.reason for x in selectors.appeals_for(scheme=scheme,
                                                    department_ids=[depts[0].pk])] == ["甲"]
    assert {e.department_id for e in selectors.audit_for(scheme=scheme,
                                                         department=depts[1])} == {depts[1].pk}
    assert selectors.audit_for(scheme=scheme).filter(department__isnull=True).exists()


def test_scheme_for_year():
    assert services.scheme_for_year(2026) is None
    scheme = default_scheme(2026)
    assert services.scheme_for_year(2026) == scheme
