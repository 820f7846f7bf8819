"""Admin: the 题库与测验 menu — question banks and quizzes as snippets, categories and
questions (each save creates a new version, with a read-only version history), attempts,
question file import with preview and per-bank export, and a link to the marking queue."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from quizzes import admin_views, selectors
from quizzes.forms import QuestionAdminForm
from quizzes.models import Attempt, Category, Question, QuestionBank, Quiz


class QuestionBankViewSet(SnippetViewSet):
    model = QuestionBank
    icon = "folder-inverse"
    menu_label = _("Question banks")
    list_display = ["name", "created_at"]
    search_fields = ["name"]


class QuizViewSet(SnippetViewSet):
    model = Quiz
    icon = "tasks"
    menu_label = _("Quizzes")
    list_display = ["title", "mode", "is_draft", "time_limit_minutes", "pass_mark", "updated_at"]
    list_filter = ["mode", "is_draft", "grading_method"]
    search_fields = ["title"]


class QuestionCreateView(generic.CreateView):
    def save_instance(self):
        return self.form.save_question(user=self.request.user)


class VersionHistoryMixin:
    """Adds the question's versions and the attempts that used them (read-only)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["version_history"] = selectors.question_version_history(question=self.object)
        return context


class QuestionEditView(VersionHistoryMixin, generic.EditView):
    template_name = "quizzes/admin/question_edit.html"

    def save_instance(self):
        return self.form.save_question(user=self.request.user)


class QuestionInspectView(VersionHistoryMixin, generic.InspectView):
    template_name = "quizzes/admin/question_inspect.html"


class CategoryViewSet(SnippetViewSet):
    model = Category
    icon = "folder-open-inverse"
    menu_label = _("Question categories")
    list_display = ["path", "parent"]
    search_fields = ["name", "path"]
    panels = [FieldPanel("name"), FieldPanel("parent")]


class QuestionViewSet(ModelViewSet):
    name = "quiz_questions"
    url_prefix = "quizzes/questions"
    model = Question
    icon = "help"
    menu_label = _("Questions")
    add_to_admin_menu = False
    add_view_class = QuestionCreateView
    edit_view_class = QuestionEditView
    inspect_view_class = QuestionInspectView
    inspect_view_enabled = True
    inspect_view_fields = ["bank", "category", "kind", "difficulty", "name", "tags",
                           "current_version", "is_active", "created_at"]
    copy_view_enabled = False
    list_display = [
        Column("text", label=_("Question text"), accessor="current_version.text"),
        "kind", "difficulty", "category", "bank", "is_active",
    ]
    list_filter = ["kind", "difficulty", "bank", "is_active"]
    search_fields = ["name", "current_version__text"]

    def get_form_class(self, for_update=False):
        return QuestionAdminForm

    def get_queryset(self, request):
        return Question.objects.select_related("current_version", "category", "bank")


class AttemptViewSet(ModelViewSet):
    name = "quiz_attempts"
    url_prefix = "quizzes/attempts"
    model = Attempt
    icon = "list-ul"
    menu_label = _("Attempts")
    add_to_admin_menu = False
    add_view_enabled = False
    copy_view_enabled = False
    inspect_view_enabled = True
    list_display = ["quiz", "user", "number", "status", "score", "max_score", "percent", "passed",
                    "submitted_at"]
    list_filter = ["status", "quiz", "passed"]
    search_fields = ["user__username", "user__first_name", "quiz__title"]
    form_fields = ["status"]
    edit_view_enabled = False

    def get_queryset(self, request):
        return Attempt.objects.select_related("quiz", "user")


class QuizzesGroup(SnippetViewSetGroup):
    menu_label = _("Question bank and quizzes")
    menu_icon = "tasks"
    menu_order = 250
    items = (QuestionBankViewSet, CategoryViewSet, QuizViewSet)


class QuestionImportViewSet(ViewSet):
    """Question file import (upload, preview, confirm), the Excel template and bank export."""

    name = "quizzes_import"
    url_prefix = "quizzes/import"
    icon = "upload"
    menu_label = _("Import questions")
    add_to_admin_menu = False

    def get_urlpatterns(self):
        return [
            path("", admin_views.question_import, name="upload"),
            path("template.xlsx", admin_views.question_import_template, name="template"),
            path("<int:job_id>/", admin_views.question_import_preview, name="preview"),
            path("export/<int:bank_id>/<str:file_format>/", admin_views.question_bank_export,
                 name="export"),
        ]


register_snippet(QuizzesGroup)
question_viewset = QuestionViewSet()
attempt_viewset = AttemptViewSet()
import_viewset = QuestionImportViewSet()


@hooks.register("register_admin_viewset")
def register_question_viewsets():
    return [question_viewset, attempt_viewset, import_viewset]


class ImportMenuItem(MenuItem):
    def is_shown(self, request):
        return admin_views.user_may_import_questions(request.user)


@hooks.register("register_admin_menu_item")
def register_import_menu_item():
    return ImportMenuItem(_("Import and export questions"), reverse("quizzes_import:upload"),
                          icon_name="upload", order=252)


class MarkingMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("quizzes.mark_attempt")


@hooks.register("register_admin_menu_item")
def register_marking_menu_item():
    return MarkingMenuItem(_("Marking queue"), reverse("quizzes:marking_list"), icon_name="edit",
                           order=260)


class QuestionsMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("quizzes.view_question") or request.user.has_perm(
            "quizzes.change_question")


@hooks.register("register_admin_menu_item")
def register_questions_menu_item():
    return QuestionsMenuItem(_("Questions"), reverse("quiz_questions:index"), icon_name="help",
                             order=251)
