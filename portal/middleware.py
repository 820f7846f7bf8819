"""Request middleware: language selection for a Chinese-first site, and the request guard."""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template import loader
from django.utils import translation

from portal import cleaning


class ChineseFirstLocaleMiddleware:
    """Use the language the user chose with the switcher (cookie), else Chinese.

    Django's LocaleMiddleware would follow the browser's Accept-Language header, so an
    English-locale browser on a government intranet would get English by default. Our users read
    Chinese first; English is an explicit choice.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        # Overridden for this request only: a thread that serves the next request, a test or a
        # task run in the same thread afterwards does not inherit the language.
        with translation.override(language):
            request.LANGUAGE_CODE = translation.get_language()
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        response.headers.setdefault("Vary", "Cookie")
        return response


FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Bodies read as JSON: declared JSON, and bodies sent without a usable type (fetch() posts a
# string as text/plain) that start like JSON. Other types (files, XML) are left to their views.
JSON_CONTENT_TYPES = ("application/json", "text/plain", "")
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")

security_logger = logging.getLogger("portal.security")


class RequestTextGuardMiddleware:
    """Answer 400, in the user's language, to a request carrying text the site cannot store or
    parse safely: a control character (NUL …) in the path, a query parameter, a form field, a
    cookie or a header, or JSON nested deeper than `cleaning.JSON_MAX_DEPTH`.

    One gate in front of every view instead of a check in each form: PostgreSQL refuses NUL in
    text (a 500 wherever a view wrote one) and a deep JSON body made json.loads recurse into a
    RecursionError. It sits before authentication, so a hostile session cookie never reaches a
    session query. Uploaded file contents are not read here (the upload checks own them); only
    multipart field values and file names are. Because this reads `request.POST`, a view cannot
    swap `request.upload_handlers` afterwards: use the FILE_UPLOAD_HANDLERS setting instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = request_text_problem(request)
        if problem is not None:
            security_logger.warning("Refused request to %r: %s", request.path, problem.code)
            return bad_request_response(request, message=" ".join(problem.messages))
        return self.get_response(request)


def _request_texts(request):
    """Every piece of text of the request a view could store, except the body."""
    yield request.path_info
    for key, values in request.GET.lists():
        yield key
        yield from values
    for key, value in request.COOKIES.items():
        yield key
        yield value
    for key, value in request.META.items():
        if key.startswith("HTTP_") and isinstance(value, str):
            yield value


def _form_texts(request):
    for key, values in request.POST.lists():
        yield key
        yield from values
    for key, uploads in request.FILES.lists():
        yield key
        for upload in uploads:
            yield upload.name or ""


def request_text_problem(request) -> ValidationError | None:
    """What makes the request unsafe to pass on (see RequestTextGuardMiddleware), or None."""
    problem = cleaning.texts_problem(_request_texts(request))
    if problem is not None or request.method not in BODY_METHODS:
        return problem
    content_type = request.content_type or ""
    if content_type in FORM_CONTENT_TYPES:
        # Django parses form bodies of POST only; other methods' views read request.body.
        return cleaning.texts_problem(_form_texts(request)) if request.method == "POST" else None
    if content_type in JSON_CONTENT_TYPES or content_type.endswith("+json"):
        body = request.body
        if body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] not in (b"{", b"["):
            return cleaning.texts_problem([body.decode("utf-8", "replace")])
        try:
            cleaning.json_loads_limited(body, max_bytes=len(body))
        except ValidationError as error:
            # Invalid JSON is the view's to answer; only what it cannot parse safely stops here.
            return None if error.code == "invalid" else error
    return None


def bad_request_response(request, *, message: str) -> HttpResponse:
    """A 400 that says why: JSON for scripts, else the standalone 400 page (no queries)."""
    accept = request.META.get("HTTP_ACCEPT", "")
    if ((request.content_type or "").startswith("application/json") or "application/json" in accept
            or "HTTP_X_REQUESTED_WITH" in request.META):
        return JsonResponse({"error": message}, status=400)
    return HttpResponseBadRequest(loader.render_to_string("400.html", {"reason": message}))
