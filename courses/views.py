"""Thin views: validate, call one service or selector, redirect with a message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from . import services, structured_data
from .exceptions import CourseError
from .models import CourseInvitation, CoursePage, LessonPage
from .selectors import catalogue_materials, my_courses_for, page_is_public


def _visible_or_404(model, pk: int):
    page = get_object_or_404(model.objects.live().specific(), pk=pk)
    if not page_is_public(page) or page.get_ancestors().filter(depth__gt=1, live=False).exists():
        raise Http404
    return page


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@login_required
def my_courses(request: HttpRequest) -> HttpResponse:
    return render(request, "courses/my_courses.html", {"rows": my_courses_for(user=request.user)})


@login_required
@require_POST
def enrol(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _visible_or_404(CoursePage, course_id)
    try:
        services.enrolment_create(user=request.user, course=course)
    except CourseError as error:
        messages.warning(request, str(error))
        return redirect(course.url)
    messages.success(request, f"You are enrolled in “{course.title}”.")
    first = course.live_lessons[0] if course.live_lessons else None
    return redirect(first.url if first else course.url)


@login_required
@require_POST
def unenrol(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _visible_or_404(CoursePage, course_id)
    try:
        services.enrolment_deactivate(user=request.user, course=course)
    except CourseError as error:
        messages.warning(request, str(error))
    else:
        messages.success(request, f"You have left “{course.title}”. Your progress is kept if you come back.")
    return redirect(course.url)


@login_required
@require_POST
def mark_done(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = _visible_or_404(LessonPage, lesson_id)
    try:
        services.lesson_complete(user=request.user, lesson=lesson)
    except CourseError as error:
        messages.warning(request, str(error))
    return _back(request, lesson.url)


@login_required
@require_POST
def mark_undone(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = _visible_or_404(LessonPage, lesson_id)
    services.lesson_uncomplete(user=request.user, lesson=lesson)
    return _back(request, lesson.url)


@login_required
def invitation_accept(request: HttpRequest, token) -> HttpResponse:
    invitation = get_object_or_404(CourseInvitation.objects.select_related("course"), token=token)
    course = invitation.course.specific
    if request.method != "POST":
        return render(request, "courses/invitation.html", {"invitation": invitation, "course": course})
    try:
        services.invitation_accept(invitation=invitation, user=request.user)
    except CourseError as error:
        messages.warning(request, str(error))
        return render(request, "courses/invitation.html", {"invitation": invitation, "course": course}, status=409)
    messages.success(request, f"You are enrolled in “{course.title}”.")
    return redirect(course.url)


@require_GET
def materials_feed(request: HttpRequest) -> JsonResponse:
    """Every public course and lesson as one Bioschemas JSON-LD graph, for TeSS's Bioschemas ingestor and other
    catalogues that read a feed rather than crawl pages. Courses here are self-paced, with no dated runs, so
    there are no events: only courses and their training materials."""
    graph = []
    for course, lessons in catalogue_materials():
        entry = course.json_ld(request, lessons)
        if not entry["url"]:  # a course in no Wagtail site has no address, nor its instance a location
            continue
        graph.append(entry)
        graph += [lesson.json_ld(request, course) for lesson in lessons]
    for item in graph:
        item.pop("@context")
    body = {"@context": structured_data.CONTEXT, "@graph": graph}
    return JsonResponse(body, content_type="application/ld+json", json_dumps_params={"ensure_ascii": False})
