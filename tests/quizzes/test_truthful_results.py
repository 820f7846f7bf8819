"""Quizzes say what is true (issue 8 §2): score with points, percentage and pass mark; right,
wrong or partly right by kind; true/false answers in words; explanations that survive
shuffled options; the practice check returning to its question; exam dates that agree with
the home page's training window. Pages are read in Chinese, the default language."""

import datetime as dt
import re
from datetime import timedelta
from html import unescape

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from portal.models import HomePage
from portal.services import site_home_ensure
from quizzes import authoring, demo, demo_questions, selectors, services, wagtail_hooks
from quizzes.models import Attempt, Question, QuestionImportJob, Quiz

from .conftest import correct_answers, make_quiz, rows_by_kind, single, token, true_false

pytestmark = pytest.mark.django_db


def fieldset(html: str, aq) -> str:
    """The rendered block of one attempt question."""
    start = html.index(f'id="q-{aq.pk}"')
    return html[start:html.index("</fieldset>", start)]


def result_html(client, attempt) -> str:
    return client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()


# ------------------------------------------------------------ score line and outcomes


def test_result_page_states_points_percentage_and_pass_mark_in_chinese(learner_client, auto_quiz,
                                                                       user):
    auto_quiz.pass_mark = 80
    auto_quiz.save()
    attempt = services.attempt_start(quiz=auto_quiz, user=user)
    answers = correct_answers(attempt)
    answers[rows_by_kind(attempt)["truefalse"].pk] = [
        "false" if answers[rows_by_kind(attempt)["truefalse"].pk] == ["true"] else "true"]
    for aq_id, raw in answers.items():
        services.attempt_answer_save(attempt=attempt, attempt_question_id=aq_id, raw=raw)
    services.attempt_submit(attempt=attempt)
    html = result_html(learner_client, attempt)
    # 8 of 10 points is 80 %: the line names both, and the pass mark as a percentage.
    assert "得分 8/10（80%），及格线 80%" in html
    assert '<p class="ok result-verdict"><strong>及格</strong>' in html
    assert "80 分" not in html and "Score" not in html


def test_quiz_page_calls_the_pass_mark_a_percentage(learner_client, auto_quiz):
    html = learner_client.get(reverse("quizzes:detail", args=[auto_quiz.pk])).content.decode()
    assert "<dt>及格线</dt><dd>得分率 60%</dd>" in html


def test_wrong_single_choice_reads_wrong_and_partial_multiple_reads_partly_correct(
        learner_client, questions, user):
    quiz = make_quiz([questions["single"], questions["multiple"], questions["truefalse"]],
                     multiple_scoring="partial")
    attempt = services.attempt_start(quiz=quiz, user=user)
    rows = rows_by_kind(attempt)
    wrong_choice = rows["single"].version.choices.filter(is_correct=False).first()
    one_right = rows["multiple"].version.choices.filter(is_correct=True).first()
    services.attempt_answer_save(attempt=attempt, attempt_question_id=rows["single"].pk,
                                 raw=[token(rows["single"], wrong_choice)])
    services.attempt_answer_save(attempt=attempt, attempt_question_id=rows["multiple"].pk,
                                 raw=[token(rows["multiple"], one_right)])
    services.attempt_answer_save(attempt=attempt, attempt_question_id=rows["truefalse"].pk,
                                 raw=["false"])
    services.attempt_submit(attempt=attempt)
    html = result_html(learner_client, attempt)
    for kind in ("single", "truefalse"):
        block = fieldset(html, rows[kind])
        assert '<strong class="fail">错误</strong>' in block, kind
        assert "部分正确" not in block and "不完全正确" not in block, kind
    block = fieldset(html, rows["multiple"])
    assert '<strong class="partial">部分正确</strong>' in block
    assert "得 1.33 分（共 4 分）" in block


def test_practice_check_of_a_wrong_single_choice_reads_wrong(learner_client, questions, user):
    quiz = make_quiz([questions["single"]], mode="practice", feedback_timing="each")
    attempt = services.attempt_start(quiz=quiz, user=user)
    aq = rows_by_kind(attempt)["single"]
    wrong_choice = aq.version.choices.filter(is_correct=False).first()
    learner_client.post(reverse("quizzes:take", args=[attempt.pk]), {
        "page": 1, f"q{aq.pk}": token(aq, wrong_choice), "action": f"check:{aq.pk}"})
    block = fieldset(learner_client.get(reverse("quizzes:take", args=[attempt.pk]))
                     .content.decode(), aq)
    assert '<strong class="fail">错误</strong>' in block and "不完全正确" not in block


@pytest.mark.parametrize(("answer", "words"), [(True, "正确"), (False, "错误")])
def test_true_false_correct_answer_is_written_in_words(learner_client, bank, user, answer,
                                                       words):
    question = services.question_create(bank=bank, data=true_false(answer=answer))
    quiz = make_quiz([question], review_answers_after_submit=True)
    attempt = services.attempt_start(quiz=quiz, user=user)
    services.attempt_submit(attempt=attempt)
    block = fieldset(result_html(learner_client, attempt), rows_by_kind(attempt)["truefalse"])
    assert re.search(rf"正确答案\s*[:：]\s*</strong>\s*{words}</p>", block), block
    assert "✓" not in block and "✗" not in block


# ------------------------------------------------------------ explanations and shuffling


def test_option_letters_are_found_but_codes_and_words_are_not():
    text = "A、B见报告；D是错误观念。规则R04、GDP、5A级景区、（C）也常见。"
    assert authoring.explanation_option_letters(explanation=text, choice_count=4) == [
        "A", "B", "D", "C"]
    assert authoring.explanation_option_letters(explanation=text, choice_count=2) == ["A", "B"]
    assert authoring.explanation_option_letters(explanation="Ａ—Ｄ均正确", choice_count=4) == [
        "A", "D"]
    assert authoring.explanation_option_letters(
        explanation="按R04规则，GDP与CPI不是选项。", choice_count=5) == []


def test_no_seeded_explanation_names_option_letters():
    naming = [q.name for q in demo_questions.QUESTIONS
              if authoring.question_data_option_letters(q)]
    assert naming == []


def _question_form(bank, explanation):
    return {"bank": bank.pk, "kind": "single", "difficulty": "easy", "name": "字母题",
            "is_active": "on", "category_path": "事前评估/概念", "text": "哪项正确？",
            "points": "2", "choices": "*花钱必问效\n多花钱\n少花钱", "answer_true": "",
            "blanks": "", "reference_answer": "", "explanation": explanation, "tags_text": ""}


@pytest.mark.parametrize("shuffle", [True, False])
def test_saving_a_question_whose_explanation_names_letters_warns_when_a_quiz_shuffles(
        client, editor, bank, shuffle):
    question = services.question_create(bank=bank, data=single())
    make_quiz([question], title="年度考试", shuffle_choices=shuffle)
    client.force_login(editor)
    response = client.post(reverse("quiz_questions:edit", args=[question.pk]),
                           _question_form(bank, "A正确，B、C都不对。"), follow=True)
    question.refresh_from_db()
    # Saved either way: the warning never blocks the editor.
    assert question.versions.count() == 2
    assert question.current_version.explanation == "A正确，B、C都不对。"
    warnings = [str(m) for m in get_messages(response.wsgi_request)] + [
        unescape(response.content.decode())]
    said = any("解析中提到了选项字母 A、B、C，但“年度考试”会打乱选项顺序" in text
               for text in warnings)
    assert said == shuffle


def test_saving_a_question_drawn_by_a_shuffling_rule_warns_too(client, editor, bank):
    question = services.question_create(bank=bank, data=single())
    services.quiz_create(title="抽题考试", mode="exam", is_draft=False, shuffle_choices=True,
                         draw_rules=[{"bank": bank, "count": 1}])
    client.force_login(editor)
    response = client.post(reverse("quiz_questions:edit", args=[question.pk]),
                           _question_form(bank, "选A。"), follow=True)
    assert "“抽题考试”会打乱选项顺序" in unescape(response.content.decode())


def test_saving_a_clean_explanation_gives_no_warning(client, editor, bank):
    question = services.question_create(bank=bank, data=single())
    make_quiz([question], title="年度考试")
    client.force_login(editor)
    response = client.post(reverse("quiz_questions:edit", args=[question.pk]),
                           _question_form(bank, "“花钱必问效”是核心理念。"), follow=True)
    assert "会打乱选项顺序" not in unescape(response.content.decode())


def _with_explanation(data, explanation):
    data.explanation = explanation
    return data


def test_quiz_that_shuffles_lists_its_questions_with_letter_explanations(bank, user):
    clean = services.question_create(bank=bank, data=single(text="干净的题"))
    lettered = services.question_create(bank=bank, data=_with_explanation(
        single(text="带字母的题"), "B、C错误。"))
    other_bank = services.question_bank_get_or_create(name="别的题库")
    services.question_create(bank=other_bank, data=_with_explanation(single(text="另一库"),
                                                                     "A对"))
    quiz = services.quiz_create(title="抽题", mode="exam", is_draft=False, shuffle_choices=True,
                                draw_rules=[{"bank": bank, "count": 2}])
    assert selectors.quiz_questions_naming_option_letters(quiz=quiz) == [lettered]
    request = RequestFactory().get("/")
    request.session, request.user = {}, user
    request._messages = FallbackStorage(request)
    wagtail_hooks.warn_after_quiz_edited(request, quiz)
    (message,) = [str(m) for m in request._messages]
    assert "本测验会打乱选项顺序" in message and "带字母的题" in message
    assert "干净的题" not in message and clean.pk
    quiz.shuffle_choices = False
    assert selectors.quiz_questions_naming_option_letters(quiz=quiz) == []


def test_import_preview_notes_letter_explanations_without_blocking(client, editor):
    client.force_login(editor)
    gift = ("::字母:: 下列哪项正确？{\n  =花钱必问效\n  ~多花钱\n  ~少花钱\n"
            "  ####A正确，B、C错误。\n}\n").encode()
    response = client.post(reverse("quizzes_import:upload"), {
        "file": SimpleUploadedFile("q.gift.txt", gift), "file_format": "", "bank": "",
        "new_bank": "导入题库", "category_prefix": ""})
    job = QuestionImportJob.objects.get()
    html = unescape(client.get(response.url).content.decode())
    notes = html[html.index('id="import-warnings"'):]
    assert "解析中提到了选项字母 A、B、C" in notes
    # A note, not an error: the file can still be confirmed, and nothing is written yet.
    assert "确认导入" in html
    assert not Question.objects.exists()
    client.post(reverse("quizzes_import:preview", args=[job.pk]))
    assert Question.objects.count() == 1


# ------------------------------------------------------------ practice check keeps the place


def test_practice_check_returns_to_the_checked_question(learner_client, questions, user):
    quiz = make_quiz(questions.values(), mode="practice", feedback_timing="each")
    attempt = services.attempt_start(quiz=quiz, user=user)
    aq = rows_by_kind(attempt)["multiple"]
    response = learner_client.post(reverse("quizzes:take", args=[attempt.pk]), {
        "page": 1, f"q{aq.pk}": correct_answers(attempt)[aq.pk], "action": f"check:{aq.pk}"})
    assert response.status_code == 302
    assert response.url == f"{reverse('quizzes:take', args=[attempt.pk])}?page=1#q-{aq.pk}"
    html = learner_client.get(response.url.split("#")[0]).content.decode()
    assert f'id="q-{aq.pk}"' in html  # the anchor exists on the page it returns to
    aq.refresh_from_db()
    assert aq.checked


def test_practice_check_with_a_bad_question_id_adds_no_anchor(learner_client, questions, user):
    quiz = make_quiz(questions.values(), mode="practice", feedback_timing="each")
    attempt = services.attempt_start(quiz=quiz, user=user)
    response = learner_client.post(reverse("quizzes:take", args=[attempt.pk]),
                                   {"page": 1, "action": "check:<b>"})
    assert response.url == f"{reverse('quizzes:take', args=[attempt.pk])}?page=1"


# ------------------------------------------------------------ exam window


def test_exam_whose_window_closed_is_refused_with_its_closing_time(learner_client, auto_quiz,
                                                                   user):
    closes = timezone.make_aware(dt.datetime(2025, 11, 30, 23, 59, 59))
    auto_quiz.opens_at = timezone.make_aware(dt.datetime(2025, 3, 1))
    auto_quiz.closes_at = closes
    auto_quiz.save()
    detail = learner_client.get(reverse("quizzes:detail", args=[auto_quiz.pk])).content.decode()
    assert "本测验已于 2025-11-30 23:59 截止，不能再开始作答。" in detail
    assert reverse("quizzes:start", args=[auto_quiz.pk]) not in detail
    assert "2025-03-01 00:00" in detail
    response = learner_client.post(reverse("quizzes:start", args=[auto_quiz.pk]), follow=True)
    assert "本测验已于 2025-11-30 23:59 截止，不能再开始作答。" in response.content.decode()
    assert not Attempt.objects.filter(user=user).exists()


def test_exam_not_yet_open_names_its_opening_time(auto_quiz, user):
    auto_quiz.opens_at = timezone.now() + timedelta(days=3)
    auto_quiz.save()
    with pytest.raises(services.ValidationError) as error:
        services.attempt_start(quiz=auto_quiz, user=user)
    opens = timezone.localtime(auto_quiz.opens_at).strftime("%Y-%m-%d %H:%M")
    assert error.value.messages == [f"本测验于 {opens} 开放，开放前不能开始作答。"]
    assert not Attempt.objects.exists()


def _home_with_window(start, end) -> HomePage:
    home = site_home_ensure()
    home.training_window_start, home.training_window_end = start, end
    home.save()
    return home


def test_seeded_annual_exam_is_open_exactly_during_the_home_page_training_window(client, user):
    today = timezone.localdate()
    _home_with_window(today - timedelta(days=10), today + timedelta(days=10))
    demo.seed(log=lambda message: None)
    exam = Quiz.objects.get(title=demo.EXAM_TITLE)
    assert timezone.localtime(exam.opens_at).date() == today - timedelta(days=10)
    assert timezone.localtime(exam.closes_at).date() == today + timedelta(days=10)
    assert exam.is_open()
    home = client.get("/").content.decode()
    client.force_login(user)
    detail = client.get(reverse("quizzes:detail", args=[exam.pk])).content.decode()
    for day in (today - timedelta(days=10), today + timedelta(days=10)):
        assert day.isoformat() in home and day.isoformat() in detail
    assert "training-window--open" in home and "进行中" in home


def test_exam_and_home_page_both_say_closed_after_the_training_window(client, user):
    today = timezone.localdate()
    _home_with_window(today - timedelta(days=60), today - timedelta(days=1))
    demo.seed(log=lambda message: None)
    exam = Quiz.objects.get(title=demo.EXAM_TITLE)
    home = client.get("/").content.decode()
    assert "training-window--closed" in home
    client.force_login(user)
    response = client.post(reverse("quizzes:start", args=[exam.pk]), follow=True)
    last_day = (today - timedelta(days=1)).isoformat()
    assert f"本测验已于 {last_day} 23:59 截止，不能再开始作答。" in response.content.decode()
    assert not Attempt.objects.filter(quiz=exam).exists()
    # Seeding again changes nothing: the exam already follows the window.
    logs = []
    demo.seed(log=logs.append)
    assert not any("as the home page says" in line for line in logs)


def test_publishing_a_new_training_window_names_exams_that_still_show_other_dates(auto_quiz,
                                                                                  user):
    home = _home_with_window(dt.date(2026, 3, 1), dt.date(2026, 11, 30))
    services.quiz_window_follow_training(quiz=auto_quiz, start=home.training_window_start,
                                         end=home.training_window_end)
    request = RequestFactory().get("/")
    request.session, request.user = {}, user
    request._messages = FallbackStorage(request)
    wagtail_hooks.warn_when_training_window_leaves_exams_behind(request, home)
    assert list(request._messages) == []  # agreeing dates: nothing to say
    home.training_window_end = dt.date(2026, 12, 31)
    home.save()
    home.save_revision().publish()
    wagtail_hooks.warn_when_training_window_leaves_exams_behind(request, home)
    (message,) = [str(m) for m in request._messages]
    assert "考试“自动评分”的开放时间为2026-03-01 00:00 至 2026-11-30 23:59" in message
    assert "首页公布的培训期为2026-03-01 至 2026-12-31" in message


def test_following_the_training_window_is_idempotent(auto_quiz):
    start, end = dt.date(2026, 3, 1), dt.date(2026, 11, 30)
    assert services.quiz_window_follow_training(quiz=auto_quiz, start=start, end=end)
    assert not services.quiz_window_follow_training(quiz=auto_quiz, start=start, end=end)
    auto_quiz.refresh_from_db()
    assert timezone.localtime(auto_quiz.closes_at).strftime("%Y-%m-%d %H:%M:%S") == (
        "2026-11-30 23:59:59")
