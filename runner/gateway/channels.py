"""One WebSocket to a kernel's channels, speaking the Jupyter message protocol as JSON."""

import contextlib
import json
import time
import uuid

import aiohttp

from ..iopub import parent_id
from .config import PROTOCOL_VERSION, READY_ROUND


class ChannelClosed(Exception):
    pass


class Channels:
    """One WebSocket to a kernel's channels, speaking the legacy JSON message protocol."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse):
        self.ws = ws
        self.session = uuid.uuid4().hex

    async def send(self, msg_type: str, content: dict, channel: str = "shell") -> str:
        msg_id = uuid.uuid4().hex
        message = {
            "header": {
                "msg_id": msg_id,
                "msg_type": msg_type,
                "username": "panlearn",
                "session": self.session,
                "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "version": PROTOCOL_VERSION,
            },
            "parent_header": {},
            "metadata": {},
            "content": content,
            "channel": channel,
            "buffers": [],
        }
        try:
            await self.ws.send_str(json.dumps(message))
        except (aiohttp.ClientError, ConnectionError, RuntimeError) as error:
            raise ChannelClosed() from error
        return msg_id

    async def receive(self, timeout: float) -> dict | None:
        """The next message, None when `timeout` passes first; ChannelClosed when the socket ends."""
        try:
            frame = await self.ws.receive(timeout=max(timeout, 0.001))  # 0 would mean "no timeout"
        except TimeoutError:
            return None
        if frame.type == aiohttp.WSMsgType.TEXT:
            try:
                message = json.loads(frame.data)
            except ValueError:
                return {}
            return message if isinstance(message, dict) else {}
        if frame.type == aiohttp.WSMsgType.BINARY:
            return {}  # messages with binary buffers (comms, widgets): no output of ours
        raise ChannelClosed()

    async def ready(self, timeout: float) -> bool:
        """Whether the kernel answers a kernel_info_request on control (answered even while a cell runs)
        and its iopub messages reach this socket (a new subscription can miss the first ones)."""
        sent: set[str] = set()
        heard: set[str] = set()
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                sent.add(await self.send("kernel_info_request", {}, channel="control"))
                round_end = min(deadline, time.monotonic() + READY_ROUND)
                while (remaining := round_end - time.monotonic()) > 0:
                    message = await self.receive(remaining)
                    if message and parent_id(message) in sent:
                        heard.add(message.get("channel", ""))
                    if {"control", "iopub"} <= heard:
                        return True
        except ChannelClosed:
            pass
        return False

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close()
