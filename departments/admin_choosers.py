"""Snippet choosers that only content authors may open.

Wagtail's chooser views (choose, results/search, chosen, chosen-multiple) check nothing beyond
admin access, so any admin user — a department admin included — could list every quiz, question
bank or exercise through them. These require the model's add or change permission, the rights
of someone who writes the pages that embed the snippet; the create view keeps Wagtail's "add".
"""

from django.core.exceptions import PermissionDenied
from wagtail.permissions import policy_registry
from wagtail.snippets.views import chooser

CHOOSER_PERMISSIONS = ("add", "change")


class AuthorOnlyChooserMixin:
    def dispatch(self, request, *args, **kwargs):
        policy = policy_registry.get_by_type(self.model_class)
        if not policy.user_has_any_permission(request.user, CHOOSER_PERMISSIONS):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class AuthorOnlyChooseView(AuthorOnlyChooserMixin, chooser.ChooseView):
    pass


class AuthorOnlyChooseResultsView(AuthorOnlyChooserMixin, chooser.ChooseResultsView):
    pass


class AuthorOnlyChosenView(AuthorOnlyChooserMixin, chooser.SnippetChosenView):
    pass


class AuthorOnlyChosenMultipleView(AuthorOnlyChooserMixin, chooser.SnippetChosenMultipleView):
    pass


class AuthorOnlySnippetChooserViewSet(chooser.SnippetChooserViewSet):
    """A snippet's chooser URLs, refused (403) to users who may not author that snippet."""

    choose_view_class = AuthorOnlyChooseView
    choose_results_view_class = AuthorOnlyChooseResultsView
    chosen_view_class = AuthorOnlyChosenView
    chosen_multiple_view_class = AuthorOnlyChosenMultipleView
