"""StreamField blocks lessons embed: `QuizBlock` links a quiz with an introduction."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.snippets.blocks import SnippetChooserBlock


class QuizBlock(blocks.StructBlock):
    """A quiz inside a lesson: title, introduction and a start/resume button."""

    quiz = SnippetChooserBlock("quizzes.Quiz", label=_("Quiz"))
    intro = blocks.TextBlock(label=_("Introduction"), required=False)
    button_label = blocks.CharBlock(label=_("Button label"), required=False, max_length=40)

    class Meta:
        template = "quizzes/blocks/quiz_block.html"
        icon = "tasks"
        label = _("Quiz")
        preview_value = {"intro": "学完本节后，请完成随堂测验，检验对绩效目标管理的掌握情况。",
                         "button_label": "开始测验"}
