"""What the lesson page's template needs for its exercises (declared as `lesson_context` on the
AppConfig): the cells' page script, which also runs the exercise blocks."""

from cells.page_context import cells_runtime

from .selectors import page_exercise_ids


def lesson_context(*, page, request) -> dict:
    return cells_runtime(page=page, request=request) if page_exercise_ids(page) else {}
