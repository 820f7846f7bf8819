"""Goal tables and reviews holding NUL or other control characters are refused in Chinese and
nothing is written: by the request guard on the web and by the services for every other caller.
Run on PostgreSQL too (`DATABASE_URL=postgres://...`): jsonb cannot hold \\u0000 (it was a 500)."""

from __future__ import annotations

import pytest
from django.utils import translation

from casebook.exercises import grading, services
from casebook.exercises.grading import ExerciseInputError
from casebook.models import ExerciseSubmission, SubmissionReview
from portal.cleaning import TEXT_FORBIDDEN
from tests.departments.factories import LearnerFactory

from .exercise_helpers import make_exercise, table_post
from .factories import CLEAN_ROWS

pytestmark = pytest.mark.django_db


def zh(message) -> str:
    with translation.override("zh-hans"):
        return str(message)


@pytest.fixture
def learner(db):
    return LearnerFactory()


@pytest.fixture
def goal_exercise(make_case):
    return make_exercise(make_case(), "goal_setting", pass_mark=70)


def test_goal_table_submit_with_a_nul_in_a_cell_is_a_400_and_writes_no_submission(
        client, learner, goal_exercise):
    client.force_login(learner.user)
    rows = [dict(row) for row in CLEAN_ROWS]
    rows[0]["name"] = "完成校舍\x00维修"
    response = client.post(f"/casebook/exercises/{goal_exercise.pk}/", table_post(rows))
    assert response.status_code == 400
    assert zh(TEXT_FORBIDDEN) in response.content.decode()
    assert not ExerciseSubmission.objects.exists()


def test_submission_service_refuses_a_nul_anywhere_in_the_input(learner, goal_exercise):
    table = grading.table_for_exercise(goal_exercise, {"indicators": [dict(r) for r in CLEAN_ROWS],
                                                       "annual_goal": "年度目标"})
    graded = grading.grade_goal_setting(goal_exercise, table)
    data = table.to_dict()
    data["indicators"][1]["explanation"] = "依据\x00文件"
    with translation.override("zh-hans"), pytest.raises(ExerciseInputError) as caught:
        services.submission_create(exercise=goal_exercise, user=learner.user, input_data=data,
                                   graded=graded)
    assert caught.value.messages == [zh(TEXT_FORBIDDEN)]
    assert not ExerciseSubmission.objects.exists()


def test_review_comment_with_a_nul_is_refused_and_writes_no_review(learner, goal_exercise,
                                                                    django_user_model):
    table = grading.table_for_exercise(goal_exercise, {"indicators": [dict(r) for r in CLEAN_ROWS],
                                                       "annual_goal": "年度目标"})
    submission = services.submission_create(
        exercise=goal_exercise, user=learner.user, input_data=table.to_dict(),
        graded=grading.grade_goal_setting(goal_exercise, table))
    reviewer = django_user_model.objects.create_superuser(username="rev", password="x")
    with pytest.raises(ExerciseInputError):
        services.submission_review(submission=submission, reviewer=reviewer,
                                   comment="理由\x00", new_score="80")
    submission.refresh_from_db()
    assert not SubmissionReview.objects.exists() and submission.score == submission.auto_score
