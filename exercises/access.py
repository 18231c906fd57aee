"""Who may manage which exercise: edit it, see it in the chooser, read and change its grades.

An exercise belongs to the courses whose lessons use it, and one that no course uses belongs to its
author. It is open to the editors of one of those courses, to superusers, and to whoever a rule that
another app registers names: onboarding registers the staff of a facility for its programmes' final
assessments (`register_manager_rule`, so that this app does not depend on onboarding).
"""

from collections.abc import Callable, Iterable

from django.db.models import QuerySet

from .models import Exercise

# rule(user) -> ids of exercises the user manages by that rule
_manager_rules: list[Callable[[object], Iterable[int]]] = []


def register_manager_rule(rule: Callable[[object], Iterable[int]]) -> None:
    if rule not in _manager_rules:
        _manager_rules.append(rule)


def _exercise_ids_in(body) -> set[int]:
    """Exercise ids of a lesson body, from its stored JSON (no exercise rows loaded)."""
    found = set()
    for block in getattr(body, "raw_data", None) or []:
        value = block.get("value") if isinstance(block, dict) else None
        if isinstance(block, dict) and block.get("type") == "exercise" and isinstance(value, dict):
            exercise_id = value.get("exercise")
            if isinstance(exercise_id, int):
                found.add(exercise_id)
    return found


def exercise_courses() -> dict[int, set[int]]:
    """For every exercise some lesson uses, the ids of the courses of those lessons."""
    from courses.models import CoursePage, LessonPage

    courses = list(CoursePage.objects.values_list("pk", "path"))
    used: dict[int, set[int]] = {}
    for path, body in LessonPage.objects.values_list("path", "body").iterator():
        course_id = next((pk for pk, prefix in courses if path.startswith(prefix)), None)
        if course_id is None:
            continue
        for exercise_id in _exercise_ids_in(body):
            used.setdefault(exercise_id, set()).add(course_id)
    return used


def manageable_exercise_ids(user) -> set[int] | None:
    """The ids of the exercises `user` manages; None means all of them (superusers). Worked out once per
    user object, so once per request: the gradebook, its menu item and its filter all ask."""
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return set()
    if user.is_superuser:
        return None
    if not hasattr(user, "_panlearn_manageable_exercise_ids"):
        from courses.selectors import editable_courses

        used = exercise_courses()
        mine = set(editable_courses(user).values_list("pk", flat=True))
        ids = {exercise_id for exercise_id, courses in used.items() if courses & mine}
        ids |= set(Exercise.objects.filter(owner=user).exclude(pk__in=list(used)).values_list("pk", flat=True))
        for rule in _manager_rules:
            ids |= set(rule(user))
        user._panlearn_manageable_exercise_ids = ids
    return user._panlearn_manageable_exercise_ids


def manageable_exercises(user, queryset: QuerySet | None = None) -> QuerySet:
    queryset = Exercise.objects.all() if queryset is None else queryset
    ids = manageable_exercise_ids(user)
    return queryset if ids is None else queryset.filter(pk__in=ids)


def unmanaged_exercises_in(*, body, user, page) -> list[str]:
    """An exercise joins a lesson only in the hands of someone who manages it already. Using it would
    make it the lesson's course's (see the top): a trainer who put a facility's safety quiz in a draft
    lesson of their own gained its grades, its answer key and its overrides, which clear for beamtime
    (review of 2026-12-06). What the lesson already uses, as stored, stays, whoever saves."""
    ids = manageable_exercise_ids(user)
    if ids is None:
        return []
    stored = _exercise_ids_in(type(page).objects.get(pk=page.pk).body) if page.pk else set()
    used = [block.value.get("exercise") for block in body if block.block_type == "exercise"]
    refused = {exercise.pk: exercise.title for exercise in used if exercise is not None}
    return [
        f"“{title}” belongs to courses you do not edit, so it cannot be used here. Ask its authors for a copy."
        for pk, title in sorted(refused.items())
        if pk not in ids and pk not in stored
    ]
