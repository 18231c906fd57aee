"""The site's sitemap.xml (panlearn/urls.py): Wagtail's pages that a visitor reaches, and the public datasets."""

from functools import reduce
from operator import or_

from django.contrib.sitemaps import Sitemap
from django.db.models import Q
from django.urls import reverse
from wagtail.contrib.sitemaps.sitemap_generator import Sitemap as WagtailPageSitemap
from wagtail.models import Page

from .models import Dataset


class ReachablePageSitemap(WagtailPageSitemap):
    """Wagtail's: its live public pages, less those below a page that is not live. A live lesson of a draft
    course is not served (the course is not open), and a crawler sent there finds nothing."""

    def items(self):
        pages = super().items()
        root = self.get_wagtail_site().root_page
        unpublished = Page.objects.descendant_of(root).filter(live=False).values_list("path", flat=True)
        below = [Q(path__startswith=path) for path in unpublished]
        return pages.exclude(reduce(or_, below)) if below else pages


class DatasetSitemap(Sitemap):
    def items(self):
        return Dataset.objects.filter(is_public=True).only("slug", "updated_at").order_by("slug")

    def location(self, item: Dataset) -> str:
        return reverse("content:dataset_detail", args=[item.slug])

    def lastmod(self, item: Dataset):
        return item.updated_at
