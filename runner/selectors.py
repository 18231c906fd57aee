"""Reads for Django pages about the runner; never raises into a view."""

from dataclasses import dataclass

from .backends import get_client
from .exceptions import RunnerError


@dataclass(frozen=True)
class RunnerStatus:
    reachable: bool
    message: str = ""
    health: dict | None = None
    metrics: dict | None = None


def runner_status() -> RunnerStatus:
    """Health and metrics of the kernel host, or the student-readable reason it cannot be reached."""
    try:
        with get_client() as client:
            return RunnerStatus(reachable=True, health=client.health(), metrics=client.metrics())
    except RunnerError as error:
        return RunnerStatus(reachable=False, message=error.message)
