"""Catalogue search, facets and pagination, kept out of the page model."""

from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils.http import urlencode

from facilities.models import Facility

from .selectors import visible_courses
from .vocabularies import TECHNIQUE_CHOICES, Level

MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class CatalogueQuery:
    text: str = ""
    technique: str = ""
    facility: str = ""
    level: str = ""
    facility_id: int | None = None  # resolved once from the short name in the URL

    @classmethod
    def from_params(cls, params) -> "CatalogueQuery":
        """Unknown facet values are dropped rather than rejected: a stale link still lists courses."""
        technique = params.get("technique", "")
        level = params.get("level", "")
        facility = params.get("facility", "")
        facility_id = (
            Facility.objects.filter(short_name=facility).values_list("pk", flat=True).first() if facility else None
        )
        return cls(
            text=" ".join(params.get("q", "").split())[:MAX_QUERY_LENGTH],
            technique=technique if technique in dict(TECHNIQUE_CHOICES) else "",
            level=level if level in Level.values else "",
            facility=facility if facility_id else "",
            facility_id=facility_id,
        )

    @property
    def is_filtered(self) -> bool:
        return any((self.text, self.technique, self.facility, self.level))

    def as_params(self, **overrides) -> str:
        values = {"q": self.text, "technique": self.technique, "facility": self.facility, "level": self.level}
        values.update(overrides)
        return urlencode({key: value for key, value in values.items() if value})


def search_courses(courses, query: CatalogueQuery):
    """Facets filter first (as search FilterFields), then full-text search ranks what is left."""
    if query.technique:
        courses = courses.filter(technique=query.technique)
    if query.level:
        courses = courses.filter(level=query.level)
    if query.facility:
        courses = courses.filter(facility=query.facility_id)
    if query.text:
        return courses.search(query.text, operator="and")
    return courses.order_by("title")


def catalogue_context(catalogue, request: HttpRequest) -> dict:
    query = CatalogueQuery.from_params(request.GET)
    courses = visible_courses().child_of(catalogue)
    results = search_courses(courses, query)
    paginator = Paginator(results, settings.PANLEARN_COURSES_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return {
        "query": query,
        "courses_page": page,
        "technique_choices": TECHNIQUE_CHOICES,
        "level_choices": Level.choices,
        "facility_choices": list(
            Facility.objects.filter(courses__live=True).distinct().values_list("short_name", flat=True)
        ),
    }
