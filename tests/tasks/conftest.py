"""The kernel host of the runner tests, for grades run by RQ workers."""

from tests.exercises.conftest import runner_settings  # noqa: F401  (fixtures used by the tests here)
from tests.runner.conftest import kernel_host  # noqa: F401
