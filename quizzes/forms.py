"""Forms: the question editor (creates a version on every save) and the marking form."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
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
