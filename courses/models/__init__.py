from courses.models.certificates import Certificate
from courses.models.notifications import Notification, NotificationKind, ReminderLog
from courses.models.pages import CourseIndexPage, CoursePage, LessonPage
from courses.models.plans import (
    ExemptionReason,
    PlanAssignment,
    PlanExemption,
    PlanRequirement,
    TrainingPlan,
)
from courses.models.records import (
    CompletionHow,
    Enrolment,
    EnrolmentStatus,
    LessonCompletion,
    LessonStudy,
)

__all__ = ["Certificate", "CompletionHow", "CourseIndexPage", "CoursePage", "Enrolment",
           "EnrolmentStatus", "ExemptionReason", "LessonCompletion", "LessonPage", "LessonStudy",
           "Notification", "NotificationKind", "PlanAssignment", "PlanExemption",
           "PlanRequirement", "ReminderLog", "TrainingPlan"]
