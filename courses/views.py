"""Endpoints of the lesson page (study-time heartbeats, the "已学完" button) and 我的培训."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courses.certificates.selectors import certificates_of_learner
from courses.models import LessonPage
from courses.selectors import plan_progress_of_learner
from courses.services import HEARTBEAT_INTERVAL_SECONDS, lesson_complete, lesson_heartbeat

# Page keys are 32-bit: a larger id is no lesson (and would overflow the query: a 500).
PAGE_PK_MAX = 2**31 - 1


def _live_lesson(lesson_id: int) -> LessonPage:
    if not 1 <= lesson_id <= PAGE_PK_MAX:
        raise Http404
    return get_object_or_404(LessonPage.objects.live().public(), pk=lesson_id)


@require_POST
def heartbeat(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """The lesson is open and visible: add the server-measured time since the last beat."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Sign in to record your progress.")}, status=403)
    lesson = _live_lesson(lesson_id)
    study = lesson_heartbeat(user=request.user, lesson=lesson)
    required = lesson.min_study_minutes * 60
    return JsonResponse({
        "seconds_studied": study.seconds_studied,
        "seconds_required": required,
        "seconds_left": max(0, required - study.seconds_studied),
        "interval": HEARTBEAT_INTERVAL_SECONDS,
    })


@login_required
@require_POST
def complete(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """The learner marks the lesson finished; refused until the minimum study time has passed."""
    lesson = _live_lesson(lesson_id)
    try:
        lesson_complete(user=request.user, lesson=lesson)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Lesson finished."))
    return redirect(lesson.url)


@login_required
def my_training(request: HttpRequest) -> HttpResponse:
    """我的培训: this year's required courses with status and progress, earlier years below,
    and the learner's certificates."""
    today = timezone.localdate()
    plans = plan_progress_of_learner(user=request.user, today=today)
    current = [item for item in plans if item.plan.year == today.year]
    return render(request, "courses/my_training.html", {
        "current_plans": current,
        "previous_plans": [item for item in plans if item.plan.year != today.year],
        "today": today,
        "certificates": certificates_of_learner(user=request.user),
    })
