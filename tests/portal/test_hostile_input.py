"""Hostile request text (NUL and other control characters, JSON nested 100,000 deep) is refused
with a 400 in Chinese before any view runs, on every page; normal requests, including Wagtail
page edits, pass untouched. Run on PostgreSQL too: that is where NUL used to become a 500."""

from __future__ import annotations

import time

import pytest
from axes.models import AccessAttempt, AccessLog
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from portal import cleaning
from portal.models import SearchEntry, StandardPage
from portal.services import page_publish

pytestmark = pytest.mark.django_db

DEEP = 100_000
DEEP_JSON = "[" * DEEP + "]" * DEEP


def zh(message, **params) -> str:
    with translation.override("zh-hans"):
        return str(message) % params if params else str(message)


NUL_TEXT = zh(cleaning.TEXT_FORBIDDEN)
TOO_DEEP = zh(cleaning.JSON_TOO_DEEP, limit=cleaning.JSON_MAX_DEPTH)


def assert_refused_page(response, message=NUL_TEXT):
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and "请求被拒绝" in page and "未保存任何内容" in page


def assert_refused_json(response, message):
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": message}


# ---- the shared helpers ----------------------------------------------------------------------

@pytest.mark.parametrize("value", ["a\x00b", "\x01", "\x08", "\x0b", "\x1f", "x\ud800y"])
def test_text_clean_refuses_control_characters_and_lone_surrogates(value):
    with pytest.raises(ValidationError) as caught:
        cleaning.text_clean(value=value)
    assert caught.value.code == "control_characters"


@pytest.mark.parametrize("value", ["", "第一行\n第二行\r\n\t缩进", "😀 emoji", "\x7f", "≤ 100%"])
def test_text_clean_keeps_ordinary_text_including_tab_and_newlines(value):
    assert cleaning.text_clean(value=value) == value


def test_data_clean_walks_keys_and_deep_values_without_recursion():
    deep: list = []
    inner = deep
    for _ in range(DEEP):
        inner.append([])
        inner = inner[0]
    inner.append("\x00")
    with pytest.raises(ValidationError):
        cleaning.data_clean(value=deep)
    with pytest.raises(ValidationError):
        cleaning.data_clean(value={"ok": 1, "bad\x00key": "v"})
    assert cleaning.data_clean(value={"a": ["b", 1, None, {"c": "d"}]})


def test_json_loader_refuses_a_100000_deep_document_quickly_and_in_chinese():
    started = time.perf_counter()
    for document in (DEEP_JSON, "{\"a\":" * DEEP + "1" + "}" * DEEP, DEEP_JSON.encode()):
        with pytest.raises(ValidationError) as caught:
            cleaning.json_loads_limited(document)
        assert caught.value.code == "too_deep"
        with translation.override("zh-hans"):
            assert caught.value.messages == [TOO_DEEP]
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(("document", "code"), [
    ('{"text": "a\\u0000b"}', "control_characters"),
    ('{"text": "\\ud800"}', "control_characters"),
    ('{"te\\u0001xt": 1}', "control_characters"),
    ('{"text": "a\x00b"}', "control_characters"),
    ('{"indicators": [', "invalid"),
    ("x" * (cleaning.JSON_MAX_BYTES + 1), "too_large"),
])
def test_json_loader_refuses_what_cannot_be_stored(document, code):
    with pytest.raises(ValidationError) as caught:
        cleaning.json_loads_limited(document)
    assert caught.value.code == code


def test_json_loader_accepts_64_levels_brackets_in_strings_and_emoji_pairs():
    at_limit = "[" * cleaning.JSON_MAX_DEPTH + "]" * cleaning.JSON_MAX_DEPTH
    assert cleaning.json_loads_limited(at_limit)
    assert cleaning.json_loads_limited('{"t": "[[[[\\"{{{{", "e": "\\ud83d\\ude00"}') == {
        "t": '[[[["{{{{', "e": "😀"}
    with pytest.raises(ValidationError):
        cleaning.json_loads_limited("[" + at_limit + "]")


# ---- the request guard on public pages --------------------------------------------------------

def test_nul_in_a_search_query_is_a_400_in_chinese(client):
    assert_refused_page(client.get("/search/", {"q": "绩效\x00"}))


def test_nul_in_a_policy_library_filter_is_refused(client, make_policy):
    make_policy(title="仍然可见的文件")
    assert_refused_page(client.get("/policies/?stage=%00"))


def test_nul_in_a_query_parameter_name_is_refused(client):
    assert_refused_page(client.get("/search/?q%00=1"))


def test_nul_in_the_path_of_a_wagtail_page_is_refused(client):
    assert_refused_page(client.get("/policies/%00/"))


def test_nul_in_the_login_form_is_a_400_and_nothing_is_recorded(client):
    response = client.post(reverse("accounts:login"),
                           {"username": "admin\x00", "password": "x"})
    assert_refused_page(response)
    assert not AccessAttempt.objects.exists() and not AccessLog.objects.exists()


def test_nul_in_the_session_cookie_is_refused_before_the_session_is_read(client,
                                                                           settings):
    client.cookies[settings.SESSION_COOKIE_NAME] = "abcdefgh\x00ijkl"
    assert_refused_page(client.get("/quizzes/"))


def test_nul_in_a_header_that_axes_would_store_is_refused(client):
    response = client.post(reverse("accounts:login"), {"username": "a", "password": "b"},
                           HTTP_USER_AGENT="probe\x00")
    assert_refused_page(response)
    assert not AccessAttempt.objects.exists()


def test_refusal_is_json_for_scripts(client):
    response = client.post("/quizzes/attempts/1/autosave/", {"question": "1", "essay\x00": "x"},
                           HTTP_X_REQUESTED_WITH="fetch")
    assert_refused_json(response, NUL_TEXT)


def test_refusal_page_follows_the_language_switcher(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/search/", {"q": "\x00"})
    assert response.status_code == 400
    with translation.override("en"):
        assert str(cleaning.TEXT_FORBIDDEN) in response.content.decode()


def test_multipart_field_with_nul_is_refused_but_file_contents_are_not_read(client):
    refused = client.post("/search/", {"q": "\x00", "file": SimpleUploadedFile("a.txt", b"x")})
    assert_refused_page(refused)
    passed = client.post("/search/", {"q": "ok", "file": SimpleUploadedFile("a.bin", b"\x00\x01")})
    assert passed.status_code != 400


def test_form_field_holding_deep_json_is_refused(client):
    assert_refused_page(client.post("/search/", {"q": DEEP_JSON}), TOO_DEEP)


# ---- JSON bodies: every JSON endpoint ------------------------------------------------------

JSON_ENDPOINTS = [
    "/quizzes/attempts/1/autosave/",
    "/casebook/indicators/autocomplete",
    "/admin/roster/1/status.json",
    "/healthz",
]


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_100000_deep_json_body_is_refused_in_chinese_at_every_json_endpoint(client, path):
    started = time.perf_counter()
    response = client.post(path, DEEP_JSON, content_type="application/json")
    assert_refused_json(response, TOO_DEEP)
    assert time.perf_counter() - started < 1


def test_deep_json_body_without_a_json_content_type_is_refused(client):
    response = client.generic("POST", "/quizzes/attempts/1/autosave/", DEEP_JSON,
                              content_type="text/plain;charset=UTF-8",
                              HTTP_X_REQUESTED_WITH="fetch")
    assert_refused_json(response, TOO_DEEP)


@pytest.mark.parametrize("body", ['{"answer": "a\\u0000b"}', '{"answer": "\\udfff"}',
                                  '{"answer": "a\x00b"}'])
def test_json_body_with_a_nul_escape_or_a_lone_surrogate_is_refused(client, body):
    response = client.post("/healthz", body, content_type="application/json")
    assert_refused_json(response, NUL_TEXT)


def test_ordinary_and_invalid_json_bodies_are_left_to_the_view(client):
    for body in ('{"q": "预算", "nested": [[[1]]]}', '{"broken": '):
        response = client.post("/healthz", body, content_type="application/json")
        assert response.status_code != 400


def test_djangos_own_bad_request_uses_the_same_chinese_page(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    response = client.post("/search/", {f"f{i}": "x" for i in range(10)})
    assert response.status_code == 400
    assert "请求被拒绝" in response.content.decode()


# ---- Wagtail admin keeps working ---------------------------------------------------------------

def test_wagtail_admin_page_edit_with_streamfield_and_rich_text_still_saves(admin_client, home):
    page = StandardPage(title="使用帮助", intro="旧")
    home.add_child(instance=page)
    page = page_publish(page)
    url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, nested_form_data({
        "title": "使用帮助", "slug": page.slug, "intro": "第一行\r\n第二行\t缩进",
        "body": streamfield([("heading", "登录"),
                             ("paragraph", rich_text("<p>用<b>工号</b>登录。</p>"))]),
        "action-publish": "action-publish",
    }))
    assert response.status_code == 302, response.content.decode()[:2000]
    page = StandardPage.objects.get(pk=page.pk)
    assert page.intro == "第一行\r\n第二行\t缩进" and page.live
    assert [block.block_type for block in page.body] == ["heading", "paragraph"]
    assert "工号" in SearchEntry.objects.get(page=page).text
