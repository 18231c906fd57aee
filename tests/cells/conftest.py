"""The cells tests run against the same real kernel host and lessons as tests/exercises' cell tests."""

from tests.exercises.conftest import (  # noqa: F401  (fixtures)
    cell_lesson,
    end_sessions,
    kernel_host,
    learner,
    runner_settings,
)
