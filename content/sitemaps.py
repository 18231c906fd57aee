"""The public datasets in the site's sitemap.xml, beside Wagtail's pages (panlearn/urls.py)."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Dataset


class DatasetSitemap(Sitemap):
    def items(self):
        return Dataset.objects.filter(is_public=True).only("slug", "updated_at").order_by("slug")

    def location(self, item: Dataset) -> str:
        return reverse("content:dataset_detail", args=[item.slug])

    def lastmod(self, item: Dataset):
        return item.updated_at
