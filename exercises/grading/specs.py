"""What an exercise is graded against: its tests or questions, as scoring and the runner take them."""

from .. import quiz_specs, scoring
from ..models import Disclosure, Exercise, ExerciseKind, SubmissionKind


def stored_questions(exercise: Exercise) -> list[quiz_specs.StoredQuestion]:
    return [
        quiz_specs.StoredQuestion(
            id=str(question.pk),
            name=f"Question {number}",
            kind=question.kind,
            spec=question.spec,
            points=question.points,
            prompt=question.prompt,
        )
        for number, question in enumerate(exercise.questions.all(), 1)
    ]


def test_specs(exercise: Exercise) -> list[scoring.TestSpec]:
    if exercise.kind == ExerciseKind.QUIZ:
        return [scoring.TestSpec(name=question.name, points=question.points, disclosure="show")
                for question in stored_questions(exercise)]  # fmt: skip
    return [
        scoring.TestSpec(
            name=test.name,
            points=test.points,
            hidden=test.hidden,
            disclosure=None if test.disclosure == Disclosure.INHERIT else test.disclosure,
            source=test.source,
        )
        for test in exercise.tests.all()
    ]


def runner_tests(exercise: Exercise, kind: str) -> list[dict]:
    """What the runner is sent: on Check the public tests only, on Submit every test. The public tests
    come first: the student's code meets a hidden test's inputs only after every public test has
    reported, so it cannot echo them into a public test's feedback."""
    tests = sorted(exercise.tests.all(), key=lambda test: test.hidden)  # stable: the trainer's order otherwise
    return [
        {
            "name": test.name,
            "source": test.source,
            "function": test.name,
            "points": float(test.points),
            "timeout": test.timeout,
        }
        for test in tests
        if kind == SubmissionKind.SUBMIT or not test.hidden
    ]
