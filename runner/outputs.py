"""Turning iopub messages into capped, JSON-friendly outputs.

The cap is per cell: text (stream, error tracebacks, text/plain, HTML, ...) and images are
counted separately; once a budget is spent, further outputs of that kind are dropped and a
single notice says so. The kernel keeps running; only what reaches the student is cut.
"""

import json
from dataclasses import dataclass, field

IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")
TRUNCATION_NOTICE = "[Output truncated: this cell printed more than {limit} of {kind}; the rest is not shown.]"


def _human(size: int) -> str:
    return f"{size // 1024} KiB" if size < 1 << 20 else f"{size / (1 << 20):.0f} MiB"


@dataclass
class OutputBudget:
    max_text_bytes: int
    max_image_bytes: int
    text_bytes: int = 0
    image_bytes: int = 0
    truncated: set[str] = field(default_factory=set)

    def _notice(self, kind: str, limit: int) -> dict:
        return {"output_type": "stream", "name": "stderr", "text": "\n" + TRUNCATION_NOTICE.format(
            limit=_human(limit), kind=kind) + "\n", "truncated": True}  # fmt: skip

    def admit_text(self, text: str) -> tuple[str | None, dict | None]:
        """The part of `text` within budget, and a notice the first time the budget runs out."""
        if "text" in self.truncated:
            return None, None
        encoded = text.encode("utf-8", errors="replace")
        room = self.max_text_bytes - self.text_bytes
        if len(encoded) <= room:
            self.text_bytes += len(encoded)
            return text, None
        self.truncated.add("text")
        self.text_bytes = self.max_text_bytes
        kept = encoded[: max(room, 0)].decode("utf-8", errors="ignore")
        return kept or None, self._notice("text", self.max_text_bytes)

    def admit_bundle(self, data: dict) -> tuple[dict | None, dict | None]:
        """Filter a mime bundle: images against the image budget, everything else as text."""
        kept: dict = {}
        notice = None
        for mime, value in data.items():
            size = len(value.encode() if isinstance(value, str) else str(value).encode())
            if mime in IMAGE_TYPES:
                if "image" in self.truncated or self.image_bytes + size > self.max_image_bytes:
                    if "image" not in self.truncated:
                        self.truncated.add("image")
                        notice = self._notice("images", self.max_image_bytes)
                    continue
                self.image_bytes += size
                kept[mime] = value
            else:
                text = value if isinstance(value, str) else json.dumps(value)
                admitted, text_notice = self.admit_text(text)
                notice = notice or text_notice
                if admitted == text:
                    kept[mime] = value
                elif admitted:
                    kept[mime] = admitted  # a cut JSON value is kept as its text
        return (kept or None), notice


def output_from_message(message: dict, budget: OutputBudget) -> list[dict]:
    """The outputs (nbformat-shaped dicts) one iopub message contributes; [] for status and the like."""
    kind = message["header"]["msg_type"]
    content = message["content"]
    outputs: list[dict] = []
    if kind == "stream":
        text, notice = budget.admit_text(content.get("text", ""))
        if text:
            outputs.append({"output_type": "stream", "name": content.get("name", "stdout"), "text": text})
        if notice:
            outputs.append(notice)
    elif kind in ("display_data", "update_display_data", "execute_result"):
        data, notice = budget.admit_bundle(content.get("data", {}))
        if data:
            output = {"output_type": kind, "data": data, "metadata": content.get("metadata", {})}
            if kind == "execute_result":
                output["execution_count"] = content.get("execution_count")
            outputs.append(output)
        if notice:
            outputs.append(notice)
    elif kind == "error":
        traceback = "\n".join(content.get("traceback", []))
        text, notice = budget.admit_text(traceback)
        outputs.append(
            {
                "output_type": "error",
                "ename": content.get("ename", "Error"),
                "evalue": content.get("evalue", ""),
                "traceback": (text or "").split("\n") if text else [],
            }
        )
        if notice:
            outputs.append(notice)
    elif kind == "clear_output":
        outputs.append({"output_type": "clear_output", "wait": content.get("wait", False)})
    return outputs
