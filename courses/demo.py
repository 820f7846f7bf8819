"""Demo courses for `seed_demo`: the course list and every course in courses/demo/*.json
(schema in `courses.authoring`), created or refreshed through `course_upsert`, and this year's
training plan for the demo organisation, published and assigned."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from courses.authoring import course_index_ensure, course_upsert
from courses.models import CoursePage, LessonPage, PlanAssignment, PlanRequirement, TrainingPlan
from courses.services import plan_assign, plan_publish
from portal.services import site_home_ensure

ORDER = 50  # after the quizzes (30) and the casebook (40) the courses refer to
DEMO_DIR = Path(__file__).resolve().parent / "demo"


def course_files(directory: Path = DEMO_DIR) -> list[dict]:
    """The demo course data, in file-name order (raises ValueError naming a broken file)."""
    courses = []
    for path in sorted(directory.glob("*.json")):
        try:
            courses.append(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path.name}: not valid JSON ({exc})") from None
    return courses


def seed(*, log, directory: Path = DEMO_DIR) -> dict[str, int]:
    """Create or refresh the course list and the demo courses."""
    index = course_index_ensure(home=site_home_ensure())
    items = course_files(directory)
    if not items:
        log(f"courses: no course files in {directory}; course list left empty")
    for data in items:
        course_upsert(index=index, data=data)
    counts = {"courses": CoursePage.objects.live().count(),
              "lessons": LessonPage.objects.live().count()}
    plan = plan_seed()
    if plan is not None:
        counts["plan assignments"] = PlanAssignment.objects.filter(
            requirement__plan=plan).count()
    else:
        log("courses: the demo plan's courses are missing; no training plan published")
    return counts


# The demo plan's requirements by position: the course titles of courses/demo/*.json.
PLAN_REQUIREMENTS = [
    ("head", "负责人专题：预算绩效管理的主体责任"),
    ("business", "绩效目标管理"),
    ("finance", "绩效评价：单位自评与重点评价"),
]


@transaction.atomic
def plan_seed(*, year: int | None = None) -> TrainingPlan | None:
    """This year's plan for every department, published and assigned synchronously.

    The window is the calendar year, like the home page's annual exam, so a demo seeded on any
    day has an open plan: opens 1 January, due 15 December, make-up until 31 December.
    Idempotent: the plan is found by year and title, and assignment adds only what is missing.
    """
    year = year or timezone.localdate().year
    courses = {course.title: course for course in CoursePage.objects.live().filter(
        title__in=[title for _position, title in PLAN_REQUIREMENTS])}
    if len(courses) != len(PLAN_REQUIREMENTS):
        return None  # the demo courses are missing (an empty course directory)
    plan, _created = TrainingPlan.objects.update_or_create(
        year=year, title=f"{year}年度预算绩效管理培训计划",
        defaults={"opens_on": dt.date(year, 1, 1), "due_on": dt.date(year, 12, 15),
                  "makeup_until": dt.date(year, 12, 31), "all_departments": True,
                  "min_credit_hours": Decimal("2.0")})
    for order, (position, title) in enumerate(PLAN_REQUIREMENTS):
        PlanRequirement.objects.update_or_create(
            plan=plan, position=position, course=courses[title],
            defaults={"sort_order": order})
    plan_publish(plan=plan, user=None, enqueue=False)
    plan_assign(plan=plan)
    return plan
