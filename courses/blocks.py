"""Lesson body blocks. Each block renders with its own template and previews in the admin."""

import re
from urllib.parse import parse_qs, urlparse

from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

from .block_registry import lesson_blocks

# document-link: a trainer links a handout (a notebook, a data sheet) kept in Wagtail's documents.
RICH_TEXT_FEATURES = [
    "h2", "h3", "h4", "bold", "italic", "ol", "ul", "link", "document-link", "code", "superscript", "subscript"
]  # fmt: skip


class MathBlock(blocks.StructBlock):
    latex = blocks.TextBlock(help_text="LaTeX, rendered with KaTeX, e.g. Q = \\frac{4\\pi}{\\lambda}\\sin\\theta")
    caption = blocks.CharBlock(required=False)

    class Meta:
        icon = "superscript"
        template = "courses/blocks/maths.html"
        label = "Maths"
        help_text = "A displayed equation. Readers without JavaScript see the LaTeX source."
        preview_value = {"latex": r"Q = \frac{4\pi}{\lambda}\sin\theta", "caption": "Momentum transfer"}


class FigureBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    caption = blocks.CharBlock(required=False)
    attribution = blocks.CharBlock(required=False, help_text="Source and licence of the image.")

    class Meta:
        icon = "image"
        template = "courses/blocks/figure.html"
        label = "Figure"


class CalloutBlock(blocks.StructBlock):
    kind = blocks.ChoiceBlock(choices=[("note", "Note"), ("tip", "Tip"), ("warning", "Warning")], default="note")
    title = blocks.CharBlock(required=False)
    body = blocks.RichTextBlock(features=RICH_TEXT_FEATURES)

    class Meta:
        icon = "warning"
        template = "courses/blocks/callout.html"
        label = "Callout"
        preview_value = {"kind": "tip", "title": "Tip", "body": "<p>Plot reflectivity on a log scale.</p>"}


class CodeListingBlock(blocks.StructBlock):
    language = blocks.ChoiceBlock(
        choices=[("python", "Python"), ("bash", "Shell"), ("text", "Plain text")], default="python"
    )
    code = blocks.TextBlock()
    caption = blocks.CharBlock(required=False)

    class Meta:
        icon = "code"
        template = "courses/blocks/code.html"
        label = "Code listing"
        help_text = "Code shown for reading. Runnable cells are the “Code cell” block."
        preview_value = {"language": "python", "code": "print('hello, neutrons')", "caption": ""}


YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be", "www.youtube-nocookie.com"}
VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}
VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")


def video_embed_src(url: str) -> str | None:
    """An embeddable player URL for YouTube, Vimeo or a direct video file; None otherwise.

    Built locally instead of through oEmbed so pages render without calling out.
    """
    parsed = urlparse(url)
    if parsed.scheme != "https":
        return None
    host = parsed.netloc.lower()
    if host in YOUTUBE_HOSTS:
        if host == "youtu.be":
            video_id = parsed.path.lstrip("/")
        elif parsed.path.startswith("/embed/"):
            video_id = parsed.path.removeprefix("/embed/")
        else:
            video_id = parse_qs(parsed.query).get("v", [""])[0]
        return f"https://www.youtube-nocookie.com/embed/{video_id}" if VIDEO_ID.match(video_id) else None
    if host in VIMEO_HOSTS:
        video_id = parsed.path.rstrip("/").rsplit("/", 1)[-1]
        return f"https://player.vimeo.com/video/{video_id}" if video_id.isdigit() else None
    if parsed.path.lower().endswith((".mp4", ".webm")):
        return url
    return None


class VideoBlock(blocks.StructBlock):
    url = blocks.URLBlock(help_text="An https link to YouTube, Vimeo, or an .mp4/.webm file.")
    title = blocks.CharBlock(help_text="Describes the video for screen readers.")
    caption = blocks.CharBlock(required=False)

    def clean(self, value):
        value = super().clean(value)
        if video_embed_src(value["url"]) is None:
            raise blocks.StructBlockValidationError(
                {"url": ValidationError("Use an https link to YouTube, Vimeo, or an .mp4/.webm file.")}
            )
        return value

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        src = video_embed_src(value["url"]) or ""
        context["embed_src"] = src
        context["is_file"] = src.lower().endswith((".mp4", ".webm"))
        return context

    class Meta:
        icon = "media"
        template = "courses/blocks/video.html"
        label = "Embedded video"


CORE_LESSON_BLOCKS = [
    ("text", blocks.RichTextBlock(features=RICH_TEXT_FEATURES, icon="doc-full", label="Rich text")),
    ("maths", MathBlock()),
    ("figure", FigureBlock()),
    ("callout", CalloutBlock()),
    ("code", CodeListingBlock()),
    ("video", VideoBlock()),
]


class LessonBodyBlock(blocks.StreamBlock):
    """Core blocks plus whatever other apps register (see block_registry)."""

    def __init__(self, local_blocks=None, **kwargs):
        super().__init__(local_blocks=local_blocks or lesson_blocks(CORE_LESSON_BLOCKS), **kwargs)
