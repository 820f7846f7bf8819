"""The one rule for 工号 (staff numbers, which are also login names), used by the roster import,
the learner form and `services.learner_create`.

A 工号 is NFKC-normalised (full-width letters and digits become ASCII), may hold only ASCII
letters, digits, "-" and "_", is at most 32 characters long, is unique among all user names
regardless of letter case, and may not be, or look like, the name of an administrator account.
"""

import re
import unicodedata
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from departments.selectors import privileged_users_q

STAFF_NUMBER_MAX_LENGTH = 32
# ASCII only: "\w" would admit every script, zero-width characters are refused with the rest.
STAFF_NUMBER_RE = re.compile(r"^[A-Za-z0-9_-]+$")
# Generic administrator names that are refused even before such an account exists.
RESERVED_NAMES = frozenset({"admin", "administrator", "root", "superuser", "sysadmin", "system"})
# Characters people read as each other; compared after lowering case and dropping separators.
_CONFUSABLES = str.maketrans(
    {"0": "o", "1": "l", "i": "l", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b"}
)

ERR_STAFF_NUMBER_CHARACTERS = _(
    "A staff number may contain only letters, digits, “-” and “_” (no spaces or other signs)."
)
ERR_STAFF_NUMBER_LENGTH = _("A staff number has at most %(limit)s characters.")
ERR_STAFF_NUMBER_CASE_TAKEN = _(
    "Staff number “%(value)s” is already used by another account (letter case is not "
    "distinguished)."
)
ERR_STAFF_NUMBER_PRIVILEGED = _(
    "Staff number “%(value)s” is, or looks like, the name of an administrator account; use the "
    "person's real staff number."
)


def staff_number_normalise(value: str) -> str:
    """NFKC form without surrounding spaces: "Ｗ７５３２９ " -> "W75329"."""
    return unicodedata.normalize("NFKC", value or "").strip()


def staff_number_skeleton(value: str) -> str:
    """What a 工号 looks like to a reader: lower case, lookalike characters folded, no "-"/"_"."""
    folded = staff_number_normalise(value).casefold().translate(_CONFUSABLES)
    return folded.replace("-", "").replace("_", "")


def staff_number_format_error(value: str) -> str | None:
    """What is wrong with a normalised 工号 on its own (characters, length), or None."""
    if not value:
        return None  # "required" is reported by the caller, in its own words
    if len(value) > STAFF_NUMBER_MAX_LENGTH:
        return str(ERR_STAFF_NUMBER_LENGTH % {"limit": STAFF_NUMBER_MAX_LENGTH})
    if not STAFF_NUMBER_RE.match(value):
        return str(ERR_STAFF_NUMBER_CHARACTERS)
    return None


def staff_number_conflicts(values: Iterable[str], *, exclude_user_id: int | None = None
                           ) -> dict[str, str]:
    """工号 -> problem, for new values that clash with existing accounts: another user name equal
    up to letter case, or the look of an administrator account (or a reserved name).

    A value that is exactly an existing user name is not judged here: it names that account,
    and the callers decide whether it may be updated or linked. Two queries, whatever the count.
    """
    User = get_user_model()
    values = {v for v in values if v}
    if not values:
        return {}
    others = User.objects.all()
    if exclude_user_id is not None:
        others = others.exclude(pk=exclude_user_id)
    exact = set(others.filter(username__in=values).values_list("username", flat=True))
    candidates = values - exact
    lowered = {v.lower() for v in candidates}
    case_taken = set(
        others.annotate(lowered=Lower("username"))
        .filter(lowered__in=lowered)
        .values_list("lowered", flat=True)
    )
    privileged = {
        staff_number_skeleton(name)
        for name in others.filter(privileged_users_q()).values_list("username", flat=True)
    } | {staff_number_skeleton(name) for name in RESERVED_NAMES}
    problems = {}
    for value in candidates:
        if value.lower() in case_taken:
            problems[value] = str(ERR_STAFF_NUMBER_CASE_TAKEN % {"value": value})
        elif staff_number_skeleton(value) in privileged:
            problems[value] = str(ERR_STAFF_NUMBER_PRIVILEGED % {"value": value})
    return problems


def staff_number_clean(value: str, *, user_id: int | None = None) -> str:
    """Apply the whole rule to one 工号 (of the account `user_id`, if it exists); return the
    normalised value or raise ValidationError. An exact clash is left to the caller."""
    value = staff_number_normalise(value)
    problem = staff_number_format_error(value) or staff_number_conflicts(
        [value], exclude_user_id=user_id
    ).get(value)
    if problem:
        raise ValidationError(problem, code="invalid_staff_number")
    return value
