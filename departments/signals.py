"""Signals the departments app sends to the apps above it (it never imports them).

`roster_changed(learner_ids=[...])` says that these learners were created, or that their
position, office, department, `is_active` or their account's `is_active` changed. It is sent
once the writing transaction has committed (never for a rolled-back import or a dry run), so a
listener reads the new state. `courses` listens to keep the annual plans' assignments in step.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import Signal

roster_changed = Signal()  # kwargs: learner_ids: list[int] (Learner primary keys)


def roster_changed_on_commit(*, learner_ids: Iterable[int]) -> None:
    """Send `roster_changed` for these learners after the current transaction commits (at
    once outside a transaction); nothing for an empty list."""
    ids = sorted({int(pk) for pk in learner_ids if pk is not None})
    if not ids:
        return
    from departments.models import Learner

    transaction.on_commit(lambda: roster_changed.send(sender=Learner, learner_ids=ids))


# An account switched off (or on) in the user administration changes who must train, like the
# learner's own `is_active`. The old value is read only when the save can change it: a login
# saves `last_login` alone and costs nothing here.
_WAS_ACTIVE = "_jixiao_was_active"


def _remember_account_activity(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw or instance.pk is None or (
            update_fields is not None and "is_active" not in update_fields):
        return
    was_active = (sender._default_manager.filter(pk=instance.pk)
                  .values_list("is_active", flat=True).first())
    setattr(instance, _WAS_ACTIVE, was_active)


def _account_activity_changed(sender, instance, created=False, raw=False, **kwargs):
    was_active = instance.__dict__.pop(_WAS_ACTIVE, None)
    if raw or created or was_active is None or was_active == instance.is_active:
        return
    from departments.models import Learner

    roster_changed_on_commit(
        learner_ids=Learner.objects.filter(user_id=instance.pk).values_list("pk", flat=True))


def account_activity_receivers_connect() -> None:
    """Called from DepartmentsConfig.ready()."""
    user_model = get_user_model()
    pre_save.connect(_remember_account_activity, sender=user_model,
                     dispatch_uid="departments.remember_account_activity")
    post_save.connect(_account_activity_changed, sender=user_model,
                      dispatch_uid="departments.account_activity_changed")
