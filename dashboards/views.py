"""Thin views of the dashboards: a trainer's courses and a facility's completion records in the
admin, a student's progress on the site. Each page's tables download as CSV with `?csv=<table>`."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.text import slugify

from facilities.selectors import facilities_staffed_by, is_facility_staff

from . import charts, exports
from . import selectors as dashboards

PAGE_SIZE = 50
INACTIVE_CHOICES = (7, 14, 30, 60)


def _csv(table: exports.Table, name: str) -> HttpResponse:
    response = HttpResponse(exports.render(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def _download(request: HttpRequest, tables: dict, stem: str) -> HttpResponse | None:
    """The CSV response when the request asks for one of `tables`; a name it does not know is a 404."""
    wanted = request.GET.get("csv")
    if not wanted:
        return None
    if wanted not in tables:
        raise Http404
    return _csv(tables[wanted], f"{stem}-{wanted}")


def _page(request: HttpRequest, rows: list, parameter: str = "page"):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get(parameter))


# Trainer (admin) ---------------------------------------------------------------------------------


def course_list(request: HttpRequest) -> HttpResponse:
    courses = dashboards.trainer_courses(request.user)
    if request.GET.get("csv") == "courses":
        return _csv(exports.courses_table(dashboards.course_summaries(courses, now=timezone.now())), "courses")
    page = Paginator(courses, PAGE_SIZE).get_page(request.GET.get("page"))
    summaries = dashboards.course_summaries(page.object_list, now=timezone.now())
    context = {"page": page, "summaries": summaries, "active_days": dashboards.ACTIVE_DAYS}
    return render(request, "dashboards/course_list.html", context)


def _inactive_days(request: HttpRequest) -> int:
    value = request.GET.get("inactive", "")
    return int(value) if value.isdigit() and 1 <= int(value) <= 365 else dashboards.INACTIVE_DAYS


def course_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    course = get_object_or_404(dashboards.trainer_courses(request.user), pk=pk)  # not theirs: 404
    inactive_days = _inactive_days(request)
    overview = dashboards.course_overview(course=course, now=timezone.now(), inactive_days=inactive_days)
    download = _download(request, exports.course_tables(overview), f"course-{course.pk}-{slugify(course.title)}")
    if download:
        return download
    funnel = charts.funnel(
        [(f"{row.number}. {row.lesson.title}", row.completed, row.percent) for row in overview.lessons],
        title=f"Students who completed each lesson, of {overview.enrolled} enrolled",
        total=overview.enrolled,
    )
    exercises = [
        (
            stats,
            charts.histogram(stats.score_bins, title=f"Students by best score: {stats.exercise.title}"),
            charts.histogram(stats.attempt_bins, title=f"Students by number of attempts: {stats.exercise.title}"),
        )
        for stats in overview.exercises
    ]
    choices = sorted({*INACTIVE_CHOICES, inactive_days})
    context = {
        "course": course,
        "overview": overview,
        "funnel": funnel,
        "exercises": exercises,
        "students": _page(request, overview.students),
        "struggling": _page(request, overview.struggling, "spage"),
        "inactive_choices": choices,
        "inactive_query": f"inactive={inactive_days}&",
        "stuck_attempts": dashboards.STUCK_ATTEMPTS,
    }
    return render(request, "dashboards/course.html", context)


# Facility (admin) --------------------------------------------------------------------------------


def facility_list(request: HttpRequest) -> HttpResponse:
    if not is_facility_staff(request.user):
        raise PermissionDenied
    facilities = facilities_staffed_by(request.user)
    return render(request, "dashboards/facility_list.html", {"facilities": facilities})


def facility_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    facility = get_object_or_404(facilities_staffed_by(request.user), pk=pk)
    courses, records = dashboards.facility_completions(facility=facility)
    download = _download(request, exports.facility_tables(courses, records), f"{slugify(facility.short_name)}")
    if download:
        return download
    context = {"facility": facility, "courses": courses, "records": _page(request, records), "total": len(records)}
    return render(request, "dashboards/facility.html", context)


# Student (site) ----------------------------------------------------------------------------------


@login_required
def student_progress(request: HttpRequest) -> HttpResponse:
    progress = dashboards.student_progress(user=request.user)
    download = _download(request, exports.student_tables(progress), "my-progress")
    if download:
        return download
    return render(request, "dashboards/student.html", {"rows": progress})
