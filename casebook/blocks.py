"""StreamField blocks lessons embed: `ExerciseBlock` links a casebook exercise."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.snippets.blocks import SnippetChooserBlock


class ExerciseBlock(blocks.StructBlock):
    """A practice exercise inside a lesson: title, kind, introduction and an open button."""

    exercise = SnippetChooserBlock("casebook.Exercise", label=_("Exercise"))
    intro = blocks.TextBlock(label=_("Introduction"), required=False)
    button_label = blocks.CharBlock(label=_("Button label"), required=False, max_length=40)

    class Meta:
        template = "casebook/blocks/exercise_block.html"
        icon = "form"
        label = _("Exercise")
        preview_value = {
            "intro": "阅读案例背景后，为该项目编制绩效目标表，提交后查看规则检查结果。",
            "button_label": "开始练习",
        }
