"""StreamField blocks of a lesson body: text, key points, policy excerpts, cases, media,
downloads and self-check questions (quizzes and exercises come from the lower apps)."""

from __future__ import annotations

from functools import cached_property

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock

from casebook.blocks import ExerciseBlock
from portal.blocks import RICH_TEXT_FEATURES, clause_anchor
from quizzes.blocks import QuizBlock

# Audio and video are played by the browser from the site's own media (the users' intranets
# are offline): the file's extension picks the element, no external player or CDN.
VIDEO_EXTENSIONS = {"mp4", "webm", "ogv", "m4v"}
AUDIO_EXTENSIONS = {"mp3", "ogg", "oga", "wav", "m4a", "aac"}
MEDIA_EXTENSIONS = VIDEO_EXTENSIONS | AUDIO_EXTENSIONS
ERROR_MEDIA_TYPE = _("Choose an audio or video file (%(extensions)s).")
ERROR_ANSWER_INDEX = _("The correct option must be one of the options (1 to %(count)s).")


class KeyPointsBlock(blocks.StructBlock):
    """A short list of the points the learner must remember."""

    heading = blocks.CharBlock(required=False, max_length=100, label=_("Heading"))
    items = blocks.ListBlock(blocks.CharBlock(max_length=300, label=_("Point")),
                             label=_("List of points"))

    class Meta:
        template = "courses/blocks/key_points.html"
        icon = "list-ul"
        label = _("Key points")
        preview_value = {"heading": "要点", "items": ["谁用钱谁负责", "绩效目标要可衡量"]}


class PolicyExcerptValue(blocks.StructValue):
    @cached_property
    def anchor(self) -> str:
        return clause_anchor(number=self.get("clause_label") or "")


class PolicyExcerptBlock(blocks.StructBlock):
    """A quoted clause of a policy document with a link to the clause in the policy library."""

    policy = blocks.PageChooserBlock(page_type="portal.PolicyDocumentPage", label=_("Policy"))
    clause_label = blocks.CharBlock(
        required=False, max_length=60, label=_("Clause label"),
        help_text=_("As in the official text, e.g. 第十条; the link jumps to that clause."))
    quote = blocks.TextBlock(label=_("Quoted text"))

    class Meta:
        template = "courses/blocks/policy_excerpt.html"
        icon = "openquote"
        label = _("Policy excerpt")
        value_class = PolicyExcerptValue


class CaseBlock(blocks.StructBlock):
    """A case from the case library: its summary and a link to the full case."""

    case = blocks.PageChooserBlock(page_type="casebook.CasePage", label=_("Case"))
    note = blocks.TextBlock(required=False, label=_("What to look for"))

    class Meta:
        template = "courses/blocks/case.html"
        icon = "doc-full-inverse"
        label = _("Case")


class MediaValue(blocks.StructValue):
    @property
    def kind(self) -> str:
        document = self.get("file")
        extension = (document.file_extension if document else "").lower()
        return "video" if extension in VIDEO_EXTENSIONS else "audio"


class MediaBlock(blocks.StructBlock):
    """An audio or video file from the document library, played in the page."""

    file = DocumentChooserBlock(label=_("Audio or video file"),
                                help_text=_("MP4 or WebM video, MP3, OGG or M4A audio."))
    caption = blocks.CharBlock(required=False, max_length=200, label=_("Caption"))

    def clean(self, value):
        value = super().clean(value)
        document = value.get("file")
        if document is not None and document.file_extension.lower() not in MEDIA_EXTENSIONS:
            raise StructBlockValidationError(block_errors={"file": ValidationError(
                ERROR_MEDIA_TYPE, params={"extensions": ", ".join(sorted(MEDIA_EXTENSIONS))})})
        return value

    class Meta:
        template = "courses/blocks/media.html"
        icon = "media"
        label = _("Audio or video")
        value_class = MediaValue


class DownloadBlock(blocks.StructBlock):
    """A document to download (a form, a template, the slides)."""

    document = DocumentChooserBlock(label=_("Document"))
    description = blocks.CharBlock(required=False, max_length=200, label=_("Description"))

    class Meta:
        template = "courses/blocks/download.html"
        icon = "download"
        label = _("Download")


class SelfCheckBlock(blocks.StructBlock):
    """One multiple-choice question the learner answers to check understanding (not graded).

    The correct option and the feedback stay on the server until the learner answers: the page
    renders only the question and options; `courses:self_check` answers the post.
    """

    question = blocks.TextBlock(label=_("Question"))
    options = blocks.ListBlock(blocks.CharBlock(max_length=300, label=_("Option")),
                               min_num=2, label=_("Answer options"))
    answer = blocks.IntegerBlock(min_value=1, label=_("Correct option"),
                                 help_text=_("Number of the correct option, counting from 1."))
    feedback = blocks.TextBlock(required=False, label=_("Explanation after answering"),
                                help_text=_("Shown after the learner answers."))

    def clean(self, value):
        value = super().clean(value)
        count = len(value.get("options") or [])
        if not 1 <= (value.get("answer") or 0) <= count:
            raise StructBlockValidationError(block_errors={"answer": ValidationError(
                ERROR_ANSWER_INDEX, params={"count": count})})
        return value

    class Meta:
        template = "courses/blocks/self_check.html"
        icon = "help"
        label = _("Self-check question")


class LessonBodyBlock(blocks.StreamBlock):
    """Everything a lesson can hold."""

    text = blocks.RichTextBlock(features=["h2", "h3", *RICH_TEXT_FEATURES], label=_("Text"))
    key_points = KeyPointsBlock()
    policy_excerpt = PolicyExcerptBlock()
    case = CaseBlock()
    quiz = QuizBlock()
    exercise = ExerciseBlock()
    media = MediaBlock()
    download = DownloadBlock()
    self_check = SelfCheckBlock()
