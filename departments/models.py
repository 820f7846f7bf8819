"""Who the learners are: Department -> Unit -> Office -> Learner, plus roster import jobs."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DepartmentKind(models.TextChoices):
    CITY = "city", _("City department")
    DISTRICT = "district", pgettext_lazy("department kind", "District")


class OfficeKind(models.TextChoices):
    FINANCE = "finance", _("Finance office")
    BUSINESS = "business", _("Business office")
    GENERAL = "general", _("General office")


class Position(models.TextChoices):
    HEAD = "head", _("Head")
    FINANCE = "finance", _("Finance staff")
    BUSINESS = "business", _("Business staff")
    OTHER = "other", _("Other")


class Department(models.Model):
    """A city department (市直部门) or a district (区).

    The department administrators (单位管理员) who manage it are the users in `admins`: a plain
    many-to-many, so one person may manage several departments and a department may have
    several administrators. Being in `admins` scopes what they see; the "Department admin" group
    gives them the model permissions.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=16, choices=DepartmentKind.choices, default=DepartmentKind.CITY
    )
    sort_order = models.PositiveIntegerField(
        _("sort order"), default=0, help_text=_("Lower numbers are listed first.")
    )
    admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="administered_departments",
        verbose_name=_("department administrators"),
        help_text=_("Users who manage this department's units, offices and learners."),
    )

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=DepartmentKind.values), name="department_kind_valid"
            ),
            models.CheckConstraint(condition=~Q(code=""), name="department_code_not_empty"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class Unit(models.Model):
    """A budget unit (预算单位) belonging to one department."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="units", verbose_name=_("department")
    )

    class Meta:
        ordering = ["department__sort_order", "department__code", "code"]
        verbose_name = _("budget unit")
        verbose_name_plural = _("budget units")
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="unit_code_not_empty"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class Office(models.Model):
    """An internal office (内设机构) of a budget unit: finance, business or general."""

    name = models.CharField(_("name"), max_length=200)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="offices", verbose_name=_("budget unit")
    )
    kind = models.CharField(
        _("kind"),
        max_length=16,
        choices=OfficeKind.choices,
        default=OfficeKind.BUSINESS,
        help_text=_("Finance, business or general office."),
    )

    class Meta:
        ordering = ["unit__code", "name"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="office_unique_name_per_unit"),
            models.CheckConstraint(
                condition=Q(kind__in=OfficeKind.values), name="office_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.unit.name} / {self.name}"

    @property
    def department(self):
        return self.unit.department


class Learner(models.Model):
    """A person who takes the training. The name and email live on the user account; the unit
    and department are derived through the office and never stored twice."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="learner",
        verbose_name=_("user account"),
    )
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="learners", verbose_name=_("office")
    )
    position = models.CharField(
        _("position"), max_length=16, choices=Position.choices, default=Position.OTHER
    )
    staff_number = models.CharField(
        _("staff number"),
        max_length=32,
        unique=True,
        help_text=_("工号: also the login name."),
    )
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive learners are kept for history but are not expected to train."),
    )
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_("Set when an initial password is issued; cleared when the learner changes it."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["staff_number"]
        verbose_name = _("learner")
        verbose_name_plural = _("learners")
        constraints = [
            models.CheckConstraint(
                condition=~Q(staff_number=""), name="learner_staff_number_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(position__in=Position.values), name="learner_position_valid"
            ),
            models.CheckConstraint(
                condition=Q(phone="") | Q(phone__regex=r"^1[3-9][0-9]{9}$"),
                name="learner_phone_mobile",
            ),
        ]

    def __str__(self):
        return f"{self.staff_number} {self.name}"

    @property
    def account_activated(self) -> bool:
        """The learner can log in: an initial password was issued or they chose one."""
        return self.user.has_usable_password()

    @property
    def name(self) -> str:
        return self.user.first_name

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def unit(self) -> Unit:
        return self.office.unit

    @property
    def department(self) -> Department:
        return self.office.unit.department


class RosterImportJob(models.Model):
    """A roster upload and its background import: status, progress and the final report."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Awaiting confirmation")
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    file = models.FileField(_("file"), upload_to="roster_imports/%Y/%m/", blank=True)
    original_name = models.CharField(_("original file name"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.UPLOADED
    )
    deactivate_missing = models.BooleanField(_("deactivate missing learners"), default=False)
    rows_total = models.PositiveIntegerField(_("rows in total"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_done__lte=models.F("rows_total")),
                name="roster_job_progress_bounded",
            ),
        ]

    def __str__(self):
        return f"{self.original_name or self.pk} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def percent(self) -> int:
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0


class LearnerTransfer(models.Model):
    """Audit record of a learner moved from one department to another (a bureau-only action):
    who moved them, from where, to where, when, and through which tool."""

    class Via(models.TextChoices):
        IMPORT = "import", _("Roster import")
        EDIT = "edit", _("Learner edit form")

    learner = models.ForeignKey(
        Learner, on_delete=models.CASCADE, related_name="transfers", verbose_name=_("learner")
    )
    # SET_NULL, not CASCADE or PROTECT: the record outlives an office or department removed later,
    # and the audit log never blocks reorganising the structure.
    from_department = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("from department"),
    )
    to_department = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("to department"),
    )
    from_office = models.ForeignKey(
        Office, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("from office"),
    )
    to_office = models.ForeignKey(
        Office, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("to office"),
    )
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("moved by"),
    )
    moved_at = models.DateTimeField(_("moved at"), auto_now_add=True, db_index=True)
    via = models.CharField(_("via"), max_length=16, choices=Via.choices)

    class Meta:
        ordering = ["-moved_at", "-pk"]
        verbose_name = _("learner transfer")
        verbose_name_plural = _("learner transfers")
        constraints = [
            models.CheckConstraint(
                condition=Q(via__in=["import", "edit"]), name="learner_transfer_via_valid"
            ),
        ]

    def __str__(self):
        return f"{self.learner_id}: {self.from_department_id} -> {self.to_department_id}"
