"""Options post opaque per-attempt tokens, never choice ids: choice ids follow authoring order,
where the right option usually comes first, so the lowest posted value gave the answer away."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from quizzes import choice_tokens, services, types
from quizzes.models import AttemptQuestion, AttemptStatus, Choice
from quizzes.types import ChoiceData, QuestionData

from .conftest import make_quiz, token

pytestmark = pytest.mark.django_db

UNKNOWN_OPTION_ZH = "该选项不属于您本次作答中这道题的选项，请刷新页面后重新作答。"
OPTION = re.compile(
    r'<input type="(?:radio|checkbox)" name="q(?P<aq>\d+)" value="(?P<value>[^"]*)"'
    r'(?P<rest>[^>]*)> <span class="choice__letter">[A-Z]\.</span> (?P<text>[^<]*)</label>')
ATTRIBUTE = re.compile(r'\s(?P<name>[\w:-]+)="(?P<value>[^"]*)"')
SINGLES, MULTIPLES = 12, 6


@pytest.fixture
def seeded_like_exam(bank):
    """An exam like the seeded annual one: options shuffled, every right option written first
    (as the demo bank's authors did), choice ids well above the other numbers on the page."""
    filler = services.question_bank_get_or_create(name="其他题库")
    services.questions_import(bank=filler, questions=[QuestionData(
        kind=types.SINGLE, text=f"占位题{i}", choices=[ChoiceData("甲", True), ChoiceData("乙"),
                                                    ChoiceData("丙")]) for i in range(40)])
    questions = [QuestionData(kind=types.SINGLE, text=f"单选题{i}", choices=[
        ChoiceData(f"单{i}对", True), *(ChoiceData(f"单{i}错{n}") for n in range(3))])
        for i in range(SINGLES)]
    questions += [QuestionData(kind=types.MULTIPLE, text=f"多选题{i}", choices=[
        ChoiceData(f"多{i}对1", True), ChoiceData(f"多{i}对2", True),
        ChoiceData(f"多{i}错1"), ChoiceData(f"多{i}错2")]) for i in range(MULTIPLES)]
    report = services.questions_import(bank=bank, questions=questions)
    assert report.ok, report.errors
    return make_quiz(bank.questions.order_by("pk"), random_order=True, max_attempts=0,
                     review_answers_after_submit=True)


def options(html: str) -> dict[int, list[dict]]:
    """The options of each attempt question, in display order: value, text, checked."""
    found: dict[int, list[dict]] = {}
    for match in OPTION.finditer(html):
        found.setdefault(int(match["aq"]), []).append({
            "value": match["value"], "text": match["text"], "checked": "checked" in match["rest"]})
    return found


def choice_pks(quiz) -> set[str]:
    return {str(pk) for pk in Choice.objects.filter(
        version__question__quiz_links__quiz=quiz).values_list("pk", flat=True)}


def assert_no_choice_ids(html: str, quiz) -> None:
    """No attribute anywhere (values, ids, for=, data-*) carries a choice id, bare or as the
    number at the end of a name like `choice-123`."""
    pks = choice_pks(quiz)
    for match in ATTRIBUTE.finditer(html):
        if match["name"] == "value" and re.fullmatch(r"[0-9a-f]{16}", match["value"]):
            continue  # an option token: checked against the choices by the callers
        number = re.fullmatch(r"[A-Za-z_:-]*(\d+)", match["value"])
        assert not (number and number.group(1) in pks), match.group(0)


def take(client, attempt) -> str:
    return client.get(reverse("quizzes:take", args=[attempt.pk])).content.decode()


def test_take_page_of_a_fresh_attempt_carries_no_choice_ids(learner_client, user,
                                                           seeded_like_exam):
    attempt = services.attempt_start(quiz=seeded_like_exam, user=user)
    html = take(learner_client, attempt)
    assert_no_choice_ids(html, seeded_like_exam)
    shown = options(html)
    assert len(shown) == SINGLES + MULTIPLES
    for aq in attempt.attempt_questions.prefetch_related("version__choices"):
        by_text = {c.text: c for c in aq.version.choices.all()}
        # Each value is this attempt's token for the option it labels.
        assert [o["value"] for o in shown[aq.pk]] == [
            token(aq, by_text[o["text"]]) for o in shown[aq.pk]]
        assert not {o["value"] for o in shown[aq.pk]} & choice_pks(seeded_like_exam)


def test_the_right_option_is_not_the_lowest_value_more_often_than_chance(
        learner_client, user, seeded_like_exam):
    lowest = {types.SINGLE: 0, types.MULTIPLE: 0}
    values_of_first_option = set()
    attempts = 4
    for _ in range(attempts):
        attempt = services.attempt_start(quiz=seeded_like_exam, user=user)
        shown = options(take(learner_client, attempt))
        for aq in attempt.attempt_questions.all():
            first = min(shown[aq.pk], key=lambda o: o["value"])
            lowest[aq.kind] += "对" in first["text"]
            if aq.order == 1:
                values_of_first_option.add(next(
                    o["value"] for o in shown[aq.pk] if o["text"].endswith("对1")
                    or o["text"].endswith("对")))
        services.attempt_submit(attempt=attempt)
    # With choice ids the right option was the lowest value every time (100%); with tokens
    # it is chance: 1 in 4 for single choice (expected 12 of 48), 2 in 4 for multiple.
    assert lowest[types.SINGLE] < SINGLES * attempts / 2
    assert lowest[types.MULTIPLE] < MULTIPLES * attempts
    assert len(values_of_first_option) == attempts  # a new value in every attempt


def test_posted_values_save_and_grade_through_autosave_and_final_submit(
        learner_client, user, seeded_like_exam):
    attempt = services.attempt_start(quiz=seeded_like_exam, user=user)
    shown = options(take(learner_client, attempt))
    right = {aq_id: [o["value"] for o in opts if "对" in o["text"]]
             for aq_id, opts in shown.items()}
    half = sorted(right)[: len(right) // 2]
    for aq_id in half:
        response = learner_client.post(reverse("quizzes:autosave", args=[attempt.pk]),
                                       {"question": aq_id, f"q{aq_id}": right[aq_id]})
        assert response.status_code == 200 and response.json() == {
            "saved": True, "question": aq_id}
    # Reloaded, the autosaved options are checked, so the form posts them again with the rest.
    reloaded = options(take(learner_client, attempt))
    for aq_id in half:
        assert [o["value"] for o in reloaded[aq_id] if o["checked"]] == right[aq_id]
    post = {"page": 1, "action": "finish"}
    post.update({f"q{aq_id}": values for aq_id, values in right.items()})
    response = learner_client.post(reverse("quizzes:take", args=[attempt.pk]), post)
    assert response.url == reverse("quizzes:summary", args=[attempt.pk])
    learner_client.post(reverse("quizzes:summary", args=[attempt.pk]))
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.GRADED
    assert attempt.score == attempt.max_score == Decimal(SINGLES + MULTIPLES)
    # Stored answers keep choice ids: the right ones.
    for aq in attempt.attempt_questions.prefetch_related("version__choices"):
        assert aq.answer == {"choices": sorted(
            c.pk for c in aq.version.choices.all() if c.is_correct)}


def test_a_raw_choice_id_or_another_attempts_value_is_refused_and_nothing_saved(
        learner_client, user, other_user, seeded_like_exam):
    attempt = services.attempt_start(quiz=seeded_like_exam, user=user)
    other = services.attempt_start(quiz=seeded_like_exam, user=other_user)
    aq = attempt.attempt_questions.select_related("version").get(order=1)
    theirs = other.attempt_questions.get(version=aq.version)  # the same question, drawn there
    right = aq.version.choices.get(order=1)
    refused = [str(right.pk), token(theirs, right),
               token(attempt.attempt_questions.exclude(pk=aq.pk).first(), right)]
    url = reverse("quizzes:autosave", args=[attempt.pk])
    for value in refused:
        response = learner_client.post(url, {"question": aq.pk, f"q{aq.pk}": value})
        assert response.status_code == 400, value
        assert response.json() == {"saved": False, "error": UNKNOWN_OPTION_ZH, "expired": False}
    response = learner_client.post(
        reverse("quizzes:take", args=[attempt.pk]),
        {"page": 1, "action": "finish", f"q{aq.pk}": str(right.pk)}, follow=True)
    assert UNKNOWN_OPTION_ZH in response.content.decode()
    assert response.redirect_chain[-1][0].startswith(reverse("quizzes:take", args=[attempt.pk]))
    assert not AttemptQuestion.objects.filter(answer__isnull=False).exists()


def test_result_and_review_pages_show_the_selection_without_choice_ids(
        learner_client, client, user, reviewer, seeded_like_exam):
    attempt = services.attempt_start(quiz=seeded_like_exam, user=user)
    shown = options(take(learner_client, attempt))
    picked = {}
    for aq in attempt.attempt_questions.all():
        option = shown[aq.pk][-1]  # whatever the shuffle put last
        picked[aq.pk] = option["text"]
        services.attempt_answer_save(attempt=attempt, attempt_question_id=aq.pk,
                                     raw=[option["value"]])
    services.attempt_submit(attempt=attempt)
    pages = {
        "result": learner_client.get(
            reverse("quizzes:result", args=[attempt.pk])).content.decode(),
        "wrong answers": learner_client.get(reverse("quizzes:wrong_answers")).content.decode(),
    }
    result = options(pages["result"])
    for aq_id, text in picked.items():
        assert [o["text"] for o in result[aq_id] if o["checked"]] == [text]
        assert [o["value"] for o in result[aq_id]] == [o["value"] for o in shown[aq_id]]
    client.force_login(reviewer)
    pages["marking"] = client.get(
        reverse("quiz_marking:detail", args=[attempt.pk])).content.decode()
    for name, html in pages.items():
        assert options(html), name
        assert_no_choice_ids(html, seeded_like_exam)


def test_tokens_made_before_a_key_rotation_are_still_accepted(settings):
    old = choice_tokens.choice_token(attempt_question_id=7, choice_id=42)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-after-rotation"
    assert choice_tokens.choice_token(attempt_question_id=7, choice_id=42) != old
    assert choice_tokens.choice_tokens(attempt_question_id=7, choice_ids=[41, 42])[old] == 42
