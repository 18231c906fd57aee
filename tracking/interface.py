"""The calls other apps make when something worth recording happens.

This is the seam the xAPI work fills in: each function will build a statement and queue it for
delivery. Until then they record nothing, so callers can already make them, in the right places.
Every function must stay cheap and must never raise into the caller.
"""

import logging

logger = logging.getLogger(__name__)


def cell_ran(*, user, page_id: int, cell_id: str, status: str, duration_ms: float = 0.0) -> None:
    """A student (or a visitor, `user` anonymous) ran a code cell of a lesson."""
    logger.debug("cell ran: %s %s %s %s", getattr(user, "pk", None), page_id, cell_id, status)


def lesson_progressed(*, user, lesson, completed: bool) -> None:
    """A student marked a lesson done (`completed`) or not done."""
    logger.debug("lesson progressed: %s %s %s", getattr(user, "pk", None), lesson.pk, completed)
