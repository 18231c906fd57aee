"""Exercises: their tests and quiz questions, submissions, results and grade overrides."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Orderable

from courses.vocabularies import Disclosure, LateMode, Release

FRACTION = [MinValueValidator(0), MaxValueValidator(1)]


class ExerciseKind(models.TextChoices):
    CODE = "code", "Code (graded by tests in a sandbox)"
    QUIZ = "quiz", "Quiz (graded at once)"
    FREE_RESPONSE = "free_response", "Free response (graded by hand)"


class Exercise(ClusterableModel):
    """A graded code exercise, authored once and placed in lessons with the exercise block.

    `version` grows whenever the tests or the reference solution change, so results are tied to
    the exercise they were graded against (and a regrade knows what is out of date).
    """

    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ExerciseKind.choices, default=ExerciseKind.CODE)
    prompt = models.TextField(
        blank=True,
        help_text="What the student must do (shown above the editor): Markdown, with $…$ and $$…$$ for maths, "
        "as in a notebook's markdown cells.",
    )
    starter_code = models.TextField(blank=True)
    solution_code = models.TextField(
        blank=True,
        help_text="Code: the reference solution, which must score full marks. Free response: a model answer. "
        "Shown to students only when the policy releases it after the deadline.",
    )
    response_points = models.DecimalField(
        max_digits=6, decimal_places=2, default=1, validators=[MinValueValidator(0)],
        help_text="Free response only: the most a trainer can give.",
    )  # fmt: skip
    setup_code = models.TextField(blank=True, help_text="Runs before the student's code when grading.")
    datasets = models.ManyToManyField("panlearn_content.Dataset", blank=True, related_name="exercises")
    # The policy: every field left empty (or "Course default") takes the value of the course whose
    # lesson the student submits from (CoursePage's "Grading policy"); see exercises/policy_lookup.py.
    max_attempts = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: the course's default. 0: unlimited, whatever the course says."
    )
    decay_per_attempt = models.DecimalField(
        max_digits=4, decimal_places=3, null=True, blank=True, validators=FRACTION,
        help_text="Share of the points lost per attempt after the first (0.1 is 10%). Empty: the course's default.",
    )  # fmt: skip
    min_factor = models.DecimalField(
        max_digits=4, decimal_places=3, null=True, blank=True, validators=FRACTION,
        help_text="Decay stops here. Empty: the course's default.",
    )  # fmt: skip
    deadline = models.DateTimeField(null=True, blank=True, help_text="Empty: the course's deadline, if it has one.")
    no_deadline = models.BooleanField(default=False, help_text="No deadline, whatever the course says.")
    late = models.CharField(max_length=10, choices=LateMode.choices, default=LateMode.INHERIT, blank=True)
    late_penalty_per_day = models.DecimalField(
        max_digits=4, decimal_places=3, null=True, blank=True, validators=FRACTION,
        help_text="Share of the points taken off per started day late. Empty: the course's default.",
    )  # fmt: skip
    release_solution = models.CharField(
        max_length=10, choices=Release.choices, default=Release.INHERIT, blank=True,
        help_text="Whether students see the reference solution once the deadline has passed.",
    )  # fmt: skip
    disclosure_default = models.CharField(
        "feedback on tests", max_length=20, blank=True, default="",
        choices=[("", "Course default"), *Disclosure.explicit()],
        help_text="What students see of a test whose disclosure is “Course default”.",
    )  # fmt: skip
    # Who made it: an exercise no course uses yet belongs to its author (exercises/access.py).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    graded_digest = models.CharField(max_length=64, blank=True, editable=False)
    validation = models.JSONField(default=dict, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    panels = [
        FieldPanel("title"),
        FieldPanel("kind"),
        FieldPanel("prompt"),
        FieldPanel("starter_code"),
        FieldPanel("solution_code"),
        FieldPanel("setup_code"),
        FieldPanel("datasets"),
        MultiFieldPanel(
            [
                FieldPanel("max_attempts"),
                FieldPanel("decay_per_attempt"),
                FieldPanel("min_factor"),
                FieldPanel("deadline"),
                FieldPanel("no_deadline"),
                FieldPanel("late"),
                FieldPanel("late_penalty_per_day"),
                FieldPanel("release_solution"),
                FieldPanel("disclosure_default"),
            ],
            heading="Policy",
            help_text="Empty fields take the course's grading policy (set on the course page).",
        ),
        FieldPanel("response_points"),
        InlinePanel("tests", label="Tests", help_text="Code exercises only."),
        InlinePanel("questions", label="Quiz questions", help_text="Quiz exercises only."),
    ]

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.kind == ExerciseKind.CODE and not self.solution_code.strip():
            raise ValidationError({"solution_code": "A code exercise needs a reference solution."})
        if self.kind == ExerciseKind.FREE_RESPONSE and not self.prompt.strip():
            raise ValidationError({"prompt": "Say what the student must answer."})

    @property
    def is_valid(self) -> bool:
        """The last validation run: the reference solution scored full marks and the starter did not."""
        return bool(self.validation.get("ok"))


class ExerciseTest(Orderable):
    """One test: a Python function; hidden tests run on Submit only and are never shown."""

    exercise = ParentalKey(Exercise, on_delete=models.CASCADE, related_name="tests")
    name = models.SlugField(max_length=100, help_text="The test function's name, e.g. test_units.")
    source = models.TextField(help_text="def test_…(): assert …  (return a fraction in [0, 1] for partial credit)")
    points = models.DecimalField(max_digits=6, decimal_places=2, default=1)
    hidden = models.BooleanField(default=False)
    disclosure = models.CharField(max_length=20, choices=Disclosure.choices, default=Disclosure.INHERIT)
    timeout = models.FloatField(default=5.0, help_text="Seconds.")

    panels = [
        FieldPanel("name"),
        FieldPanel("source"),
        FieldPanel("points"),
        FieldPanel("hidden"),
        FieldPanel("disclosure"),
        FieldPanel("timeout"),
    ]

    class Meta(Orderable.Meta):
        constraints = [models.UniqueConstraint(fields=["exercise", "name"], name="one_test_name_per_exercise")]

    def __str__(self) -> str:
        return self.name


class QuestionKind(models.TextChoices):
    SINGLE = "single", "Single choice"
    MULTIPLE = "multiple", "Multiple choice"
    NUMBER = "number", "Number (tolerance and unit)"
    TEXT = "text", "Short text (patterns)"


SPEC_HELP = (
    'JSON. Single or multiple choice: {"options": [{"id": "a", "text": "Neutrons", "correct": true, '
    '"feedback": "Yes: …"}, …], "mode": "all_or_nothing" or "partial" (multiple only)}. '
    'Number: {"value": 1.54, "unit": "A", "abs_tol": 0.01, "rel_tol": 0.01, "require_unit": false}. '
    'Short text: {"patterns": [{"pattern": "bragg", "match": "case_insensitive", "points": 1, '
    '"feedback": "…"}], "feedback_wrong": "…"}. Correct answers are never sent to students before the '
    "solution is released."
)


class QuizQuestion(Orderable):
    """One question of a quiz exercise: its kind and its spec, checked by the graders in quiz.py on save."""

    exercise = ParentalKey(Exercise, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(max_length=10, choices=QuestionKind.choices, default=QuestionKind.SINGLE)
    prompt = models.TextField()
    points = models.DecimalField(max_digits=6, decimal_places=2, default=1, validators=[MinValueValidator(0)])
    spec = models.JSONField(default=dict, help_text=SPEC_HELP)

    panels = [FieldPanel("kind"), FieldPanel("prompt"), FieldPanel("points"), FieldPanel("spec")]

    def __str__(self) -> str:
        return self.prompt[:60]

    def clean(self) -> None:
        from .quiz_specs import QuestionSpecError, build_question

        super().clean()
        try:
            build_question(self.kind, self.spec)
        except QuestionSpecError as error:
            raise ValidationError({"spec": str(error)}) from None


class SubmissionKind(models.TextChoices):
    CHECK = "check", "Check (public tests, no attempt used)"
    SUBMIT = "submit", "Submit (every test, one attempt)"


class SubmissionStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to be graded"
    GRADING = "grading", "Being graded"
    GRADED = "graded", "Graded"
    FAILED = "failed", "Could not be graded"
    AWAITING = "awaiting", "Awaiting grading by a trainer"


class ExerciseProgress(models.Model):
    """A student's attempts at one exercise; its row is locked while a submission is numbered."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="progress")
    attempts_used = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "exercise"], name="one_progress_per_exercise")]

    def __str__(self) -> str:
        return f"{self.user} · {self.exercise}: {self.attempts_used} attempts"


class Submission(models.Model):
    """Committed before anything runs: the student's code is never lost, whatever happens next."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="submissions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions")
    course = models.ForeignKey(
        "panlearn_courses.CoursePage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The course of the lesson it was submitted from: its grading policy applies, now and at regrades.",
    )  # fmt: skip
    kind = models.CharField(max_length=10, choices=SubmissionKind.choices)
    attempt = models.PositiveIntegerField(null=True, blank=True, help_text="Submits only.")
    code = models.TextField()
    content_hash = models.CharField(max_length=64)
    exercise_version = models.PositiveIntegerField()
    submitted_at = models.DateTimeField(auto_now_add=True)
    answers = models.JSONField(default=dict, blank=True, help_text="A quiz's answers, by question id.")
    status = models.CharField(max_length=10, choices=SubmissionStatus.choices, default=SubmissionStatus.QUEUED)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The trainer who graded a free response.",
    )  # fmt: skip
    grading_started_at = models.DateTimeField(null=True, blank=True)
    graded_at = models.DateTimeField(null=True, blank=True)
    raw_points = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    points = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    possible = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    breakdown = models.JSONField(default=dict, blank=True, help_text="Every test's result (hidden ones too).")
    feedback = models.JSONField(default=list, blank=True, help_text="What the student may see.")
    message = models.TextField(blank=True)
    previous_points = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True, help_text="Before the last regrade."
    )

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["exercise", "user", "attempt"], condition=models.Q(kind="submit"), name="one_row_per_attempt"
            )
        ]
        indexes = [models.Index(fields=["status", "grading_started_at"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.exercise} · {self.kind} {self.attempt or ''}".strip()

    @property
    def attempt_number(self) -> int:
        """As `policy_rules.best_score` reads an attempt (a check has no number)."""
        return self.attempt or 0


class GradeOverride(models.Model):
    """A trainer's grade for a student's exercise, with the reason. Rows are never edited or deleted:
    the newest one counts, and together they are the audit trail."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    points = models.DecimalField(max_digits=8, decimal_places=2)
    comment = models.TextField()
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    set_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-set_at"]

    def __str__(self) -> str:
        return f"{self.user} · {self.exercise}: {self.points} ({self.set_by})"
