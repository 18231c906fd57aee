"""Facility onboarding: training programmes and what requires them, experiments and their
participants, and the recorded passes (ProgrammeCompletion) that status reads come from."""

import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel
from wagtail.models import Orderable

from courses.models import CoursePage
from facilities.models import Facility

PERCENT = [MinValueValidator(1), MaxValueValidator(100)]


class Role(models.TextChoices):
    """A participant's role on an experiment (the bulk invitation's "role" column takes these values)."""

    PRINCIPAL_INVESTIGATOR = "principal_investigator", "Principal investigator"
    CO_INVESTIGATOR = "co_investigator", "Co-investigator"
    EXPERIMENTER = "experimenter", "Experimenter on site"
    REMOTE = "remote", "Remote participant"
    LOCAL_CONTACT = "local_contact", "Local contact"


class Programme(ClusterableModel):
    """Training a facility requires: courses with a pass mark on each final assessment, valid for a period."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="programmes")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="What the training covers and who needs it.")
    validity_months = models.PositiveSmallIntegerField(
        default=12, validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="How long a pass is valid, in months.",
    )  # fmt: skip
    refresher_course = models.ForeignKey(
        CoursePage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Optional: a shorter course that renews a pass. Completing it (every lesson done, or its "
        "assessment below passed) renews from that day, once the pass is expiring soon or has expired.",
    )  # fmt: skip
    refresher_assessment = models.ForeignKey(
        "panlearn_exercises.Exercise", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Optional: the refresher's own final assessment. Set, passing it renews; empty, finishing "
        "the refresher's lessons does.",
    )  # fmt: skip
    refresher_pass_mark = models.PositiveSmallIntegerField(
        default=80, validators=PERCENT, help_text="Percent of the refresher assessment's points needed."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["facility__short_name", "name"]
        constraints = [models.UniqueConstraint(fields=["facility", "name"], name="one_programme_name_per_facility")]

    def __str__(self) -> str:
        return f"{self.name} ({self.facility})"

    def clean(self) -> None:
        super().clean()
        if self.refresher_assessment_id and not self.refresher_course_id:
            raise ValidationError({"refresher_course": "Choose the refresher course its assessment belongs to."})


class ProgrammeCourse(Orderable):
    """A course of a programme, passed when its final assessment reaches the pass mark."""

    programme = ParentalKey(Programme, on_delete=models.CASCADE, related_name="courses")
    course = models.ForeignKey(CoursePage, on_delete=models.CASCADE, related_name="+")
    final_assessment = models.ForeignKey(
        "panlearn_exercises.Exercise", on_delete=models.PROTECT, related_name="+",
        help_text="Usually the course's final quiz; it must be placed in one of the course's lessons.",
    )  # fmt: skip
    pass_mark = models.PositiveSmallIntegerField(
        default=80, validators=PERCENT, help_text="Percent of the assessment's points needed to pass."
    )

    # A plain select: staff who may not edit exercises still pick the assessment.
    panels = [FieldPanel("course"), FieldPanel("final_assessment", widget=forms.Select), FieldPanel("pass_mark")]

    class Meta(Orderable.Meta):
        constraints = [models.UniqueConstraint(fields=["programme", "course"], name="one_row_per_programme_course")]

    def __str__(self) -> str:
        return f"{self.course} ({self.pass_mark} %)"

    def clean(self) -> None:
        from exercises.selectors import page_exercise_ids

        super().clean()
        if not (self.course_id and self.final_assessment_id):
            return
        course = CoursePage.objects.filter(pk=self.course_id).first()
        lessons = course.live_lessons if course else []
        if not any(self.final_assessment_id in page_exercise_ids(lesson) for lesson in lessons):
            message = "This exercise is not in any published lesson of the course: add it with an exercise block first."
            raise ValidationError({"final_assessment": message})


class ProgrammeRequirement(Orderable):
    """Who must hold the programme: participants with this role, on this instrument, in this type of
    experiment. Empty fields match anything, so a row with all three empty requires it of everyone."""

    programme = ParentalKey(Programme, on_delete=models.CASCADE, related_name="requirements")
    role = models.CharField(max_length=40, choices=Role.choices, blank=True)
    instrument = models.CharField(max_length=100, blank=True, help_text="As on the experiment, e.g. D22.")
    experiment_type = models.CharField(
        max_length=100, blank=True, help_text="As on the experiment, e.g. chemistry lab, radioactive samples."
    )

    panels = [FieldPanel("role"), FieldPanel("instrument"), FieldPanel("experiment_type")]

    def __str__(self) -> str:
        parts = [self.get_role_display(), self.instrument, self.experiment_type]
        return " · ".join(part for part in parts if part) or "everyone"

    def matches(self, *, role: str, instrument: str, experiment_type: str) -> bool:
        def same(wanted: str, actual: str) -> bool:
            return not wanted or wanted.strip().casefold() == actual.strip().casefold()

        return same(self.role, role) and same(self.instrument, instrument) and same(self.experiment_type,
                                                                                    experiment_type)  # fmt: skip


class Experiment(models.Model):
    """A proposal's beamtime at a facility; its participants must hold the programmes it requires."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="experiments")
    proposal = models.CharField("proposal or experiment id", max_length=64, help_text="As the user office writes it.")
    title = models.CharField(max_length=300)
    instrument = models.CharField(max_length=100, blank=True)
    experiment_type = models.CharField(max_length=100, blank=True)
    start_date = models.DateField()

    class Meta:
        ordering = ["start_date", "proposal"]
        constraints = [models.UniqueConstraint(fields=["facility", "proposal"], name="one_experiment_per_proposal")]

    def __str__(self) -> str:
        return f"{self.proposal}: {self.title}"


class Participant(models.Model):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="experiment_participations"
    )
    role = models.CharField(max_length=40, choices=Role.choices, default=Role.EXPERIMENTER)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["experiment", "user__username"]
        constraints = [models.UniqueConstraint(fields=["experiment", "user"], name="one_row_per_experiment_user")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) on {self.experiment.proposal}"


class Via(models.TextChoices):
    PASS = "pass", "First pass"
    REFRESHER = "refresher", "Refresher"
    RETAKEN = "retaken", "Passed again"


class ProgrammeCompletion(models.Model):
    """One validity period of a user's programme: a pass or a renewal. Written by
    `services.programme_evaluate` when a grade, an override or a lesson changes; never edited by
    hand, so status reads and exports can trust it. The newest row of a user and programme counts."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="programme_completions")
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="completions")
    passed_at = models.DateTimeField(help_text="When this period began: the pass, or the renewal.")
    valid_until = models.DateTimeField()
    via = models.CharField(max_length=20, choices=Via.choices, default=Via.PASS)
    renewed_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="renewals",
        help_text="The period this one renews.",
    )  # fmt: skip
    recorded_at = models.DateTimeField(auto_now_add=True)
    expiry_recorded_at = models.DateTimeField(
        null=True, blank=True, help_text="When the expiry was recorded (its xAPI statement written)."
    )

    class Meta:
        ordering = ["-passed_at"]
        constraints = [models.UniqueConstraint(fields=["user", "programme", "passed_at"], name="one_period_per_start")]
        indexes = [models.Index(fields=["valid_until", "expiry_recorded_at"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.programme.name}: valid until {self.valid_until:%Y-%m-%d}"
