"""Writes: question bank (import, versions), attempts (start, autosave, submit, expiry), marking."""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import NamedTuple

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.cleaning import text_clean
from quizzes import (
    choice_tokens,
    draw_cache,
    grading,
    rowload,
    selectors,
    types,
    version_cache,
)
from quizzes.models import (
    MAX_POINTS,
    Attempt,
    AttemptQuestion,
    AttemptStatus,
    Category,
    Choice,
    ImportStatus,
    Kind,
    MarkingRecord,
    MultipleScoring,
    Question,
    QuestionBank,
    QuestionImportJob,
    QuestionVersion,
    Quiz,
)
from quizzes.signals import attempt_graded

logger = logging.getLogger(__name__)

# Error messages (tests assert these constants).
QUIZ_DRAFT = gettext_lazy("This quiz is a draft and cannot be taken yet.")
QUIZ_NOT_OPEN = gettext_lazy("This quiz is not open at the moment.")
QUIZ_NOT_YET_OPEN = gettext_lazy(
    "This quiz opens at %(opens)s and cannot be started before then.")
QUIZ_CLOSED = gettext_lazy("This quiz closed at %(closes)s and can no longer be started.")
QUIZ_NO_ATTEMPTS_LEFT = gettext_lazy("You have used all your attempts at this quiz.")
QUIZ_NOT_ENOUGH_QUESTIONS = gettext_lazy(
    "The quiz cannot be assembled: not enough questions match its rules.")
ATTEMPT_NOT_IN_PROGRESS = gettext_lazy("This attempt has already been submitted.")
ATTEMPT_EXPIRED = gettext_lazy(
    "The time limit has passed: the attempt was submitted with the answers saved before the "
    "deadline.")
ANSWER_UNKNOWN_QUESTION = gettext_lazy("This question is not part of your attempt.")
ANSWER_INVALID = gettext_lazy("The answer is not valid for this question.")
ANSWER_UNKNOWN_OPTION = gettext_lazy(
    "This option is not one of this question's options in your attempt; reload the page and "
    "answer again.")
ANSWER_TOO_LONG = gettext_lazy("The answer is too long.")
ANSWER_LOCKED = gettext_lazy("This answer has been checked and can no longer be changed.")
MARK_NOT_ESSAY = gettext_lazy("Only essay answers are marked by hand.")
MARK_ATTEMPT_OPEN = gettext_lazy("The attempt has not been submitted yet.")
MARK_POINTS_RANGE = gettext_lazy("Points must be between 0 and the question's points.")

IMPORT_EMPTY_TEXT = gettext_lazy("{source}: the question text is empty.")
IMPORT_UNKNOWN_KIND = gettext_lazy("{source}: unknown question kind “{kind}”.")
IMPORT_SINGLE_CORRECT = gettext_lazy(
    "{source}: a single choice question needs exactly one correct option (found {count}).")
IMPORT_MULTIPLE_CORRECT = gettext_lazy(
    "{source}: a multiple choice question needs at least one correct option.")
IMPORT_TOO_FEW_CHOICES = gettext_lazy("{source}: a choice question needs at least two options.")
IMPORT_EMPTY_CHOICE = gettext_lazy("{source}: option {number} is empty.")
IMPORT_TRUE_FALSE = gettext_lazy("{source}: a true/false question needs the answer true or false.")
IMPORT_FILL_BLANKS = gettext_lazy(
    "{source}: a fill-in question needs at least one blank with an accepted answer.")
IMPORT_FILL_MARKS = gettext_lazy(
    "{source}: the text marks {marks} blanks but {blanks} blanks have answers.")
IMPORT_POINTS = gettext_lazy("{source}: points must be greater than 0 and at most 100.")
IMPORT_DIFFICULTY = gettext_lazy("{source}: unknown difficulty “{difficulty}”.")
IMPORT_CATEGORY = gettext_lazy("{source}: the category path “{category}” is not valid.")
IMPORT_TOO_LONG = gettext_lazy("{source}: a text is longer than {limit} characters.")
IMPORT_FAILED = gettext_lazy("The questions could not be saved; nothing was imported.")
IMPORT_NO_QUESTIONS = gettext_lazy("The file contains no questions to import.")
IMPORT_JOB_DONE = gettext_lazy("This upload has already been imported.")
IMPORT_JOB_EXPIRED = gettext_lazy("This upload has expired; upload the file again.")
IMPORT_JOB_TTL = timezone.timedelta(hours=24)

MAX_TEXT = 20000
MAX_ANSWER_TEXT = 20000
MAX_BLANK_TEXT = 500


@dataclass
class ImportReport:
    """What an import did (or would do, on a dry run): counts by kind and errors."""

    created: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    categories_created: int = 0
    errors: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


# ---------------------------------------------------------------- question bank


def question_bank_get_or_create(*, name: str) -> QuestionBank:
    """The bank with this name, created if missing."""
    name = (name or "").strip()
    bank = QuestionBank.objects.filter(name=name).first()
    if bank is None:
        bank = QuestionBank(name=name)
        bank.full_clean()
        bank.save()
    return bank


def category_get_or_create(*, path: str) -> Category | None:
    """The category at this "/" path, creating missing levels; None for an empty path."""
    parts = [part.strip() for part in (path or "").split("/") if part.strip()]
    parent = None
    for part in parts:
        node = Category.objects.filter(parent=parent, name=part).first()
        if node is None:
            node = Category(name=part, parent=parent)
            node.full_clean(exclude=["path"])
            node.save()
        parent = node
    return parent


def _source(data: types.QuestionData, index: int) -> str:
    return data.source or data.name or _("question %(number)s") % {"number": index + 1}


def question_data_errors(data: types.QuestionData, *, index: int = 0) -> list[str]:
    """Every problem with one question, as translated messages naming its source."""
    source = _source(data, index)
    errors: list[str] = []

    def add(message, **kwargs):
        errors.append(str(message).format(source=source, **kwargs))

    if data.kind not in types.KINDS:
        add(IMPORT_UNKNOWN_KIND, kind=data.kind)
        return errors
    if not (data.text or "").strip():
        add(IMPORT_EMPTY_TEXT)
    texts = [data.text, data.explanation, data.reference_answer,
             *(c.text for c in data.choices), *(c.feedback for c in data.choices)]
    if any(len(t or "") > MAX_TEXT for t in texts):
        add(IMPORT_TOO_LONG, limit=MAX_TEXT)
    try:
        points = Decimal(str(data.points))
        if not points.is_finite() or points <= 0 or points > MAX_POINTS:
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError):
        add(IMPORT_POINTS)
    if data.difficulty not in types.DIFFICULTIES:
        add(IMPORT_DIFFICULTY, difficulty=data.difficulty)
    if data.category and (len(data.category) > 400 or any(
            len(p.strip()) > 100 for p in data.category.split("/"))):
        add(IMPORT_CATEGORY, category=data.category)
    if data.kind in (types.SINGLE, types.MULTIPLE):
        if len(data.choices) < 2:
            add(IMPORT_TOO_FEW_CHOICES)
        for number, choice in enumerate(data.choices, start=1):
            if not (choice.text or "").strip():
                add(IMPORT_EMPTY_CHOICE, number=number)
        correct = sum(1 for c in data.choices if c.correct)
        if data.kind == types.SINGLE and correct != 1:
            add(IMPORT_SINGLE_CORRECT, count=correct)
        if data.kind == types.MULTIPLE and correct < 1:
            add(IMPORT_MULTIPLE_CORRECT)
    elif data.kind == types.TRUE_FALSE:
        if data.answer_true not in (True, False):
            add(IMPORT_TRUE_FALSE)
    elif data.kind == types.FILL:
        blanks = data.blanks or []
        if not blanks or any(not [a for a in b if str(a).strip()] for b in blanks):
            add(IMPORT_FILL_BLANKS)
        elif any(len(str(a)) > MAX_BLANK_TEXT for b in blanks for a in b):
            add(IMPORT_TOO_LONG, limit=MAX_BLANK_TEXT)
        marks = grading.blank_marks(data.text or "")
        if marks and (len(marks) != len(blanks) or sorted(marks) != list(
                range(1, len(blanks) + 1))):
            add(IMPORT_FILL_MARKS, marks=len(marks), blanks=len(blanks))
    return errors


def _version_write(*, question: Question, data: types.QuestionData, number: int,
                   user=None, figure=None) -> QuestionVersion:
    version = QuestionVersion(
        question=question,
        number=number,
        text=data.text.strip(),
        points=Decimal(str(data.points)),
        explanation=data.explanation or "",
        figure=figure,
        answer_true=data.answer_true if data.kind == types.TRUE_FALSE else None,
        blanks=[[str(a).strip() for a in b if str(a).strip()] for b in data.blanks]
        if data.kind == types.FILL else [],
        reference_answer=data.reference_answer or "",
        created_by=user,
    )
    version.full_clean(exclude=["question", "figure"])
    version.save()
    if data.kind in (types.SINGLE, types.MULTIPLE):
        Choice.objects.bulk_create([
            Choice(version=version, order=order, text=c.text.strip(), is_correct=bool(c.correct),
                   feedback=c.feedback or "")
            for order, c in enumerate(data.choices, start=1)
        ])
    return version


@transaction.atomic
def question_create(*, bank: QuestionBank, data: types.QuestionData, user=None,
                    figure=None) -> Question:
    """Create a question and its first version from plain data."""
    errors = question_data_errors(data)
    if errors:
        raise ValidationError(errors)
    question = Question(
        bank=bank,
        category=category_get_or_create(path=data.category),
        kind=data.kind,
        difficulty=data.difficulty,
        name=(data.name or "")[:255],
        tags=[str(t).strip() for t in data.tags if str(t).strip()],
    )
    question.full_clean(exclude=["current_version"])
    question.save()
    question.current_version = _version_write(
        question=question, data=data, number=1, user=user, figure=figure)
    question.save(update_fields=["current_version"])
    return question


@transaction.atomic
def question_update(*, question: Question, data: types.QuestionData, user=None,
                    figure=None) -> QuestionVersion:
    """Edit a question: a new version becomes current; attempts keep the version they showed."""
    errors = question_data_errors(data)
    if errors:
        raise ValidationError(errors)
    if data.kind != question.kind:
        raise ValidationError(_("The kind of an existing question cannot change."))
    question = Question.objects.select_for_update().get(pk=question.pk)
    last = question.versions.order_by("-number").values_list("number", flat=True).first() or 0
    if figure is None and question.current_version_id:
        figure = question.current_version.figure
    version = _version_write(
        question=question, data=data, number=last + 1, user=user, figure=figure)
    question.current_version = version
    question.category = category_get_or_create(path=data.category)
    question.difficulty = data.difficulty
    question.tags = [str(t).strip() for t in data.tags if str(t).strip()]
    question.name = (data.name or "")[:255]
    question.full_clean()
    question.save()
    return version


def _category_parts(path: str) -> list[str]:
    return [part.strip() for part in (path or "").split("/") if part.strip()]


def categories_resolve(*, paths) -> tuple[dict[str, Category], int]:
    """The categories at these "/" paths (missing levels created), keyed by normalised path,
    and how many were created: one query to find them, one insert per missing tree level."""
    wanted: set[str] = set()
    for path in paths:
        parts = _category_parts(path)
        wanted.update("/".join(parts[:depth]) for depth in range(1, len(parts) + 1))
    if not wanted:
        return {}, 0
    found = {c.path: c for c in Category.objects.filter(path__in=wanted)}
    created = 0
    for depth in sorted({p.count("/") for p in wanted - set(found)}):
        missing = sorted(p for p in wanted - set(found) if p.count("/") == depth)
        rows = []
        for path in missing:
            parent_path, _sep, name = path.rpartition("/")
            rows.append(Category(name=name, parent=found.get(parent_path), path=path))
        Category.objects.bulk_create(rows)
        if any(row.pk is None for row in rows):  # a backend without RETURNING
            rows = list(Category.objects.filter(path__in=missing))
        found.update((row.path, row) for row in rows)
        created += len(rows)
    if created:
        draw_cache.generation_bump()  # bulk_create sends no post_save
    return found, created


def _questions_bulk_write(*, bank: QuestionBank, questions: list[types.QuestionData],
                          categories: dict[str, Category], user=None) -> list[Question]:
    """Insert validated questions with their first versions and choices in a constant number
    of statements (per insert batch), then point each question at its version."""
    rows = [Question(
        bank=bank, category=categories.get("/".join(_category_parts(data.category))),
        kind=data.kind, difficulty=data.difficulty, name=(data.name or "")[:255],
        tags=[str(t).strip() for t in data.tags if str(t).strip()],
    ) for data in questions]
    Question.objects.bulk_create(rows)
    if any(row.pk is None for row in rows):  # pragma: no cover - SQLite < 3.35
        raise RuntimeError("bulk import needs a database that returns inserted ids")
    versions = [QuestionVersion(
        question=question, number=1, text=data.text.strip(), points=Decimal(str(data.points)),
        explanation=data.explanation or "",
        answer_true=data.answer_true if data.kind == types.TRUE_FALSE else None,
        blanks=[[str(a).strip() for a in b if str(a).strip()] for b in data.blanks]
        if data.kind == types.FILL else [],
        reference_answer=data.reference_answer or "", created_by=user,
    ) for question, data in zip(rows, questions, strict=True)]
    QuestionVersion.objects.bulk_create(versions)
    Choice.objects.bulk_create([
        Choice(version=version, order=order, text=c.text.strip(), is_correct=bool(c.correct),
               feedback=c.feedback or "")
        for version, data in zip(versions, questions, strict=True)
        if data.kind in (types.SINGLE, types.MULTIPLE)
        for order, c in enumerate(data.choices, start=1)
    ])
    Question.objects.filter(pk__in=[q.pk for q in rows]).update(current_version=Subquery(
        QuestionVersion.objects.filter(question=OuterRef("pk"), number=1).values("pk")[:1]))
    for question, version in zip(rows, versions, strict=True):
        question.current_version = version
    draw_cache.generation_bump()  # bulk_create and update() send no post_save
    return rows


def questions_import(*, bank: QuestionBank, questions: list[types.QuestionData],
                     dry_run: bool = False, user=None) -> ImportReport:
    """Validate every question, then import all of them into `bank` in one transaction — or
    none, when any is invalid or on a dry run. Bulk statements: the number of queries does
    not grow with the number of questions (beyond the database's insert batch size)."""
    report = ImportReport(dry_run=dry_run)
    for index, data in enumerate(questions):
        report.errors.extend(question_data_errors(data, index=index))
    report.by_kind = dict(Counter(d.kind for d in questions if d.kind in types.KINDS))
    if report.errors:
        return report
    try:
        with transaction.atomic():
            categories, report.categories_created = categories_resolve(
                paths=[d.category for d in questions])
            _questions_bulk_write(bank=bank, questions=questions, categories=categories,
                                  user=user)
            report.created = len(questions)
            if dry_run:
                transaction.set_rollback(True)
    except (ValidationError, IntegrityError) as error:
        logger.warning("question import failed: %s", error)
        report.created = report.categories_created = 0
        report.errors.extend(error.messages if isinstance(error, ValidationError)
                             else [str(IMPORT_FAILED)])
    return report


# ---------------------------------------------------------------- web import with preview


@dataclass
class ImportPreview:
    """An upload as parsed and dry-run: what would be imported, every error, and the job that
    keeps the file until confirmation (None when there is anything to fix)."""

    result: object  # formats.ParseResult
    report: ImportReport
    job: QuestionImportJob | None = None

    @property
    def errors(self) -> list[str]:
        return [str(e) for e in self.result.errors] + [str(e) for e in self.report.errors]

    @property
    def ok(self) -> bool:
        return not self.errors


def question_file_parse(*, data: bytes, file_format: str, filename: str = "",
                        category_prefix: str = "", skip_unsupported: bool = False):
    """Parse an uploaded question file (no database access) with the category prefix applied;
    an empty file is an error too."""
    from quizzes import formats

    result = formats.parse(data, format=file_format, skip_unsupported=skip_unsupported,
                           filename=filename)
    result = formats.with_category_prefix(result, category_prefix)
    if result.ok and not result.questions:
        result.errors.append(formats.FormatError(message=str(IMPORT_NO_QUESTIONS)))
    return result


def _import_dry_run(*, bank: QuestionBank | None, bank_name: str, questions, user
                    ) -> ImportReport:
    try:
        with transaction.atomic():
            target = bank or question_bank_get_or_create(name=bank_name)
            report = questions_import(bank=target, questions=questions, dry_run=True, user=user)
            transaction.set_rollback(True)
    except ValidationError as error:
        report = ImportReport(dry_run=True, errors=list(error.messages))
    return report


def question_import_preview(*, user, data: bytes, filename: str, file_format: str,
                            bank: QuestionBank | None = None, bank_name: str = "",
                            category_prefix: str = "", skip_unsupported: bool = False,
                            now=None) -> ImportPreview:
    """Parse and dry-run an upload; only when it would import cleanly is it kept as a job
    awaiting confirmation (otherwise nothing is written). Stale jobs are purged here."""
    now = now or timezone.now()
    result = question_file_parse(data=data, file_format=file_format, filename=filename,
                                 category_prefix=category_prefix,
                                 skip_unsupported=skip_unsupported)
    preview = ImportPreview(result=result, report=ImportReport(dry_run=True))
    if not result.ok:
        return preview
    preview.report = _import_dry_run(bank=bank, bank_name=bank_name,
                                     questions=result.questions, user=user)
    if not preview.report.ok:
        return preview
    with transaction.atomic():
        QuestionImportJob.objects.filter(created_at__lt=now - IMPORT_JOB_TTL).delete()
        job = QuestionImportJob(
            created_by=user, filename=(filename or "")[:255], file_format=file_format,
            data=bytes(data), bank=bank, bank_name="" if bank else (bank_name or "").strip(),
            category_prefix=category_prefix or "", skip_unsupported=skip_unsupported,
            question_count=len(result.questions))
        job.full_clean()
        job.save()
    preview.job = job
    return preview


def question_import_job_preview(*, job: QuestionImportJob) -> ImportPreview:
    """Re-parse a stored upload for its preview page."""
    result = question_file_parse(
        data=bytes(job.data), file_format=job.file_format, filename=job.filename,
        category_prefix=job.category_prefix, skip_unsupported=job.skip_unsupported)
    return ImportPreview(result=result, report=ImportReport(dry_run=True), job=job)


@transaction.atomic
def question_import_confirm(*, job_id: int, user, now=None) -> ImportReport:
    """Import a previewed upload, all or nothing, after validating it again; once only.
    Raises QuestionImportJob.DoesNotExist for another user's job."""
    now = now or timezone.now()
    job = QuestionImportJob.objects.select_for_update().get(pk=job_id, created_by=user)
    if job.status != ImportStatus.PREVIEWED:
        raise ValidationError(IMPORT_JOB_DONE)
    if job.created_at < now - IMPORT_JOB_TTL:
        raise ValidationError(IMPORT_JOB_EXPIRED)
    result = question_file_parse(
        data=bytes(job.data), file_format=job.file_format, filename=job.filename,
        category_prefix=job.category_prefix, skip_unsupported=job.skip_unsupported)
    if not result.ok:
        raise ValidationError([str(e) for e in result.errors])
    bank = job.bank or question_bank_get_or_create(name=job.bank_name)
    report = questions_import(bank=bank, questions=result.questions, user=user)
    if not report.ok:
        raise ValidationError(report.errors)  # rolls back the new bank too
    job.status, job.data, job.imported_at = ImportStatus.IMPORTED, b"", now
    job.bank, job.question_count = bank, report.created
    job.save(update_fields=["status", "data", "imported_at", "bank", "question_count"])
    return report


def _version_as_data(question: Question, version: QuestionVersion) -> types.QuestionData:
    return types.QuestionData(
        kind=question.kind,
        text=version.text,
        choices=[types.ChoiceData(text=c.text, correct=c.is_correct, feedback=c.feedback)
                 for c in version.choices.all()],
        answer_true=version.answer_true if question.kind == types.TRUE_FALSE else None,
        blanks=[list(b) for b in version.blanks] if question.kind == types.FILL else [],
        reference_answer=version.reference_answer,
        points=version.points,
        difficulty=question.difficulty,
        explanation=version.explanation,
        category=question.category.path if question.category_id else "",
        tags=list(question.tags or []),
        name=question.name,
    )


def questions_as_data(*, bank: QuestionBank | None = None,
                      category: Category | str | None = None) -> list[types.QuestionData]:
    """Current versions of the active questions as plain data (for export), in a stable order."""
    from quizzes.selectors import questions_current

    qs = questions_current()
    if bank is not None:
        qs = qs.filter(bank=bank)
    if category is not None:
        path = category.path if isinstance(category, Category) else str(category).strip("/")
        qs = qs.filter(Q(category__path=path) | Q(category__path__startswith=f"{path}/"))
    return [_version_as_data(q, q.current_version) for q in qs]


# ---------------------------------------------------------------- attempts


def _rule_matches(spec: tuple, row: tuple) -> bool:
    """A draw rule's filter (its bank, category subtree, kind and difficulty) on a fetched row;
    `spec` is the rule's (bank id, category path, kind, difficulty), read once per draw."""
    bank_id, path, kind, difficulty = spec
    if bank_id and row[1] != bank_id:
        return False
    if path is not None and not (row[2] == path or (row[2] or "").startswith(f"{path}/")):
        return False
    if kind and row[3] != kind:
        return False
    return not (difficulty and row[4] != difficulty)


def _rules_candidates(rules) -> tuple[list[list[int]], dict[int, tuple]]:
    """Per rule, the ids of the active questions it may draw, in id order; and per question
    id that any rule may draw, its (current version id, kind, points): ONE query for all the
    rules (an exam has ~15; one query per rule was most of an attempt start, issue 12)."""
    if not rules:
        return [], {}
    specs = [(rule.bank_id, rule.category.path if rule.category_id else None, rule.kind,
              rule.difficulty) for rule in rules]
    qs = Question.objects.filter(is_active=True, current_version__isnull=False)
    # SQL narrows by bank and category subtree only, once per distinct pair (rules usually
    # repeat a category per kind or difficulty: fewer OR terms for the ORM to build); kind and
    # difficulty are checked in Python below. A pair of (None, None) draws from everything,
    # and an empty Q would vanish from an OR: no narrowing then.
    pairs = {(bank_id, path) for bank_id, path, _kind, _difficulty in specs}
    if (None, None) not in pairs:
        union = Q()
        for bank_id, path in sorted(pairs, key=str):
            match = Q(bank_id=bank_id) if bank_id else Q()
            if path is not None:
                match &= Q(category__path=path) | Q(category__path__startswith=f"{path}/")
            union |= match
        qs = qs.filter(union)
    rows = list(qs.order_by("pk").values_list(
        "pk", "bank_id", "category__path", "kind", "difficulty", "current_version_id",
        "current_version__points"))
    per_rule = [[row[0] for row in rows if _rule_matches(spec, row)] for spec in specs]
    drawable = {pk for ids in per_rule for pk in ids}
    info = {row[0]: (row[5], row[3], row[6]) for row in rows if row[0] in drawable}
    return per_rule, info


class DrawnQuestion(NamedTuple):
    """A question on a freshly drawn paper, as its current version was when drawn."""

    question_id: int
    version_id: int
    kind: str
    points: Decimal
    # The version's choice ids in authoring order; only filled when the quiz shuffles options.
    choice_ids: tuple[int, ...]


def _draw_plan_build(quiz: Quiz) -> tuple:
    """What every paper of this quiz is drawn from, as plain tuples for the cache: (fixed
    question ids in order, per draw rule (count, candidate ids in id order), per question id
    (current version id, kind, points as text, choice ids)). Four queries, five when the quiz
    shuffles options."""
    fixed = list(quiz.quiz_questions.filter(
        question__is_active=True, question__current_version__isnull=False).values_list(
        "question_id", "question__current_version_id", "question__kind",
        "question__current_version__points"))
    rules = list(quiz.draw_rules.select_related("category"))
    per_rule, info = _rules_candidates(rules)
    info.update((pk, (version_id, kind, points)) for pk, version_id, kind, points in fixed)
    choices: dict[int, list[int]] = {}
    if quiz.shuffle_choices:
        shuffled = [version_id for version_id, kind, _points in info.values()
                    if kind in (Kind.SINGLE, Kind.MULTIPLE)]
        if shuffled:
            for version_id, choice_id in Choice.objects.filter(
                    version_id__in=shuffled).order_by("version_id", "order").values_list(
                    "version_id", "pk"):
                choices.setdefault(version_id, []).append(choice_id)
    # Points as text: a cached plan is unpickled on every start, and a Decimal costs more to
    # unpickle than its text (only the drawn questions' points become Decimals again).
    questions = {pk: (version_id, kind, str(points), tuple(choices.get(version_id, ())))
                 for pk, (version_id, kind, points) in info.items()}
    return (tuple(pk for pk, *_rest in fixed),
            tuple((rule.count, tuple(ids)) for rule, ids in zip(rules, per_rule, strict=True)),
            questions)


def _draw_plan(quiz: Quiz) -> tuple:
    """The quiz's draw plan from the shared cache when it was computed under the current
    question-bank generation (`quizzes.draw_cache`: one cache round trip), else from the
    database (then cached)."""
    key = draw_cache.plan_key(quiz)
    generation, plan = draw_cache.plan_get(key)
    if plan is None:
        plan = _draw_plan_build(quiz)
        draw_cache.plan_set(key, generation, plan)
    return plan


def quiz_paper_draw(*, quiz: Quiz, rng: random.Random | None = None) -> list[DrawnQuestion]:
    """Assemble a paper (组卷): fixed questions (a random subset if max_questions is set), then
    each draw rule's random picks, shuffled when the quiz says so. Drawn from the quiz's
    cached draw plan: no query while the question bank is unchanged."""
    rng = rng or random.SystemRandom()
    fixed, rules, questions = _draw_plan(quiz)
    picked_ids = list(fixed)
    if quiz.max_questions and len(picked_ids) > quiz.max_questions:
        picked_ids = rng.sample(picked_ids, quiz.max_questions)
    for count, ids in rules:
        # Questions picked by the fixed list or an earlier rule are not drawn twice.
        taken = set(picked_ids)
        candidates = [pk for pk in ids if pk not in taken]
        if len(candidates) < count:
            raise ValidationError(QUIZ_NOT_ENOUGH_QUESTIONS)
        picked_ids.extend(rng.sample(candidates, count))
    if not picked_ids:
        raise ValidationError(QUIZ_NOT_ENOUGH_QUESTIONS)
    if quiz.random_order:
        rng.shuffle(picked_ids)
    drawn = []
    for pk in picked_ids:
        version_id, kind, points, choice_ids = questions[pk]
        drawn.append(DrawnQuestion(pk, version_id, kind, Decimal(points), choice_ids))
    return drawn


def _choice_orders(*, quiz: Quiz, questions: list[DrawnQuestion], rng: random.Random
                   ) -> dict[int, list[int]]:
    """Per version id, its choice ids in a random order (from the draw plan: no query); empty
    unless the quiz shuffles options."""
    if not quiz.shuffle_choices:
        return {}
    orders = {q.version_id: list(q.choice_ids) for q in questions
              if q.kind in (Kind.SINGLE, Kind.MULTIPLE) and q.choice_ids}
    # Shuffled in version id order, as the query used to return them: a seeded draw gives the
    # same orders as before.
    for pk in sorted(orders):
        rng.shuffle(orders[pk])
    return orders


def local_minute(value) -> str:
    """A moment as the learner's wall clock shows it (the site's time zone), to the minute."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def quiz_unavailable_reason(*, quiz: Quiz, now=None) -> str:
    """Why the quiz cannot be started now, naming its opening or closing time; '' while open."""
    now = now or timezone.now()
    if quiz.opens_at and now < quiz.opens_at:
        return str(QUIZ_NOT_YET_OPEN) % {"opens": local_minute(quiz.opens_at)}
    if quiz.closes_at and now >= quiz.closes_at:
        return str(QUIZ_CLOSED) % {"closes": local_minute(quiz.closes_at)}
    return ""


def quiz_window_follow_training(*, quiz: Quiz, start: dt.date | None, end: dt.date | None
                                ) -> bool:
    """Give the quiz the announced training window as its availability; True if it changed."""
    from quizzes.selectors import training_window_bounds

    opens, closes = training_window_bounds(start=start, end=end)
    if (quiz.opens_at, quiz.closes_at) == (opens, closes):
        return False
    quiz.opens_at, quiz.closes_at = opens, closes
    quiz.full_clean()
    quiz.save(update_fields=["opens_at", "closes_at", "updated_at"])
    return True


def quiz_can_open(*, quiz: Quiz, user) -> bool:
    """Editors may open drafts; everybody else only published quizzes."""
    return not quiz.is_draft or user.has_perm("quizzes.change_quiz")


# A new attempt and its paper in ONE statement on PostgreSQL: the attempt's INSERT in a WITH
# clause, whose id the paper's INSERT ... SELECT over one array per column takes. bulk_create's
# VALUES list of 20 rows × 14 columns cost 3.7 ms of Python to build, a fifth of an attempt
# start, and the ORM's INSERT of the attempt was a round trip and a compile of its own
# (issue 12). Other databases use save() and bulk_create.
_PAPER_COLUMNS = ("attempt_id", "version_id", "kind", "order", "points", "choice_order",
                  "answer", "answered_at", "checked", "is_correct", "awarded", "feedback",
                  "marked_by_id", "marked_at")
_PAPER_ARRAY_TYPES = {"attempt_id": "bigint", "version_id": "bigint", "kind": "text",
                      "order": "integer", "points": "numeric", "choice_order": "text",
                      "answer": "text", "answered_at": "timestamptz", "checked": "boolean",
                      "is_correct": "boolean", "awarded": "numeric", "feedback": "text",
                      "marked_by_id": "bigint", "marked_at": "timestamptz"}
_PAPER_JSON = frozenset({"choice_order", "answer"})
_PAPER_AS_THEY_ARE = (models.IntegerField, models.CharField, models.TextField,
                      models.BooleanField, models.ForeignKey)


def _attempt_write(attempt: Attempt, rows: list[AttemptQuestion]) -> None:
    """Insert a new attempt (not saved yet) and its paper (rows of that attempt). On
    PostgreSQL, one statement, which sends no post_save for either: nothing listens for these
    models' (Wagtail's reference index ignores them)."""
    if connection.vendor != "postgresql":
        attempt.save(force_insert=True)
        AttemptQuestion.objects.bulk_create(rows)
        return
    fields = {f.attname: f for f in AttemptQuestion._meta.concrete_fields}
    if set(fields) - {"id"} != set(_PAPER_COLUMNS):  # a new column must be written here too
        raise ImproperlyConfigured("quizzes.services._PAPER_COLUMNS is out of date")
    # The attempt's values as save() prepares them for an INSERT.
    values = [f.get_db_prep_save(f.pre_save(attempt, True), connection)
              for f in _attempt_insert_fields()]
    arrays = []
    for name in _PAPER_COLUMNS[1:]:  # the attempt's id comes from the WITH clause
        field = fields[name]
        column = [getattr(row, name) for row in rows]
        if name in _PAPER_JSON:
            arrays.append([None if v is None else json.dumps(v, cls=field.encoder)
                           for v in column])
        elif isinstance(field, _PAPER_AS_THEY_ARE):
            # Ids, numbers, text and flags go to the database as they are (what their fields'
            # get_db_prep_save returns for them): 280 calls a start less.
            arrays.append(column)
        else:
            arrays.append([None if v is None else field.get_db_prep_save(v, connection)
                           for v in column])
    with rowload.cursor(connection) as cursor:
        cursor.execute(_start_insert_sql(), [*values, *arrays])
        attempt.pk = cursor.fetchone()[0]
    attempt._state.adding, attempt._state.db = False, connection.alias
    for row in rows:
        row.attempt_id = attempt.pk


@cache
def _attempt_insert_fields() -> tuple:
    return tuple(f for f in Attempt._meta.concrete_fields if not f.primary_key)


@cache
def _start_insert_sql() -> str:
    """The PostgreSQL start insert: the attempt's columns, then one array parameter per column
    of _PAPER_COLUMNS after the attempt's id."""
    quote = connection.ops.quote_name
    meta = AttemptQuestion._meta
    fields = {f.attname: f for f in meta.concrete_fields}
    paper = _PAPER_COLUMNS[1:]
    own = _attempt_insert_fields()
    columns = ", ".join(quote(fields[name].column) for name in _PAPER_COLUMNS)
    selects = ", ".join(f"v.{quote(name)}::jsonb" if name in _PAPER_JSON else f"v.{quote(name)}"
                        for name in paper)
    arguments = ", ".join(f"%s::{_PAPER_ARRAY_TYPES[name]}[]" for name in paper)
    aliases = ", ".join(quote(name) for name in paper)
    # Identifiers from the models' metadata, quoted by the backend; values are parameters.
    return (f"WITH a AS (INSERT INTO {quote(Attempt._meta.db_table)} "  # noqa: S608
            f"({', '.join(quote(f.column) for f in own)}) "
            f"VALUES ({', '.join('%s' for _f in own)}) RETURNING {quote('id')}), "
            f"p AS (INSERT INTO {quote(meta.db_table)} ({columns}) "
            f"SELECT a.{quote('id')}, {selects} FROM a, unnest({arguments}) AS v({aliases})) "
            f"SELECT {quote('id')} FROM a")


def attempt_start(*, quiz: Quiz, user, now=None, rng: random.Random | None = None) -> Attempt:
    """Resume the learner's unfinished attempt, or start a new one with a freshly drawn paper;
    a timed attempt is scheduled for auto-submission at its deadline.

    The reads run before the one transaction that writes the attempt and its paper: a second
    start of the same learner at the same moment fails that transaction on the one-open-attempt
    constraint (and resumes the attempt that won) without a savepoint, two statements fewer on
    the exam's busiest request."""
    now = now or timezone.now()
    # One query for both the open attempt's id and the number of attempts so far: the learner's
    # attempts at this quiz are few (an exam allows one or a few), and this plain query costs
    # the ORM less to build than the aggregate it replaces.
    mine = rowload.attempts_of_user(quiz_id=quiz.pk, user_id=user.pk)
    open_id = max((pk for pk, status in mine if status == AttemptStatus.IN_PROGRESS),
                  default=None)
    existing = (Attempt.objects.filter(pk=open_id, status=AttemptStatus.IN_PROGRESS)
                .first() if open_id else None)
    if existing is not None:
        if existing.is_expired(now):
            attempt_submit(attempt=existing, now=now, expired=True)
        else:
            return existing
    if not quiz_can_open(quiz=quiz, user=user):
        raise ValidationError(QUIZ_DRAFT)
    if not quiz.is_open(now):
        raise ValidationError(quiz_unavailable_reason(quiz=quiz, now=now))
    done = len(mine)
    if quiz.max_attempts and not quiz.is_practice and done >= quiz.max_attempts:
        raise ValidationError(QUIZ_NO_ATTEMPTS_LEFT)
    questions = quiz_paper_draw(quiz=quiz, rng=rng)
    deadline = None
    if quiz.time_limit_minutes:
        deadline = now + timezone.timedelta(minutes=quiz.time_limit_minutes)
    if quiz.closes_at and (deadline is None or deadline > quiz.closes_at) and not quiz.is_practice:
        deadline = quiz.closes_at
    max_score = sum((q.points for q in questions), Decimal("0"))
    orders = _choice_orders(quiz=quiz, questions=questions, rng=rng or random.SystemRandom())
    try:
        with transaction.atomic():
            attempt = Attempt(quiz=quiz, user=user, number=done + 1, started_at=now,
                              deadline=deadline, max_score=max_score)
            _attempt_write(attempt, [
                AttemptQuestion(attempt=attempt, version_id=q.version_id, kind=q.kind,
                                order=order, points=q.points,
                                choice_order=orders.get(q.version_id, []))
                for order, q in enumerate(questions, start=1)
            ])
            if deadline is not None:
                from quizzes import tasks

                attempt_id = attempt.pk
                transaction.on_commit(
                    lambda: tasks.attempt_expire.apply_async(args=[attempt_id], eta=deadline))
    except IntegrityError:
        # Another tab started one at the same moment: the constraint keeps one; resume it.
        winner = Attempt.objects.filter(quiz=quiz, user=user,
                                        status=AttemptStatus.IN_PROGRESS).first()
        if winner is None:
            raise
        return winner
    return attempt


def _clean_answer(*, aq: AttemptQuestion, raw, option_tokens: dict[str, int],
                  blank_count: int = 0) -> dict | None:
    """Validate a submitted answer against the question it claims to answer; options arrive as
    this attempt question's tokens and are stored as choice ids."""
    if raw is None:
        return None
    kind = aq.kind
    if kind in (Kind.SINGLE, Kind.MULTIPLE):
        values = raw if isinstance(raw, list) else [raw]
        values = [v for v in values if v not in ("", None)]
        # A raw choice id, or a token of another question or attempt, matches nothing here.
        if not all(isinstance(v, str) and v in option_tokens for v in values):
            raise ValidationError(ANSWER_UNKNOWN_OPTION)
        ids = sorted({option_tokens[v] for v in values})
        if kind == Kind.SINGLE and len(ids) > 1:
            raise ValidationError(ANSWER_INVALID)
        return {"choices": ids} if ids else None
    if kind == Kind.TRUE_FALSE:
        value = raw[0] if isinstance(raw, list) and raw else raw
        if value in ("", None, []):
            return None
        if str(value).lower() not in ("true", "false"):
            raise ValidationError(ANSWER_INVALID)
        return {"value": str(value).lower() == "true"}
    if kind == Kind.FILL:
        values = raw if isinstance(raw, list) else [raw]
        if len(values) > blank_count or not all(isinstance(v, str) for v in values):
            raise ValidationError(ANSWER_INVALID)
        if any(len(v) > MAX_BLANK_TEXT for v in values):
            raise ValidationError(ANSWER_TOO_LONG)
        for value in values:
            text_clean(value=value)  # NUL and other control characters: PostgreSQL refuses them
        return {"blanks": values} if any(v.strip() for v in values) else None
    if kind == Kind.ESSAY:
        value = raw[0] if isinstance(raw, list) and raw else raw
        if not isinstance(value, str):
            raise ValidationError(ANSWER_INVALID)
        if len(value) > MAX_ANSWER_TEXT:
            raise ValidationError(ANSWER_TOO_LONG)
        text_clean(value=value)
        return {"text": value} if value.strip() else None
    raise ValidationError(ANSWER_INVALID)


def _attempt_check_open(attempt: Attempt, now) -> None:
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise ValidationError(ATTEMPT_NOT_IN_PROGRESS)
    if attempt.is_expired(now):
        attempt_submit(attempt=attempt, now=now, expired=True)
        raise ValidationError(ATTEMPT_EXPIRED)


MAX_PK = 2**63 - 1  # the largest BigAutoField value


def _attempt_question_pk(value) -> int:
    """A posted attempt-question id as an int; anything else (text, superscript digits, a
    number no database row can have) is an unknown question, never a server error."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise ValidationError(ANSWER_UNKNOWN_QUESTION) from None
    if not 1 <= pk <= MAX_PK:
        raise ValidationError(ANSWER_UNKNOWN_QUESTION)
    return pk


def attempt_answer_save(*, attempt: Attempt, attempt_question_id=None, raw, now=None,
                        attempt_question: AttemptQuestion | None = None) -> AttemptQuestion:
    """Autosave one answer of an open attempt, options given as its choice tokens (a conditional
    UPDATE, so an answer that races the deadline or a submission is not written).

    `attempt_question` (read with its version, e.g. by selectors.attempt_question_of) spares
    the read of the row: the exam's autosave is then one SELECT and one UPDATE (issue 12)."""
    now = now or timezone.now()
    _attempt_check_open(attempt, now)
    if attempt_question is not None:
        if attempt_question.attempt_id != attempt.pk:
            raise ValidationError(ANSWER_UNKNOWN_QUESTION)
        aq = attempt_question
    else:
        aq_id = _attempt_question_pk(attempt_question_id)
        aq = (AttemptQuestion.objects.annotate(version_created_at=F("version__created_at"))
              .filter(attempt=attempt, pk=aq_id).first())
    if aq is None:
        raise ValidationError(ANSWER_UNKNOWN_QUESTION)
    if aq.checked:
        raise ValidationError(ANSWER_LOCKED)
    # Choice ids and blanks from the process's version cache (versions never change; no query
    # once the version is in memory). The row carries its version or its creation time.
    created_at = getattr(aq, "version_created_at", None) or aq.version.created_at
    version = version_cache.versions_get({aq.version_id: created_at})[aq.version_id]
    tokens = {}
    if aq.kind in (Kind.SINGLE, Kind.MULTIPLE):
        tokens = choice_tokens.choice_tokens(attempt_question_id=aq.pk,
                                             choice_ids=version.choice_ids)
    answer = _clean_answer(aq=aq, raw=raw, option_tokens=tokens,
                           blank_count=len(version.blanks))
    if not _answer_write(aq=aq, answer=answer, now=now):
        raise ValidationError(ATTEMPT_NOT_IN_PROGRESS)
    aq.answer, aq.answered_at = answer, now
    return aq


_ANSWER_WRITE_SQL = (
    "UPDATE quizzes_attemptquestion SET answer = %s, answered_at = %s "
    "WHERE id = %s AND checked = %s AND attempt_id IN ("
    "SELECT id FROM quizzes_attempt WHERE id = %s AND status = %s "
    "AND (deadline IS NULL OR deadline > %s))")


def _answer_write(*, aq: AttemptQuestion, answer: dict | None, now) -> bool:
    """Store one answer only if the question is not checked and its attempt is still open
    and before its deadline, in ONE statement: an answer racing the deadline or a submission
    is not written. Plain SQL: the ORM's update with a join cost more than the rest of an
    autosave to build (issue 12); the values go through the fields' own adaptation."""
    meta = AttemptQuestion._meta
    params = [
        meta.get_field("answer").get_db_prep_save(answer, connection),
        meta.get_field("answered_at").get_db_prep_save(
            now if answer is not None else None, connection),
        aq.pk, False, aq.attempt_id, AttemptStatus.IN_PROGRESS.value,
        Attempt._meta.get_field("deadline").get_db_prep_save(now, connection),
    ]
    with rowload.cursor(connection) as cursor:
        cursor.execute(_ANSWER_WRITE_SQL, params)
        return cursor.rowcount == 1


def _grade_rows(attempt: Attempt, rows: list[AttemptQuestion]) -> None:
    """Grade rows in memory against their versions from `quizzes.version_cache` (no query when
    the versions are in memory; rows carry `version_created_at` or their version)."""
    partial = attempt.quiz.multiple_scoring == MultipleScoring.PARTIAL
    versions = version_cache.versions_get({
        aq.version_id: getattr(aq, "version_created_at", None) or aq.version.created_at
        for aq in rows})
    for aq in rows:
        version = versions[aq.version_id]
        aq.is_correct, aq.awarded = grading.grade(
            kind=aq.kind, points=aq.points, answer=aq.answer,
            correct_choice_ids=version.correct_choice_ids, choice_ids=set(version.choice_ids),
            answer_true=version.answer_true, blanks=[list(b) for b in version.blanks],
            partial_multiple=partial)


@transaction.atomic
def attempt_question_check(*, attempt: Attempt, attempt_question_id, now=None
                           ) -> AttemptQuestion:
    """Practice with immediate feedback: grade one answered question and lock it."""
    now = now or timezone.now()
    if not attempt.quiz.immediate_feedback:
        raise ValidationError(ANSWER_INVALID)
    _attempt_check_open(attempt, now)
    aq = (AttemptQuestion.objects.select_for_update().select_related("version")
          .filter(attempt=attempt, pk=_attempt_question_pk(attempt_question_id)).first())
    if aq is None:
        raise ValidationError(ANSWER_UNKNOWN_QUESTION)
    if aq.checked:
        return aq
    if aq.kind == Kind.ESSAY:
        raise ValidationError(MARK_NOT_ESSAY)
    _grade_rows(attempt, [aq])
    aq.checked = True
    aq.save(update_fields=["checked", "is_correct", "awarded"])
    return aq


def _attempt_result(attempt: Attempt, now, rows: list[AttemptQuestion] | None = None
                    ) -> bool:
    """Set score, percent, status, passed and graded_at from the rows (all of them, as just
    graded in memory, or read again when not given), validated, not saved; return True when
    the attempt is now graded."""
    if rows is None:
        rows = list(attempt.attempt_questions.values("kind", "awarded"))
    else:
        rows = [{"kind": aq.kind, "awarded": aq.awarded} for aq in rows]
    pending = any(r["kind"] == Kind.ESSAY and r["awarded"] is None for r in rows)
    score = sum((r["awarded"] or Decimal("0") for r in rows), Decimal("0"))
    attempt.score = min(grading.quantize(score), attempt.max_score)
    attempt.percent = (grading.quantize(attempt.score * 100 / attempt.max_score)
                       if attempt.max_score else Decimal("0"))
    if pending:
        attempt.status, attempt.passed, attempt.graded_at = AttemptStatus.SUBMITTED, None, None
    else:
        attempt.status = AttemptStatus.GRADED
        attempt.passed = attempt.percent >= attempt.quiz.pass_mark
        attempt.graded_at = now
    # quiz and user are not changed here: validating them would query both tables.
    attempt.full_clean(exclude=["quiz", "user"], validate_constraints=False)
    return not pending


RESULT_FIELDS = ("score", "percent", "status", "passed", "graded_at")


def _attempt_recompute(attempt: Attempt, now, rows: list[AttemptQuestion] | None = None
                       ) -> bool:
    """`_attempt_result`, saved."""
    graded = _attempt_result(attempt, now, rows)
    attempt.save(update_fields=RESULT_FIELDS)
    return graded


def _send_graded(attempt: Attempt, *, marked_by=None, result_changed: bool = True) -> None:
    transaction.on_commit(
        lambda: attempt_graded.send(sender=Attempt, attempt=attempt, marked_by=marked_by,
                                    result_changed=result_changed))


def _marks_and_result_write(attempt: Attempt, rows: list) -> None:
    """Store the marks of graded rows and the attempt's result (`_attempt_result`). On
    PostgreSQL in ONE statement: an UPDATE ... FROM unnest(arrays) of the rows inside the
    UPDATE of the attempt (bulk_update's CASE WHEN per row costs ~30 ms of Python to build for
    a 20-question paper, and each statement is a round trip; issue 12)."""
    if connection.vendor != "postgresql":
        if rows:
            AttemptQuestion.objects.bulk_update(
                [AttemptQuestion(pk=aq.pk, is_correct=aq.is_correct, awarded=aq.awarded)
                 for aq in rows], ["is_correct", "awarded"])
        attempt.save(update_fields=RESULT_FIELDS)
        return
    # Values adapted as save() adapts them (decimal places, time zones).
    field = AttemptQuestion._meta.get_field
    result = Attempt._meta.get_field
    with rowload.cursor(connection) as cursor:
        cursor.execute(_MARKS_AND_RESULT_SQL, [
            [aq.pk for aq in rows], [aq.is_correct for aq in rows],
            [field("awarded").get_db_prep_save(aq.awarded, connection) for aq in rows],
            *(result(name).get_db_prep_save(getattr(attempt, name), connection)
              for name in RESULT_FIELDS),
            attempt.pk])


# The SET list from RESULT_FIELDS (column names of this module's own constants); values are
# parameters.
_MARKS_AND_RESULT_SQL = (
    "WITH marks AS (UPDATE quizzes_attemptquestion AS aq "  # noqa: S608
    "SET is_correct = v.is_correct, awarded = v.awarded "
    "FROM unnest(%s::bigint[], %s::boolean[], %s::numeric[]) AS v(id, is_correct, awarded) "
    "WHERE aq.id = v.id) "
    f"UPDATE quizzes_attempt SET {', '.join(f'{name} = %s' for name in RESULT_FIELDS)} "
    "WHERE id = %s")

_CLAIM_SQL = ("UPDATE quizzes_attempt SET status = %s, submitted_at = %s, auto_submitted = %s "
              "WHERE id = %s AND status = %s")


def _attempt_claim(attempt: Attempt, *, submitted_at, expired: bool) -> bool:
    """Mark the attempt submitted if it is still in progress, in one conditional UPDATE (a
    prepared statement on PostgreSQL): True for the one caller that claims it."""
    params = [AttemptStatus.SUBMITTED.value,
              Attempt._meta.get_field("submitted_at").get_db_prep_save(submitted_at, connection),
              expired, attempt.pk, AttemptStatus.IN_PROGRESS.value]
    with rowload.cursor(connection) as cursor:
        cursor.execute(_CLAIM_SQL, params)
        return cursor.rowcount == 1


@transaction.atomic
def attempt_submit(*, attempt: Attempt, now=None, expired: bool = False) -> Attempt:
    """Finish an attempt once: auto-grade it, leave essays pending, compute the result.

    Claimed with a conditional UPDATE, so a double click, a second tab or a redelivered expiry
    task finds nothing to claim and returns the attempt as it is."""
    now = now or timezone.now()
    if not expired and attempt.deadline is not None and now >= attempt.deadline:
        expired = True
    submitted_at = min(now, attempt.deadline) if expired and attempt.deadline else now
    if not _attempt_claim(attempt, submitted_at=submitted_at, expired=expired):
        attempt.refresh_from_db()
        return attempt
    # Claimed: nothing else writes an attempt while it is in progress, so the row is what this
    # object says plus the claim (no re-read, which would also drop the cached quiz).
    attempt.status, attempt.submitted_at = AttemptStatus.SUBMITTED, submitted_at
    attempt.auto_submitted = expired
    # One read of the whole paper, the attempt page's own statement (prepared on PostgreSQL;
    # versions from the process's version cache): unchecked rows are graded in memory, the
    # total is computed from all rows in Python (checked practice rows keep their marks).
    rows = selectors.attempt_paper(attempt=attempt)
    unchecked = [aq for aq in rows if not aq.checked]
    _grade_rows(attempt, unchecked)
    graded = _attempt_result(attempt, now, rows=rows)
    _marks_and_result_write(attempt, unchecked)
    if graded:
        _send_graded(attempt)
    return attempt


def attempt_expire(*, attempt_id: int, now=None) -> Attempt | None:
    """Auto-submit an attempt whose deadline has passed; a no-op otherwise."""
    now = now or timezone.now()
    attempt = Attempt.objects.select_related("quiz").filter(
        pk=attempt_id, status=AttemptStatus.IN_PROGRESS, deadline__lte=now).first()
    if attempt is None:
        return None
    return attempt_submit(attempt=attempt, now=now, expired=True)


def attempts_expire_overdue(*, now=None, limit: int = 500) -> int:
    """Sweep: auto-submit attempts whose deadline passed but whose task never ran."""
    now = now or timezone.now()
    ids = list(Attempt.objects.filter(
        status=AttemptStatus.IN_PROGRESS, deadline__lte=now).values_list("pk", flat=True)[:limit])
    done = 0
    for attempt_id in ids:
        if attempt_expire(attempt_id=attempt_id, now=now) is not None:
            done += 1
    return done


def attempt_refresh_if_expired(*, attempt: Attempt, now=None) -> Attempt:
    """Checked on every access: an open attempt past its deadline is submitted now."""
    if attempt.is_in_progress and attempt.is_expired(now):
        return attempt_submit(attempt=attempt, now=now, expired=True)
    return attempt


# ---------------------------------------------------------------- marking


@transaction.atomic
def marking_save(*, attempt_question: AttemptQuestion, marker, points, feedback: str = "",
                 now=None) -> AttemptQuestion:
    """Mark an essay answer with partial points and feedback, audit it, recompute the result;
    the last essay marked makes the attempt graded and sends `attempt_graded`."""
    now = now or timezone.now()
    attempt = Attempt.objects.select_for_update().select_related("quiz").get(
        pk=attempt_question.attempt_id)
    aq = AttemptQuestion.objects.select_for_update().get(pk=attempt_question.pk)
    if aq.kind != Kind.ESSAY:
        raise ValidationError(MARK_NOT_ESSAY)
    if attempt.status == AttemptStatus.IN_PROGRESS:
        raise ValidationError(MARK_ATTEMPT_OPEN)
    try:
        value = Decimal(str(points).strip())
        if not value.is_finite() or value < 0 or value > aq.points:
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError(MARK_POINTS_RANGE) from None
    feedback = (feedback or "")[:MAX_ANSWER_TEXT]
    aq.awarded = grading.quantize(value)
    aq.is_correct = aq.awarded == aq.points
    aq.feedback = feedback
    aq.marked_by = marker
    aq.marked_at = now
    aq.save(update_fields=["awarded", "is_correct", "feedback", "marked_by", "marked_at"])
    MarkingRecord.objects.create(
        attempt_question=aq, marker=marker, points=aq.awarded, feedback=feedback)
    before = (attempt.status, attempt.score, attempt.passed)
    if _attempt_recompute(attempt, now):
        # Listeners (the learner's notification) tell a re-marking that changed nothing apart.
        _send_graded(attempt, marked_by=marker,
                     result_changed=before != (attempt.status, attempt.score, attempt.passed))
    return aq


# ---------------------------------------------------------------- quizzes


@transaction.atomic
def quiz_create(*, title: str, draw_rules: list[dict] | None = None,
                questions: list[Question] | None = None, **settings) -> Quiz:
    """Create a quiz with its fixed questions and draw rules (validated)."""
    from quizzes.models import DrawRule, QuizQuestion

    quiz = Quiz(title=title, **settings)
    quiz.full_clean()
    quiz.save()
    for order, question in enumerate(questions or []):
        QuizQuestion.objects.create(quiz=quiz, question=question, sort_order=order)
    for order, rule in enumerate(draw_rules or []):
        draw_rule = DrawRule(quiz=quiz, sort_order=order, **rule)
        draw_rule.full_clean()
        draw_rule.save()
    return quiz


@transaction.atomic
def quiz_draw_rules_set(*, quiz: Quiz, rules: list[dict]) -> bool:
    """Make the quiz's draw rules exactly `rules` (in order); returns False and writes nothing
    when they already are. Attempts keep the papers they drew."""
    from quizzes.models import DrawRule

    fields = ("bank_id", "category_id", "kind", "difficulty", "count")
    wanted = [DrawRule(quiz=quiz, sort_order=order, **rule) for order, rule in enumerate(rules)]
    current = [tuple(getattr(r, f) for f in fields) for r in quiz.draw_rules.order_by(
        "sort_order", "pk")]
    if current == [tuple(getattr(r, f) for f in fields) for r in wanted]:
        return False
    quiz.draw_rules.all().delete()
    for rule in wanted:
        rule.full_clean()
        rule.save()
    return True
