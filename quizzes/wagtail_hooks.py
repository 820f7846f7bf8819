"""Admin: the 题库与测验 menu — question banks and quizzes as snippets, categories and
questions (each save creates a new version, with a read-only version history), attempts,
question file import with preview and per-bank export, the results report per quiz (menu and a
row button in the quiz list) and the marking queue, both inside the admin."""

from django.contrib import messages
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import IndexView as SnippetIndexView
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from departments.admin_choosers import AuthorOnlySnippetChooserViewSet
from portal.admin_tables import YesNoColumn
from portal.models import HomePage
from quizzes import admin_views, authoring, selectors
from quizzes.forms import QuestionAdminForm
from quizzes.models import Attempt, Category, Kind, Mode, Question, QuestionBank, Quiz


class QuestionBankViewSet(SnippetViewSet):
    model = QuestionBank
    chooser_viewset_class = AuthorOnlySnippetChooserViewSet
    icon = "folder-inverse"
    menu_label = _("Question banks")
    list_display = ["name", "created_at"]
    search_fields = ["name"]


class QuizIndexView(SnippetIndexView):
    """The quiz list with a "Results" entry in each row's menu."""

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if selectors.user_can_see_quiz_results(self.request.user):
            buttons.append(Button(_("Results and item statistics"),
                                  reverse("quiz_results:report", args=[instance.pk]),
                                  icon_name="table", priority=5))
        return buttons


class QuizViewSet(SnippetViewSet):
    model = Quiz
    index_view_class = QuizIndexView
    chooser_viewset_class = AuthorOnlySnippetChooserViewSet
    icon = "tasks"
    menu_label = _("Quizzes")
    list_display = ["title", "mode", YesNoColumn.for_field(Quiz, "is_draft"),
                    "time_limit_minutes", "pass_mark", "updated_at"]
    list_filter = ["mode", "is_draft", "grading_method"]
    search_fields = ["title"]


def _warn_option_letters(request, question: Question) -> None:
    """Warn (after saving) when the explanation names option letters that a shuffling quiz
    will show in another order; the save itself is never refused for it."""
    letters = authoring.explanation_option_letters(
        explanation=question.current_version.explanation,
        choice_count=question.current_version.choices.count())
    if question.kind not in (Kind.SINGLE, Kind.MULTIPLE) or not letters:
        return
    quizzes = selectors.quizzes_shuffling_question(question=question)
    if quizzes:
        messages.warning(request, str(authoring.EXPLANATION_NAMES_LETTERS) % {
            "letters": "、".join(letters),
            "quizzes": "、".join(f"“{quiz.title}”" for quiz in quizzes)})


class QuestionCreateView(generic.CreateView):
    def save_instance(self):
        question = self.form.save_question(user=self.request.user)
        _warn_option_letters(self.request, question)
        return question


class VersionHistoryMixin:
    """Adds the question's versions and the attempts that used them (read-only)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["version_history"] = selectors.question_version_history(question=self.object)
        return context


class QuestionEditView(VersionHistoryMixin, generic.EditView):
    template_name = "quizzes/admin/question_edit.html"

    def save_instance(self):
        question = self.form.save_question(user=self.request.user)
        _warn_option_letters(self.request, question)
        return question


class QuestionInspectView(VersionHistoryMixin, generic.InspectView):
    template_name = "quizzes/admin/question_inspect.html"


class CategoryViewSet(SnippetViewSet):
    model = Category
    chooser_viewset_class = AuthorOnlySnippetChooserViewSet
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
        "kind", "difficulty", "category", "bank", YesNoColumn.for_field(Question, "is_active"),
    ]
    list_filter = ["kind", "difficulty", "bank", "is_active"]
    search_fields = ["name", "current_version__text"]

    def get_form_class(self, for_update=False):
        return QuestionAdminForm

    def get_index_view_kwargs(self, **kwargs):
        # ModelViewSet, unlike SnippetViewSet, never calls a viewset's get_queryset(request):
        # the joins must reach the index view, or every row costs three more queries.
        return super().get_index_view_kwargs(
            queryset=Question.objects.select_related("current_version", "category", "bank"),
            **kwargs,
        )


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
    list_display = ["quiz", "user", "number", "status", "score", "max_score", "percent",
                    YesNoColumn.for_field(Attempt, "passed"), "submitted_at"]
    list_filter = ["status", "quiz", "passed"]
    search_fields = ["user__username", "user__first_name", "quiz__title"]
    form_fields = ["status"]
    edit_view_enabled = False

    def get_index_view_kwargs(self, **kwargs):
        # As for questions: the joins go to the index view (ModelViewSet has no get_queryset).
        return super().get_index_view_kwargs(
            queryset=Attempt.objects.select_related("quiz", "user"), **kwargs
        )


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


class QuizResultsViewSet(ViewSet):
    """The results report per quiz (scores, distribution, item statistics) and its export."""

    name = "quiz_results"
    url_prefix = "quizzes/results"
    icon = "table"
    menu_label = _("Quiz results")
    add_to_admin_menu = False

    def get_urlpatterns(self):
        return [
            path("", admin_views.quiz_results_index, name="index"),
            path("<int:quiz_id>/", admin_views.quiz_results, name="report"),
            path("<int:quiz_id>/export.xlsx", admin_views.quiz_results_export, name="export"),
        ]


class MarkingViewSet(ViewSet):
    """The essay marking queue inside the admin, with its learner picker."""

    name = "quiz_marking"
    url_prefix = "quizzes/marking"
    icon = "edit"
    menu_label = _("Marking queue")
    add_to_admin_menu = False

    def get_urlpatterns(self):
        return [
            path("", admin_views.marking_index, name="index"),
            path("learners/", admin_views.marking_learners, name="learners"),
            path("<int:pk>/", admin_views.marking_detail, name="detail"),
        ]


register_snippet(QuizzesGroup)
question_viewset = QuestionViewSet()
attempt_viewset = AttemptViewSet()
import_viewset = QuestionImportViewSet()
results_viewset = QuizResultsViewSet()
marking_viewset = MarkingViewSet()


@hooks.register("register_admin_viewset")
def register_question_viewsets():
    return [question_viewset, attempt_viewset, import_viewset, results_viewset,
            marking_viewset]


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
    return MarkingMenuItem(_("Marking queue"), reverse("quiz_marking:index"), icon_name="edit",
                           order=260)


class ResultsMenuItem(MenuItem):
    def is_shown(self, request):
        return selectors.user_can_see_quiz_results(request.user)


@hooks.register("register_admin_menu_item")
def register_results_menu_item():
    return ResultsMenuItem(_("Quiz results"), reverse("quiz_results:index"), icon_name="table",
                           order=255)


class QuestionsMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("quizzes.view_question") or request.user.has_perm(
            "quizzes.change_question")


@hooks.register("register_admin_menu_item")
def register_questions_menu_item():
    return QuestionsMenuItem(_("Questions"), reverse("quiz_questions:index"), icon_name="help",
                             order=251)


def _warn_quiz(request, quiz) -> None:
    """Non-blocking warnings after a quiz is saved: explanations naming option letters in a
    quiz that shuffles options, and an exam whose window is not the announced training one."""
    if not isinstance(quiz, Quiz):
        return
    naming = selectors.quiz_questions_naming_option_letters(quiz=quiz)
    if naming:
        messages.warning(request, str(authoring.QUIZ_EXPLANATIONS_NAME_LETTERS) % {
            "questions": "、".join(q.name or q.current_version.text[:20] for q in naming[:10])
            + ("…" if len(naming) > 10 else "")})
    window = selectors.training_window()
    if (window is not None and quiz.mode == Mode.EXAM and not quiz.is_draft
            and (quiz.opens_at, quiz.closes_at) != selectors.training_window_bounds(
                start=window.start, end=window.end)):
        messages.warning(request, authoring.exam_window_warning(quiz=quiz, window=window))


@hooks.register("after_create_snippet")
def warn_after_quiz_created(request, instance):
    _warn_quiz(request, instance)


@hooks.register("after_edit_snippet")
def warn_after_quiz_edited(request, instance):
    _warn_quiz(request, instance)


@hooks.register("after_publish_page")
def warn_when_training_window_leaves_exams_behind(request, page):
    """Publishing the home page with new training dates names the exams that still show others
    (the lower portal app cannot know about quizzes, so the check lives here)."""
    if not isinstance(page.specific, HomePage):
        return
    window = selectors.training_window()
    if window is None:
        return
    for quiz in selectors.exams_outside_training_window(window=window):
        messages.warning(request, authoring.exam_window_warning(quiz=quiz, window=window))
