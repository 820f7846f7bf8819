"""Chinese first, everywhere a learner looks: every learner page and message reads in Chinese.

The walk seeds the demo site (what a new learner meets), then renders each learner-facing page
in the default language (zh-hans) — including the messages that only appear after an action:
validation errors, the flash after a submission, findings, results — and fails on any run of
three or more Latin letters in the visible text that is not an allowed term.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.http import HttpResponseServerError
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from casebook.exercises import grading
from casebook.models import CasePage, Exercise, ExerciseKind
from casebook.rules.exante import ASPECTS, REJECT
from casebook.rules.monitoring import CONTINUE
from departments.demo_organisation import DEMO_ACCOUNTS
from departments.models import Learner
from portal.models import PolicyDocumentPage
from quizzes import choice_tokens, services, types
from quizzes.models import Attempt, Quiz
from tests.casebook.exercise_helpers import table_post
from tests.casebook.factories import CLEAN_ROWS

LATIN_RUN = re.compile(r"[A-Za-z]{3,}")
# Terms a Chinese reader meets as they are: file formats and programs, the language switcher's
# own name for English, and the abbreviations the national documents themselves use.
ALLOWED_TERMS = {"Excel", "xlsx", "JSON", "json", "CSV", "csv", "PDF", "pdf", "English", "PPP",
                 "kWh"}
# Identifiers shown as codes: case codes (CASE-EDU-01) and recommended standards (CJJ/T 126,
# GB/T 50640). Rule codes R01–R22 and units such as km or kg have fewer than three letters in a
# row and never match LATIN_RUN.
ALLOWED_CODES = re.compile(r"(?<![A-Za-z])(?:CASE-[A-Z]{3}-\d{2}|[A-Z]{2,4}/T)(?![A-Za-z])")
HIDDEN_TAGS = {"script", "style", "template", "noscript"}
# Attributes a learner reads (or hears through a screen reader); other attribute values —
# URLs, names, classes, data — are not text.
READ_ATTRIBUTES = {"placeholder", "title", "alt", "aria-label"}


class _VisibleText(HTMLParser):
    """Text content plus the attributes people read, without scripts and styles."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN_TAGS:
            self.hidden += 1
        attributes = dict(attrs)
        for name in READ_ATTRIBUTES:
            if attributes.get(name):
                self.parts.append(attributes[name])
        if tag == "input" and attributes.get("type") in ("submit", "button", "reset") \
                and attributes.get("value"):
            self.parts.append(attributes["value"])

    def handle_endtag(self, tag):
        if tag in HIDDEN_TAGS and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return "\n".join(part.strip() for part in parser.parts if part.strip())


def english_runs(html: str) -> list[str]:
    """Latin words of three or more letters in the visible text that are not allowed terms."""
    text = ALLOWED_CODES.sub(" ", visible_text(html))
    return sorted({word for word in LATIN_RUN.findall(text) if word not in ALLOWED_TERMS})


def english_lines(html: str) -> list[str]:
    """The visible lines holding English, for a failure message a person can act on."""
    lines = []
    for line in visible_text(html).splitlines():
        if english_runs(f"<p>{line}</p>"):
            lines.append(line[:160])
    return lines


# ---- the detector ------------------------------------------------------------------------------

def test_detector_flags_english_text_but_not_codes_formats_or_markup():
    html = ("<html><head><style>.finding{color:red}</style><script>var warning = 1;</script>"
            "</head><body><a href='/policies/' class='nav-link'>政策库</a>"
            "<p>R18 警告 CASE-EDU-01 上传 Excel 模板（.xlsx）或 JSON 文件 3 km</p>"
            "<p>Submitted: attempt 1, score 45.00.</p>"
            "<input placeholder='Search'><button aria-label='Close'>×</button></body></html>")
    assert english_runs(html) == ["Close", "Search", "Submitted", "attempt", "score"]


def test_detector_passes_a_chinese_page():
    assert english_runs("<main><h1>绩效学堂</h1><p>第 1 次作答，得分 45.00。</p></main>") == []


# ---- the walk ----------------------------------------------------------------------------------

def _seed_and_learner():
    call_command("seed_demo", stdout=io.StringIO())
    username = next(a["username"] for a in DEMO_ACCOUNTS if a["role"] == "learner")
    user = get_user_model().objects.get(username=username)
    Learner.objects.filter(user=user).update(must_change_password=False)
    return user


def _wrong_answers(attempt: Attempt) -> dict:
    """A wrong raw answer for every question of the attempt (so the 错题本 fills up)."""
    answers = {}
    for aq in attempt.attempt_questions.select_related("version").prefetch_related(
            "version__choices"):
        choices = list(aq.version.choices.all())
        if aq.kind == types.SINGLE or aq.kind == types.MULTIPLE:
            wrong = next(c for c in choices if not c.is_correct)
            answers[aq.pk] = [choice_tokens.choice_token(attempt_question_id=aq.pk,
                                                         choice_id=wrong.pk)]
        elif aq.kind == types.TRUE_FALSE:
            answers[aq.pk] = ["false" if aq.version.answer_true else "true"]
        elif aq.kind == types.FILL:
            answers[aq.pk] = ["不知道" for _blank in aq.version.blanks]
        else:
            answers[aq.pk] = ["我的论述答案"]
    return answers


def _exercise_posts(exercise: Exercise, page_html: str) -> list[dict]:
    """An empty (refused) and a complete (graded) submission of the exercise's kind."""
    kind = exercise.kind
    if kind == ExerciseKind.GOAL_SETTING:
        # A table with findings on rows and on the whole table (no satisfaction, vague value).
        rows = [dict(row) for row in CLEAN_ROWS[:4]]
        rows[1]["value"] = "明显提高"
        return [{"annual_goal": ""}, table_post(rows, annual_goal="完成20所学校维修改造。")]
    if kind == ExerciseKind.FIND_ERRORS:
        digest = re.search(r'name="digest" value="([^"]+)"', page_html).group(1)
        return [{"digest": digest, "mark-1": "on"}, {"digest": digest, "mark-1": "on",
                                                     "rule-1": "R04"}]
    if kind == ExerciseKind.SELF_EVALUATION:
        rows = len(grading.selfeval_view(exercise)["rows"])
        return [{}, {"budget_score": "9", "total": "80", "grade": "良",
                     **{f"row-{i}": "5" for i in range(1, rows + 1)}}]
    if kind == ExerciseKind.MONITORING:
        rows = len(grading.monitoring_rows(exercise))
        return [{}, {**{f"light-{i}": "green" for i in range(1, rows + 1)},
                     **{f"response-{i}": CONTINUE for i in range(1, rows + 1)}}]
    findings = len(grading.exante_findings(exercise))
    return [{}, {**{f"aspect-{i}": ASPECTS[0] for i in range(1, findings + 1)},
                 **{f"score-{n}": "10" for n in range(1, len(ASPECTS) + 1)},
                 "total": "50", "conclusion": REJECT}]


def _visit_training_pages(visit, client: Client, anonymous: Client, user) -> None:
    """我的培训, a required course and its first lesson (finished), then the plan completed: the
    certificate, its notification and the public verification pages (valid, unknown, mistyped)."""
    from django.utils import timezone

    from courses.certificates.services import certificates_issue_due
    from courses.models import Enrolment, EnrolmentStatus, LessonPage, PlanAssignment

    visit("my training", client.get(reverse("my_training")))
    course = PlanAssignment.objects.filter(user=user).select_related(
        "requirement__course").first().requirement.course
    lesson = LessonPage.objects.live().child_of(course).order_by("path").first()
    visit("course page (learner)", client.get(course.url))
    visit("lesson page", client.get(lesson.url))
    LessonPage.objects.filter(pk=lesson.pk).update(min_study_minutes=0)
    finished = visit("lesson finished", client.post(
        reverse("courses:complete", args=[lesson.pk]), follow=True))
    Enrolment.objects.filter(user=user, course=course).update(
        status=EnrolmentStatus.COMPLETED, completed_at=timezone.now(),
        credited_hours=course.credit_hours)
    [certificate] = certificates_issue_due(user_ids=[user.pk])
    visit("my training (completed)", client.get(reverse("my_training")))
    visit("notifications", client.get(reverse("notifications:list")))
    visit("certificate", client.get(reverse("certificates:detail", args=[certificate.serial])))
    visit("certificate verify form", anonymous.get(reverse("certificates:verify_form")))
    visit("certificate verify form refused", anonymous.get(
        reverse("certificates:verify_form"), {"code": "12ab"}), status=400)
    verified = visit("certificate verified", anonymous.get(
        reverse("certificates:verify", args=[certificate.code])))
    visit("certificate not found", anonymous.get(
        reverse("certificates:verify", args=["0000111122223333"])), status=404)
    assert "有效" in verified and "本节已学完" in finished


@pytest.mark.django_db
def test_every_learner_page_and_message_reads_in_chinese():
    user = _seed_and_learner()
    pages: dict[str, str] = {}

    def visit(label: str, response, status=200):
        assert response.status_code == status, (label, response.status_code)
        pages[label] = response.content.decode()
        return pages[label]

    anonymous = Client()
    policy = PolicyDocumentPage.objects.live().first()
    case = CasePage.objects.live().filter(exercises__published=True).first()
    visit("home", anonymous.get("/"))
    visit("policy index", anonymous.get("/policies/"))
    visit("policy page", anonymous.get(policy.url))
    visit("search", anonymous.get(reverse("search"), {"q": "绩效目标"}))
    visit("case library", anonymous.get("/cases/"))
    visit("case page (anonymous)", anonymous.get(case.url))
    visit("login", anonymous.get(reverse("accounts:login")))
    visit("login refused", anonymous.post(reverse("accounts:login"),
                                          {"username": user.username, "password": "wrong"}))
    visit("404", anonymous.get("/no-such-page-h7/"), status=404)
    # handler500 renders 500.html without a request context; render it the same way.
    visit("500", HttpResponseServerError(render_to_string("500.html")), status=500)
    csrf_client = Client(enforce_csrf_checks=True)
    visit("403 csrf", csrf_client.post(reverse("accounts:login"), {"username": "x"}), status=403)

    client = Client()
    client.force_login(user)
    visit("profile", client.get(reverse("accounts:profile")))
    visit("password change", client.get(reverse("accounts:password_change")))
    visit("password change refused", client.post(reverse("accounts:password_change"), {
        "old_password": "wrong", "new_password1": "a", "new_password2": "b"}))
    visit("403", client.get(reverse("casebook:review_list")), status=403)
    visit("case page (learner)", client.get(case.url))

    for kind in ExerciseKind.values:
        exercise = Exercise.objects.filter(kind=kind, published=True).order_by("pk").first()
        assert exercise is not None, f"the demo seeds no {kind} exercise"
        url = reverse("casebook:exercise", args=[exercise.pk])
        html = visit(f"exercise {kind}", client.get(url))
        refused, complete = _exercise_posts(exercise, html)
        visit(f"exercise {kind} refused", client.post(url, refused), status=400)
        visit(f"exercise {kind} submitted", client.post(url, complete, follow=True))

    def take_quiz(quiz: Quiz, attempt: Attempt) -> None:
        """Answer every question wrongly, check one (practice), submit, read the result."""
        take = reverse("quizzes:take", args=[attempt.pk])
        visit(f"quiz {quiz.mode} take", client.get(take))
        for aq_id, raw in _wrong_answers(attempt).items():
            services.attempt_answer_save(attempt=attempt, attempt_question_id=aq_id, raw=raw)
        if quiz.immediate_feedback:
            first = attempt.attempt_questions.order_by("order").first()
            visit(f"quiz {quiz.mode} checked", client.post(
                take, {"action": f"check:{first.pk}"}, follow=True))
        visit(f"quiz {quiz.mode} summary", client.get(
            reverse("quizzes:summary", args=[attempt.pk])))
        visit(f"quiz {quiz.mode} result", client.post(
            reverse("quizzes:summary", args=[attempt.pk]), follow=True))

    quizzes = list(Quiz.objects.filter(is_draft=False).order_by("pk"))
    visit("quiz list", client.get(reverse("quizzes:index")))
    for quiz in quizzes:
        visit(f"quiz {quiz.pk} detail", client.get(reverse("quizzes:detail", args=[quiz.pk])))
        # An exam outside its window is refused with a message on the detail page: read it too.
        visit(f"quiz {quiz.pk} start", client.post(reverse("quizzes:start", args=[quiz.pk]),
                                                    follow=True))
        attempt = Attempt.objects.filter(user=user, quiz=quiz).order_by("pk").last()
        if attempt is not None and f"quiz {quiz.mode} result" not in pages:
            take_quiz(quiz, attempt)
    if "quiz exam result" not in pages:
        # Every seeded exam is outside its window today: open one so its pages are read too.
        exam = next(quiz for quiz in quizzes if quiz.mode == "exam")
        Quiz.objects.filter(pk=exam.pk).update(opens_at=None, closes_at=None)
        client.post(reverse("quizzes:start", args=[exam.pk]))
        take_quiz(exam, Attempt.objects.filter(user=user, quiz=exam).latest("pk"))
    visit("wrong-answer book", client.get(reverse("quizzes:wrong_answers")))
    visit("quiz progress", client.get(reverse("quizzes:progress")))
    visit("exam papers", client.get(reverse("quizzes:papers")))
    visit("indicator library", client.get(reverse("casebook:indicator_library"), {"q": "满意度"}))
    visit("search without results", client.get(reverse("search"), {"q": "没有这个词h7"}))
    _visit_training_pages(visit, client, anonymous, user)

    # The walk really reached the messages it is meant to read.
    assert "已提交" in pages["exercise ex_ante submitted"]
    assert "请选择评估结论" in pages["exercise ex_ante refused"]
    assert re.search(r"R\d\d</strong> <span class=\"finding__severity\">(错误|警告|提示)",
                     pages["exercise goal_setting submitted"])
    assert "绿灯" in pages["exercise monitoring submitted"]
    assert "无权访问" in pages["403"]
    assert {"quiz practice take", "quiz practice checked", "quiz practice result",
            "quiz exam take", "quiz exam result"} <= set(pages), sorted(pages)

    offending = {label: english_lines(html) for label, html in pages.items()
                 if english_runs(html)}
    assert not offending, "English in the Chinese UI:\n" + "\n".join(
        f"{label}: {lines}" for label, lines in offending.items())


# ---- single fixes, with light fixtures ---------------------------------------------------------

@pytest.mark.django_db
def test_language_switcher_names_each_language_in_its_own_language(client):
    from portal.services import site_home_ensure

    site_home_ensure()
    html = client.get("/").content.decode()
    options = re.findall(r"<option value=\"([^\"]+)\"[^>]*>([^<]+)</option>", html)
    assert ("zh-hans", "简体中文") in options and ("en", "English") in options
    assert "英语" not in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/").content.decode()
    assert "简体中文" in html and "Chinese" not in html


@pytest.mark.django_db
def test_permission_denied_page_is_chinese_not_bare_english(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="h7-learner"))
    response = client.get(reverse("casebook:review_list"))
    html = response.content.decode()
    assert response.status_code == 403
    assert "无权访问" in html and "绩效学堂" in html
    assert "Forbidden" not in html


@pytest.mark.django_db
def test_csrf_failure_page_is_chinese_and_says_nothing_was_saved(django_user_model):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"), {"username": "x", "password": "y"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "表单已失效" in html and "没有保存" in html
    assert "CSRF" not in visible_text(html) and "Forbidden" not in html


def test_finding_severities_and_monitoring_lights_read_in_chinese():
    from django.utils import translation

    from casebook.templatetags.casebook_labels import light_label, severity_label

    with translation.override("zh-hans"):
        assert [str(severity_label(s)) for s in ("error", "warning", "info")] == [
            "错误", "警告", "提示"]
        assert [str(light_label(s)) for s in ("green", "yellow", "red", "blue")] == [
            "绿灯", "黄灯", "红灯", "蓝灯"]
        assert light_label("") == ""
    with translation.override("en"):
        assert str(severity_label("warning")) == "Warning"
        assert str(light_label("red")) == "Red"


@pytest.mark.parametrize("wan, chinese, english", [
    ("400", "400 万元", "CNY 4 million"),
    (Decimal("1560.00"), "1560 万元", "CNY 15.6 million"),
    ("52.5", "52.5 万元", "CNY 525,000"),
    ("0.01", "0.01 万元", "CNY 100"),
])
def test_amounts_in_wan_read_naturally_in_each_language(wan, chinese, english):
    from django.utils import translation

    from casebook.templatetags.casebook_labels import wan_yuan

    with translation.override("zh-hans"):
        assert wan_yuan(wan) == chinese
    with translation.override("en"):
        assert wan_yuan(wan) == english
    assert wan_yuan("not a number") == ""


@pytest.mark.django_db
def test_case_library_amounts_read_in_millions_in_english_and_wan_in_chinese(client):
    from casebook.services import case_index_ensure, case_upsert, functional_classes_load
    from portal.services import site_home_ensure
    from tests.casebook.factories import case_data

    functional_classes_load()
    index = case_index_ensure(home=site_home_ensure())
    case_upsert(index=index, data=case_data(budget_wan=1000))
    chinese = client.get(index.url).content.decode()
    assert "1000 万元" in chinese
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(index.url).content.decode()
    assert "CNY 10 million" in english
    assert "10,000 yuan" not in english and "万元" not in visible_text(english)
