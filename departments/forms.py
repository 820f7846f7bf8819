"""Admin forms: choices limited to what the user may manage, checked again on submit."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm

from departments import selectors, services
from departments.models import Department, Learner, LearnerTransfer, Office, Unit
from departments.roster import MOBILE_RE
from departments.signals import roster_changed_on_commit
from departments.validators import staff_number_clean

User = get_user_model()

ERR_STAFF_NUMBER_TAKEN = _("A user account with this staff number already exists.")
ERR_PHONE = _("Enter an 11-digit mainland mobile number.")
ERR_MOVE_BUREAU_ONLY = _(
    "Only the finance bureau can move a learner to another department; choose an office of "
    "the learner's current department."
)


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

    def save(self, commit=True):
        unit = super().save(commit=commit)
        if commit and unit.pk and "department" in self.changed_data:
            # Its learners now belong to another department: their plan membership follows.
            roster_changed_on_commit(learner_ids=Learner.objects.filter(
                office__unit=unit).values_list("pk", flat=True))
        return unit


class OfficeForm(WagtailAdminModelForm):
    class Meta:
        model = Office
        fields = ["name", "unit", "kind"]

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        self.fields["unit"].queryset = selectors.units_visible_to(for_user)

    def save(self, commit=True):
        office = super().save(commit=commit)
        if commit and office.pk and "unit" in self.changed_data:
            # Moved to another unit, possibly of another department (plan membership).
            roster_changed_on_commit(learner_ids=Learner.objects.filter(
                office=office).values_list("pk", flat=True))
        return office


class LearnerForm(WagtailAdminModelForm):
    """Creates or updates the learner and their user account (username = 工号) together."""

    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=150)
    email = forms.EmailField(label=_("Email"), required=False)

    class Meta:
        model = Learner
        fields = ["staff_number", "name", "email", "office", "position", "phone", "is_active"]

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        self.fields["office"].queryset = selectors.offices_visible_to(for_user)
        # The office as stored, before the submitted one is copied onto the instance.
        self.initial_office = self.instance.office if self.instance.pk else None
        # What decides plan membership, as stored (roster_changed when it changes).
        self.initial_membership = (
            (self.instance.office_id, self.instance.position, self.instance.is_active)
            if self.instance.pk else None
        )
        if self.instance.pk:
            self.fields["name"].initial = self.instance.user.first_name
            self.fields["email"].initial = self.instance.user.email

    def clean_staff_number(self):
        user_id = self.instance.user_id if self.instance.pk else None
        staff_number = staff_number_clean(self.cleaned_data["staff_number"], user_id=user_id)
        taken = User.objects.filter(username=staff_number)
        if user_id is not None:
            taken = taken.exclude(pk=user_id)
        if taken.exists():
            raise forms.ValidationError(ERR_STAFF_NUMBER_TAKEN)
        return staff_number

    def clean_office(self):
        office = self.cleaned_data["office"]
        if (
            self.initial_office is not None
            and office.unit.department_id != self.initial_office.unit.department_id
            and not selectors.user_is_bureau(self.for_user)
        ):
            raise forms.ValidationError(ERR_MOVE_BUREAU_ONLY)
        return office

    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "").strip()
        if phone and not MOBILE_RE.match(phone):
            raise forms.ValidationError(ERR_PHONE)
        return phone

    @transaction.atomic
    def save(self, commit=True):
        learner = super().save(commit=False)
        data = self.cleaned_data
        moved_from = None
        if learner.pk:
            moved_from = self._current_office_checked(learner)
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
            if self.initial_membership != (learner.office_id, learner.position,
                                           learner.is_active):
                roster_changed_on_commit(learner_ids=[learner.pk])
            if moved_from is not None:
                services.learner_transfer_record(
                    learner=learner, from_office=moved_from, to_office=learner.office,
                    moved_by=self.for_user, via=LearnerTransfer.Via.EDIT,
                )
        return learner

    def _current_office_checked(self, learner) -> Office:
        """The learner's office as it is now (row locked): the learner must be in the user's
        scope at write time, and only bureau staff may change their department."""
        current = (
            Learner.objects.select_for_update(of=("self",))
            .select_related("office__unit")
            .get(pk=learner.pk)
        )
        in_scope = selectors.learners_visible_to(self.for_user).filter(pk=learner.pk).exists()
        moves = current.office.unit.department_id != learner.office.unit.department_id
        if not in_scope:
            raise PermissionDenied
        if moves and not selectors.user_is_bureau(self.for_user):
            raise PermissionDenied(ERR_MOVE_BUREAU_ONLY)
        return current.office
