from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .admin_views import ADD_PERMISSION, add_by_doi, import_detail
from .models import Dataset


class DatasetViewSet(SnippetViewSet):
    model = Dataset
    icon = "table"
    menu_label = "Datasets"
    list_display = ["title", "slug", "facility", "technique", "licence", "is_public"]
    list_filter = ["technique", "source_kind", "is_public"]
    search_fields = ["title", "description", "sample"]


register_snippet(DatasetViewSet)


@hooks.register("register_admin_urls")
def dataset_import_urls():
    return [
        path("datasets/add-by-doi/", add_by_doi, name="panlearn_content_add_by_doi"),
        path("datasets/imports/<int:pk>/", import_detail, name="panlearn_content_import"),
    ]


class AddByDoiMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(ADD_PERMISSION)


@hooks.register("register_admin_menu_item")
def add_by_doi_menu_item():
    return AddByDoiMenuItem("Add dataset by DOI", reverse("panlearn_content_add_by_doi"), icon_name="download",
                            order=310)  # fmt: skip
