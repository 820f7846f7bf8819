"""Wagtail reports and audit logs as a department admin may see them.

Every report and log view a department admin ("Department admin" group: admin access, view
departments, manage units/offices/learners, add/view roster jobs, view exercise submissions; scope
`Department.admins`) can reach, and what it shows them:

- Site history (/admin/reports/site-history/, its results URL and ?export=csv|xlsx): SCOPED.
  `SiteHistoryView` replaces Wagtail's view (config/urls.py routes the two URLs here before
  Wagtail's admin URLs). A department admin sees only log entries of Department, Unit, Office,
  Learner and RosterImportJob objects currently inside their scope (`departments.selectors`); no
  page entries and no entries of any other model, and the user/type/action filter choices are
  drawn from those entries only (Wagtail's own filter lists every user who ever edited a page).
  Entries are matched on the object, not on who made them: a co-admin of another department must
  not become visible through a shared admin. Entries of deleted objects drop out of their view.
  Bureau staff and superusers see everything; other roles keep Wagtail's per-model rule, with
  departments-app entries limited to their scope (empty for them).
- History and usage views of the departments viewsets (organisation/*/history/<pk>/): SCOPED by
  object already (`departments.wagtail_hooks.scoped_to`): another department's object answers 404.
- Locked pages, Workflows, Workflow tasks, Aging pages, Page types usage: HIDDEN. Wagtail requires
  page permissions (unlock / add / change / publish) for the menu item and the URL; department
  admins hold none, so the menu item is absent and the URL is refused.
- Page history and workflow history (/admin/pages/<id>/history/): HIDDEN, needs page edit rights.
- History of snippets and model viewsets of quizzes and casebook (question banks, quizzes,
  categories, questions, attempts, exercises, indicators, functional classes, checker settings):
  HIDDEN, each needs that model's permission, which the group does not grant.
- Users, groups, workflows and settings admin: HIDDEN (no wagtailusers/auth/workflow permissions).
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from wagtail.admin.filters import ContentTypeFilter
from wagtail.admin.views.reports.audit_logging import LogEntriesView, SiteHistoryReportFilterSet
from wagtail.log_actions import registry as log_action_registry
from wagtail.models import ModelLogEntry

from departments import selectors
from departments.models import Department, Learner, Office, RosterImportJob, Unit

SCOPED_LOG_MODELS = {
    Department: selectors.departments_visible_to,
    Unit: selectors.units_visible_to,
    Office: selectors.offices_visible_to,
    Learner: selectors.learners_visible_to,
    RosterImportJob: selectors.roster_jobs_visible_to,
}

NOTHING = Q(pk__in=[])


def log_entries_scope(*, user, log_model) -> Q:
    """The condition a log entry of `log_model` must meet for `user` on top of Wagtail's rule."""
    # One report request asks for it about eight times (listing and three filter choice lists per
    # log model); each build costs ~15 queries, so it is kept on the request's user object, as
    # Wagtail keeps `_allowed_content_type_ids`. The Q holds unevaluated subqueries only.
    scopes = getattr(user, "_log_entries_scopes", None)
    if scopes is None:
        scopes = user._log_entries_scopes = {}
    if log_model not in scopes:
        scopes[log_model] = _log_entries_scope(user=user, log_model=log_model)
    return scopes[log_model]


def _log_entries_scope(*, user, log_model) -> Q:
    if selectors.user_is_bureau(user):
        return Q()
    department_admin = selectors.user_is_department_admin(user)
    if log_model is not ModelLogEntry:
        # Page (and any other) log entries: department admins edit no content.
        return NOTHING if department_admin else Q()
    in_scope = NOTHING
    for model, visible_to in SCOPED_LOG_MODELS.items():
        # object_id is text in ModelLogEntry: compare against the primary keys cast to text.
        visible_ids = visible_to(user).order_by().annotate(
            pk_text=Cast("pk", output_field=CharField())).values("pk_text")
        in_scope |= Q(content_type=ContentType.objects.get_for_model(model),
                      object_id__in=visible_ids)
    if department_admin:
        return in_scope
    scoped_types = ContentType.objects.get_for_models(*SCOPED_LOG_MODELS).values()
    return in_scope | ~Q(content_type__in=list(scoped_types))


def log_entries_visible_to(*, user, log_model):
    """Log entries of `log_model` that `user` may read in the site history."""
    return log_model.objects.viewable_by_user(user).filter(
        log_entries_scope(user=user, log_model=log_model))


def _visible_log_entries(user):
    return [log_entries_visible_to(user=user, log_model=log_model)
            for log_model in log_action_registry.get_log_entry_models()]


def _content_types_for_filter(request):
    ids = set().union(*(entries.get_content_type_ids()
                        for entries in _visible_log_entries(request.user)))
    return ContentType.objects.filter(pk__in=ids).order_by("model")


class SiteHistoryFilterSet(SiteHistoryReportFilterSet):
    """Filter choices (users, object types, actions) drawn only from entries the user may see."""

    object_type = ContentTypeFilter(
        label=SiteHistoryReportFilterSet.base_filters["object_type"].label,
        method="filter_object_type",
        queryset=_content_types_for_filter,
    )

    def get_action_choices(self):
        actions = set().union(*(entries.get_actions()
                                for entries in _visible_log_entries(self.request.user)))
        return [choice for choice in log_action_registry.get_choices() if choice[0] in actions]

    def get_users_queryset(self):
        from django.contrib.auth import get_user_model

        user_ids = set().union(*(entries.get_user_ids()
                                 for entries in _visible_log_entries(self.request.user)))
        user_model = get_user_model()
        return user_model.objects.filter(pk__in=user_ids).order_by(user_model.USERNAME_FIELD)


class SiteHistoryView(LogEntriesView):
    """Wagtail's site history (page, results and CSV/XLSX export) limited to the user's scope."""

    filterset_class = SiteHistoryFilterSet

    def filter_queryset(self, queryset):
        # LogEntriesView filters one values() queryset per log model; queryset.model says which.
        scope = log_entries_scope(user=self.request.user, log_model=queryset.model)
        return super().filter_queryset(queryset.filter(scope))
