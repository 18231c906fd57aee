"""The gradebook in the admin: filters, "who is stuck", manual override with a comment, CSV export."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from .access import manageable_exercise_ids, manageable_exercises
from .gradebook import grade_rows, gradebook_csv, nbgrader_rows, override_set
from .importing import MAX_NOTEBOOK_BYTES, exercises_from_notebook
from .models import Exercise
from .nbgrader import NotebookFormatError, export_student_notebook, grades_csv
from .selectors import awaiting_response
from .submissions import exercise_validate, regrade_changes, regrade_exercise, response_grade

PERMISSION = "panlearn_exercises.change_exercise"


def may_use_gradebook(user) -> bool:
    """Trainers (who edit exercises) and anyone who manages some exercise, such as a facility's staff for
    their programmes' assessments; what each one then sees is narrowed to their exercises."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.has_perm(PERMISSION) or manageable_exercise_ids(user) != set()


def _require(request: HttpRequest) -> None:
    if not may_use_gradebook(request.user):
        raise PermissionDenied


def _exercise(request: HttpRequest, pk) -> Exercise:
    """One of the exercises the user manages (exercises/access.py); 404 for any other."""
    if not str(pk or "").isdigit():
        raise Http404
    return get_object_or_404(manageable_exercises(request.user), pk=int(pk))


def gradebook(request: HttpRequest) -> HttpResponse:
    _require(request)
    manageable = manageable_exercises(request.user)
    exercises = manageable
    chosen = request.GET.get("exercise", "")
    if chosen.isdigit():
        exercises = exercises.filter(pk=int(chosen))
    username = request.GET.get("user", "").strip()
    rows = grade_rows(exercises, username=username)
    if request.GET.get("stuck"):
        rows = [row for row in rows if row.stuck]
    if request.GET.get("to_grade"):
        rows = [row for row in rows if row.needs_grading]
    if request.GET.get("format") in ("csv", "nbgrader"):
        nbgrader = request.GET["format"] == "nbgrader"
        text = grades_csv(nbgrader_rows(rows)) if nbgrader else gradebook_csv(rows)
        response = HttpResponse(text.encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
        name = "grades-nbgrader.csv" if nbgrader else "gradebook.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    context = {"rows": rows, "exercises": manageable, "chosen": chosen, "username": username,
               "stuck": bool(request.GET.get("stuck")), "to_grade": bool(request.GET.get("to_grade")),
               "query": request.GET.urlencode()}  # fmt: skip
    return render(request, "exercises/admin/gradebook.html", context)


@require_POST
def override(request: HttpRequest) -> HttpResponse:
    _require(request)
    exercise = _exercise(request, request.POST.get("exercise"))
    student = get_object_or_404(get_user_model(), pk=request.POST.get("user"))
    try:
        points = Decimal(request.POST.get("points", ""))
        if not points.is_finite() or points < 0:
            raise InvalidOperation
        override_set(exercise=exercise, user=student, points=points, comment=request.POST.get("comment", ""),
                     by=request.user)  # fmt: skip
    except InvalidOperation:
        messages.error(request, "The points must be a number, 0 or more.")
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{student.username}'s grade for “{exercise.title}” is now {points}.")
    return redirect(f"{request.path.rsplit('/override', 1)[0]}/?{urlencode({'exercise': exercise.pk})}")


@require_POST
def grade_response(request: HttpRequest) -> HttpResponse:
    """A trainer grades a free response: points and a comment, which the student then sees."""
    _require(request)
    submission = awaiting_response(user=request.user, submission_id=request.POST.get("submission"))
    if submission is None:
        raise Http404("No such response waiting for a grade.")
    try:
        points = Decimal(request.POST.get("points", ""))
        if not points.is_finite():
            raise InvalidOperation
        response_grade(submission=submission, points=points, comment=request.POST.get("comment", ""),
                       by=request.user)  # fmt: skip
    except InvalidOperation:
        messages.error(request, "The points must be a number.")
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{submission.user.username}'s answer to “{submission.exercise.title}” is graded: "
                                  f"{submission.points} of {submission.possible}.")  # fmt: skip
    return redirect(f"{request.path.rsplit('/grade', 1)[0]}/?{urlencode({'exercise': submission.exercise_id})}")


@require_POST
def regrade(request: HttpRequest, pk: int) -> HttpResponse:
    """Grade every submit of the exercise again (after its tests changed)."""
    _require(request)
    exercise = _exercise(request, pk)
    count = regrade_exercise(exercise)
    messages.success(request, f"{count} submission(s) of “{exercise.title}” queued for grading again.")
    return redirect("panlearn_exercises_regrade_report", pk=exercise.pk)


def regrade_report(request: HttpRequest, pk: int) -> HttpResponse:
    """Whose score went up or down at the last regrade."""
    _require(request)
    exercise = _exercise(request, pk)
    context = {"exercise": exercise, "changes": regrade_changes(exercise)}
    return render(request, "exercises/admin/regrade_report.html", context)


def import_notebook(request: HttpRequest) -> HttpResponse:
    """Upload an nbgrader source notebook; get its exercises, each validated by real runs."""
    if not request.user.has_perm("panlearn_exercises.add_exercise"):
        raise PermissionDenied
    if request.method == "POST" and request.FILES.get("notebook") and "student_version" in request.POST:
        upload = request.FILES["notebook"]
        try:
            student = export_student_notebook(upload.read(MAX_NOTEBOOK_BYTES + 1))
        except (NotebookFormatError, ValueError) as error:
            messages.error(request, f"{upload.name} could not be converted: {error}")
        else:
            response = HttpResponse(student, content_type="application/x-ipynb+json")
            stem = upload.name.rsplit(".", 1)[0].replace('"', "")
            response["Content-Disposition"] = f'attachment; filename="{stem}-student.ipynb"'
            return response
    elif request.method == "POST" and request.FILES.get("notebook"):
        upload = request.FILES["notebook"]
        try:
            assignment, created = exercises_from_notebook(upload.read(MAX_NOTEBOOK_BYTES + 1), owner=request.user)
        except ValueError as error:
            messages.error(request, f"{upload.name} could not be imported: {error}")
        else:
            for exercise in created:
                report = exercise_validate(exercise)
                (messages.success if report["ok"] else messages.warning)(
                    request, f"{exercise.title}: {report['message']}"
                )
            for warning in assignment.warnings:
                messages.warning(request, warning)
            if not created:
                messages.warning(request, "The notebook has no autograded answer cells: nothing was imported.")
            return redirect("wagtailsnippets_panlearn_exercises_exercise:list")
    return render(request, "exercises/admin/import_notebook.html", {"max_mib": MAX_NOTEBOOK_BYTES // (1024 * 1024)})
