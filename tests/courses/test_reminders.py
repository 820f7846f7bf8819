"""Reminders, department digests and escalations (issue 10 §6): who gets what on which day,
what it says, in which language, and that every message is claimed and sent exactly once."""

from __future__ import annotations

import datetime as dt
import re
import smtplib
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.users.models import UserProfile

from courses.models import (
    ExemptionReason,
    Notification,
    NotificationKind,
    PlanAssignment,
    PlanExemption,
    ReminderLog,
    TrainingPlan,
)
from courses.reminders import schedule, services
from courses.reminders.selectors import reminder_messages
from courses.tasks import reminders_dispatch as reminders_dispatch_task
from courses.tasks import reminders_send_batch
from departments import roles
from departments.models import OfficeKind
from departments.selectors import learners_visible_to
from departments.services import roles_ensure
from tests.courses.test_plans import DUE, MAKEUP, OPENS, complete_on, make_plan, published
from tests.departments.factories import (
    DepartmentFactory,
    LearnerFactory,
    OfficeFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

REMINDER, DIGEST, ESCALATION = (NotificationKind.REMINDER, NotificationKind.DIGEST,
                                NotificationKind.ESCALATION)
WEEK = dt.timedelta(days=7)


def day(offset: int) -> dt.date:
    """`offset` days from the due date (2026-06-30, a Tuesday)."""
    return DUE + dt.timedelta(days=offset)


def kinds_on(on_date, **plan_fields):
    fields = {"opens_on": OPENS, "due_on": DUE, "makeup_until": MAKEUP,
              "remind_weekly_after_due": True, **plan_fields}
    return schedule.kinds_due(SimpleNamespace(**fields), on_date, reminder_days=[14, 7, 1])


def sent_to(messages, kind=None) -> set[str]:
    return {m.recipient.username for m in messages if kind is None or m.kind == kind}


@pytest.fixture
def org(db):
    """Two departments: A with a business office, a finance office and a second business
    office in another unit; B with one business office."""
    a = DepartmentFactory(code="A01", name="教育局")
    b = DepartmentFactory(code="B01", name="卫健委")
    unit_a1 = UnitFactory(department=a, code="A0101", name="教育局本级")
    unit_a2 = UnitFactory(department=a, code="A0102", name="教研室")
    return SimpleNamespace(
        a=a, b=b,
        planning=OfficeFactory(unit=unit_a1, name="规划科", kind=OfficeKind.BUSINESS),
        finance=OfficeFactory(unit=unit_a1, name="财务科", kind=OfficeKind.FINANCE),
        research=OfficeFactory(unit=unit_a2, name="教研科", kind=OfficeKind.BUSINESS),
        b_office=OfficeFactory(unit=UnitFactory(department=b, code="B0101", name="卫健委本级"),
                               name="医政科", kind=OfficeKind.BUSINESS),
    )


def person(office, number, position="business", email=True, **fields):
    user = UserFactory(username=number, first_name=f"学员{number}",
                       email=f"{number.lower()}@example.gov.cn" if email else "")
    return LearnerFactory(user=user, office=office, staff_number=number, position=position,
                          **fields)


def department_admin(department, username="admin-a", email="admin@example.gov.cn"):
    roles_ensure()
    user = UserFactory(username=username, first_name="管理员", email=email)
    user.groups.add(Group.objects.get(name=roles.DEPARTMENT_ADMIN))
    department.admins.add(user)
    return user


@pytest.fixture
def course(make_course):
    return make_course(title="绩效目标管理", lessons=1)


@pytest.fixture
def plan(course, org):
    published_plan = make_plan(("business", course), ("finance", course), ("head", course))
    return published_plan


def publish(plan):
    return published(plan)


# --- The schedule (pure) ------------------------------------------------------------------------


def test_schedule_14_7_1_days_before_weekly_after_and_nothing_outside_the_window():
    assert kinds_on(day(-14)) == [REMINDER, DIGEST]
    assert kinds_on(day(-7)) == [REMINDER, DIGEST]
    assert kinds_on(day(-1)) == [REMINDER]
    assert kinds_on(day(-2)) == []
    assert kinds_on(day(-21)) == [DIGEST]  # the weekly digest from the opening on
    assert kinds_on(day(0)) == [DIGEST]
    assert kinds_on(day(7)) == kinds_on(day(28)) == [REMINDER, DIGEST, ESCALATION]
    assert kinds_on(day(3)) == kinds_on(day(8)) == []
    assert kinds_on(day(35)) == []  # 2026-08-04, after the make-up deadline (07-31)
    assert kinds_on(OPENS - dt.timedelta(days=1)) == []
    assert kinds_on(day(7), remind_weekly_after_due=False) == []
    # A plan that opens 10 days before its due date sends no "14 days before" reminder.
    assert kinds_on(day(-14), opens_on=day(-10)) == []
    assert schedule.KINDS == (REMINDER, DIGEST, ESCALATION)


# --- Who gets a reminder ------------------------------------------------------------------------


def test_learners_with_unfinished_requirements_are_reminded_14_7_and_1_days_before(plan, org):
    person(org.planning, "A0001")
    publish(plan)
    for offset in (-14, -7, -1):
        assert sent_to(reminder_messages(on_date=day(offset)), REMINDER) == {"A0001"}
    for offset in (-13, -2, 0, 1):
        assert sent_to(reminder_messages(on_date=day(offset)), REMINDER) == set()


def test_reminders_go_weekly_after_the_due_date_until_the_make_up_deadline(plan, org):
    person(org.planning, "A0001")
    publish(plan)
    assert sent_to(reminder_messages(on_date=day(7)), REMINDER) == {"A0001"}
    assert sent_to(reminder_messages(on_date=day(28)), REMINDER) == {"A0001"}
    assert reminder_messages(on_date=day(10)) == []
    assert reminder_messages(on_date=day(35)) == []  # after makeup_until
    [message] = reminder_messages(on_date=day(7), kinds=[REMINDER])
    assert message.overdue and [item.status for item in message.items] == ["overdue"]
    TrainingPlan.objects.filter(pk=plan.pk).update(remind_weekly_after_due=False)
    assert reminder_messages(on_date=day(7)) == []


def test_an_unpublished_plan_reminds_nobody(plan, org):
    person(org.planning, "A0001")
    assert reminder_messages(on_date=day(-7)) == []


def test_exempt_withdrawn_completed_and_inactive_learners_are_not_reminded(plan, org, course):
    person(org.planning, "A0001")  # reminded
    exempt = person(org.planning, "A0002")
    withdrawn = person(org.planning, "A0003")
    done = person(org.planning, "A0004")
    person(org.planning, "A0005", is_active=False)
    publish(plan)
    PlanExemption.objects.create(assignment=PlanAssignment.objects.get(user=exempt.user),
                                 reason=ExemptionReason.LONG_LEAVE, note="病假")
    PlanAssignment.objects.filter(user=withdrawn.user).update(withdrawn_at=timezone.now())
    complete_on(done.user, course, day(-20))
    assert sent_to(reminder_messages(on_date=day(-7))) == {"A0001"}


def test_a_stored_reminder_days_value_the_form_would_refuse_does_not_break_the_run(plan, org):
    person(org.planning, "A0001")
    department_admin(org.a)
    publish(plan)
    TrainingPlan.objects.filter(pk=plan.pk).update(reminder_days="14,abc,-3")
    assert reminder_messages(on_date=day(-14)) != []  # the digest still goes out
    assert sent_to(reminder_messages(on_date=day(-14)), REMINDER) == set()
    assert sent_to(reminder_messages(on_date=day(7)), REMINDER) == {"A0001"}


# --- Digests to department admins ---------------------------------------------------------------


def test_the_digest_lists_unfinished_people_by_office_scoped_to_the_admins_department(
        plan, org, course):
    person(org.planning, "A0001")
    person(org.planning, "A0002")
    person(org.finance, "A0003", position="finance")
    finished = person(org.research, "A0004")
    person(org.b_office, "B0001")
    admin_a = department_admin(org.a)
    department_admin(org.b, username="admin-b", email="")
    publish(plan)
    complete_on(finished.user, course, day(-20))

    digests = {m.recipient.username: m for m in reminder_messages(on_date=day(-7))
               if m.kind == DIGEST}
    assert set(digests) == {"admin-a", "admin-b"}
    [department] = digests["admin-a"].departments
    assert department.name == "教育局"
    listed = {p.staff_number: office.office_name
              for office in department.offices_with_gaps for p in office.unfinished}
    assert listed == {"A0001": "规划科", "A0002": "规划科", "A0003": "财务科"}
    # Exactly the admin's own learners (the scope learners_visible_to gives them), no one else.
    visible = set(learners_visible_to(admin_a).values_list("staff_number", flat=True))
    assert set(listed) <= visible and "B0001" not in visible
    assert [(o.office_name, o.kind, o.people, o.finished, o.unfinished_count)
            for o in department.offices] == [
        ("规划科", "business", 2, 0, 2), ("财务科", "finance", 1, 0, 1),
        ("教研科", "business", 1, 1, 0)]
    [b_department] = digests["admin-b"].departments
    assert [p.staff_number for o in b_department.offices for p in o.unfinished] == ["B0001"]

    rendered = services.emails.render_message(digests["admin-a"])
    assert "教育局本级 / 规划科（业务机构）" in rendered.text
    assert "教育局本级 / 财务科（财务机构）" in rendered.text
    assert "学员A0001（A0001）：绩效目标管理（未开始）" in rendered.text
    assert "B0001" not in rendered.text and "B0001" not in rendered.html
    assert "教研科" not in rendered.text  # nobody unfinished there


def test_no_digest_for_a_department_where_everyone_finished_or_an_admin_without_the_role(
        plan, org, course):
    done = person(org.planning, "A0001")
    department_admin(org.a)
    not_admin = UserFactory(username="listed-only", email="x@example.gov.cn")
    org.b.admins.add(not_admin)  # listed on B but without the department admin role
    person(org.b_office, "B0001")
    publish(plan)
    complete_on(done.user, course, day(-20))
    assert sent_to(reminder_messages(on_date=day(-7)), DIGEST) == set()


def test_a_long_digest_lists_the_first_people_and_counts_the_rest(plan, org, monkeypatch):
    monkeypatch.setattr(services.emails, "DIGEST_MAX_PEOPLE", 2)
    for number in range(5):
        person(org.planning, f"A{number:04d}")
    department_admin(org.a)
    publish(plan)
    [digest] = [m for m in reminder_messages(on_date=day(-7)) if m.kind == DIGEST]
    rendered = services.emails.render_message(digest)
    assert rendered.subject == "培训周报：《2026年度培训计划》尚有 5 人未完成"
    assert rendered.text.count("：绩效目标管理（未开始）") == 2
    assert "另有 3 人未列出" in rendered.text and "另有 3 人未列出" in rendered.html


def test_names_and_titles_are_escaped_in_the_html_mail(plan, org, mailoutbox):
    learner = person(org.planning, "A0001")
    learner.user.first_name = '<img src=x onerror="alert(1)">'
    learner.user.save()
    TrainingPlan.objects.filter(pk=plan.pk).update(title="<b>计划</b>")
    department_admin(org.a)
    publish(plan)
    services.reminders_dispatch(on_date=day(-7), enqueue=False)
    for message in mailoutbox:
        html = message.alternatives[0][0]
        assert "<img" not in html and "<b>" not in html
        assert "&lt;b&gt;计划&lt;/b&gt;" in html
    reminder = next(m for m in mailoutbox if m.to == ["a0001@example.gov.cn"])
    assert '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;' in reminder.alternatives[0][0]
    assert '<img src=x onerror="alert(1)">，您好：' in reminder.body  # plain text stays as is


# --- Escalations to heads -----------------------------------------------------------------------


def test_the_escalation_lists_business_offices_with_nobody_finished_first_then_counts(
        plan, org, course):
    person(org.planning, "A0001")  # business office, nobody finished
    person(org.planning, "A0002")
    person(org.finance, "A0003", position="finance")  # finance office, nobody finished
    done, late = person(org.research, "A0004"), person(org.research, "A0005")
    head = person(org.finance, "A0006", position="head")
    person(org.b_office, "B0001", position="head")  # B has nobody unfinished but the head
    person(org.b_office, "B0002")
    publish(plan)
    complete_on(done.user, course, day(-3))
    complete_on(head.user, course, day(-3))
    for user in (org.b_office.learners.get(staff_number="B0001").user,
                 org.b_office.learners.get(staff_number="B0002").user):
        complete_on(user, course, day(-3))

    messages = reminder_messages(on_date=day(7))
    escalations = [m for m in messages if m.kind == ESCALATION]
    assert [m.recipient.username for m in escalations] == ["A0006"]  # only A's head
    [department] = escalations[0].departments
    assert [o.office_name for o in department.business_offices_nobody_finished] == ["规划科"]
    assert [o.office_name for o in department.other_offices_with_gaps] == ["教研科", "财务科"]
    assert (department.people, department.finished, department.unfinished) == (6, 2, 4)
    assert late.user.username in sent_to(messages, REMINDER)

    text = services.emails.render_message(escalations[0]).text
    assert text.index("无人完成的业务机构") < text.index("教育局本级 / 规划科：2 人，无人完成") \
        < text.index("其他有人未完成的机构")
    assert text.index("教研室 / 教研科（业务机构）：未完成 1 人，已完成 1 人") < text.index(
        "教育局本级 / 财务科（财务机构）：未完成 1 人，已完成 1 人") < text.index(
        "合计：应训 6 人，已完成 2 人，未完成 4 人")
    # Before the due date there is no escalation.
    assert sent_to(reminder_messages(on_date=day(-7)), ESCALATION) == set()


# --- Sending: exactly once, languages, addresses ------------------------------------------------


def test_running_twice_sends_once_and_notifies_once(plan, org, mailoutbox, settings):
    settings.SITE_BASE_URL = "https://jixiao.example.gov.cn/"
    person(org.planning, "A0001")
    person(org.planning, "A0002", email=False)
    department_admin(org.a)
    publish(plan)

    first = services.reminders_dispatch(on_date=day(-7), enqueue=False)
    assert (first.claimed, first.without_email, first.send.emailed) == (3, 1, 2)
    again = services.reminders_dispatch(on_date=day(-7), enqueue=False)
    assert (again.claimed, again.to_send, again.send.emailed) == (0, [], 0)
    assert sorted(m.to[0] for m in mailoutbox) == ["a0001@example.gov.cn",
                                                   "admin@example.gov.cn"]
    assert ReminderLog.objects.count() == 3
    assert Notification.objects.count() == 3
    # Everyone is notified in the app, with or without an address.
    no_address = ReminderLog.objects.get(user__username="A0002")
    assert no_address.notification.url == "/my/training/"
    assert no_address.email_error == services.NO_ADDRESS and no_address.emailed_at is None
    assert ReminderLog.objects.filter(emailed_at__isnull=False).count() == 2

    reminder = next(m for m in mailoutbox if m.to == ["a0001@example.gov.cn"])
    assert reminder.subject == "培训提醒：《2026年度培训计划》还有 7 天截止"
    assert "https://jixiao.example.gov.cn/my/training/" in reminder.body
    assert "绩效目标管理（未开始）" in reminder.body
    html, mimetype = reminder.alternatives[0]
    assert mimetype == "text/html" and 'lang="zh-hans"' in html
    assert 'href="https://jixiao.example.gov.cn/my/training/"' in html
    assert reminder.extra_headers["Message-ID"].startswith("<jixiao.reminder.")
    # Chinese throughout: no English words outside the link and the address.
    for text in (reminder.subject, reminder.body, re.sub(r"<[^>]+>|https?://\S+", "", html)):
        leftover = re.sub(r"https?://\S+|\S+@\S+|&[a-z]+;", "", text)
        assert not re.search(r"[A-Za-z]{3,}", leftover), leftover


def test_an_english_speaker_gets_english(plan, org, mailoutbox):
    learner = person(org.planning, "A0001")
    UserProfile.objects.create(user=learner.user, preferred_language="en")
    publish(plan)
    services.reminders_dispatch(on_date=day(-1), enqueue=False)
    [email] = mailoutbox
    assert email.subject == "Training reminder: 《2026年度培训计划》 is due in 1 day"
    assert "Not started" in email.body and 'lang="en"' in email.alternatives[0][0]
    assert Notification.objects.get().title == email.subject


def test_a_hostile_address_is_refused_without_mailing_anyone_else(plan, org, mailoutbox):
    person(org.planning, "A0001")
    hostile = person(org.planning, "A0002")
    hostile.user.email = "a0002@example.gov.cn, victim@evil.example"
    hostile.user.save()
    crlf = person(org.planning, "A0003")
    crlf.user.email = "a0003@example.gov.cn\r\nBcc: victim@evil.example"
    crlf.user.save()
    publish(plan)
    with pytest.raises(CommandError, match="2 e-mails were refused"):
        call_command("send_reminders", "--date", str(day(-7)), stdout=StringIO())
    assert [m.to for m in mailoutbox] == [["a0001@example.gov.cn"]]
    assert all("victim" not in str(m.message()) for m in mailoutbox)
    refused = ReminderLog.objects.exclude(email_error="")
    assert sorted(refused.values_list("user__username", flat=True)) == ["A0002", "A0003"]
    assert not refused.filter(emailed_at__isnull=False).exists()
    # Refused rows are settled: the next run does not try them again.
    assert services.reminders_unsent_ids(older_than_seconds=0) == []


def test_a_transient_mail_failure_leaves_rows_for_the_retry_which_sends_each_once(
        plan, org, mailoutbox, monkeypatch):
    for number in ("A0001", "A0002", "A0003"):
        person(org.planning, number)
    publish(plan)
    ids, _won = services.reminders_claim(messages=reminder_messages(on_date=day(-7)))
    from django.core.mail.backends.locmem import EmailBackend

    original, calls = EmailBackend.send_messages, []

    def flaky(self, messages):
        calls.append(1)
        if len(calls) == 2:
            raise smtplib.SMTPServerDisconnected("connection lost")
        return original(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    with pytest.raises(services.TransientSendError):
        services.reminders_send(log_ids=ids)
    assert len(mailoutbox) == 1
    assert ReminderLog.objects.filter(emailed_at__isnull=True, email_error="").count() == 2
    assert reminders_send_batch(ids) == 2  # the retry sends the rest
    assert reminders_send_batch(ids) == 0  # a duplicated delivery of the same batch: nothing
    assert sorted(m.to[0] for m in mailoutbox) == [
        "a0001@example.gov.cn", "a0002@example.gov.cn", "a0003@example.gov.cn"]


def test_the_batch_task_retries_with_backoff_when_the_mail_server_is_down(monkeypatch):
    from celery.exceptions import Retry

    def down(*, log_ids):
        raise services.TransientSendError("SMTPConnectError: refused")

    retried = []

    def retry(*, exc, countdown):
        retried.append((str(exc), countdown))
        return Retry(exc=exc, when=countdown)

    monkeypatch.setattr(services, "reminders_send", down)
    monkeypatch.setattr(reminders_send_batch, "retry", retry)
    with pytest.raises(Retry):
        reminders_send_batch([1, 2])
    assert retried == [("SMTPConnectError: refused", 60)]


def test_a_row_claimed_but_never_mailed_is_mailed_once_by_the_next_run(plan, org, mailoutbox):
    person(org.planning, "A0001")
    publish(plan)
    # A worker claimed the row, notified, and died before sending.
    claimed_at = timezone.now() - dt.timedelta(minutes=10)
    services.reminders_claim(messages=reminder_messages(on_date=day(-7)), now=claimed_at)
    assert mailoutbox == []
    assert services.reminders_unsent_ids(older_than_seconds=3600) == []  # still in its grace
    report = services.reminders_dispatch(on_date=day(-7), enqueue=False)
    assert (report.claimed, report.send.emailed) == (0, 1)
    services.reminders_dispatch(on_date=day(-7), enqueue=False)
    assert len(mailoutbox) == 1 and Notification.objects.count() == 1


def test_a_learner_who_finished_between_claim_and_send_gets_no_mail(plan, org, course,
                                                                    mailoutbox):
    learner = person(org.planning, "A0001")
    publish(plan)
    ids, _won = services.reminders_claim(messages=reminder_messages(on_date=day(-7)))
    complete_on(learner.user, course, day(-8))
    services.reminders_send(log_ids=ids)
    assert mailoutbox == []
    assert ReminderLog.objects.get().email_error == services.NOTHING_LEFT


def test_the_daily_task_claims_and_queues_batches_without_sending(
        plan, org, settings, mailoutbox, django_capture_on_commit_callbacks, monkeypatch):
    settings.REMINDERS_BATCH_SIZE = 2
    for number in range(5):
        person(org.planning, f"A{number:04d}")
    publish(plan)
    queued = []
    monkeypatch.setattr(reminders_send_batch, "delay", lambda ids: queued.append(ids))
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_dispatch_task.run(str(day(-7))) == 5
    assert [len(ids) for ids in queued] == [2, 2, 1] and mailoutbox == []
    assert sorted(i for ids in queued for i in ids) == sorted(
        ReminderLog.objects.values_list("pk", flat=True))


def test_dispatch_queries_do_not_grow_with_learners(plan, org, django_capture_on_commit_callbacks,
                                                    course):
    department_admin(org.a)
    person(org.finance, "H0001", position="head")
    for number in range(3):
        person(org.planning, f"S{number:04d}")
    publish(plan)

    def run(on_date):
        with CaptureQueriesContext(connection) as queries, \
                django_capture_on_commit_callbacks(execute=False):
            report = services.reminders_dispatch(on_date=on_date, enqueue=True)
        return len(queries), report.claimed

    small = run(day(7))
    for number in range(3, 40):
        person(org.research if number % 2 else org.planning, f"S{number:04d}")
    from courses.services import plan_assign

    plan_assign(plan=plan)
    large = run(day(14))
    print(f"dispatch queries: {small[0]} for {small[1]} messages, {large[0]} for {large[1]}")
    assert large[1] > small[1] + 30
    assert large[0] <= small[0], (small, large)


def test_the_beat_runs_the_dispatch_every_morning_and_the_resend_sweep_often(settings):
    schedule_ = {entry["task"]: entry["schedule"] for entry in
                 settings.CELERY_BEAT_SCHEDULE.values()}
    daily = schedule_["courses.tasks.reminders_dispatch"]
    assert (daily.hour, daily.minute) == ({7}, {30})
    assert schedule_["courses.tasks.reminders_resend_unsent"] <= 15 * 60
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE


# --- The command --------------------------------------------------------------------------------


def test_dry_run_prints_one_line_per_message_and_writes_nothing(plan, org, mailoutbox):
    person(org.planning, "A0001")
    person(org.planning, "A0002", email=False)
    department_admin(org.a)
    publish(plan)
    out = StringIO()
    call_command("send_reminders", "--dry-run", "--date", str(day(-7)), stdout=out)
    assert sorted(out.getvalue().splitlines()) == sorted([
        "a0001@example.gov.cn\treminder\t2026年度培训计划",
        "(无邮箱) A0002\treminder\t2026年度培训计划",
        "admin@example.gov.cn\tdigest\t2026年度培训计划",
    ])
    assert not ReminderLog.objects.exists() and not Notification.objects.exists()
    assert mailoutbox == []
    # After a real run the dry run has nothing left to list for that day.
    call_command("send_reminders", "--date", str(day(-7)), stdout=StringIO())
    out = StringIO()
    call_command("send_reminders", "--dry-run", "--date", str(day(-7)), stdout=out)
    assert out.getvalue() == ""


def test_the_command_sends_and_summarises(plan, org, mailoutbox):
    person(org.planning, "A0001")
    publish(plan)
    out = StringIO()
    call_command("send_reminders", "--date", str(day(-1)), stdout=out)
    assert out.getvalue().strip() == ("2026-06-29: 1 messages claimed (0 without e-mail), "
                                      "1 e-mailed, 0 failed")
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("value", ["2026-02-30", "tomorrow", "2026-6-1", "", "2026-06-01x",
                                   "9" * 5000, "2026-06-01\n2026-06-02"])
def test_a_bad_date_is_refused_with_a_clear_message_and_nothing_sent(value, plan, org,
                                                                     mailoutbox):
    person(org.planning, "A0001")
    publish(plan)
    with pytest.raises(CommandError, match="--date must be a date written YYYY-MM-DD") as info:
        call_command("send_reminders", "--date", value, stdout=StringIO())
    assert len(str(info.value)) < 200
    assert not ReminderLog.objects.exists() and mailoutbox == []


def test_a_bad_date_exits_non_zero_from_the_shell():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "manage.py", "send_reminders", "--dry-run",
                             "--date", "2026-13-01"], capture_output=True, text=True,
                            timeout=120, env={**__import__("os").environ,
                                              "DJANGO_SETTINGS_MODULE": "config.settings.test"})
    assert result.returncode != 0
    assert "--date must be a date written YYYY-MM-DD" in result.stderr
