"""Reads: the published courses and datasets as OAI records, their sets, and pages of them.

"Published" is decided where the site decides it: courses are the catalogue's `visible_courses` (live,
no view restriction on the page or above it), datasets are those `datasets_visible_to` shows a visitor.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

from django.contrib.auth.models import AnonymousUser
from django.db.models import F, Min, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils.text import slugify

from content.models import Dataset
from content.selectors import datasets_visible_to
from courses.models import CoursePage
from courses.selectors import visible_courses
from courses.vocabularies import TECHNIQUES_BY_KEY
from facilities.models import Facility

COURSE = "course"
DATASET = "dataset"
KINDS = (COURSE, DATASET)
RANKS = {COURSE: 0, DATASET: 1}  # orders a course before a dataset of the same datestamp
# The datestamp of a live course that no publication ever stamped (made in code, not published).
NEVER_STAMPED = datetime(1970, 1, 1, tzinfo=UTC)
PARENT_SETS = {"type": "Kind of record", "technique": "Experimental technique", "facility": "Facility"}

Key = tuple[datetime, int, int]


@dataclass(frozen=True)
class Record:
    kind: str
    item: CoursePage | Dataset
    datestamp: datetime
    set_specs: tuple[str, ...]

    @property
    def key(self) -> Key:
        return (self.datestamp, RANKS[self.kind], self.item.pk)


@dataclass(frozen=True)
class Harvest:
    """Which records a list asks for: of these kinds, in this set, stamped in [since, before)."""

    kinds: tuple[str, ...] = KINDS
    set_spec: str | None = None
    since: datetime | None = None
    before: datetime | None = None


class FacilityIndex:
    """Facility sets. A course names a `Facility`; a dataset names one in free text, usually its short name,
    and is matched to it by short name or name; text matching no facility makes a set of its own."""

    def __init__(self, facilities: list[Facility]):
        self._by_text = {}
        for facility in facilities:
            self._by_text[facility.name.casefold()] = facility
            self._by_text[facility.short_name.casefold()] = facility
        self.by_id = {facility.pk: facility for facility in facilities}

    def for_text(self, text: str) -> Facility | None:
        return self._by_text.get(text.strip().casefold())

    @staticmethod
    def spec_of(facility: Facility) -> str:
        slug = slugify(facility.short_name)
        return f"facility:{slug}" if slug else ""

    def spec_of_text(self, text: str) -> str:
        facility = self.for_text(text)
        if facility is not None:
            return self.spec_of(facility)
        slug = slugify(text)
        return f"facility:{slug}" if slug else ""


def _after(key: Key, rank: int) -> Q:
    """Keyset paging: the records ordered after `key` by (datestamp, kind rank, pk)."""
    stamp, last_rank, last_pk = key
    if last_rank < rank:
        return Q(oai_datestamp__gte=stamp)
    if last_rank > rank:
        return Q(oai_datestamp__gt=stamp)
    return Q(oai_datestamp__gt=stamp) | Q(oai_datestamp=stamp, pk__gt=last_pk)


class PublishedRecords:
    """The repository's records for one request. Every read costs a fixed number of queries, whatever
    the number of records: no query per record."""

    @cached_property
    def courses(self) -> QuerySet[CoursePage]:
        # A subquery of the catalogue's own selector; its `.specific()` would cost a query per page of results.
        return CoursePage.objects.filter(pk__in=visible_courses().values("pk")).annotate(
            oai_datestamp=Coalesce("last_published_at", "first_published_at", Value(NEVER_STAMPED))
        )

    @cached_property
    def datasets(self) -> QuerySet[Dataset]:
        return datasets_visible_to(AnonymousUser()).annotate(oai_datestamp=F("updated_at"))

    @cached_property
    def facilities(self) -> FacilityIndex:
        return FacilityIndex(list(Facility.objects.only("pk", "name", "short_name", "ror_id")))

    # Records

    def _records(self, kind: str, items) -> list[Record]:
        if kind == COURSE:
            return [Record(COURSE, course, course.oai_datestamp, self._course_sets(course)) for course in items]
        return [Record(DATASET, dataset, dataset.oai_datestamp, self._dataset_sets(dataset)) for dataset in items]

    def _course_sets(self, course: CoursePage) -> tuple[str, ...]:
        specs = ["type:course"]
        if course.technique:
            specs.append(f"technique:{course.technique}")
        if course.facility is not None and (spec := FacilityIndex.spec_of(course.facility)):
            specs.append(spec)
        return tuple(specs)

    def _dataset_sets(self, dataset: Dataset) -> tuple[str, ...]:
        specs = ["type:dataset"]
        if dataset.technique:
            specs.append(f"technique:{dataset.technique}")
        if dataset.facility and (spec := self.facilities.spec_of_text(dataset.facility)):
            specs.append(spec)
        return tuple(specs)

    def _with_related(self, kind: str, queryset: QuerySet) -> QuerySet:
        if kind == COURSE:
            return queryset.select_related("facility", "locale").prefetch_related("instructors")
        return queryset.prefetch_related("files")

    def get(self, kind: str, pk: int) -> Record | None:
        queryset = self.courses if kind == COURSE else self.datasets
        item = self._with_related(kind, queryset.filter(pk=pk)).first()
        return self._records(kind, [item])[0] if item is not None else None

    # Lists

    def _filtered(self, harvest: Harvest) -> dict[str, QuerySet]:
        """Each kind's records in the harvest; a kind with none in it is left out, so costs no query."""
        filters = self._set_filters(harvest.set_spec) if harvest.set_spec else {COURSE: Q(), DATASET: Q()}
        querysets = {}
        for kind in harvest.kinds:
            condition = filters.get(kind)
            if condition is None:
                continue
            queryset = (self.courses if kind == COURSE else self.datasets).filter(condition)
            if harvest.since is not None:
                queryset = queryset.filter(oai_datestamp__gte=harvest.since)
            if harvest.before is not None:
                queryset = queryset.filter(oai_datestamp__lt=harvest.before)
            querysets[kind] = queryset
        return querysets

    def count(self, harvest: Harvest) -> int:
        return sum(queryset.count() for queryset in self._filtered(harvest).values())

    def page(self, harvest: Harvest, *, after: Key | None, size: int) -> tuple[list[Record], bool]:
        """Up to `size` records ordered by (datestamp, kind, pk) after `after`, and whether more follow.

        Paging by key rather than by offset: a record published or changed during a harvest moves to the
        end, and none is skipped or repeated because another one moved.
        """
        records: list[Record] = []
        for kind, queryset in self._filtered(harvest).items():
            if after is not None:
                queryset = queryset.filter(_after(after, RANKS[kind]))
            queryset = self._with_related(kind, queryset.order_by("oai_datestamp", "pk"))
            records += self._records(kind, queryset[: size + 1])
        records.sort(key=lambda record: record.key)
        return records[:size], len(records) > size

    def earliest_datestamp(self) -> datetime | None:
        stamps = [
            queryset.aggregate(earliest=Min("oai_datestamp"))["earliest"] for queryset in (self.courses, self.datasets)
        ]
        return min((stamp for stamp in stamps if stamp is not None), default=None)

    # Sets

    @cached_property
    def _dataset_facility_texts(self) -> set[str]:
        return set(self.datasets.exclude(facility="").order_by().values_list("facility", flat=True).distinct())

    def _set_filters(self, spec: str) -> dict[str, Q]:
        """The condition on each kind for membership of `spec` (or of a set below it); no key: no member."""
        family, _, value = spec.partition(":")
        if family == "type" and not value:
            return {COURSE: Q(), DATASET: Q()}
        if family == "type":
            return {value: Q()} if value in KINDS else {}
        if family == "technique" and not value:
            return {COURSE: ~Q(technique=""), DATASET: ~Q(technique="")}
        if family == "technique":
            return {COURSE: Q(technique=value), DATASET: Q(technique=value)}
        if family == "facility" and not value:
            return {COURSE: Q(facility__isnull=False), DATASET: ~Q(facility="")}
        if family == "facility":
            index = self.facilities
            ids = [pk for pk, facility in index.by_id.items() if index.spec_of(facility) == spec]
            texts = [text for text in self._dataset_facility_texts if index.spec_of_text(text) == spec]
            filters = {}
            if ids:
                filters[COURSE] = Q(facility_id__in=ids)
            if texts:
                filters[DATASET] = Q(facility__in=texts)
            return filters
        return {}

    def sets(self) -> list[tuple[str, str]]:
        """(setSpec, setName) of the kinds of record, and of every technique and facility set holding at least
        one record, with the families above them."""
        found: dict[str, str] = {"type:course": "Courses", "type:dataset": "Datasets"}
        for queryset in (self.courses, self.datasets):
            for key in queryset.exclude(technique="").order_by().values_list("technique", flat=True).distinct():
                technique = TECHNIQUES_BY_KEY.get(key)
                found[f"technique:{key}"] = technique.label if technique else key
        index = self.facilities
        course_facilities = self.courses.filter(facility__isnull=False).order_by().values_list("facility_id", flat=True)
        for facility_id in course_facilities.distinct():
            facility = index.by_id.get(facility_id)
            if facility is not None and (spec := index.spec_of(facility)):
                found[spec] = facility.name
        for text in self._dataset_facility_texts:
            if spec := index.spec_of_text(text):
                facility = index.for_text(text)
                found.setdefault(spec, facility.name if facility else text.strip())
        for family, name in PARENT_SETS.items():
            if any(spec.startswith(f"{family}:") for spec in found):
                found[family] = name
        return sorted(found.items())
