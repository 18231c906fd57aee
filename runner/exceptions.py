"""Typed errors of the runner. Each message is written for the student who sees it."""


class RunnerError(Exception):
    """Base class; `message` is safe to show to a student."""

    default_message = "The code service had a problem."

    def __init__(self, message: str | None = None):
        super().__init__(message or self.default_message)

    @property
    def message(self) -> str:
        return str(self)


class RunnerUnavailable(RunnerError):
    default_message = "The code service is restarting. Try again in a few seconds."


class SandboxUnavailable(RunnerError):
    default_message = "This server cannot run code safely, so running code is switched off."


class KernelDied(RunnerError):
    default_message = "Your Python session stopped unexpectedly and was restarted."


class CellTimeout(RunnerError):
    default_message = "Your code ran for too long, so it was stopped."


class OutputLimitExceeded(RunnerError):
    default_message = "Your code printed more output than can be shown; the rest was cut."


class CodeTooLarge(RunnerError):
    default_message = "This code is too long to run."


class UnknownKernelSpec(RunnerError):
    default_message = "This kind of code cell is not available."


class DatasetUnavailable(RunnerError):
    default_message = "A dataset this exercise needs is missing or damaged; the trainers have been told."


class SessionNotFound(RunnerError):
    default_message = "This code session has ended. Run the cell again to start a new one."


class HostLost(SessionNotFound):
    """The session's kernel host is down (several hosts): the next run starts a fresh kernel on another."""

    default_message = (
        "The machine that ran your Python session stopped, so you are in a new session. "
        "Run the cells above again to continue."
    )


class TooManySessions(RunnerError):
    default_message = "You have too many code sessions open. Close another lesson tab and try again."


QUEUE_TIMEOUT = 60.0  # seconds a student waits in a full host's queue for a kernel, at most; then:


class PoolExhausted(RunnerError):
    default_message = "All code sessions are busy. You are in the queue."
