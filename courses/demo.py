"""Demo courses for `seed_demo`: the course list and every course in courses/demo/*.json
(schema in `courses.authoring`), created or refreshed through `course_upsert`."""

from __future__ import annotations

import json
from pathlib import Path

from courses.authoring import course_index_ensure, course_upsert
from courses.models import CoursePage, LessonPage
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
    return {"courses": CoursePage.objects.live().count(),
            "lessons": LessonPage.objects.live().count()}
