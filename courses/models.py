"""Course pages (catalogue → course → lesson), enrolment and progress."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.functional import cached_property
from modelcluster.fields import ParentalKey
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from facilities.models import Facility
from panlearn.public_urls import page_public_url

from . import structured_data
from .blocks import LessonBodyBlock
from .forms import LessonPageForm
from .vocabularies import (
    LICENCE_CHOICES,
    TECHNIQUE_CHOICES,
    TECHNIQUES_BY_KEY,
    Disclosure,
    EnrolmentPolicy,
    LateMode,
    Level,
)


class CatalogueIndexPage(Page):
    """The course catalogue: search, filters and pagination live in selectors and the view context."""

    intro = RichTextField(blank=True, features=["bold", "italic", "link"])

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["panlearn_courses.CoursePage"]
    max_count = 1
    template = "courses/catalogue_index_page.html"

    class Meta:
        verbose_name = "course catalogue"

    def permissions_for_user(self, user):
        from .permissions import CataloguePermissionTester

        return CataloguePermissionTester(user, self)

    def get_context(self, request, *args, **kwargs):
        from .catalogue import catalogue_context

        context = super().get_context(request, *args, **kwargs)
        context.update(catalogue_context(self, request))
        return context


FRACTION = [MinValueValidator(0), MaxValueValidator(1)]
LATE_CHOICES = [(value, label) for value, label in LateMode.choices if value != LateMode.INHERIT]
DISCLOSURE_CHOICES = Disclosure.explicit()


class CoursePage(Page):
    summary = models.TextField(max_length=500, help_text="One or two sentences shown in the catalogue.")
    level = models.CharField(max_length=20, choices=Level.choices, default=Level.BEGINNER)
    estimated_minutes = models.PositiveIntegerField(default=60, help_text="Estimated time to complete, in minutes.")
    prerequisites = RichTextField(blank=True, features=["bold", "italic", "link", "ul", "ol"])
    learning_outcomes = StreamField(
        [("outcome", blocks.CharBlock(label="Outcome"))],
        blank=True,
        help_text="What a student can do after the course, one per line.",
    )
    facility = models.ForeignKey(Facility, null=True, blank=True, on_delete=models.SET_NULL, related_name="courses")
    technique = models.CharField(max_length=40, choices=TECHNIQUE_CHOICES, blank=True, help_text="PaNET technique.")
    licence = models.CharField(max_length=40, choices=LICENCE_CHOICES, default="CC-BY-4.0")
    keywords = models.CharField(
        max_length=255, blank=True,
        help_text="Comma-separated. Catalogues (TeSS, OAI-PMH harvesters) index them with the technique and facility.",
    )  # fmt: skip
    cover_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    enrolment_policy = models.CharField(max_length=20, choices=EnrolmentPolicy.choices, default=EnrolmentPolicy.OPEN)
    open_to_visitors = models.BooleanField(
        default=False,
        help_text="Anyone may read the lessons without enrolling, and run their code cells without an account "
        "(rate-limited, and nothing a visitor types is saved).",
    )
    # The grading policy of the course's exercises; each exercise may override any of it.
    grading_max_attempts = models.PositiveIntegerField(
        "maximum attempts", null=True, blank=True, validators=[MinValueValidator(1)], help_text="Empty: unlimited."
    )
    grading_decay_per_attempt = models.DecimalField(
        "decay per attempt", max_digits=4, decimal_places=3, null=True, blank=True, validators=FRACTION,
        help_text="Share of the points lost per attempt after the first (0.1 is 10%). Empty: none.",
    )  # fmt: skip
    grading_min_factor = models.DecimalField(
        "decay floor", max_digits=4, decimal_places=3, null=True, blank=True, validators=FRACTION,
        help_text="Decay stops here (0.5: an attempt keeps at least half its points). Empty: 0.",
    )  # fmt: skip
    grading_deadline = models.DateTimeField("deadline", null=True, blank=True, help_text="Empty: no deadline.")
    grading_late = models.CharField(
        "after the deadline", max_length=10, choices=LATE_CHOICES, default="penalty", blank=True
    )
    grading_late_penalty_per_day = models.DecimalField(
        "late penalty per day", max_digits=4, decimal_places=3, null=True, blank=True, validators=FRACTION,
        help_text="Share of the points taken off per started day late (with “Late penalty”). Empty: none.",
    )  # fmt: skip
    grading_release_solution = models.BooleanField(
        "release the solution after the deadline", default=False,
        help_text="Students see the reference solution (and quiz answers) once the deadline has passed.",
    )  # fmt: skip
    grading_disclosure = models.CharField(
        "feedback on tests", max_length=20, choices=DISCLOSURE_CHOICES, default="show", blank=True,
        help_text="What students see of a public test whose disclosure is “course default”.",
    )  # fmt: skip

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("cover_image"),
        MultiFieldPanel(
            [
                FieldPanel("level"),
                FieldPanel("estimated_minutes"),
                FieldPanel("technique"),
                FieldPanel("facility"),
                FieldPanel("keywords"),
            ],
            heading="Catalogue facets",
        ),
        FieldPanel("prerequisites"),
        FieldPanel("learning_outcomes"),
        InlinePanel("instructors", label="Instructors"),
        MultiFieldPanel(
            [FieldPanel("licence"), FieldPanel("enrolment_policy"), FieldPanel("open_to_visitors")],
            heading="Access and licence",
        ),
        MultiFieldPanel(
            [
                FieldPanel("grading_max_attempts"),
                FieldPanel("grading_decay_per_attempt"),
                FieldPanel("grading_min_factor"),
                FieldPanel("grading_deadline"),
                FieldPanel("grading_late"),
                FieldPanel("grading_late_penalty_per_day"),
                FieldPanel("grading_release_solution"),
                FieldPanel("grading_disclosure"),
            ],
            heading="Grading policy",
            help_text="Defaults for the course's exercises; an exercise may override each of them.",
        ),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("learning_outcomes"),
        index.SearchField("technique_label"),
        index.FilterField("level"),
        index.FilterField("technique"),
        index.FilterField("facility"),
    ]
    parent_page_types = ["panlearn_courses.CatalogueIndexPage"]
    subpage_types = ["panlearn_courses.LessonPage"]
    template = "courses/course_page.html"

    class Meta:
        verbose_name = "course"

    @property
    def technique_label(self) -> str:
        technique = TECHNIQUES_BY_KEY.get(self.technique)
        return technique.label if technique else ""

    @property
    def duration_display(self) -> str:
        hours, minutes = divmod(self.estimated_minutes, 60)
        if hours and minutes:
            return f"{hours} h {minutes} min"
        return f"{hours} h" if hours else f"{minutes} min"

    @cached_property
    def live_lessons(self) -> list["LessonPage"]:
        return list(LessonPage.objects.child_of(self).live().specific().order_by("path"))

    def get_context(self, request, *args, **kwargs):
        from .selectors import course_state_for

        context = super().get_context(request, *args, **kwargs)
        context.update(course_state_for(course=self, user=request.user))
        context["json_ld"] = structured_data.script_json(self.json_ld(request, self.live_lessons))
        return context

    def json_ld(self, request, lessons: list["LessonPage"]) -> dict:
        """The course's Bioschemas JSON-LD (structured_data), with these lessons as its parts."""
        links = [structured_data.Link(lesson.title, page_public_url(lesson, request)) for lesson in lessons]
        return structured_data.course_json_ld(
            self, url=page_public_url(self, request), lessons=links, instructors=list(self.instructors.all())
        )


class CourseInstructor(Orderable):
    page = ParentalKey(CoursePage, on_delete=models.CASCADE, related_name="instructors")
    name = models.CharField(max_length=200)
    affiliation = models.CharField(max_length=200, blank=True)
    orcid = models.CharField(max_length=19, blank=True, help_text="ORCID iD, e.g. 0000-0002-1825-0097")

    panels = [FieldPanel("name"), FieldPanel("affiliation"), FieldPanel("orcid")]

    def __str__(self) -> str:
        return self.name


class LessonPage(Page):
    summary = models.TextField(max_length=500, blank=True)
    body = StreamField(LessonBodyBlock(), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("summary"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]
    base_form_class = LessonPageForm
    parent_page_types = ["panlearn_courses.CoursePage"]
    subpage_types: list[str] = []
    template = "courses/lesson_page.html"

    class Meta:
        verbose_name = "lesson"

    @cached_property
    def course(self) -> CoursePage:
        return self.get_parent().specific

    def get_context(self, request, *args, **kwargs):
        from .block_registry import lesson_context
        from .selectors import lesson_state_for

        context = super().get_context(request, *args, **kwargs)
        context.update(lesson_state_for(lesson=self, user=request.user))
        context["json_ld"] = structured_data.script_json(self.json_ld(request, self.course))
        if context["can_read"]:
            context.update(lesson_context(page=self, request=request))
        return context

    def json_ld(self, request, course: CoursePage) -> dict:
        """The lesson's Bioschemas JSON-LD (structured_data), as a part of `course`."""
        return structured_data.lesson_json_ld(
            self,
            url=page_public_url(self, request),
            course=course,
            course_url=page_public_url(course, request),
            instructors=list(course.instructors.all()),
        )


class Enrolment(models.Model):
    """A student's place on a course. Unenrolling keeps the row (and progress) inactive."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments")
    course = models.ForeignKey(CoursePage, on_delete=models.CASCADE, related_name="enrolments")
    # One xAPI registration per enrolment (tracking issue); stable across re-enrolment.
    registration = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    is_active = models.BooleanField(default=True)
    enrolled_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="one_enrolment_per_user_course")]

    def __str__(self) -> str:
        return f"{self.user} in {self.course}"


class LessonCompletion(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_completions")
    lesson = models.ForeignKey(LessonPage, on_delete=models.CASCADE, related_name="completions")
    completed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "lesson"], name="one_completion_per_user_lesson")]

    def __str__(self) -> str:
        return f"{self.user} finished {self.lesson}"


class CourseInvitation(models.Model):
    """Lets a named person into an invitation-only course; the token is the invitation link."""

    course = models.ForeignKey(CoursePage, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    token = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    panels = [FieldPanel("course"), FieldPanel("email")]

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "email"], name="one_invitation_per_course_email")]

    def __str__(self) -> str:
        return f"{self.email} → {self.course}"
