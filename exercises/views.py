"""HTTP side of graded exercises: check and submit an answer, follow a submission (see
docs/code-cells.md, "Exercises"). A lesson's exercises are submitted by those who may run its cells."""

import json

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET, require_POST

from cells.rate_limits import RateLimited, check_run_rate
from cells.selectors import lesson_for, run_access
from panlearn.http import json_body

from .policy_lookup import course_of, policy_for
from .selectors import attempts_used, exercise_on, own_submission, queue_position, released_solution
from .submissions import NothingAnswered, SubmissionRefused, submission_create


def exercises_base(request: HttpRequest, page_id: int) -> JsonResponse:
    """The base URL each exercise block is given; nothing is served here."""
    raise Http404


def _exercise_for(request: HttpRequest, page_id: int, exercise_id: int):
    """The exercise and the lesson's course, if this lesson holds it and the user may run the lesson's
    code (signed in)."""
    page = lesson_for(user=request.user, page_id=page_id)
    if page is None:
        raise Http404("No such lesson.")
    access = run_access(user=request.user, page=page)
    if not access.allowed or not request.user.is_authenticated:
        raise PermissionError(access.why or "Sign in and enrol to submit exercises.")
    exercise = exercise_on(page, exercise_id)
    if exercise is None:
        raise Http404("This lesson has no such exercise.")
    return exercise, course_of(page)


@require_POST
def exercise_submit(request: HttpRequest, page_id: int, exercise_id: int, kind: str) -> JsonResponse:
    try:
        exercise, course = _exercise_for(request, page_id, exercise_id)
    except PermissionError as error:
        return JsonResponse({"message": str(error)}, status=403)
    body = json_body(request)
    answers: dict = {}
    if exercise.kind == "quiz":
        answers, code = body.get("answers"), ""
        if not isinstance(answers, dict) or len(json.dumps(answers)) > settings.PANLEARN_CELLS_MAX_DRAFT_BYTES:
            return JsonResponse({"message": "Send your answers, one per question."}, status=400)
    else:
        code = body.get("text" if exercise.kind == "free_response" else "code")
        if not isinstance(code, str) or "\x00" in code:
            return JsonResponse({"message": "Send your answer as text."}, status=400)
        if exercise.kind == "free_response" and not code.strip():
            return JsonResponse({"message": "Write your answer before submitting."}, status=400)
    if len(code.encode("utf-8", errors="replace")) > settings.PANLEARN_CELLS_MAX_DRAFT_BYTES:
        return JsonResponse({"message": "This answer is too long to submit."}, status=413)
    try:
        check_run_rate(user=request.user, request=request)
        submission = submission_create(user=request.user, exercise=exercise, code=code, kind=kind, course=course,
                                       answers=answers)  # fmt: skip
    except RateLimited as error:
        return JsonResponse({"message": str(error)}, status=429)
    except NothingAnswered as error:
        return JsonResponse({"message": str(error)}, status=400)
    except SubmissionRefused as error:
        return JsonResponse({"message": str(error)}, status=409)
    used = attempts_used(user=request.user, exercise=exercise)
    return JsonResponse(
        {
            "submission": submission.pk,
            "status": submission.status,
            "attempt": submission.attempt,
            "attempts_used": used,
            "max_attempts": policy_for(exercise, course).max_attempts,
        },
        status=202,
    )


@require_GET
def submission_status(request: HttpRequest, page_id: int, submission_id: int) -> JsonResponse:
    """A student's own submission: its state, queue position, and the feedback they may see (never more)."""
    if not request.user.is_authenticated:
        return JsonResponse({"message": "Sign in to see your submissions."}, status=403)
    submission = own_submission(user=request.user, submission_id=submission_id)
    if submission is None:
        return JsonResponse({"message": "No such submission."}, status=404)
    number = lambda value: float(value) if value is not None else None  # noqa: E731
    return JsonResponse(
        {
            "status": submission.status,
            "queue_position": queue_position(submission),
            "kind": submission.kind,
            "attempt": submission.attempt,
            "points": number(submission.points),
            "possible": number(submission.possible),
            "message": submission.message,
            "feedback": submission.feedback,
            "solution": released_solution(exercise=submission.exercise, course=submission.course),
        }
    )
