"""Language selection for a Chinese-first site."""

from django.conf import settings
from django.utils import translation


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
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        response.headers.setdefault("Vary", "Cookie")
        return response
