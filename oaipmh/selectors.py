"""Reads: the published courses and datasets as OAI records, their sets, and pages of them.

"Published" is decided where the site decides it: courses are the catalogue's `visible_courses` (live,
no view restriction on the page or above it), datasets are those `datasets_visible_to` shows a visitor.
A course or dataset that was published and is no longer is a deleted record while its `RecordChange`
(its tombstone) lasts.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, F, IntegerField, Min, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils.text import slugify

from content.models import Dataset
from content.selectors import datasets_visible_to
from courses.models import CoursePage
from courses.selectors import visible_courses
from courses.vocabularies import TECHNIQUES_BY_KEY
from facilities.models import Facility

from .models import RecordChange

COURSE = "course"
DATASET = "dataset"
KINDS = (COURSE, DATASET)
# Orders records of one datestamp: courses, datasets, then deleted courses and deleted datasets.
RANKS = {COURSE: 0, DATASET: 1}
DELETED_RANKS = {COURSE: 2, DATASET: 3}
DELETED = "deleted"
# The datestamp of a live course that no publication ever stamped (made in code, not published).
NEVER_STAMPED = datetime(1970, 1, 1, tzinfo=UTC)
PARENT_SETS = {"type": "Kind of record", "technique": "Experimental technique", "facility": "Facility"}

Key = tuple[datetime, int, int]


@dataclass(frozen=True)
class Record:
    kind: str
    pk: int  # the course page's or the dataset's
    datestamp: datetime
    set_specs: tuple[str, ...]
    item: CoursePage | Dataset | None = None  # None: a deleted record, a header without metadata
    prefixes: tuple[str, ...] = ()  # a deleted record's metadata formats when it went

    @property
    def deleted(self) -> bool:
        return self.item is None

    @property
    def key(self) -> Key:
        return (self.datestamp, (DELETED_RANKS if self.deleted else RANKS)[self.kind], self.pk)


@dataclass(frozen=True)
class Harvest:
    """Which records a list asks for: of these kinds, in this set, stamped in [since, before); published
    items that also meet the format's condition on their kind (`only`), deleted ones that had the format."""

    kinds: tuple[str, ...] = KINDS
    prefix: str | None = None
    only: dict[str, Q] = field(default_factory=dict)
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


def course_set_specs(course: CoursePage) -> tuple[str, ...]:
    specs = ["type:course"]
    if course.technique:
        specs.append(f"technique:{course.technique}")
    if course.facility is not None and (spec := FacilityIndex.spec_of(course.facility)):
        specs.append(spec)
    return tuple(specs)


def dataset_set_specs(dataset: Dataset, facilities: FacilityIndex) -> tuple[str, ...]:
    specs = ["type:dataset"]
    if dataset.technique:
        specs.append(f"technique:{dataset.technique}")
    if dataset.facility and (spec := facilities.spec_of_text(dataset.facility)):
        specs.append(spec)
    return tuple(specs)


def facility_index() -> FacilityIndex:
    return FacilityIndex(list(Facility.objects.only("pk", "name", "short_name", "ror_id")))


def _after(key: Key, rank: int) -> Q:
    """Keyset paging: the records of one kind ordered after `key` by (datestamp, kind rank, pk)."""
    stamp, last_rank, last_pk = key
    if last_rank < rank:
        return Q(oai_datestamp__gte=stamp)
    if last_rank > rank:
        return Q(oai_datestamp__gt=stamp)
    return Q(oai_datestamp__gt=stamp) | Q(oai_datestamp=stamp, pk__gt=last_pk)


def _after_deleted(key: Key) -> Q:
    """The same for the deleted records of every kind at once, ranked in the query."""
    stamp, last_rank, last_pk = key
    later = Q(oai_datestamp__gt=stamp) | Q(oai_datestamp=stamp, oai_rank__gt=last_rank)
    return later | Q(oai_datestamp=stamp, oai_rank=last_rank, item_id__gt=last_pk)


def _stamped(kind: str, own) -> Greatest:
    """A published record's datestamp: its own, or when it last came back unchanged, if later."""
    came_back = RecordChange.objects.filter(kind=kind, item_id=OuterRef("pk")).values("datestamp")[:1]
    return Greatest(own, Coalesce(Subquery(came_back), Value(NEVER_STAMPED)))


def _in_set(spec: str) -> Q:
    """A deleted record's membership of `spec` or of a set below it, from the sets it had."""
    return Q(set_specs__contains=f" {spec} ") | Q(set_specs__contains=f" {spec}:")


class PublishedRecords:
    """The repository's records for one request. Every read costs a fixed number of queries, whatever
    the number of records: no query per record."""

    @cached_property
    def courses(self) -> QuerySet[CoursePage]:
        # A subquery of the catalogue's own selector; its `.specific()` would cost a query per page of results.
        own = Coalesce("last_published_at", "first_published_at", Value(NEVER_STAMPED))
        return CoursePage.objects.filter(pk__in=visible_courses().values("pk")).annotate(
            oai_datestamp=_stamped(COURSE, own)
        )

    @cached_property
    def datasets(self) -> QuerySet[Dataset]:
        return datasets_visible_to(AnonymousUser()).annotate(oai_datestamp=_stamped(DATASET, F("updated_at")))

    def deleted(self, kinds: tuple[str, ...] = KINDS) -> QuerySet[RecordChange]:
        """The tombstones of these kinds, in one query: rows whose item is not published now."""
        published = Q(kind=COURSE, item_id__in=visible_courses().values("pk"))
        published |= Q(kind=DATASET, item_id__in=datasets_visible_to(AnonymousUser()).values("pk"))
        ranks = [When(kind=kind, then=Value(rank)) for kind, rank in DELETED_RANKS.items()]
        return (
            RecordChange.objects.filter(kind__in=kinds)
            .exclude(published)
            .annotate(oai_datestamp=F("datestamp"), oai_rank=Case(*ranks, output_field=IntegerField()))
        )

    @cached_property
    def facilities(self) -> FacilityIndex:
        return facility_index()

    # Records

    def _records(self, kind: str, items) -> list[Record]:
        if kind == COURSE:
            return [
                Record(COURSE, course.pk, course.oai_datestamp, course_set_specs(course), course) for course in items
            ]
        return [
            Record(DATASET, dataset.pk, dataset.oai_datestamp, dataset_set_specs(dataset, self.facilities), dataset)
            for dataset in items
        ]

    @staticmethod
    def _deleted_records(rows) -> list[Record]:
        return [
            Record(
                row.kind, row.item_id, row.datestamp, tuple(row.set_specs.split()), prefixes=tuple(row.prefixes.split())
            )
            for row in rows
        ]

    def _with_related(self, kind: str, queryset: QuerySet) -> QuerySet:
        if kind == COURSE:
            return queryset.select_related("facility", "locale").prefetch_related("instructors")
        return queryset.prefetch_related("files")

    def get(self, kind: str, pk: int) -> Record | None:
        """The record of a course or dataset: published, else deleted, else None (never published)."""
        queryset = self.courses if kind == COURSE else self.datasets
        item = self._with_related(kind, queryset.filter(pk=pk)).first()
        if item is not None:
            return self._records(kind, [item])[0]
        return next(iter(self._deleted_records(self.deleted((kind,)).filter(item_id=pk))), None)

    # Lists

    def _dated(self, queryset: QuerySet, harvest: Harvest) -> QuerySet:
        if harvest.since is not None:
            queryset = queryset.filter(oai_datestamp__gte=harvest.since)
        if harvest.before is not None:
            queryset = queryset.filter(oai_datestamp__lt=harvest.before)
        return queryset

    def _filtered(self, harvest: Harvest) -> dict[str, QuerySet]:
        """The harvest's published records of each kind, then (under DELETED) its deleted records of every
        kind; a kind with no published record in the set is left out, so costs no query."""
        filters = self._set_filters(harvest.set_spec) if harvest.set_spec else {COURSE: Q(), DATASET: Q()}
        parts = {}
        for kind in harvest.kinds:
            condition = filters.get(kind)
            if condition is not None:
                published = (self.courses if kind == COURSE else self.datasets).filter(condition)
                parts[kind] = self._dated(published.filter(harvest.only.get(kind, Q())), harvest)
        deleted = self.deleted(harvest.kinds)
        if harvest.set_spec:
            deleted = deleted.filter(_in_set(harvest.set_spec))
        if harvest.prefix:
            deleted = deleted.filter(prefixes__contains=f" {harvest.prefix} ")
        parts[DELETED] = self._dated(deleted, harvest)
        return parts

    def count(self, harvest: Harvest) -> int:
        return sum(queryset.count() for queryset in self._filtered(harvest).values())

    def page(self, harvest: Harvest, *, after: Key | None, size: int) -> tuple[list[Record], bool]:
        """Up to `size` records ordered by (datestamp, kind, pk) after `after`, and whether more follow.

        Paging by key rather than by offset: a record published, changed or deleted during a harvest moves
        to the end, and none is skipped or repeated because another one moved.
        """
        records: list[Record] = []
        parts = self._filtered(harvest)
        deleted = parts.pop(DELETED)
        for kind, queryset in parts.items():
            if after is not None:
                queryset = queryset.filter(_after(after, RANKS[kind]))
            queryset = self._with_related(kind, queryset.order_by("oai_datestamp", "pk"))
            records += self._records(kind, queryset[: size + 1])
        if after is not None:
            deleted = deleted.filter(_after_deleted(after))
        records += self._deleted_records(deleted.order_by("oai_datestamp", "oai_rank", "item_id")[: size + 1])
        records.sort(key=lambda record: record.key)
        return records[:size], len(records) > size

    def earliest_datestamp(self) -> datetime | None:
        querysets = (self.courses, self.datasets, self.deleted())
        stamps = [queryset.aggregate(earliest=Min("oai_datestamp"))["earliest"] for queryset in querysets]
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
