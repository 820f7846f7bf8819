"""Send users who must change their password to the change form before anything else."""

from django.shortcuts import redirect
from django.urls import reverse


class ForcePasswordChangeMiddleware:
    """Users flagged `must_change_password` (initial passwords) may only change it or log out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            learner = getattr(user, "learner", None)
            if learner is not None and getattr(learner, "must_change_password", False):
                allowed = {reverse("accounts:password_change"), reverse("accounts:logout")}
                if request.path not in allowed and not request.path.startswith(
                    ("/static/", "/i18n/")
                ):
                    return redirect("accounts:password_change")
        return self.get_response(request)
