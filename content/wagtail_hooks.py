from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Dataset


class DatasetViewSet(SnippetViewSet):
    model = Dataset
    icon = "table"
    menu_label = "Datasets"
    list_display = ["title", "slug", "facility", "technique", "licence"]
    list_filter = ["technique", "source_kind"]
    search_fields = ["title", "description", "sample"]


register_snippet(DatasetViewSet)
