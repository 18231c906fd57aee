"""What a cell run answers, whichever backend ran it (our kernel host or a Jupyter Kernel Gateway)."""

from dataclasses import dataclass, field


@dataclass
class ExecuteReply:
    status: str
    outputs: list[dict] = field(default_factory=list)
    execution_count: int | None = None
    truncated: bool = False
    duration_ms: float = 0.0
    message: str = ""
    cause: str = ""  # see runner.kernel.ExecutionResult
    session: dict = field(default_factory=dict)
