"""The policy that applies to an exercise: the course's defaults with the exercise's own settings on top.

An exercise (a snippet) can be placed in lessons of several courses; the course is the one of the
lesson the student submits from, stored on the submission so that grading, regrades and the
gradebook apply the same policy later. Without a course (an old submission) the defaults of
`Policy()` stand in for the course's: no limits.
"""

from decimal import Decimal

from . import policy_rules

RELEASE = {"yes": True, "no": False}


def _fraction(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def course_policy(course) -> policy_rules.Policy:
    """A course's "Grading policy" panel as a Policy (None: no course, no limits)."""
    if course is None:
        return policy_rules.Policy()
    return policy_rules.Policy(
        max_attempts=course.grading_max_attempts or None,
        decay_per_attempt=_fraction(course.grading_decay_per_attempt) or 0.0,
        min_factor=_fraction(course.grading_min_factor) or 0.0,
        deadline=course.grading_deadline,
        late=course.grading_late or "penalty",
        late_penalty_per_day=_fraction(course.grading_late_penalty_per_day) or 0.0,
        release_solution_after_deadline=course.grading_release_solution,
        disclosure_default=course.grading_disclosure or "show",
    )


def exercise_override(exercise) -> policy_rules.PolicyOverride:
    """What the exercise sets itself: empty fields inherit; 0 attempts and "No deadline" remove the course's."""
    return policy_rules.PolicyOverride(
        max_attempts=policy_rules.CLEAR if exercise.max_attempts == 0 else exercise.max_attempts,
        decay_per_attempt=_fraction(exercise.decay_per_attempt),
        min_factor=_fraction(exercise.min_factor),
        deadline=policy_rules.CLEAR if exercise.no_deadline else exercise.deadline,
        late=exercise.late or None,
        late_penalty_per_day=_fraction(exercise.late_penalty_per_day),
        release_solution_after_deadline=RELEASE.get(exercise.release_solution),
        disclosure_default=exercise.disclosure_default or None,
    )


def policy_for(exercise, course=None) -> policy_rules.Policy:
    return policy_rules.Policy.merge(course_policy(course), exercise_override(exercise))


def course_of(page):
    """The course of a lesson (its parent page), or None for anything else."""
    if page is None:
        return None
    course = getattr(page, "course", None)  # LessonPage.course, cached
    if course is None:
        parent = page.get_parent()
        course = parent.specific if parent is not None else None
    from courses.models import CoursePage

    return course if isinstance(course, CoursePage) else None
