"""Where a harvester is told things are: the endpoint where it asked, the records' pages on the public address."""

import pytest
from wagtail.models import Site

from .conftest import OAI, PUBLIC_URL, oai_id, parse

pytestmark = pytest.mark.django_db
DC = "{http://purl.org/dc/elements/1.1/}"


def page_urls(oai, item) -> list[str]:
    document = oai(verb="GetRecord", identifier=oai_id(item), metadataPrefix="oai_dc")
    return [node.text for node in document.iter(f"{DC}identifier") if not node.text.startswith("https://doi.org/")]


def test_the_base_url_is_the_requests_and_record_pages_are_on_the_public_address(client, records, oai_settings):
    site = Site.objects.get(is_default_site=True)
    assert site.root_url == "http://localhost"  # as in the demo, wherever it is served

    def oai(**params):
        return parse(client.get("/oai/", params, HTTP_HOST="oai.example.net", secure=True))

    identify = oai(verb="Identify")
    assert identify.findtext(f"{OAI}Identify/{OAI}baseURL") == "https://oai.example.net/oai/"
    assert identify.findtext(f"{OAI}request") == "https://oai.example.net/oai/"
    assert page_urls(oai, records.courses[0]) == [f"{PUBLIC_URL}/saxs-at-isis/"]
    assert page_urls(oai, records.datasets[-1]) == [f"{PUBLIC_URL}/datasets/hoa-heart/"]


def test_without_a_public_address_record_pages_are_on_the_sites_root_url(oai, records, oai_settings):
    oai_settings.WAGTAILADMIN_BASE_URL = ""
    site = Site.objects.get(is_default_site=True)
    site.hostname, site.port = "learn.example.com", 443
    site.save()
    assert page_urls(oai, records.courses[0]) == ["https://learn.example.com/saxs-at-isis/"]
    assert page_urls(oai, records.datasets[-1]) == ["https://learn.example.com/datasets/hoa-heart/"]
    assert oai(verb="Identify").findtext(f"{OAI}Identify/{OAI}baseURL") == "http://testserver/oai/"
