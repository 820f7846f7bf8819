"""Forms: the question editor (creates a version on every save) and the marking form."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.images.widgets import AdminImageChooser

from quizzes import services, types
from quizzes.models import MAX_POINTS, Question


class QuestionAdminForm(WagtailAdminModelForm):
    """Edit a question as one form; saving writes a new version through the services."""

    category_path = forms.CharField(
        label=_("Category"), required=False, max_length=400,
        help_text=_("Path with '/' between levels, e.g. 事前评估/基础知识."))
    text = forms.CharField(label=_("Question text"), widget=forms.Textarea(attrs={"rows": 4}),
                           help_text=_("Mark blanks of a fill-in question with {{1}}, {{2}} …"))
    points = forms.DecimalField(label=_("Points"), min_value=Decimal("0.01"),
                                max_value=MAX_POINTS, initial=Decimal("1"), decimal_places=2)
    choices = forms.CharField(
        label=_("Options"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One option per line; start correct options with *."))
    answer_true = forms.TypedChoiceField(
        label=_("True/false answer"), required=False, choices=[
            ("", "—"), ("true", _("True")), ("false", _("False"))],
        coerce=lambda v: v == "true", empty_value=None)
    blanks = forms.CharField(
        label=_("Accepted answers"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One line per blank; separate accepted alternatives with |."))
    reference_answer = forms.CharField(label=_("Reference answer"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 3}))
    explanation = forms.CharField(label=_("Explanation"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    tags_text = forms.CharField(label=_("Tags / knowledge points"), required=False,
                                help_text=_("Separated by commas."))
    figure = forms.ModelChoiceField(
        label=_("Figure"), required=False, queryset=None, widget=AdminImageChooser)

    class Meta:
        model = Question
        fields = ["bank", "kind", "difficulty", "name", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from wagtail.images import get_image_model

        self.fields["figure"].queryset = get_image_model().objects.all()
        question = self.instance
        if question.pk:
            self.fields["kind"].disabled = True
            version = question.current_version
            if version is not None:
                data = services._version_as_data(question, version)
                self.initial.update({
                    "category_path": data.category, "text": data.text, "points": data.points,
                    "choices": "\n".join(("*" if c.correct else "") + c.text
                                         for c in data.choices),
                    "answer_true": {True: "true", False: "false"}.get(data.answer_true, ""),
                    "blanks": "\n".join("|".join(b) for b in data.blanks),
                    "reference_answer": data.reference_answer,
                    "explanation": data.explanation, "tags_text": ", ".join(data.tags),
                    "figure": version.figure_id,
                })

    def question_data(self) -> types.QuestionData:
        c = self.cleaned_data
        choices = []
        for line in (c.get("choices") or "").splitlines():
            if line.strip():
                correct = line.strip().startswith("*")
                choices.append(types.ChoiceData(text=line.strip().lstrip("*").strip(),
                                                correct=correct))
        blanks = [[a.strip() for a in line.split("|") if a.strip()]
                  for line in (c.get("blanks") or "").splitlines() if line.strip()]
        return types.QuestionData(
            kind=c.get("kind") or self.instance.kind, text=c.get("text", ""), choices=choices,
            answer_true=c.get("answer_true"), blanks=blanks,
            reference_answer=c.get("reference_answer", ""), points=c.get("points") or 0,
            difficulty=c.get("difficulty"), explanation=c.get("explanation", ""),
            category=c.get("category_path", ""),
            tags=[t.strip() for t in (c.get("tags_text") or "").replace("，", ",").split(",")
                  if t.strip()],
            name=c.get("name", ""), source=str(_("This question")))

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            errors = services.question_data_errors(self.question_data())
            if errors:
                raise ValidationError(errors)
        return cleaned

    def save_question(self, *, user) -> Question:
        data = self.question_data()
        figure = self.cleaned_data.get("figure")
        if self.instance.pk:
            services.question_update(question=self.instance, data=data, user=user,
                                     figure=figure)
            question = Question.objects.get(pk=self.instance.pk)
            question.is_active = self.cleaned_data["is_active"]
            question.bank = self.cleaned_data["bank"]
            question.save(update_fields=["is_active", "bank"])
            return question
        return services.question_create(bank=self.cleaned_data["bank"], data=data, user=user,
                                        figure=figure)


class MarkingForm(forms.Form):
    """Points (0..the question's points) and written feedback for one essay answer."""

    # The range 0..the question's points is checked by services.marking_save.
    points = forms.DecimalField(label=_("Points"), max_digits=8, decimal_places=2)
    feedback = forms.CharField(label=_("Feedback"), required=False, max_length=20000,
                               widget=forms.Textarea(attrs={"rows": 3}))


FORMAT_BY_EXTENSION = {".xlsx": "xlsx", ".gift": "gift", ".txt": "gift", ".xml": "moodle-xml"}
UPLOAD_TOO_LARGE = _("The file is larger than 5 MB.")
UPLOAD_EMPTY = _("The file is empty.")
UPLOAD_UNKNOWN_FORMAT = _(
    "The format cannot be told from the file name: choose Excel, GIFT or Moodle XML.")
UPLOAD_NO_BANK = _("Choose a question bank or enter the name of a new one.")
UPLOAD_TWO_BANKS = _("Choose an existing bank or enter a new name, not both.")


class QuestionImportForm(forms.Form):
    """Upload a question file for preview: format (or inferred), target bank, category prefix."""

    file = forms.FileField(
        label=_("Question file"),
        help_text=_("Excel (.xlsx), GIFT (.txt, .gift) or Moodle XML (.xml), at most 5 MB."))
    file_format = forms.ChoiceField(
        label=pgettext_lazy("file format", "Format"), required=False, choices=[
            ("", _("Infer from the file name")), ("xlsx", _("Excel (.xlsx)")),
            ("gift", _("GIFT")), ("moodle-xml", _("Moodle XML"))])
    bank = forms.ModelChoiceField(label=_("Question bank"), required=False, queryset=None,
                                  empty_label=_("— create a new bank —"))
    new_bank = forms.CharField(label=_("New question bank"), required=False, max_length=200)
    category_prefix = forms.CharField(
        label=_("Category prefix"), required=False, max_length=200,
        help_text=_("Put every imported category under this path, e.g. 2025年度."))
    skip_unsupported = forms.BooleanField(
        label=_("Skip unsupported questions"), required=False,
        help_text=_("Matching, numerical, cloze … questions are listed and left out instead "
                    "of failing the import."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from quizzes.models import QuestionBank

        self.fields["bank"].queryset = QuestionBank.objects.order_by("name")

    def clean_file(self):
        from quizzes.formats.common import MAX_FILE_BYTES

        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError(UPLOAD_TOO_LARGE, code="too_large")
        if not upload.size:
            raise ValidationError(UPLOAD_EMPTY, code="empty")
        return upload

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is not None and not cleaned.get("file_format"):
            name = (upload.name or "").lower()
            extension = name[name.rfind("."):] if "." in name else ""
            if extension not in FORMAT_BY_EXTENSION:
                self.add_error("file_format", UPLOAD_UNKNOWN_FORMAT)
            else:
                cleaned["file_format"] = FORMAT_BY_EXTENSION[extension]
        new_bank = (cleaned.get("new_bank") or "").strip()
        cleaned["new_bank"] = new_bank
        if cleaned.get("bank") is None and not new_bank:
            self.add_error("bank", UPLOAD_NO_BANK)
        elif cleaned.get("bank") is not None and new_bank:
            self.add_error("new_bank", UPLOAD_TWO_BANKS)
        return cleaned

    def read_upload(self) -> bytes:
        """The uploaded bytes (size already checked)."""
        from quizzes.formats.common import MAX_FILE_BYTES

        upload = self.cleaned_data["file"]
        upload.seek(0)
        return upload.read(MAX_FILE_BYTES + 1)
