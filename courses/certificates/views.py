"""Certificate pages: the learner's own certificate and its PDF (owner only), and the public
verification page (no login, rate-limited per client address)."""

from __future__ import annotations

import hashlib

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from courses.certificates.pdf import certificate_pdf
from courses.certificates.selectors import (
    certificate_for_verification,
    certificate_of_owner,
    verification_code_display,
    verification_code_normalise,
)

VERIFY_CACHE_PREFIX = "certificates:verify:"


def verify_rate_allowed(request: HttpRequest) -> bool:
    """Count one lookup for the client's address; False once it is over the limit for the
    window (CERTIFICATE_VERIFY_RATE_LIMIT per CERTIFICATE_VERIFY_RATE_WINDOW seconds).

    The address comes from django-axes' helper, so the verification page trusts the same proxy
    headers as the login throttle (AXES_PROXY_COUNT) and a forged X-Forwarded-For changes
    nothing. Kept in the shared cache, so every web process counts together."""
    limit = settings.CERTIFICATE_VERIFY_RATE_LIMIT
    window = settings.CERTIFICATE_VERIFY_RATE_WINDOW
    address = get_client_ip_address(request) or "unknown"
    key = VERIFY_CACHE_PREFIX + hashlib.sha256(address.encode()).hexdigest()[:32]
    if cache.add(key, 1, timeout=window):
        return limit >= 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit


def _verify_url(request: HttpRequest, code: str) -> str:
    return request.build_absolute_uri(reverse("certificates:verify", args=[code]))


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    # The code is in the address: never pass it on to another site.
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_required
@require_safe
def certificate_detail(request: HttpRequest, serial: str) -> HttpResponse:
    """The learner's certificate: its fields, the PDF and the address others can check it at."""
    certificate = certificate_of_owner(user=request.user, serial=serial)
    if certificate is None:
        raise Http404
    return _private(render(request, "courses/certificates/detail.html", {
        "certificate": certificate,
        "code_display": verification_code_display(certificate.code),
        "verify_url": _verify_url(request, certificate.code),
    }))


@login_required
@require_safe
def certificate_pdf_download(request: HttpRequest, serial: str) -> HttpResponse:
    """The certificate as a PDF attachment (not for a revoked certificate)."""
    certificate = certificate_of_owner(user=request.user, serial=serial)
    if certificate is None or certificate.is_revoked:
        raise Http404
    pdf = certificate_pdf(certificate=certificate,
                          verify_url=_verify_url(request, certificate.code))
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = pgettext("file name", "certificate-%(serial)s.pdf") % {
        "serial": certificate.serial}
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return _private(response)


@require_safe
def verify_form(request: HttpRequest) -> HttpResponse:
    """A box to type a verification code; a well-formed code goes to its verification page."""
    typed = request.GET.get("code")
    if typed is None:
        return _private(render(request, "courses/certificates/verify_form.html", {}))
    code = verification_code_normalise(typed)
    if code is not None:
        return redirect("certificates:verify", code=code)
    return _private(render(request, "courses/certificates/verify_form.html",
                           {"invalid": True}, status=400))


@never_cache
@require_safe
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """The public check of a certificate: exactly its serial, holder's name, department, plan
    or course, credit hours, issue date and whether it is valid or revoked (with the date;
    the reason stays internal). Nothing that identifies the account."""
    if not verify_rate_allowed(request):
        response = render(request, "courses/certificates/rate_limited.html", {
            "minutes": max(1, settings.CERTIFICATE_VERIFY_RATE_WINDOW // 60)}, status=429)
        response["Retry-After"] = str(settings.CERTIFICATE_VERIFY_RATE_WINDOW)
        return _private(response)
    normalised = verification_code_normalise(code)
    certificate = certificate_for_verification(code=normalised) if normalised else None
    if certificate is None:
        return _private(render(request, "courses/certificates/not_found.html", status=404))
    record = {
        "serial": certificate.serial,
        "holder_name": certificate.holder_name,
        "department_name": certificate.department_name,
        "title": certificate.title,
        "is_plan": certificate.plan_id is not None,
        "credit_hours": certificate.credit_hours,
        "issued_at": certificate.issued_at,
        "revoked_at": certificate.revoked_at,
    }
    return _private(render(request, "courses/certificates/verify.html", {"record": record}))
