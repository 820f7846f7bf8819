"""Account views: login (工号 as username), forced password change, profile."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.shortcuts import render, resolve_url
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from departments import roles
from departments.selectors import learner_of
from departments.services import learner_password_changed


def _is_plain_learner(user) -> bool:
    """On the roster and nothing more: no staff flag and no admin access (department admins,
    bureau staff, reviewers and editors have it through their groups)."""
    if not user.is_authenticated or user.is_staff or user.is_superuser:
        return False
    return getattr(user, "learner", None) is not None and not user.has_perm(roles.ACCESS_ADMIN)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        """Without a `next`, a learner lands on their training (settings name the page, so this
        app needs nothing from above); anyone with admin access keeps LOGIN_REDIRECT_URL."""
        user = self.request.user
        target = getattr(settings, "LEARNER_LOGIN_REDIRECT_URL", None)
        if target and self.next_page is None and _is_plain_learner(user):
            return resolve_url(target)
        return super().get_default_redirect_url()


ERR_SAME_PASSWORD = _(
    "The new password must differ from the current one (a password issued by an administrator "
    "must be replaced by your own)."
)


class PasswordChangeForm(DjangoPasswordChangeForm):
    """Django's form, refusing to "change" to the same password: an issued one-time password
    would otherwise stay valid and the forced change would be cleared."""

    def clean(self):
        data = super().clean()
        new = data.get("new_password1")
        # old_password was already verified against the account, so equality means "unchanged".
        if new and new == data.get("old_password"):
            self.add_error("new_password1", forms.ValidationError(ERR_SAME_PASSWORD,
                                                                  code="password_unchanged"))
        return data


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("accounts:profile")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        learner = getattr(self.request.user, "learner", None)
        context["forced"] = bool(learner and learner.must_change_password)
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        learner_password_changed(user=form.user)
        messages.success(self.request, _("Your password has been changed."))
        return response


@login_required
def profile(request):
    """The learner's own account page: name, organisation, password link."""
    learner = learner_of(user=request.user)
    return render(request, "accounts/profile.html", {"learner": learner})
