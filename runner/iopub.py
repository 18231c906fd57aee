"""One cell's run as its iopub messages tell it, shared by both backends: the kernel host
(`kernel.py`, over ZMQ) and the gateway client (`gateway/client.py`, over a WebSocket).

`CellRun` keeps the deadline, the interrupt and its grace, turns the cell's messages into outputs
within the budget, and gives the verdict. Each backend keeps only what differs: how it receives a
message, how it knows its kernel died, and how it interrupts or restarts one.
"""

import time
from collections.abc import Awaitable, Callable

from .outputs import OutputBudget, output_from_message

OnOutput = Callable[[dict], Awaitable[None]]
OnStatus = Callable[[str], Awaitable[None]]


def message_type(message: dict) -> str:
    return message.get("msg_type") or message.get("header", {}).get("msg_type", "")


def parent_id(message: dict) -> str | None:
    return (message.get("parent_header") or {}).get("msg_id")


class CellRun:
    """The state of one execute_request. `result` is the backend's reply object (it has `status`,
    `outputs`, `execution_count`, `truncated`, `duration_ms`, `message` and `cause`)."""

    def __init__(
        self,
        result,
        msg_id: str,
        *,
        timeout: float,
        grace: float,
        budget: OutputBudget,
        on_output: OnOutput | None = None,
        on_status: OnStatus | None = None,
        started: float | None = None,
    ):
        """`started`: when the request went out (time.monotonic()); now, if it was sent just before."""
        self.result = result
        self.msg_id = msg_id
        self.timeout = timeout
        self.grace = grace
        self.budget = budget
        self.started = time.monotonic() if started is None else started
        self.deadline = self.started + timeout
        self.interrupted_at: float | None = None
        self.on_output = on_output
        self.on_status = on_status

    # -- time ------------------------------------------------------------------------------------

    def interrupt_due(self, now: float) -> bool:
        return self.interrupted_at is None and now >= self.deadline

    def interrupted(self, now: float) -> None:
        self.interrupted_at = now

    def stuck(self, now: float) -> bool:
        """Still running `grace` seconds after the interrupt: the kernel must be replaced. Strictly after,
        so that even with no grace the kernel is heard once after the interrupt."""
        return self.interrupted_at is not None and now > self.interrupted_at + self.grace

    def seconds_left(self, now: float) -> float:
        """Until the next step: the interrupt, or giving up on it."""
        return (self.deadline if self.interrupted_at is None else self.interrupted_at + self.grace) - now

    # -- messages --------------------------------------------------------------------------------

    def is_ours(self, message: dict) -> bool:
        return parent_id(message) == self.msg_id

    async def take(self, message: dict) -> bool:
        """Record one iopub message of this cell; True once the kernel is idle again (the cell is over)."""
        kind = message_type(message)
        if kind == "status":
            state = message["content"]["execution_state"]
            if self.on_status is not None:
                await self.on_status(state)
            return state == "idle"
        if kind == "execute_input":
            self.result.execution_count = message["content"].get("execution_count")
            return False
        if kind == "error":
            self.result.status = "error"
        for output in output_from_message(message, self.budget):
            self.result.outputs.append(output)
            if self.on_output is not None:
                await self.on_output(output)
        return False

    # -- verdicts --------------------------------------------------------------------------------

    def died(self, cause: str, message: str) -> None:
        self.result.status, self.result.cause, self.result.message = "died", cause, message

    def gave_up(self, *, restarted: bool) -> None:
        """The cell ignored the interrupt."""
        self.result.status, self.result.cause = "timeout", "stuck"
        self.result.message = f"Your code ran for more than {self.timeout:g} s and did not stop when interrupted"
        self.result.message += ", so the kernel was restarted." if restarted else "."

    def finish(self):
        """The result, once the loop has ended: a cell that ended after the interrupt timed out."""
        if self.interrupted_at is not None and self.result.status in ("ok", "error"):
            self.result.status, self.result.cause = "timeout", "interrupted"
            self.result.message = f"Your code ran for more than {self.timeout:g} s, so it was interrupted."
        self.result.truncated = bool(self.budget.truncated)
        self.result.duration_ms = (time.monotonic() - self.started) * 1000
        return self.result
