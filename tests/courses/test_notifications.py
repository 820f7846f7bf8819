"""In-app notifications: the list (scope, paging, marking read, links that stay on this site), the
header's unread count and its query cost, and the receivers that tell a learner when a person
marked their essays or reviewed their exercise."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from wagtail.users.models import UserProfile

from casebook.exercises import services as exercise_services
from courses.models import Notification, NotificationKind
from courses.notifications.context_processors import UnreadNotifications
from courses.notifications.selectors import site_relative_url
from courses.notifications.services import notification_create
from departments import roles
from departments.services import roles_ensure
from quizzes import services as quiz_services
from quizzes.models import AttemptStatus
from tests.departments.factories import UserFactory
from tests.portal.test_chinese_first import english_runs
from tests.quizzes.conftest import answer_all, essay, make_quiz, single

pytestmark = pytest.mark.django_db

LIST = reverse("notifications:list")
READ_ALL = reverse("notifications:read_all")
HOSTILE_URLS = [
    "//evil.example/steal", "http://evil.example/", "https://evil.example/x", "/\\evil.example",
    "\\\\evil.example", "/\t/evil.example", "/\n/evil.example", "javascript:alert(1)",
    "evil.example/x", " /my/training/", "///evil.example", "/my training/",
]
# Refused by the service but not storable at all (PostgreSQL: no NUL; the column holds 500).
UNSTORABLE_URLS = ["/my/training/\x00", "/" + "a" * 600]


def open_url(notification) -> str:
    return reverse("notifications:open", args=[notification.pk])


def note(user, title="证书已发放", *, url="/my/training/", minutes_ago=0, read=False):
    """A notification written straight to the table (as old rows or other writers might)."""
    created = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    return Notification.objects.create(
        user=user, kind=NotificationKind.CERTIFICATE, title=title, body="正文", url=url,
        created_at=created, read_at=created if read else None)


def notification_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "courses_notification" in q["sql"]]


# ----------------------------------------------------------------------------- the list


def test_list_requires_login(client):
    response = client.get(LIST)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_list_is_newest_first_twenty_a_page_unread_highlighted_and_chinese(learner_client, user,
                                                                         other_user):
    for number in range(25):
        note(user, f"通知{number:02d}", minutes_ago=100 - number, read=number % 2 == 0)
    note(other_user, "别人的通知")
    html = learner_client.get(LIST).content.decode()
    titles = [f"通知{number:02d}" for number in range(24, 4, -1)]
    positions = [html.index(title) for title in titles]
    assert positions == sorted(positions)  # newest first
    assert "通知04" not in html and "别人的通知" not in html
    assert html.count('class="notification notification--unread"') == 10
    assert "全部标为已读" in html and "未读" in html and "消息通知" in html
    assert english_runs(html) == []
    second = learner_client.get(LIST, {"page": 2}).content.decode()
    assert all(f"通知{number:02d}" in second for number in range(5))
    assert "通知05" not in second
    for bad in ("999", "-1", "abc", "1" * 400):  # nearest page, never an error
        assert learner_client.get(LIST, {"page": bad}).status_code == 200


def test_empty_list_says_so_in_chinese(learner_client):
    html = learner_client.get(LIST).content.decode()
    assert 'id="no-notifications"' in html and "全部标为已读" not in html
    assert "考核申诉" in html  # appeals are announced here too
    assert english_runs(html) == []


def test_list_query_count_does_not_grow_with_notifications(learner_client, user,
                                                           django_assert_max_num_queries):
    note(user)
    learner_client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        assert learner_client.get(LIST).status_code == 200
    for number in range(60):
        note(user, f"通知{number}")
    with django_assert_max_num_queries(len(few)) as many:
        assert learner_client.get(LIST).status_code == 200
    assert len(many) == len(few)
    # The count for the header and for the "全部标为已读" button is one query.
    counts = [sql for sql in notification_queries(many) if "COUNT" in sql.upper()]
    assert len(counts) == 2  # the paginator's total and the unread count


# ------------------------------------------------------------------ opening, marking read


def test_open_marks_read_and_goes_to_its_page(learner_client, user):
    item = note(user, url="/my/training/?year=2026#plan")
    response = learner_client.post(open_url(item))
    assert response.status_code == 302 and response["Location"] == "/my/training/?year=2026#plan"
    item.refresh_from_db()
    first_read = item.read_at
    assert first_read is not None
    learner_client.post(open_url(item))  # opening again keeps the first time
    item.refresh_from_db()
    assert item.read_at == first_read


def test_someone_elses_notification_is_404_and_stays_unread(learner_client, other_user):
    theirs = note(other_user)
    assert learner_client.post(open_url(theirs)).status_code == 404
    assert learner_client.post(reverse("notifications:open", args=[99999999])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_open_is_post_only_and_needs_the_csrf_token(user):
    item = note(user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(open_url(item)).status_code == 405
    assert client.post(open_url(item)).status_code == 403
    assert client.post(READ_ALL).status_code == 403
    item.refresh_from_db()
    assert item.read_at is None


def test_open_needs_login(client, user):
    item = note(user)
    response = client.post(open_url(item))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    item.refresh_from_db()
    assert item.read_at is None


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_a_link_off_this_site_is_never_followed(learner_client, user, url):
    item = note(user, url=url)
    html = learner_client.get(LIST).content.decode()
    assert f'action="{open_url(item)}" class="inline-form notification__open"' not in html
    response = learner_client.post(open_url(item))
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}#notification-{item.pk}"
    item.refresh_from_db()
    assert item.read_at is not None
    assert "不是本站页面" in learner_client.get(LIST).content.decode()


@pytest.mark.parametrize("url", HOSTILE_URLS + UNSTORABLE_URLS)
def test_notification_create_refuses_links_off_this_site(user, url):
    with pytest.raises(ValueError):
        notification_create(user=user, kind=NotificationKind.CERTIFICATE, title="证书", url=url)
    assert not Notification.objects.exists()


@pytest.mark.parametrize("url", ["/my/training/", "/quizzes/attempts/3/result/",
                                 "/casebook/exercises/2/?attempt=1#result",
                                 "/certificates/verify/AB12/"])
def test_site_paths_are_kept(url):
    assert site_relative_url(url) == url


def test_a_notification_without_link_is_marked_read_in_place(learner_client, user):
    item = note(user, url="")
    html = learner_client.get(LIST).content.decode()
    assert "标为已读" in html
    response = learner_client.post(open_url(item))
    assert response["Location"] == f"{LIST}#notification-{item.pk}"
    item.refresh_from_db()
    assert item.read_at is not None
    assert "不是本站页面" not in learner_client.get(LIST).content.decode()


def test_mark_all_read_touches_only_ones_own(learner_client, user, other_user):
    mine = [note(user, f"通知{n}") for n in range(3)]
    earlier = note(user, "早已读过", read=True)
    theirs = note(other_user)
    response = learner_client.post(READ_ALL, follow=True)
    assert "已将 3 条通知标为已读" in response.content.decode()
    assert not Notification.objects.filter(pk__in=[n.pk for n in mine], read_at=None).exists()
    theirs.refresh_from_db()
    before = earlier.read_at
    earlier.refresh_from_db()
    assert theirs.read_at is None and earlier.read_at == before
    assert learner_client.get(READ_ALL).status_code == 405


# ------------------------------------------------------------------------------ the header


def test_header_shows_the_unread_count_with_an_accessible_label(learner_client, user):
    for number in range(3):
        note(user, f"通知{number}")
    note(user, "已读", read=True)
    html = learner_client.get(reverse("accounts:profile")).content.decode()
    assert 'aria-label="3 条未读通知"' in html
    assert '<span class="count-badge" aria-hidden="true">3</span>' in html
    assert f'href="{LIST}"' in html and "我的培训" in html


def test_header_without_unread_shows_the_link_but_no_badge(learner_client, user):
    note(user, read=True)
    html = learner_client.get(reverse("accounts:profile")).content.decode()
    assert f'href="{LIST}"' in html and "count-badge" not in html and "条未读通知" not in html


def test_header_badge_caps_at_99(user):
    for number in range(120):
        note(user, f"通知{number}")
    client = Client()
    client.force_login(user)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert 'aria-label="120 条未读通知"' in html and ">99+</span>" in html


def test_header_count_is_one_query_whatever_the_number(learner_client, user):
    url = reverse("accounts:profile")
    note(user)
    learner_client.get(url)
    with CaptureQueriesContext(connection) as few:
        learner_client.get(url)
    for number in range(50):
        note(user, f"通知{number}")
    with CaptureQueriesContext(connection) as many:
        html = learner_client.get(url).content.decode()
    assert 'aria-label="51 条未读通知"' in html
    assert len(notification_queries(few)) == len(notification_queries(many)) == 1
    assert len(few) == len(many)


def test_anonymous_pages_run_no_notification_query(client, home):
    with CaptureQueriesContext(connection) as captured:
        html = client.get(reverse("accounts:login")).content.decode()
    assert notification_queries(captured) == [] and "条未读通知" not in html
    assert reverse("notifications:list") not in html


def test_pages_without_the_header_pay_nothing(user):
    """The admin renders with the same context processors but never reads the count."""
    roles_ensure()
    staff = UserFactory(username="bureau1", is_staff=True, is_superuser=True)
    note(staff)
    client = Client()
    client.force_login(staff)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/admin/").status_code == 200
    assert notification_queries(captured) == []


def test_unread_count_is_lazy_and_counted_once(rf, user, django_assert_num_queries):
    note(user)
    request = rf.get("/")
    request.user = user
    with django_assert_num_queries(0):
        unread = UnreadNotifications(request)
    with django_assert_num_queries(1):
        assert (unread.count, unread.count, unread.badge) == (1, 1, "1")


# --------------------------------------------------------------------------- the receivers


@pytest.fixture
def reviewer(db):
    roles_ensure()
    person = UserFactory(username="reviewer1")
    person.groups.add(Group.objects.get(name=roles.REVIEWER))
    return person


@pytest.fixture
def essay_quiz(db):
    bank = quiz_services.question_bank_get_or_create(name="测试题库")
    questions = [quiz_services.question_create(bank=bank, data=data)
                 for data in (single(), essay(), essay(text="简述事前绩效评估的内容。"))]
    return make_quiz(questions, title="绩效监控考试", pass_mark=60,
                     review_score_after_submit=True)


def submitted_attempt(quiz, user):
    attempt = quiz_services.attempt_start(quiz=quiz, user=user)
    answer_all(attempt)
    return quiz_services.attempt_submit(attempt=attempt)


def essays_of(attempt):
    return [aq for aq in attempt.attempt_questions.order_by("pk") if aq.kind == "essay"]


def mark(row, marker, points, capture):
    with capture(execute=True):
        quiz_services.marking_save(attempt_question=row, marker=marker, points=points)


def test_marking_the_last_essay_tells_the_learner_once(
        user, reviewer, essay_quiz, django_capture_on_commit_callbacks):
    attempt = submitted_attempt(essay_quiz, user)
    first, second = essays_of(attempt)
    mark(first, reviewer, "8", django_capture_on_commit_callbacks)
    assert not Notification.objects.exists()  # one essay still waits: nothing to tell yet
    mark(second, reviewer, "9", django_capture_on_commit_callbacks)
    item = Notification.objects.get()
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.GRADED
    assert item.user == user and item.kind == NotificationKind.ESSAY_MARKED
    assert item.title == "主观题已评阅：绩效监控考试" and item.read_at is None
    assert item.url == reverse("quizzes:result", args=[attempt.pk])
    assert "第 1 次作答" in item.body and "得分 19/22（86.36%），及格。" in item.body
    assert english_runs(f"<p>{item.title} {item.body}</p>") == []


def test_remarking_notifies_only_when_the_result_changes(
        user, reviewer, essay_quiz, django_capture_on_commit_callbacks):
    attempt = submitted_attempt(essay_quiz, user)
    first, second = essays_of(attempt)
    mark(first, reviewer, "8", django_capture_on_commit_callbacks)
    mark(second, reviewer, "9", django_capture_on_commit_callbacks)
    mark(second, reviewer, "9.00", django_capture_on_commit_callbacks)  # same mark again
    assert Notification.objects.count() == 1
    mark(second, reviewer, "2", django_capture_on_commit_callbacks)
    assert Notification.objects.count() == 2
    latest = Notification.objects.order_by("-pk").first()
    assert latest.title == "主观题评阅结果已更新：绩效监控考试"
    assert "得分 12/22（54.55%），不及格。" in latest.body


def test_automatic_grading_tells_nobody(user, django_capture_on_commit_callbacks):
    bank = quiz_services.question_bank_get_or_create(name="测试题库")
    quiz = make_quiz([quiz_services.question_create(bank=bank, data=single())], title="自动评分")
    with django_capture_on_commit_callbacks(execute=True):
        attempt = submitted_attempt(quiz, user)
    assert attempt.status == AttemptStatus.GRADED
    assert not Notification.objects.exists()


def test_a_hidden_score_is_not_told(user, reviewer, essay_quiz,
                                    django_capture_on_commit_callbacks):
    essay_quiz.review_score_after_submit = False
    essay_quiz.save(update_fields=["review_score_after_submit"])
    attempt = submitted_attempt(essay_quiz, user)
    for row in essays_of(attempt):
        mark(row, reviewer, "5", django_capture_on_commit_callbacks)
    body = Notification.objects.get().body
    assert "得分" not in body and "及格" not in body


def test_notification_is_in_the_learners_language_not_the_markers(
        user, reviewer, essay_quiz, django_capture_on_commit_callbacks):
    attempt = submitted_attempt(essay_quiz, user)
    with translation.override("en"):  # the marker works in English
        for row in essays_of(attempt):
            mark(row, reviewer, "5", django_capture_on_commit_callbacks)
    assert Notification.objects.get().title == "主观题已评阅：绩效监控考试"
    UserProfile.objects.create(user=user, preferred_language="en")
    attempt2 = submitted_attempt(essay_quiz, user)
    for row in essays_of(attempt2):
        mark(row, reviewer, "6", django_capture_on_commit_callbacks)
    assert Notification.objects.order_by("-pk").first().title == "Essay marked: 绩效监控考试"


def test_the_learner_opens_the_marked_attempt_from_the_list(
        learner_client, user, reviewer, essay_quiz, django_capture_on_commit_callbacks):
    attempt = submitted_attempt(essay_quiz, user)
    for row in essays_of(attempt):
        mark(row, reviewer, "7", django_capture_on_commit_callbacks)
    item = Notification.objects.get()
    response = learner_client.post(open_url(item), follow=True)
    assert response.redirect_chain[0][0] == reverse("quizzes:result", args=[attempt.pk])
    assert response.status_code == 200
    assert "条未读通知" not in response.content.decode()  # read now: no badge


@pytest.fixture
def review_setup(user, exercise, reviewer):
    exercise.pass_mark = 60
    exercise.save(update_fields=["pass_mark"])
    roles_ensure()
    return submission_of(user, exercise, score=70)


def submission_of(user, exercise, *, score: int):
    from casebook.models import ExerciseSubmission

    return ExerciseSubmission.objects.create(
        exercise=exercise, user=user, attempt_number=1, input={"indicators": []},
        result={"findings": []}, auto_score=Decimal(score), score=Decimal(score),
        passed=score >= exercise.pass_mark)


def review(submission, reviewer, capture, **kwargs):
    with capture(execute=True):
        exercise_services.submission_review(submission=submission, reviewer=reviewer, **kwargs)


def test_a_review_comment_tells_the_learner(user, reviewer, exercise, review_setup,
                                            django_capture_on_commit_callbacks):
    review(review_setup, reviewer, django_capture_on_commit_callbacks,
           comment="指标值缺少依据，\n请补充测算过程。")
    item = Notification.objects.get()
    assert item.user == user and item.kind == NotificationKind.EXERCISE_REVIEWED
    assert item.title == f"练习已复核：{exercise.title}"
    assert item.url == reverse("casebook:exercise", args=[exercise.pk]) + "?attempt=1#result"
    assert "复核意见：指标值缺少依据， 请补充测算过程。" in item.body and "调整" not in item.body
    assert english_runs(f"<p>{item.title} {item.body}</p>") == []


def test_a_score_override_is_one_notification_with_the_change(
        user, reviewer, review_setup, django_capture_on_commit_callbacks):
    review(review_setup, reviewer, django_capture_on_commit_callbacks,
           comment="测算不符，人工扣分", new_score="55")
    item = Notification.objects.get()
    assert "得分由 70 调整为 55，不及格。" in item.body and "人工扣分" in item.body
    review(review_setup, reviewer, django_capture_on_commit_callbacks, comment="再看一遍")
    assert Notification.objects.count() == 2  # every review is news: it carries a comment


def test_a_long_comment_is_shortened(user, reviewer, review_setup,
                                     django_capture_on_commit_callbacks):
    review(review_setup, reviewer, django_capture_on_commit_callbacks, comment="长" * 3000)
    body = Notification.objects.get().body
    assert len(body) < 700 and body.endswith("…")


def test_submitting_an_exercise_tells_nobody(user, exercise, django_capture_on_commit_callbacks):
    from casebook.exercises.grading import Graded

    with django_capture_on_commit_callbacks(execute=True):
        exercise_services.submission_create(
            exercise=exercise, user=user, input_data={"indicators": []},
            graded=Graded(result={"findings": []}, score=Decimal("80"), passed=True))
    assert not Notification.objects.exists()


def test_reviewing_ones_own_submission_tells_nobody(reviewer, exercise,
                                                    django_capture_on_commit_callbacks):
    roles_ensure()
    own = submission_of(reviewer, exercise, score=50)
    review(own, reviewer, django_capture_on_commit_callbacks, comment="自查")
    assert not Notification.objects.exists()
