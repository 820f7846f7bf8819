"""The question-bank generation: when a cached draw plan may be used (issue 12).

Starting an attempt draws the paper from each quiz's *draw plan*: its fixed questions and, per
draw rule, the ids of the active questions the rule may draw, with each question's current
version, kind, points and (for quizzes that shuffle options) choice ids
(`services._draw_plan`). Working that out reads the quiz's fixed questions, its rules and every
matching question, and filters them by rule in Python: most of an attempt start's cost, the same
for every taker of an exam. So the plan is kept in the shared cache (Redis in production), one
entry per quiz, tagged with the **generation** it was computed under.

The generation is one cache key holding a token that changes whenever anything a plan is made
of may have changed:

- a question is created, saved (new current version, bank, category, kind, difficulty,
  activation) or deleted; a question version or a choice is saved or deleted;
- a category (its path: moving or renaming it moves its questions between rules), a question
  bank, a quiz's draw rule or fixed question is saved or deleted;
- the statements that bypass model signals call `generation_bump()` themselves: the bulk
  import's `bulk_create` of categories, questions, versions and choices and its queryset
  `update()` of current versions (`services.categories_resolve`, `services._questions_bulk_write`);
  no other code writes these tables with `update()`, `bulk_create` or `bulk_update` (new code
  that does must call `generation_bump()` too);
- `migrate` (a data migration writes through historical models, which send no signals).

A plan is used only when its tag equals the current token; otherwise it is computed again from
the database and stored under the token read *before* the database was read. A writer bumps
immediately (so its own transaction, and tests that never commit, see the change) and again
after its transaction commits: a start that read the old rows just before the commit stored its
plan under a token the commit bump has already replaced. Every bump writes a fresh random token
(no read-modify-write), so concurrent bumps cannot lose one another, and a missing key (cache
flushed or evicted) is replaced by a fresh token rather than a count that could repeat an old
one.

The cache must be shared by every process that writes questions or starts attempts (Redis in
production, the database cache by default): with a per-process cache (locmem) and several
processes, one process's bump would not reach another's plans.

Rows changed outside Django (hand-written SQL, a restored database while the cache survives)
are not seen: call `generation_bump()` (or clear the cache) afterwards. Plans also expire after
`PLAN_SECONDS` as a bound.
"""

from __future__ import annotations

import logging
import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_migrate, post_save

logger = logging.getLogger(__name__)

GENERATION_KEY = "quizzes:draw-generation"
PLAN_SECONDS = 3600


def _token() -> str:
    return uuid.uuid4().hex


def _bump() -> None:
    cache.set(GENERATION_KEY, _token(), timeout=None)


def generation_bump() -> None:
    """Invalidate every cached draw plan: now, and again once the current transaction commits
    (at once outside a transaction)."""
    _bump()
    transaction.on_commit(_bump)


def plan_key(quiz) -> str:
    """The cache key of a quiz's draw plan. The quiz's creation time too: a test database (or a
    restored one) may give a new quiz an old quiz's id, never also its creation time. Whether
    the quiz shuffles options decides whether the plan carries choice ids."""
    return (f"quizzes:draw-plan:v1:{quiz.pk}:{quiz.created_at.timestamp()}:"
            f"{int(bool(quiz.shuffle_choices))}")


def plan_get(key: str):
    """(generation, cached plan or None) in one cache round trip; the plan only when it was
    computed under the current generation. A missing generation is created."""
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY)
    entry = found.get(key)
    if generation is None:
        cache.add(GENERATION_KEY, _token(), timeout=None)
        return cache.get(GENERATION_KEY), None
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == generation:
        return generation, entry[1]
    return generation, None


def plan_set(key: str, generation, plan) -> None:
    """Store a plan under the generation read before its rows were."""
    if generation is not None:
        cache.set(key, (generation, plan), PLAN_SECONDS)


def _changed(sender, **kwargs) -> None:
    generation_bump()


def _connect() -> None:
    from quizzes.models import (
        Category,
        Choice,
        DrawRule,
        Question,
        QuestionBank,
        QuestionVersion,
        QuizQuestion,
    )

    for model in (Question, QuestionVersion, Choice, Category, QuestionBank, DrawRule,
                  QuizQuestion):
        for signal in (post_save, post_delete):
            signal.connect(_changed, sender=model,
                           dispatch_uid=f"quizzes-draw-cache-{signal is post_save}-"
                                        f"{model.__name__}")


def _migrated(sender, **kwargs) -> None:
    try:
        _bump()
    except Exception:  # e.g. the database cache's table is not created yet
        logger.warning("could not bump the question-bank generation after migrate",
                       exc_info=True)


def connect(app_config) -> None:
    """Connect the receivers (from QuizzesConfig.ready)."""
    _connect()
    post_migrate.connect(_migrated, sender=app_config, dispatch_uid="quizzes-draw-cache-migrate")
