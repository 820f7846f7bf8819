"""The attempt page's frame filled in per request (quizzes.exam_frame, issue 12) is the page the
template renders, byte for byte but for the CSRF token's random mask: in both languages, with
and without a timer, on the first, a middle and the last page of a one-question-per-page quiz,
with hostile titles, names and paths; markers never reach a page; flash messages still show;
the CSRF cookie is still set."""

import io
import re

import pytest
from django.core.files.images import ImageFile
from django.test import Client, override_settings
from django.urls import reverse
from PIL import Image as PillowImage
from wagtail.images import get_image_model

from quizzes import exam_frame, services

from .conftest import make_quiz, single

HOSTILE = '<script>alert("x")</script> & \'引号\''
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def _masked(html: str) -> str:
    """The page with its CSRF tokens (a new random mask on every render) set aside."""
    tokens = TOKEN.findall(html)
    assert tokens, "the form and the language switcher carry a CSRF token"
    return TOKEN.sub('name="csrfmiddlewaretoken" value="-"', html)


def _both_ways(client, url):
    """The page as served (pieces filled in) and as the template renders it (under DEBUG the
    frame is not kept: templates may change on disk)."""
    fast = client.get(url)
    with override_settings(DEBUG=True):
        template = client.get(url)
    assert fast.status_code == template.status_code == 200
    return fast.content.decode(), template.content.decode()


@pytest.fixture
def hostile_client(client, user):
    user.first_name, user.last_name = HOSTILE, ""
    user.save()
    client.force_login(user)
    return client


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("time_limit", [0, 30])
def test_one_page_quiz_is_the_template_page(hostile_client, questions, user, language,
                                            time_limit):
    quiz = make_quiz(questions.values(), title=HOSTILE, time_limit_minutes=time_limit)
    attempt = services.attempt_start(quiz=quiz, user=user)
    hostile_client.cookies["django_language"] = language
    url = reverse("quizzes:take", args=[attempt.pk]) + "?x=%27%22%3E%3Cb%3E&page=1"
    fast, template = _both_ways(hostile_client, url)
    assert _masked(fast) == _masked(template)
    assert "\ue000" not in fast and "\ue001" not in fast
    assert "<script>" not in fast and "<b>" not in fast
    assert fast.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;引号&#x27;") \
        >= 3  # the title twice, the learner's name once
    assert ('id="quiz-timer"' in fast) is bool(time_limit)
    assert f'<html lang="{language}">' in fast


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_each_page_of_a_paged_quiz_is_the_template_page(learner_client, questions, user,
                                                        language):
    quiz = make_quiz(questions.values(), layout="one", time_limit_minutes=20)
    attempt = services.attempt_start(quiz=quiz, user=user)
    learner_client.cookies["django_language"] = language
    seen = set()
    for number in (1, 3, len(questions)):
        url = f"{reverse('quizzes:take', args=[attempt.pk])}?page={number}"
        fast, template = _both_ways(learner_client, url)
        assert _masked(fast) == _masked(template)
        assert f'name="page" value="{number}"' in fast
        buttons = (('value="prev"' in fast), ('value="next"' in fast))
        seen.add(buttons)
    # First page: next only; middle: both; last: previous only.
    assert seen == {(False, True), (True, True), (True, False)}


def test_the_page_names_its_own_attempt_in_every_url(learner_client, quiz, user, other_user):
    mine = services.attempt_start(quiz=quiz, user=user)
    services.attempt_start(quiz=quiz, user=other_user)  # another shape cached already
    html = learner_client.get(reverse("quizzes:take", args=[mine.pk])).content.decode()
    assert f'action="{reverse("quizzes:take", args=[mine.pk])}"' in html
    assert f'data-autosave-url="{reverse("quizzes:autosave", args=[mine.pk])}"' in html
    assert "测验" in html  # the quiz's own title


def test_flash_messages_render_through_the_template_once(learner_client, quiz, user):
    attempt = services.attempt_start(quiz=quiz, user=user)
    url = reverse("quizzes:take", args=[attempt.pk])
    aq = attempt.attempt_questions.get(kind="single")
    # An option value that is not one of the page's tokens: the save is refused with a message.
    response = learner_client.post(url, {"page": "1", f"q{aq.pk}": "not-a-token"})
    assert response.status_code == 302
    page = learner_client.get(url)
    html = page.content.decode()
    assert 'class="messages"' in html
    # Shown, so used up: the next view of the page has none.
    assert 'class="messages"' not in learner_client.get(url).content.decode()


def test_the_page_sets_a_csrf_cookie_that_its_form_can_post_with(quiz, user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    attempt = services.attempt_start(quiz=quiz, user=user)
    url = reverse("quizzes:take", args=[attempt.pk])
    page = client.get(url)
    assert "csrftoken" in page.cookies
    token = TOKEN.search(page.content.decode()).group(0).split('value="')[1].rstrip('"')
    saved = client.post(url, {"page": "1", "action": "finish", "csrfmiddlewaretoken": token})
    assert saved.status_code == 302 and saved["Location"].endswith(
        reverse("quizzes:summary", args=[attempt.pk]))
    refused = Client(enforce_csrf_checks=True)
    refused.force_login(user)
    assert refused.post(url, {"page": "1", "action": "finish"}).status_code == 403


def test_a_question_with_a_figure_goes_through_the_template(learner_client, bank, user):
    buffer = io.BytesIO()
    PillowImage.new("RGB", (40, 30), "white").save(buffer, "PNG")
    image = get_image_model().objects.create(
        title="示意图", file=ImageFile(buffer, name="figure.png"))
    question = services.question_create(bank=bank, data=single(), figure=image)
    attempt = services.attempt_start(quiz=make_quiz([question]), user=user)
    fast, template = _both_ways(learner_client, reverse("quizzes:take", args=[attempt.pk]))
    assert _masked(fast) == _masked(template)
    assert 'class="question__figure"' in fast and "<img" in fast


def test_markers_cannot_be_smuggled_in(learner_client, questions, user):
    """A title holding the markers' own characters is text like any other."""
    quiz = make_quiz(questions.values(), title="\ue0003\ue001 测验")
    attempt = services.attempt_start(quiz=quiz, user=user)
    html = learner_client.get(reverse("quizzes:take", args=[attempt.pk])).content.decode()
    assert html.count("\ue0003\ue001 测验") == 2  # <title> and <h1>, as given
    assert f"/quizzes/attempts/{attempt.pk}/" in html


def test_fields_cover_every_value_of_the_page():
    assert len(exam_frame.FIELDS) == len(set(exam_frame.FIELDS))
    pieces = exam_frame._pieces("zh-hans", True, True, True)
    used = {index for _literal, index in pieces if index is not None}
    assert used == set(range(len(exam_frame.FIELDS)))
