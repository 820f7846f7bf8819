"""The certificate as a PDF: WeasyPrint, A4 landscape, Chinese set in the system's Noto CJK fonts.

Nothing is fetched from anywhere: the template has no images or links to load, and the URL
fetcher refuses every address but inline `data:` (the users' intranets are offline, and a
certificate must not depend on, or reveal itself to, another server).
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from courses.certificates.selectors import verification_code_display
from courses.models import Certificate

LONG_TEXT = 70
VERY_LONG_TEXT = 200


class LocalOnlyFetcher(URLFetcher):
    """Refuses every resource except inline data; keeps the refused addresses for tests."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, timeout=1)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if not url.lower().startswith("data:"):
            self.refused.append(url)
            raise ValueError(f"not fetched: {url[:200]}")
        return super().fetch(url, headers)


def certificate_html(*, certificate: Certificate, verify_url: str) -> str:
    """The printable page, in the site's language (a certificate is an official Chinese
    document, whatever language the holder browses in)."""
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string("courses/certificates/pdf.html", {
            "certificate": certificate, "verify_url": verify_url,
            "code_display": verification_code_display(certificate.code),
            "site_name": settings.WAGTAIL_SITE_NAME,
            # Long names and titles are set smaller, so the page still holds everything.
            "text_size": _text_size(certificate),
        })


def _text_size(certificate: Certificate) -> str:
    """"", "long" or "very-long": the printed names and title are set smaller as they grow
    (up to the longest the fields allow), so the certificate stays on one page."""
    length = (len(certificate.title) + len(certificate.holder_name)
              + len(certificate.department_name))
    if length > VERY_LONG_TEXT:
        return "very-long"
    return "long" if length > LONG_TEXT else ""


def certificate_pdf(*, certificate: Certificate, verify_url: str,
                    fetcher: LocalOnlyFetcher | None = None) -> bytes:
    """The certificate's PDF bytes."""
    html = certificate_html(certificate=certificate, verify_url=verify_url)
    return HTML(string=html, url_fetcher=fetcher or LocalOnlyFetcher()).write_pdf()
