"""Roles as Django groups: names, permissions, and `roles_ensure()` that creates them idempotently.

Group names are stable identifiers (stored in the database); their display names are translated.
"""

from django.utils.translation import gettext_lazy as _

LEARNER = "Learner"
DEPARTMENT_ADMIN = "Department admin"  # 单位管理员
BUREAU_STAFF = "Bureau staff"  # 绩效科
REVIEWER = "Reviewer"
EDITOR = "Editor"

ROLE_LABELS = {
    LEARNER: _("Learner"),
    DEPARTMENT_ADMIN: _("Department admin"),
    BUREAU_STAFF: _("Bureau staff"),
    REVIEWER: _("Reviewer"),
    EDITOR: _("Editor"),
}

ACCESS_ADMIN = "wagtailadmin.access_admin"


def _crud(model: str, *actions: str) -> list[str]:
    return [f"departments.{action}_{model}" for action in actions]


ALL = ("add", "change", "delete", "view")

# Model permissions per group, as "app_label.codename".
GROUP_PERMISSIONS: dict[str, list[str]] = {
    LEARNER: [],
    DEPARTMENT_ADMIN: [
        ACCESS_ADMIN,
        *_crud("department", "view"),
        *_crud("unit", *ALL),
        *_crud("office", *ALL),
        *_crud("learner", *ALL),
        *_crud("rosterimportjob", "add", "view"),
        "casebook.view_exercisesubmission",
    ],
    BUREAU_STAFF: [
        ACCESS_ADMIN,
        *_crud("department", *ALL),
        *_crud("unit", *ALL),
        *_crud("office", *ALL),
        *_crud("learner", *ALL),
        *_crud("rosterimportjob", *ALL),
        "quizzes.view_quiz",
        "quizzes.view_attempt",
        "quizzes.mark_attempt",
        "quizzes.add_question",  # question file import/export (quizzes.admin_views)
        *[f"casebook.{action}_{model}" for model in (
            "goalrulesettings", "indicator", "functionalclass") for action in ALL],
        *[f"casebook.{action}_exercise" for action in ALL],
        "casebook.view_exercisesubmission",
    ],
    # Reviewers mark essays and exercises; the quiz and casebook apps add their permissions.
    REVIEWER: [ACCESS_ADMIN, "quizzes.mark_attempt", "quizzes.view_attempt", "quizzes.view_quiz",
               "casebook.view_exercise", "casebook.view_exercisesubmission",
               "casebook.review_submission"],
    EDITOR: [
        ACCESS_ADMIN,
        "wagtaildocs.add_document",
        "wagtaildocs.change_document",
        "wagtaildocs.choose_document",
        "wagtailimages.add_image",
        "wagtailimages.change_image",
        "wagtailimages.choose_image",
        *[f"quizzes.{action}_{model}" for model in (
            "questionbank", "category", "question", "quiz") for action in ALL],
        "quizzes.view_attempt",
        *[f"casebook.{action}_indicator" for action in ALL],
        "casebook.view_functionalclass", "casebook.add_functionalclass",
        "casebook.change_functionalclass",
        *[f"casebook.{action}_exercise" for action in ALL],
    ],
}

# Wagtail page permissions granted on the root page (so on the whole tree).
GROUP_PAGE_PERMISSIONS: dict[str, list[str]] = {
    EDITOR: ["add", "change", "publish", "lock", "unlock"],
}

# Wagtail collection permissions granted on the root collection.
GROUP_COLLECTION_PERMISSIONS: dict[str, list[str]] = {
    EDITOR: [
        "wagtaildocs.add_document",
        "wagtaildocs.change_document",
        "wagtaildocs.choose_document",
        "wagtailimages.add_image",
        "wagtailimages.change_image",
        "wagtailimages.choose_image",
    ],
}
