from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Facility


class FacilityViewSet(SnippetViewSet):
    model = Facility
    icon = "site"
    menu_label = "Facilities"
    list_display = ["short_name", "name", "ror_id"]
    search_fields = ["name", "short_name"]


register_snippet(FacilityViewSet)
