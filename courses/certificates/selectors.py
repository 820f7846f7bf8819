"""Reads for certificates: the learner's own, one by verification code, the admin's scoped list."""

from __future__ import annotations

import re
import unicodedata

from django.db.models import QuerySet

from courses.models import Certificate
from departments.selectors import learners_visible_to, user_is_bureau

# Verification codes are 16 digits (see `services.certificate_code_new`).
CODE_LENGTH = 16
# The fields the public verification page may read: nothing that identifies the account.
VERIFY_FIELDS = ("serial", "holder_name", "department_name", "title", "credit_hours",
                 "issued_at", "revoked_at", "plan_id", "course_id")
_CODE_RE = re.compile(rf"[0-9]{{{CODE_LENGTH}}}")
# What a person may type around the digits: spaces and dashes of the printed grouping.
_CODE_SEPARATORS = re.compile(r"[\s\-‐‑–—_]+")
_INPUT_MAX = 64


def verification_code_normalise(text: str) -> str | None:
    """The code as stored (16 digits), from what someone typed or followed: full-width digits,
    spaces and dashes allowed; None for anything else (too long, letters, control characters)."""
    if not isinstance(text, str) or len(text) > _INPUT_MAX:
        return None
    text = _CODE_SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    return text if _CODE_RE.fullmatch(text) and text.isascii() else None


def verification_code_display(code: str) -> str:
    """1234 5678 9012 3456: the code in groups of four, as printed."""
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))


def certificate_for_verification(*, code: str) -> Certificate | None:
    """The certificate with this (normalised) code, only with the fields the public may see."""
    return Certificate.objects.filter(code=code).only(*VERIFY_FIELDS).first()


def certificates_of_learner(*, user) -> list[Certificate]:
    """The learner's certificates, newest first (one query)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Certificate.objects.filter(user=user).order_by("-issued_at", "-pk"))


def certificate_of_owner(*, user, serial: str) -> Certificate | None:
    """The learner's own certificate with this serial; None for anyone else's."""
    if not getattr(user, "is_authenticated", False) or len(serial) > 32:
        return None
    return Certificate.objects.filter(user=user, serial=serial).first()


def certificate_of_course(*, user, course) -> Certificate | None:
    """The learner's certificate of this course, if the course issued one."""
    if not getattr(user, "is_authenticated", False) or not course.issues_certificate:
        return None
    return Certificate.objects.filter(user=user, course=course).first()


def certificates_visible_to(user) -> QuerySet[Certificate]:
    """The admin list: every certificate for bureau staff, the certificates of their own
    department's learners for a department admin, none for anyone else."""
    certificates = Certificate.objects.all()
    if user_is_bureau(user):
        return certificates
    return certificates.filter(user__learner__in=learners_visible_to(user).values("pk"))
