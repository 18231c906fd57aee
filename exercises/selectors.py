"""Reads for graded exercises: what the exercise block shows, the released solution, and a student's
own submissions."""


def released_solution(*, exercise, course, now=None) -> dict | None:
    """The reference solution, once the policy of `course` releases it (after the deadline); else None.

    The one rule for the lesson's HTML and the JSON endpoints alike. Hidden tests are never part of it.
    """
    from django.utils import timezone

    from .policy_lookup import policy_for
    from .policy_rules import solution_visible
    from .quiz_specs import answer_text

    if not solution_visible(policy_for(exercise, course), now or timezone.now()):
        return None
    if exercise.kind == "quiz":
        answers = [{"question": f"Question {number}", "prompt": question.prompt,
                    "answer": answer_text(question.kind, question.spec)}
                   for number, question in enumerate(exercise.questions.all(), 1)]  # fmt: skip
        return {"answers": answers}
    if exercise.kind == "free_response":
        return {"text": exercise.solution_code} if exercise.solution_code.strip() else None
    return {"code": exercise.solution_code}


def quiz_questions_for(exercise, answers: dict | None = None) -> list[dict]:
    """The quiz as the page shows it: prompts, option texts and units, never which option is right;
    the student's last answers filled in."""
    from .quiz_specs import public_view

    answers = answers or {}
    questions = []
    for number, question in enumerate(exercise.questions.all(), 1):
        key, public = str(question.pk), public_view(question.kind, question.spec)
        given = answers.get(key)
        chosen = set(given) if isinstance(given, list) else {given}
        options = [{**option, "checked": option["id"] in chosen} for option in public.get("options", [])]
        questions.append({"id": key, "number": number, "kind": question.kind, "prompt": question.prompt,
                          "points": question.points, "options": options, "unit": public.get("unit", ""),
                          "value": given if isinstance(given, str) else ""})  # fmt: skip
    return questions


def exercise_state_for(*, user, exercise, course=None, now=None) -> dict:
    """What the exercise block shows: the policy in force, the student's last graded result, their
    code, their attempts, and the reference solution once released."""
    from django.utils import timezone

    from .models import ExerciseProgress, Submission, SubmissionStatus
    from .policy_lookup import policy_for
    from .policy_rules import is_late

    now = now or timezone.now()
    policy = policy_for(exercise, course)
    state = {
        "policy": policy,
        "max_attempts": policy.max_attempts,
        "deadline": policy.deadline,
        "past_deadline": is_late(policy, now),
        "solution": released_solution(exercise=exercise, course=course, now=now),
    }
    if not user.is_authenticated:
        if exercise.kind == "quiz":
            state["questions"] = quiz_questions_for(exercise)
        return {**state, "shown_code": exercise.starter_code, "attempts_used": 0, "last": None, "pending": None}
    last = (
        Submission.objects.filter(user=user, exercise=exercise, status=SubmissionStatus.GRADED)
        .order_by("-submitted_at")
        .first()
    )
    latest = Submission.objects.filter(user=user, exercise=exercise).order_by("-submitted_at").first()
    progress = ExerciseProgress.objects.filter(user=user, exercise=exercise).values_list("attempts_used", flat=True)
    if exercise.kind == "quiz":
        state["questions"] = quiz_questions_for(exercise, latest.answers if latest else None)
    return {
        **state,
        "pending": latest if latest and latest.status == SubmissionStatus.AWAITING else None,
        "shown_code": latest.code if latest is not None else exercise.starter_code,
        "attempts_used": progress.first() or 0,
        "last": last,
    }


def page_exercise_ids(page) -> set[int]:
    return {
        block.value["exercise"].pk
        for block in getattr(page, "body", None) or []
        if block.block_type == "exercise" and block.value["exercise"] is not None
    }


def exercise_on(page, exercise_id: int):
    """The exercise if the page holds it, else None."""
    from .models import Exercise

    if exercise_id not in page_exercise_ids(page):
        return None
    return Exercise.objects.filter(pk=exercise_id).first()


def attempts_used(*, user, exercise) -> int:
    return exercise.progress.filter(user=user).values_list("attempts_used", flat=True).first() or 0


def own_submission(*, user, submission_id: int):
    """The user's own submission with its exercise and course, or None (another's is never found)."""
    from .models import Submission

    return Submission.objects.filter(pk=submission_id, user=user).select_related("exercise", "course").first()


def queue_position(submission) -> int | None:
    """Where a queued submission waits (1 is next), or None once it is no longer queued."""
    from .models import Submission, SubmissionStatus

    if submission.status != SubmissionStatus.QUEUED:
        return None
    waiting = Submission.objects.filter(status=SubmissionStatus.QUEUED, submitted_at__lt=submission.submitted_at)
    return waiting.count() + 1


def awaiting_response(*, user, submission_id):
    """A free response waiting for a grade, on an exercise the user manages; None otherwise (or for an id
    that is not a number)."""
    from .access import manageable_exercises
    from .models import Submission, SubmissionStatus

    try:
        pk = int(submission_id)
    except (TypeError, ValueError):
        return None
    awaiting = Submission.objects.filter(status=SubmissionStatus.AWAITING, exercise__in=manageable_exercises(user))
    return awaiting.select_related("exercise", "user", "course").filter(pk=pk).first()
