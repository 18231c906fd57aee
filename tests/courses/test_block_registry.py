import pytest
from django.core.exceptions import ImproperlyConfigured
from wagtail import blocks

from courses.block_registry import collect_lesson_blocks
from courses.blocks import CORE_LESSON_BLOCKS
from courses.models import LessonPage


class FakeConfig:
    def __init__(self, label, lesson_blocks=None):
        self.label = label
        if lesson_blocks:
            self.lesson_blocks = lesson_blocks


def provide_dataset_block():
    return [("dataset", blocks.CharBlock())]


def provide_clashing_block():
    return [("maths", blocks.CharBlock())]


def test_apps_add_blocks_without_courses_importing_them():
    configs = [FakeConfig("plain"), FakeConfig("content", f"{__name__}.provide_dataset_block")]
    names = [name for name, _ in collect_lesson_blocks(CORE_LESSON_BLOCKS, configs)]
    assert names == ["text", "maths", "figure", "callout", "code", "video", "dataset"]


def test_a_block_name_used_twice_is_a_configuration_error():
    configs = [FakeConfig("exercises", f"{__name__}.provide_clashing_block")]
    with pytest.raises(ImproperlyConfigured, match="maths"):
        collect_lesson_blocks(CORE_LESSON_BLOCKS, configs)


def test_lesson_body_offers_the_core_blocks():
    stream_block = LessonPage._meta.get_field("body").stream_block
    assert {"text", "maths", "figure", "callout", "code", "video"} <= set(stream_block.child_blocks)
