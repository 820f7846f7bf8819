"""Course content from plain data (the demo's JSON files): `course_upsert` creates or updates a
course and its lessons, resolving quizzes, exercises, policies and cases by title, and
publishes only what changed.

Schema of one course::

    {"title", "stage": "exante|goals|monitoring|evaluation|results|general",
     "positions": ["head", ...], "credit_hours": "1.5", "intro", "objectives": ["..."],
     "required_quiz": "<quiz title>|null", "required_quiz_pass_percent": int|null,
     "required_exercise": "<exercise title>|null",
     "lessons": [{"title", "min_study_minutes": int, "blocks": [
        {"type": "text", "html"}, {"type": "key_points", "items"},
        {"type": "policy_excerpt", "policy_title", "clause_label", "quote"},
        {"type": "case", "case_title"}, {"type": "quiz", "quiz_title"},
        {"type": "exercise", "exercise_title"},
        {"type": "self_check", "question", "options", "answer" (0-based), "feedback"}]}]}
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from casebook.models import CasePage, Exercise
from courses.blocks import LessonBodyBlock
from courses.fields import PositionListField
from courses.models import CourseIndexPage, CoursePage, LessonPage
from portal.models import HomePage, PolicyDocumentPage, Stage
from portal.services import page_publish
from quizzes.models import Quiz

COURSE_INDEX_SLUG = "courses"
STAGE_CODES = {"exante": Stage.PRE_ASSESSMENT, "goals": Stage.GOAL_MANAGEMENT,
               "monitoring": Stage.MONITORING, "evaluation": Stage.EVALUATION,
               "results": Stage.RESULT_APPLICATION, "general": Stage.GENERAL}
# Errors name the course and what is missing, so a data file is fixed in one go.
ERROR_UNKNOWN = "course 《{course}》: unknown {kind} 《{title}》"
ERROR_AMBIGUOUS = "course 《{course}》: more than one {kind} is titled 《{title}》"
ERROR_BAD_STAGE = "course 《{course}》: unknown stage {stage!r} (use one of {choices})"
ERROR_BAD_BLOCK = "course 《{course}》, lesson 《{lesson}》: unknown block type {type!r}"
ERROR_BAD_HOURS = "course 《{course}》: credit hours {value!r} is not a number"
ERROR_INVALID = "course 《{course}》: {errors}"
_TREE_FIELDS = ["path", "depth", "slug", "content_type", "live", "draft_title", "translation_key",
                "locale", "numchild", "url_path"]


@transaction.atomic
def course_index_ensure(*, home: HomePage) -> CourseIndexPage:
    """The course list under ``home`` at /courses/ (idempotent)."""
    index = CourseIndexPage.objects.child_of(home).filter(slug=COURSE_INDEX_SLUG).first()
    if index is None:
        index = CourseIndexPage(
            title="课程", slug=COURSE_INDEX_SLUG, live=False,
            intro="按预算绩效管理的环节组织的课程：每门课由若干节课组成，结合政策条文和真实案例，"
                  "部分课程要求通过测验或案例练习。",
        )
        home.add_child(instance=index)
        index = page_publish(index)
    return index


def _one(model, course: str, kind: str, title: str, **filters):
    matches = list(model.objects.filter(title=title, **filters)[:2])
    if not matches:
        raise ValueError(ERROR_UNKNOWN.format(course=course, kind=kind, title=title))
    if len(matches) > 1:
        raise ValueError(ERROR_AMBIGUOUS.format(course=course, kind=kind, title=title))
    return matches[0]


def _block(item: dict, *, course: str, lesson: str) -> dict:
    """One JSON block as StreamField raw data (chosen objects by id)."""
    kind = item.get("type")
    if kind == "text":
        return {"type": "text", "value": item["html"]}
    if kind == "key_points":
        return {"type": "key_points", "value": {"heading": item.get("heading", ""),
                                                "items": list(item["items"])}}
    if kind == "policy_excerpt":
        policy = _one(PolicyDocumentPage, course, "policy", item["policy_title"])
        return {"type": "policy_excerpt", "value": {
            "policy": policy.pk, "clause_label": item.get("clause_label", ""),
            "quote": item["quote"]}}
    if kind == "case":
        case = _one(CasePage, course, "case", item["case_title"])
        return {"type": "case", "value": {"case": case.pk, "note": item.get("note", "")}}
    if kind == "quiz":
        quiz = _one(Quiz, course, "quiz", item["quiz_title"])
        return {"type": "quiz", "value": {"quiz": quiz.pk, "intro": item.get("intro", ""),
                                          "button_label": ""}}
    if kind == "exercise":
        exercise = _one(Exercise, course, "exercise", item["exercise_title"])
        return {"type": "exercise", "value": {"exercise": exercise.pk,
                                              "intro": item.get("intro", ""),
                                              "button_label": ""}}
    if kind == "self_check":
        return {"type": "self_check", "value": {
            "question": item["question"], "options": list(item["options"]),
            "answer": int(item["answer"]) + 1, "feedback": item.get("feedback", "")}}
    raise ValueError(ERROR_BAD_BLOCK.format(course=course, lesson=lesson, type=kind))


def _plain(value):
    """Stored stream data without block ids, so unchanged content compares equal."""
    if isinstance(value, dict):
        if set(value) <= {"type", "value", "id"} and value.get("type") == "item":
            return _plain(value.get("value"))
        return {key: _plain(item) for key, item in value.items() if key != "id"}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _stream_signature(raw: list[dict]) -> list:
    block = LessonBodyBlock()
    return _plain(block.get_prep_value(block.to_python(raw)))


def _course_fields(data: dict) -> dict:
    title = data["title"]
    stage = STAGE_CODES.get(data.get("stage") or "general")
    if stage is None:
        raise ValueError(ERROR_BAD_STAGE.format(course=title, stage=data.get("stage"),
                                                choices=", ".join(STAGE_CODES)))
    try:
        hours = Decimal(str(data.get("credit_hours", "1"))).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ValueError(ERROR_BAD_HOURS.format(course=title,
                                                value=data.get("credit_hours"))) from None
    quiz = (_one(Quiz, title, "quiz", data["required_quiz"])
            if data.get("required_quiz") else None)
    exercise = (_one(Exercise, title, "exercise", data["required_exercise"])
                if data.get("required_exercise") else None)
    return {
        "title": title, "stage": stage, "positions": list(data.get("positions") or []),
        "credit_hours": hours, "intro": data.get("intro", ""),
        "objectives": "\n".join(data.get("objectives") or []),
        "required_quiz_id": quiz.pk if quiz else None,
        "required_quiz_pass_percent": data.get("required_quiz_pass_percent"),
        "required_exercise_id": exercise.pk if exercise else None,
    }


def _full_clean(page, course: str) -> None:
    try:
        page.full_clean(exclude=_TREE_FIELDS)
    except ValidationError as exc:
        errors = "; ".join(f"{key}: {' '.join(str(m) for m in messages)}"
                           for key, messages in exc.message_dict.items())
        raise ValueError(ERROR_INVALID.format(course=course, errors=errors)) from None


def _upsert(*, model, parent, fields: dict, signature, course: str):
    """Create the page under ``parent`` or publish a new revision when ``signature(page)``
    differs from ``signature(wanted)``; untouched pages get no revision."""
    page = model.objects.child_of(parent).filter(title=fields["title"]).first()
    if page is None:
        page = model(live=False, **fields)
        _full_clean(page, course)
        parent.add_child(instance=page)
        return page_publish(page)
    draft = page.get_latest_revision_as_object()
    wanted = model(**fields)
    if page.live and signature(draft) == signature(wanted):
        return page
    for name, value in fields.items():
        setattr(draft, name, value)
    _full_clean(draft, course)
    return page_publish(draft)


def _course_signature(page: CoursePage) -> tuple:
    positions = PositionListField.decode(page.positions)
    return (page.title, page.stage, positions, Decimal(str(page.credit_hours)),
            page.intro, page.objectives, page.required_quiz_id,
            page.required_quiz_pass_percent, page.required_exercise_id)


def _lesson_signature(page: LessonPage) -> tuple:
    return (page.title, page.intro, page.min_study_minutes,
            _stream_signature(list(page.body.raw_data)))


@transaction.atomic
def course_upsert(*, index: CourseIndexPage, data: dict) -> CoursePage:
    """Create or update one course and its lessons (keyed by title); raises ValueError naming
    the course and the missing quiz, exercise, policy or case before writing anything."""
    title = data["title"]
    fields = _course_fields(data)
    lessons = [{"title": lesson["title"], "intro": lesson.get("intro", ""),
                "min_study_minutes": int(lesson.get("min_study_minutes") or 0),
                "body": [_block(item, course=title, lesson=lesson["title"])
                         for item in lesson.get("blocks", [])]}
               for lesson in data.get("lessons", [])]
    course = _upsert(model=CoursePage, parent=index, fields=fields,
                     signature=_course_signature, course=title)
    for lesson in lessons:
        _upsert(model=LessonPage, parent=course, fields=lesson,
                signature=_lesson_signature, course=title)
    return course
