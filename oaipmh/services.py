"""Writes: the tombstones of courses and datasets that leave the repository, and their removal.

Called from the signals of whatever changes what "published" means for them (oaipmh/signals.py): a course's
own publication, its deletion, a view restriction on it or above it, a move; a dataset's `is_public` and its
deletion.
"""

from django.utils import timezone
from wagtail.models import Page, PageViewRestriction

from content.models import Dataset
from courses.models import CoursePage

from .formats import prefixes_of
from .models import RecordChange
from .selectors import COURSE, course_set_specs, dataset_set_specs, facility_index


def _spaced(words) -> str:
    """Space-delimited, a space at each end: a word is matched with its spaces, never inside another."""
    return f" {' '.join(words)} "


def record_withdraw(*, kind: str, item: CoursePage | Dataset) -> None:
    """A published course or dataset leaves: its tombstone, dated now, with its sets and formats."""
    specs = course_set_specs(item) if kind == COURSE else dataset_set_specs(item, facility_index())
    RecordChange.objects.update_or_create(
        kind=kind,
        item_id=item.pk,
        defaults={
            "datestamp": timezone.now(),
            "set_specs": _spaced(specs),
            "prefixes": _spaced(prefixes_of(kind, item)),
        },
    )


def record_republish(*, kind: str, item_id: int) -> None:
    """Published again by a publication or a save of its own, whose datestamp is newer: no tombstone."""
    RecordChange.objects.filter(kind=kind, item_id=item_id).delete()


def record_return(*, kind: str, item_ids) -> None:
    """Published again with no datestamp of its own moving (a restriction lifted, a move): its tombstone
    stays, restamped now, and dates the record (selectors._stamped)."""
    RecordChange.objects.filter(kind=kind, item_id__in=list(item_ids)).update(datestamp=timezone.now())


# Courses: what became visible or hidden


def _restricted_paths(*, excluding: PageViewRestriction | None = None) -> list[str]:
    restrictions = PageViewRestriction.objects.all()
    if excluding is not None:
        restrictions = restrictions.exclude(pk=excluding.pk)
    return list(restrictions.values_list("page__path", flat=True))


def _live_courses_under(page: Page, *, free_of: list[str]) -> list[CoursePage]:
    """The live courses at or below `page` under no restriction on the pages at `free_of`."""
    courses = CoursePage.objects.live().filter(path__startswith=page.path).select_related("facility")
    for path in free_of:
        courses = courses.exclude(path__startswith=path)
    return list(courses)


def courses_restriction_added(*, restriction: PageViewRestriction) -> None:
    """The live courses at or below the restricted page that no other restriction hid were published."""
    for course in _live_courses_under(restriction.page, free_of=_restricted_paths(excluding=restriction)):
        record_withdraw(kind=COURSE, item=course)


def courses_restriction_removed(*, page: Page) -> None:
    """The live courses at or below the page that no remaining restriction hides are published again."""
    courses = _live_courses_under(page, free_of=_restricted_paths())
    record_return(kind=COURSE, item_ids=[course.pk for course in courses])


def courses_moved(*, page: Page, public_before: bool, public_after: bool) -> None:
    """A move changes only what is above the moved page: its live courses not restricted within the moved
    subtree leave the repository or come back with it."""
    if public_before == public_after:
        return
    inside = [path for path in _restricted_paths() if path.startswith(page.path)]
    courses = _live_courses_under(page, free_of=inside)
    if public_before:
        for course in courses:
            record_withdraw(kind=COURSE, item=course)
    else:
        record_return(kind=COURSE, item_ids=[course.pk for course in courses])
