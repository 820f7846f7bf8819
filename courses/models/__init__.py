from courses.models.pages import CourseIndexPage, CoursePage, LessonPage
from courses.models.plans import PlanAssignment, PlanRequirement, TrainingPlan
from courses.models.records import (
    CompletionHow,
    Enrolment,
    EnrolmentStatus,
    LessonCompletion,
    LessonStudy,
)

__all__ = ["CompletionHow", "CourseIndexPage", "CoursePage", "Enrolment", "EnrolmentStatus",
           "LessonCompletion", "LessonPage", "LessonStudy", "PlanAssignment", "PlanRequirement",
           "TrainingPlan"]
