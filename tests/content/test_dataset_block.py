"""The lesson block that attaches a dataset: validation, rendering, mounts, and "used in"."""

import json

import pytest
from wagtail import blocks

from content.blocks import DatasetBlock
from content.bundled import BUNDLED_DATASETS
from content.models import Dataset
from content.selectors import lesson_dataset_slugs, pages_using
from content.services import dataset_sync_bundled
from courses.services import enrolment_create
from tests.factories import LessonPageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chopper():
    dataset_sync_bundled(BUNDLED_DATASETS)
    return Dataset.objects.get(slug="ipns-lrmecs-mgb2")


def dataset_body(*datasets, file="", path=""):
    return json.dumps(
        [{"type": "text", "value": "<p>Look at the data.</p>"}]
        + [
            {"type": "dataset", "value": {"dataset": item.pk, "file": file, "path": path, "show_viewer": True}}
            for item in datasets
        ]
    )


def test_the_block_refuses_a_file_the_dataset_does_not_have(chopper):
    block = DatasetBlock()
    with pytest.raises(blocks.StructBlockValidationError) as error:
        block.clean(block.to_python({"dataset": chopper.pk, "file": "nope.nxs", "path": "entry"}))
    assert "its files are: chopper.nxs" in str(error.value.block_errors["file"])
    assert "starts with /" in str(error.value.block_errors["path"])
    assert block.clean(block.to_python({"dataset": chopper.pk, "file": "chopper.nxs", "path": "/entry/data"}))


def test_a_lesson_with_the_block_shows_the_viewer_and_declares_its_mount(student_client, student, course, chopper):
    enrolment_create(user=student, course=course)
    client = student_client
    platypus = Dataset.objects.get(slug="platypus-dmpc-bilayer")
    lesson = LessonPageFactory(parent=course, title="Inelastic neutrons", slug="inelastic")
    lesson.body = dataset_body(chopper, file="chopper.nxs", path="/entry/data")
    lesson.save_revision().publish()
    other = LessonPageFactory(parent=course, title="Two datasets", slug="two")
    other.body = dataset_body(platypus, chopper, platypus)
    other.save_revision().publish()

    assert lesson_dataset_slugs(lesson) == ["ipns-lrmecs-mgb2"]
    assert lesson_dataset_slugs(other) == ["platypus-dmpc-bilayer", "ipns-lrmecs-mgb2"]
    html = client.get(lesson.url).text
    assert "/data/ipns-lrmecs-mgb2/" in html
    assert 'data-file="chopper.nxs" data-initial-path="/entry/data" data-explorer="false"' in html
    assert "panlearn/dist/h5web.js" in html
    # No file chosen: the card only, no viewer.
    assert "data-h5web" not in client.get(other.url).text

    assert [page.title for page in pages_using(chopper)] == ["Inelastic neutrons", "Two datasets"]
    dataset_page = client.get("/datasets/ipns-lrmecs-mgb2/").text
    assert "Inelastic neutrons" in dataset_page and "Neutron diffraction basics" in dataset_page


def test_drafts_and_unpublished_lessons_are_not_listed_as_users(client, course, chopper):
    lesson = LessonPageFactory(parent=course, title="Draft lesson", slug="draft", live=False)
    lesson.body = dataset_body(chopper)
    lesson.save()
    assert pages_using(chopper) == []
    assert "Draft lesson" not in client.get("/datasets/ipns-lrmecs-mgb2/").text


def test_an_unpublished_dataset_is_neither_chosen_nor_mounted(course, chopper):
    block = DatasetBlock()
    Dataset.objects.filter(pk=chopper.pk).update(is_public=False)
    chopper.refresh_from_db()
    with pytest.raises(blocks.StructBlockValidationError) as error:
        block.clean(block.to_python({"dataset": chopper.pk, "file": "", "path": ""}))
    assert "is not public yet" in str(error.value.block_errors["dataset"])
    lesson = LessonPageFactory(parent=course, title="Saved earlier", slug="earlier")
    lesson.body = dataset_body(chopper)
    assert lesson_dataset_slugs(lesson) == []


def test_a_block_without_a_path_opens_a_file_without_default_on_its_data(student_client, student, course, chopper):
    enrolment_create(user=student, course=course)
    surfactant = Dataset.objects.get(slug="isis-sans2d-oriented-surfactant")
    lesson = LessonPageFactory(parent=course, title="SANS", slug="sans")
    lesson.body = dataset_body(surfactant, file="33837rear_1D_1.75_16.5_NXcanSAS.h5")
    lesson.save_revision().publish()
    html = student_client.get(lesson.url).text
    # The guessed path opens the file there, with the explorer open (no trainer-chosen path).
    assert 'data-file="33837rear_1D_1.75_16.5_NXcanSAS.h5" data-initial-path="/sasentry01/sasdata/I">' in html
