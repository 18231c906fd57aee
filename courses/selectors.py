"""Reads: what a user may see of courses, and how far they have got."""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from wagtail.models import Page, PageViewRestriction

from .models import CoursePage, Enrolment, LessonCompletion, LessonPage


def visible_courses() -> QuerySet[CoursePage]:
    """Courses a student may find: published and without view restrictions."""
    return CoursePage.objects.live().public().specific()


def catalogue_materials() -> list[tuple[CoursePage, list[LessonPage]]]:
    """Every course a visitor may find, with its live lessons that are public too, in site order: what
    catalogues harvest. Three queries, however many courses."""
    published = CoursePage.objects.live().public()  # visible_courses(), as rows of CoursePage already
    courses = list(published.select_related("facility").prefetch_related("instructors").order_by("path"))
    lessons: dict[str, list[LessonPage]] = {course.path: [] for course in courses}
    for lesson in LessonPage.objects.live().public().order_by("path"):
        siblings = lessons.get(lesson.path[: -LessonPage.steplen])
        if siblings is not None:
            siblings.append(lesson)
    return [(course, lessons[course.path]) for course in courses]


def page_is_public(page: Page) -> bool:
    return not PageViewRestriction.objects.filter(page__in=page.get_ancestors(inclusive=True)).exists()


def course_editors_group_name(course: CoursePage) -> str:
    return f"Course editors: {course.pk}"


def is_course_editor(*, course: CoursePage, user) -> bool:
    """A member of the course's editors group (services.course_editors_group), not merely able to edit it."""
    return user.groups.filter(name=course_editors_group_name(course)).exists()


def can_edit_course(*, course: CoursePage, user) -> bool:
    return user.is_authenticated and course.permissions_for_user(user).can_edit()


def editable_courses(user) -> QuerySet[CoursePage]:
    """The courses the user may change or publish (Wagtail's page permissions); every course for superusers."""
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return CoursePage.objects.none()
    if user.is_superuser:
        return CoursePage.objects.all()
    from wagtail.permission_policies.pages import PagePermissionPolicy

    pages = PagePermissionPolicy().instances_user_has_any_permission_for(user, {"change", "publish"})
    return CoursePage.objects.filter(pk__in=pages.values("pk"))


def active_enrolment(*, course: CoursePage, user) -> Enrolment | None:
    if not user.is_authenticated:
        return None
    return Enrolment.objects.filter(course=course, user=user, is_active=True).first()


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def is_complete(self) -> bool:
        return self.total > 0 and self.done >= self.total


def completed_lesson_ids(*, course: CoursePage, user) -> set[int]:
    if not user.is_authenticated:
        return set()
    lesson_ids = [lesson.pk for lesson in course.live_lessons]
    return set(LessonCompletion.objects.filter(user=user, lesson_id__in=lesson_ids).values_list("lesson_id", flat=True))


def course_progress_for(*, course: CoursePage, user) -> Progress:
    """Share of the course's published lessons this user has marked done."""
    return Progress(done=len(completed_lesson_ids(course=course, user=user)), total=len(course.live_lessons))


def course_state_for(*, course: CoursePage, user) -> dict:
    enrolment = active_enrolment(course=course, user=user)
    done_ids = completed_lesson_ids(course=course, user=user) if enrolment else set()
    return {
        "enrolment": enrolment,
        "lessons": course.live_lessons,
        "done_lesson_ids": done_ids,
        "progress": Progress(done=len(done_ids), total=len(course.live_lessons)),
        "can_edit": can_edit_course(course=course, user=user),
    }


def lesson_state_for(*, lesson: LessonPage, user) -> dict:
    """What the lesson template needs: access, completion and neighbours in the course."""
    course = lesson.course
    state = course_state_for(course=course, user=user)
    lessons = state["lessons"]
    position = next((i for i, item in enumerate(lessons) if item.pk == lesson.pk), None)
    state.update(
        {
            "course": course,
            "can_read": bool(state["enrolment"]) or state["can_edit"] or course.open_to_visitors,
            "is_done": lesson.pk in state["done_lesson_ids"],
            "previous_lesson": lessons[position - 1] if position else None,
            "next_lesson": lessons[position + 1] if position is not None and position + 1 < len(lessons) else None,
            "lesson_number": position + 1 if position is not None else None,
        }
    )
    return state


@dataclass(frozen=True)
class MyCourseRow:
    course: CoursePage
    enrolment: Enrolment
    progress: Progress
    next_lesson: LessonPage | None


def my_courses_for(*, user: User | AnonymousUser) -> list[MyCourseRow]:
    """The user's active enrolments on visible courses, with progress and where to resume."""
    enrolments = (
        Enrolment.objects.filter(user=user, is_active=True, course__live=True)
        .select_related("course")
        .order_by("-updated_at")
    )
    rows = []
    for enrolment in enrolments:
        course = enrolment.course
        done = completed_lesson_ids(course=course, user=user)
        resume = next((lesson for lesson in course.live_lessons if lesson.pk not in done), None)
        rows.append(
            MyCourseRow(
                course=course,
                enrolment=enrolment,
                progress=Progress(done=len(done), total=len(course.live_lessons)),
                next_lesson=resume,
            )
        )
    return rows
