"""Send users who must change their password to the change form before anything else."""

from django.contrib.auth import HASH_SESSION_KEY
from django.shortcuts import redirect
from django.urls import reverse

# The answer is kept in the session with the session's password hash it was read under: the
# flag is only ever set together with a new password (initial passwords, resets), and a new
# password changes that hash, so a kept answer is never stale. Reading the learner row on
# every request cost a query on every page, the exam's autosave included (issue 12).
FLAG_SESSION_KEY = "departments.must_change_password"


def flag_session_value(*, password_hash: str, flag: bool) -> list:
    """What the session keeps under FLAG_SESSION_KEY."""
    return [password_hash, bool(flag)]


def _flag_keep(session, user) -> bool:
    """Read the learner's flag and keep it in the session under the session's password hash
    (nothing is kept without one)."""
    flag = bool(getattr(getattr(user, "learner", None), "must_change_password", False))
    password_hash = session.get(HASH_SESSION_KEY)
    if password_hash:
        session[FLAG_SESSION_KEY] = flag_session_value(password_hash=password_hash, flag=flag)
    return flag


def must_change_password(request) -> bool:
    """Whether the signed-in user still has an initial (one-time) password; read from the
    database at login (or once for a session from before this was kept) and after a new
    password, not on every request."""
    session = request.session
    kept, password_hash = session.get(FLAG_SESSION_KEY), session.get(HASH_SESSION_KEY)
    if isinstance(kept, list) and len(kept) == 2 and password_hash and kept[0] == password_hash:
        return bool(kept[1])
    return _flag_keep(session, request.user)


def remember_flag_at_login(sender, request, user, **kwargs) -> None:
    """`user_logged_in` receiver: the login writes the session anyway, so the flag goes in
    with it and the first page after the login reads nothing more."""
    session = getattr(request, "session", None)
    if session is not None:
        _flag_keep(session, user)


class ForcePasswordChangeMiddleware:
    """Users flagged `must_change_password` (initial passwords) may only change it or log out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and must_change_password(request):
            allowed = {reverse("accounts:password_change"), reverse("accounts:logout")}
            if request.path not in allowed and not request.path.startswith(
                ("/static/", "/i18n/")
            ):
                return redirect("accounts:password_change")
        return self.get_response(request)
