"""One statement of every kind panlearn emits, built by the pure builders from fixed values."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from tracking.xapi import builders
from tracking.xapi import vocabulary as v
from tracking.xapi.interactions import Interaction
from tracking.xapi.models import Account, Agent

SITE = "https://learn.example.org"
WHEN = datetime(2025, 3, 14, 9, 26, 53, 589000, tzinfo=UTC)
STUDENT = Agent(account=Account(homePage=SITE, name="5d1c2b7f0e8a4c3b9a6f1e2d3c4b5a69"))
TRAINER = Agent(account=Account(homePage=SITE, name="0f9e8d7c6b5a49382716af5e4d3c2b1a"))
COURSE = builders.activity(iri=f"{SITE}/xapi/activities/course/3", kind=v.COURSE, name="Neutron diffraction basics",
                           language="en-GB")  # fmt: skip
LESSON = builders.activity(iri=f"{SITE}/xapi/activities/lesson/4", kind=v.LESSON, name="Bragg's law", language="en-GB")
EXERCISE = builders.activity(iri=f"{SITE}/xapi/activities/exercise/7", kind=v.INTERACTION, name="Lattice spacing",
                             language="en-GB", interactionType="long-fill-in")  # fmt: skip
QUIZ = builders.activity(iri=f"{SITE}/xapi/activities/exercise/9", kind=v.ASSESSMENT, name="Scattering quiz",
                         language="en-GB")  # fmt: skip
PROBES = (("a", "X-rays"), ("b", "Neutrons"), ("c", "Electrons"))
QUESTIONS = {
    "single choice": Interaction(key="21", number=1, prompt="Which probe sees hydrogen best?",
                                 interaction_type="choice", choices=PROBES, correct_responses=("b",), response="b",
                                 success=True, points=1.0, possible=1.0),
    "multiple choice": Interaction(key="22", number=2, prompt="Which probes carry no charge?",
                                   interaction_type="choice", choices=PROBES, correct_responses=("a[,]b",),
                                   response="b", points=0.0, possible=2.0),
    "number": Interaction(key="23", number=3, prompt="The Cu K-alpha wavelength, in Å?", interaction_type="numeric",
                          correct_responses=("1.53[:]1.55",), response="1.54", typed="0.154 nm", success=True,
                          points=1.0, possible=1.0),
    "number, unreadable": Interaction(key="23", number=3, prompt="The Cu K-alpha wavelength, in Å?",
                                      interaction_type="numeric", correct_responses=("1.53[:]1.55",), response=None,
                                      typed="twelve", possible=1.0),
    "short text": Interaction(key="24", number=4, prompt="Whose law relates angle and spacing?",
                              interaction_type="fill-in", correct_responses=("bragg",), response="BRAGG",
                              success=True, points=1.0, possible=1.0),
}  # fmt: skip
CELL = builders.activity(iri=f"{SITE}/xapi/activities/lesson/4/cell/8e1f", kind=v.CODE_CELL,
                         name="Code cell in Bragg's law", language="en-GB")  # fmt: skip
REGISTRATION = uuid.UUID("6c9d3a52-2a4e-5d0b-9f3c-1b7e0a8d4f21")
FRAME = builders.Frame(
    actor=STUDENT, timestamp=WHEN, language="en-GB", registration=REGISTRATION, course=COURSE, lesson=LESSON
)


def all_statements() -> dict[str, list]:
    graded = builders.exercise_graded(FRAME, exercise=EXERCISE, points=Decimal("7.5"), possible=Decimal("10"),
                                      threshold=0.5, duration_s=1.25, event_key="submission:11:graded")  # fmt: skip
    failed = builders.exercise_graded(FRAME, exercise=EXERCISE, points=Decimal("2"), possible=Decimal("10"),
                                      threshold=0.5, duration_s=1.1, event_key="submission:12:graded")  # fmt: skip
    overridden = builders.exercise_graded(
        FRAME, exercise=EXERCISE, points=Decimal("9"), possible=Decimal("10"), threshold=0.5, duration_s=None,
        event_key="override:2", instructor=TRAINER,
        extensions={v.PREVIOUS_POINTS: 7.5, v.OVERRIDE_COMMENT: "Units were right after all."},
    )  # fmt: skip
    return {
        "registered": [builders.enrolled(FRAME, event_key="enrolment:1")],
        "lesson completed": [builders.lesson_completed(FRAME, event_key="lesson:4:done")],
        "progressed": [builders.lesson_progressed(FRAME, progress=67, event_key="lesson:4:done")],
        "course completed": [builders.course_completed(FRAME, event_key="course:3:completed")],
        "cell executed": [
            builders.cell_executed(FRAME, cell=CELL, status="ok", duration_s=0.042, code=None, event_key="cell:4:8e1f")
        ],
        "cell executed with code": [
            builders.cell_executed(
                FRAME, cell=CELL, status="error", duration_s=0.01, code="1/0", event_key="cell:4:8e1f:2"
            )
        ],
        "answered": [
            builders.exercise_answered(
                FRAME,
                exercise=EXERCISE,
                response="d = wavelength / (2 * sin(theta))",
                kind="submit",
                attempt=2,
                event_key="submission:11:answered",
            )
        ],
        "answered, no code": [
            builders.exercise_answered(
                FRAME, exercise=EXERCISE, response="", kind="submit", attempt=3, event_key="submission:13:answered"
            )
        ],
        "quiz answered": [
            builders.exercise_answered(
                FRAME, exercise=QUIZ, response="", kind="submit", attempt=1, event_key="submission:14:answered"
            )
        ],
        **{
            f"quiz question answered: {name}": [
                builders.question_answered(
                    FRAME,
                    quiz=QUIZ,
                    question=question,
                    attempt=1,
                    event_key=f"submission:{14 + (name == 'number, unreadable')}:answered",
                )
            ]
            for name, question in QUESTIONS.items()
        },
        "scored and passed": graded,
        "scored and failed": failed,
        "voided": [builders.voided(actor=TRAINER, target=graded[0].id, timestamp=WHEN)],
        "overridden grade": overridden,
    }
