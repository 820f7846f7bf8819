"""Admin forms: choices limited to what the user may manage, checked again on submit."""

from django import forms
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from departments import selectors
from departments.models import Department, Learner, Office, Unit
from departments.roster import MOBILE_RE

User = get_user_model()

ERR_STAFF_NUMBER_TAKEN = _("A user account with this staff number already exists.")
ERR_PHONE = _("Enter an 11-digit mainland mobile number.")


class DepartmentForm(WagtailAdminModelForm):
    class Meta:
        model = Department
        fields = ["code", "name", "kind", "sort_order", "admins"]


class UnitForm(WagtailAdminModelForm):
    class Meta:
        model = Unit
        fields = ["code", "name", "department"]

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        # The ModelChoiceField queryset is also what the submitted value is validated against.
        self.fields["department"].queryset = selectors.departments_visible_to(for_user)


class OfficeForm(WagtailAdminModelForm):
    class Meta:
        model = Office
        fields = ["name", "unit", "kind"]

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        self.fields["unit"].queryset = selectors.units_visible_to(for_user)


class LearnerForm(WagtailAdminModelForm):
    """Creates or updates the learner and their user account (username = 工号) together."""

    name = forms.CharField(label=_("Name"), max_length=150)
    email = forms.EmailField(label=_("Email"), required=False)

    class Meta:
        model = Learner
        fields = ["staff_number", "name", "email", "office", "position", "phone", "is_active"]

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        self.fields["office"].queryset = selectors.offices_visible_to(for_user)
        if self.instance.pk:
            self.fields["name"].initial = self.instance.user.first_name
            self.fields["email"].initial = self.instance.user.email

    def clean_staff_number(self):
        staff_number = self.cleaned_data["staff_number"].strip()
        taken = User.objects.filter(username=staff_number)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.user_id)
        if taken.exists():
            raise forms.ValidationError(ERR_STAFF_NUMBER_TAKEN)
        return staff_number

    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "").strip()
        if phone and not MOBILE_RE.match(phone):
            raise forms.ValidationError(ERR_PHONE)
        return phone

    @transaction.atomic
    def save(self, commit=True):
        learner = super().save(commit=False)
        data = self.cleaned_data
        if learner.pk:
            user = learner.user
        else:
            user = User()
            user.set_unusable_password()
        user.username = data["staff_number"]
        user.first_name = data["name"]
        user.email = data.get("email", "")
        user.save()
        learner.user = user
        if commit:
            learner.save()
        return learner
