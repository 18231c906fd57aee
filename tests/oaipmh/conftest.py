"""A catalogue with published, draft, private and withdrawn courses and public and hidden datasets, each
stamped at a known time; several share a datestamp, across kinds, so paging must break ties. The private
and withdrawn courses were published first: they are deleted records, stamped like the others."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest
from django.utils.text import slugify
from wagtail.models import PageViewRestriction

from content.bundled import BUNDLED_DATASETS
from content.models import Dataset, DatasetFile
from content.services import dataset_sync_bundled
from courses.models import CoursePage
from courses.services import course_create
from oaipmh.models import RecordChange
from tests.factories import FacilityFactory, UserFactory

REPOSITORY_ID = "learn.example.org"
PUBLIC_URL = "https://learn.example.org"  # where records' pages are, whatever host a harvester uses
T0 = datetime(2024, 3, 1, 9, 0, 0, 400000, tzinfo=UTC)  # sub-second: `until` at seconds granularity must still hold it
OAI = "{http://www.openarchives.org/OAI/2.0/}"
NASTY_TITLE = 'Imaging <3D> & "tomography"\x07 at 10 °C'


def oai_id(item) -> str:
    kind = "course" if isinstance(item, CoursePage) else "dataset"
    return f"oai:{REPOSITORY_ID}:{kind}/{item.pk}"


@dataclass
class Catalogue:
    courses: list = field(default_factory=list)  # published: live, no view restriction
    datasets: list = field(default_factory=list)  # public
    hidden: list = field(default_factory=list)  # draft, private and withdrawn courses; an unpublished dataset
    deleted: list = field(default_factory=list)  # the hidden ones that were published: private and withdrawn
    stamps: dict = field(default_factory=dict)  # oai identifier -> datestamp

    @property
    def published_ids(self) -> set[str]:
        return {oai_id(item) for item in self.courses + self.datasets}

    @property
    def deleted_ids(self) -> set[str]:
        return {oai_id(item) for item in self.deleted}

    @property
    def all_ids(self) -> set[str]:
        """What a full harvest lists: the published records, and the deleted ones as headers."""
        return self.published_ids | self.deleted_ids


@pytest.fixture
def oai_settings(settings):
    settings.PANLEARN_OAIPMH_REPOSITORY_ID = REPOSITORY_ID
    settings.PANLEARN_OAIPMH_REPOSITORY_NAME = "PaN training catalogue"
    settings.PANLEARN_OAIPMH_ADMIN_EMAILS = ["oai-admin@example.org"]
    settings.WAGTAILADMIN_BASE_URL = PUBLIC_URL
    return settings


@pytest.fixture
def records(catalogue, oai_settings) -> Catalogue:
    esrf = FacilityFactory(
        short_name="ESRF", name="European Synchrotron Radiation Facility", ror_id="https://ror.org/02550n020"
    )
    isis = FacilityFactory(short_name="ISIS", name="ISIS Neutron and Muon Source")
    ill = FacilityFactory(short_name="ILL", name="Institut Laue-Langevin")  # only a private course's: no set
    trainer = UserFactory(username="oai-admin", is_superuser=True, is_staff=True)  # publishes any course

    def course(title: str, **fields) -> CoursePage:
        return course_create(
            catalogue=catalogue,
            owner=trainer,
            title=title,
            slug=slugify(title)[:50],
            summary=f"About {title}.",
            **fields,
        )

    world = Catalogue()
    world.courses = [
        course("SAXS at ISIS", technique="small-angle-scattering", facility=isis,
               instructors=[{"name": "Ada Lovelace", "affiliation": "ISIS"}, {"name": "Grace Hopper"}]),
        course("Powder diffraction", technique="diffraction", facility=esrf),
        course("Reflectometry primer", technique="reflectometry"),
        course("XAFS for beginners", technique="absorption-spectroscopy", facility=esrf),
        course(NASTY_TITLE, technique="imaging"),
        course("Data reduction", technique=""),
    ]  # fmt: skip
    draft = course("Draft course", publish=False, live=False)
    private = course("Private course", technique="spectroscopy", facility=ill)
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.GROUPS)
    withdrawn = course("Withdrawn course", technique="spectroscopy")
    withdrawn.unpublish()
    # A published course's unpublished draft: harvesters see the live title, never the draft's.
    pending = CoursePage.objects.get(pk=world.courses[1].pk)
    pending.title = "Secret draft title"
    pending.save_revision(user=trainer)

    world.datasets = dataset_sync_bundled(BUNDLED_DATASETS)
    tomography = Dataset.objects.create(
        slug="hoa-heart", title="Human heart, hierarchical phase-contrast tomography", technique="imaging",
        facility="esrf", instrument="BM18", sample="Human heart", licence="CC-BY-4.0",
        doi="https://doi.org/10.5281/zenodo.1234567", source_kind="zenodo",
        citation="Walsh, C. et al. (2021). Imaging intact human organs. Nature Methods.",
        description="A whole human heart imaged at 20 µm.",
    )  # fmt: skip
    DatasetFile.objects.create(dataset=tomography, name="heart.h5", path="heart.h5", format="hdf5", size=2048)
    world.datasets.append(tomography)
    embargoed = Dataset.objects.create(
        slug="embargoed", title="Embargoed beamtime", technique="spectroscopy", facility="Diamond",
        licence="CC-BY-4.0", is_public=False,
    )  # fmt: skip
    world.hidden = [draft, private, withdrawn, embargoed]
    world.deleted = [private, withdrawn]

    # Three records to a datestamp, courses and datasets mixed, the hidden ones among them.
    mixed = []
    for index, dataset in enumerate(world.datasets):
        mixed += [*world.courses[index : index + 1], dataset, *world.hidden[index : index + 1]]
    for index, item in enumerate(mixed):
        stamp = T0 + timedelta(days=index // 3)
        if isinstance(item, CoursePage):
            CoursePage.objects.filter(pk=item.pk).update(last_published_at=stamp)
        else:
            Dataset.objects.filter(pk=item.pk).update(updated_at=stamp)
        RecordChange.objects.filter(kind=oai_id(item).split(":")[-1].split("/")[0], item_id=item.pk).update(
            datestamp=stamp
        )
        world.stamps[oai_id(item)] = stamp
    return world


def parse(response) -> ET.Element:
    """The OAI-PMH document of a response, after checking what every answer shares."""
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    document = ET.fromstring(response.content)
    assert document.tag == f"{OAI}OAI-PMH"
    assert document.find(f"{OAI}responseDate").text.endswith("Z")
    return document


@pytest.fixture
def oai(client, oai_settings):
    """GET /oai/ with these arguments (a list of pairs may repeat one); the parsed document."""

    def get(params=None, **arguments):
        return parse(client.get("/oai/", params if params is not None else arguments))

    return get
