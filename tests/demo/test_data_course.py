"""The demo data-analysis course: its lessons run exactly the analyses the kernel tests check."""

import pytest
from django.core.management import call_command

from content.models import Dataset
from content.selectors import lesson_dataset_slugs, pages_using
from courses.models import CoursePage, LessonPage
from demo.material.analyses import ANALYSES

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("load_demo_content", verbosity=0)
    return CoursePage.objects.get(slug="facility-data-analysis")


def test_every_analysis_is_a_lesson_with_its_datasets_and_steps(demo):
    lessons = list(LessonPage.objects.child_of(demo).live().order_by("path"))
    assert [lesson.slug for lesson in lessons] == [analysis.slug for analysis in ANALYSES]
    for lesson, analysis in zip(lessons, ANALYSES, strict=True):
        assert lesson_dataset_slugs(lesson) == list(analysis.datasets)
        steps = [block.value["code"] for block in lesson.body if block.block_type == "code_cell"]
        assert steps == list(analysis.cells)


def test_dataset_pages_link_back_to_the_lessons(demo, client):
    chopper = Dataset.objects.get(slug="ipns-lrmecs-mgb2")
    assert [page.slug for page in pages_using(chopper)] == ["ipns-lrmecs-tof-to-energy"]
    assert "From time of flight to energy transfer" in client.get("/datasets/ipns-lrmecs-mgb2/").text


def test_loading_again_changes_nothing(demo):
    before = LessonPage.objects.count(), Dataset.objects.count()
    call_command("load_demo_content", verbosity=0)
    assert (LessonPage.objects.count(), Dataset.objects.count()) == before


def test_visitors_may_try_the_data_course(demo, client):
    assert demo.open_to_visitors
    lesson = LessonPage.objects.child_of(demo).live().order_by("path").first()
    html = client.get(lesson.url).text
    assert 'data-can-run="true"' in html and 'data-store="false"' in html
