"""In Chromium: a head takes the annual exam (reload keeps answers), a timed exam auto-submits
at expiry, and a reviewer's mark updates the learner's result."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from quizzes import demo, services, tasks
from quizzes.models import Attempt, AttemptStatus, Quiz
from tests.departments.factories import PASSWORD, LearnerFactory

from .conftest import essay, make_quiz, single, true_false

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def login(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_head_takes_the_annual_exam_reloads_and_submits(live_server, page, output_path):
    demo.seed(log=lambda message: None)
    exam = Quiz.objects.get(title=demo.EXAM_TITLE)
    head = LearnerFactory(staff_number="H0001", position="head")
    login(page, live_server, "H0001")
    page.goto(f"{live_server.url}/quizzes/{exam.pk}/")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#attempt-form")
    fieldsets = page.locator("fieldset[data-question]")
    assert fieldsets.count() == 20
    answered = []
    for index in range(3):
        fieldset = fieldsets.nth(index)
        option = fieldset.locator("input[type=radio], input[type=checkbox]").first
        if option.count():
            option.check()
        else:
            fieldset.locator("input[type=text]").first.fill("绩效")
        answered.append(fieldset.get_attribute("data-question"))
        page.wait_for_function(
            "id => document.querySelector(`fieldset[data-question='${id}']`)"
            ".getAttribute('data-saved') === '1'", arg=answered[-1])
        # The navigation marks the question answered as soon as the autosave succeeded.
        page.wait_for_selector(
            f".question-nav__item.is-answered[data-nav-question='{answered[-1]}']")
    assert page.locator(".question-nav__item.is-answered").count() == 3
    page.screenshot(path=f"{output_path}/quiz-exam-in-progress.png", full_page=False)
    page.reload()
    assert page.locator(".question-nav__item.is-answered").count() == 3  # server-rendered
    for question_id in answered:
        fieldset = page.locator(f"fieldset[data-question='{question_id}']")
        kept = fieldset.locator("input:checked").count() + fieldset.locator(
            "input[type=text][value='绩效']").count()
        assert kept >= 1, question_id
    page.click("button[value=finish]")
    page.wait_for_selector("#confirm-submit")
    assert page.locator("ul.unanswered li").count() == 17
    page.click("#confirm-submit")
    page.wait_for_selector("#result-summary")
    page.screenshot(path=f"{output_path}/quiz-exam-result.png", full_page=True)
    attempt = Attempt.objects.get(user=head.user, quiz=exam)
    assert attempt.status == AttemptStatus.GRADED
    assert f"{attempt.percent.normalize():f}%" in page.inner_text("#result-summary") or (
        str(attempt.percent) in page.inner_text("#result-summary"))


def test_timed_exam_auto_submits_at_expiry(live_server, page, output_path, bank):
    question = services.question_create(bank=bank, data=true_false())
    quiz = make_quiz([question], title="限时小测", time_limit_minutes=1)
    learner = LearnerFactory(staff_number="T0001")
    login(page, live_server, "T0001")
    page.goto(f"{live_server.url}/quizzes/{quiz.pk}/")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#quiz-timer")
    page.locator("input[value=true]").check()
    page.wait_for_selector("fieldset[data-saved='1']")
    # The browser is gone; the deadline passes and the worker's task (or the sweep) runs.
    page.goto("about:blank")
    attempt = Attempt.objects.get(user=learner.user)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    tasks.attempt_expire(attempt.pk)
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.GRADED and attempt.auto_submitted and attempt.passed
    page.goto(f"{live_server.url}/quizzes/attempts/{attempt.pk}/")
    page.wait_for_selector("#result-summary")
    assert "/result/" in page.url
    page.screenshot(path=f"{output_path}/quiz-auto-submitted.png", full_page=True)


def test_reviewer_marks_an_essay_and_the_learner_result_updates(live_server, page, output_path,
                                                               bank, reviewer):
    question = services.question_create(bank=bank, data=essay())
    quiz = make_quiz([question], title="论述题测验", pass_mark=60)
    learner = LearnerFactory(staff_number="E0001")
    attempt = services.attempt_start(quiz=quiz, user=learner.user)
    row = attempt.attempt_questions.get()
    services.attempt_answer_save(attempt=attempt, attempt_question_id=row.pk,
                                 raw=["双监控：进度和目标。"])
    services.attempt_submit(attempt=attempt)
    login(page, live_server, "E0001")
    page.goto(f"{live_server.url}/quizzes/attempts/{attempt.pk}/result/")
    assert page.locator(".result-pending").count() == 1
    login(page, live_server, reviewer.username)
    page.goto(f"{live_server.url}/quizzes/marking/")
    # The old address forwards to the marking queue inside the admin.
    page.click(f"a[href='{reverse('quiz_marking:detail', args=[attempt.pk])}']")
    page.fill(f"#mark-{row.pk} input[name=points]", "8")
    page.fill(f"#mark-{row.pk} textarea[name=feedback]", "要点齐全，表述清楚。")
    page.screenshot(path=f"{output_path}/quiz-marking.png", full_page=True)
    page.click(f"#mark-{row.pk} button[type=submit]")
    page.wait_for_load_state()
    login(page, live_server, "E0001")
    page.goto(f"{live_server.url}/quizzes/attempts/{attempt.pk}/result/")
    summary = page.inner_text("#result-summary")
    assert "得分 8/10（80%），及格线 60%" in summary  # points, percentage and pass mark
    assert "要点齐全" in page.content()
    page.screenshot(path=f"{output_path}/quiz-marked-result.png", full_page=True)


def test_editor_imports_a_question_file_with_preview(live_server, page, output_path):
    from pathlib import Path

    from django.contrib.auth.models import Group

    from departments import roles
    from departments.services import roles_ensure
    from quizzes.models import Question
    from tests.departments.factories import UserFactory

    roles_ensure()
    editor = UserFactory(username="editor-e2e")
    editor.groups.add(Group.objects.get(name=roles.EDITOR))
    login(page, live_server, "editor-e2e")
    page.goto(f"{live_server.url}/admin/quizzes/import/")
    page.set_input_files("input[name=file]", str(Path(__file__).parent / "files"
                                                 / "sample_questions.gift.txt"))
    page.fill("input[name=new_bank]", "浏览器导入题库")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#import-questions")
    assert Question.objects.count() == 0
    page.screenshot(path=f"{output_path}/quiz-import-preview.png", full_page=True)
    page.click("main form[action$='/'] button[type=submit]")
    page.wait_for_load_state()
    assert Question.objects.filter(bank__name="浏览器导入题库").count() > 0


def test_practice_check_keeps_the_learner_at_the_checked_question(live_server, page,
                                                                  output_path, bank):
    questions = [services.question_create(bank=bank, data=single(text=f"第{n}题：核心是什么？"))
                 for n in range(1, 9)]
    quiz = make_quiz(questions, title="随堂练习", mode="practice", feedback_timing="each")
    LearnerFactory(staff_number="P0001")
    login(page, live_server, "P0001")
    page.goto(f"{live_server.url}/quizzes/{quiz.pk}/")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#attempt-form")
    last = page.locator("fieldset[data-question]").last
    question_id = last.get_attribute("data-question")
    last.locator("input[type=radio]").first.check()
    last.locator("button[value^='check:']").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"#q-{question_id}")
    checked = page.locator(f"#q-{question_id}")
    checked.locator(".question__outcome").wait_for()
    # Not back at the top: the checked question and its feedback are on screen.
    assert page.evaluate("window.scrollY") > 0
    box = checked.bounding_box()
    assert 0 <= box["y"] < page.viewport_size["height"]
    outcome = checked.locator(".question__outcome").inner_text()
    assert "正确" in outcome or "错误" in outcome
    assert "不完全正确" not in outcome
    page.screenshot(path=f"{output_path}/quiz-practice-check-in-place.png", full_page=False)
