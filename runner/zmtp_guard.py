"""A relay between the host's ZMQ sockets and a kernel's that stops a message over the size limit while it
streams, before the host holds it.

ZMQ's MAXMSGSIZE limits each part of a message, not the message: libzmq keeps every part of a
multi-part message in memory until its last part arrives, and only then lets anyone read it. A kernel
that sent forty 8 MiB parts and never the last grew the host by 328 MiB (review of 2026-12-04). So the
host's sockets connect to this relay, in the host's own event loop, and the relay connects to the
kernel's. It forwards every byte unchanged, reading the frames' headers (ZMTP 3, RFC 37) of what the
kernel sends to count each message's size; when a message passes `max_message_bytes`, or the stream
is not ZMTP 3, it closes both connections. The host then sees its connection to the kernel lost, as
when one part was too large, and replaces the kernel. What the host sends goes through unread.

The relay listens in a directory of the host's own (mode 0700), which no sandbox and no other user can
reach, and connects to the kernel's socket once, when the host connects: like the host, it never
follows the kernel's path again.
"""

import asyncio
import contextlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

# The largest message (all its parts) a host takes from a kernel. Kept outputs (256 KiB of text, 4 MiB
# images) fit several times over.
MAX_MESSAGE_BYTES = 16 << 20
GREETING_BYTES = 64  # ZMTP 3: signature (10), version (2), mechanism (20), as-server (1), filler (31)
MORE, LONG, COMMAND = 0x01, 0x02, 0x04
PART_OVERHEAD_BYTES = 64
MAX_COMMAND_BYTES = 64 << 10  # READY with its metadata, PING/PONG: small
# What the relay reads at once: parsing 64 KiB of the tiniest frames holds the host's event loop ~25 ms.
CHUNK_BYTES = 64 << 10


class StreamRefused(Exception):
    """The kernel's stream broke the size limit or is not ZMTP 3."""


class MessageSizeCounter:
    """Reads the frame headers of a ZMTP 3 stream, in chunks of any size, and raises StreamRefused when a
    message (all its parts) or a command passes its limit. Keeps at most 9 bytes of a header: never a frame."""

    def __init__(self, max_message_bytes: int):
        self.max_message_bytes = max_message_bytes
        self.greeting_left = GREETING_BYTES
        self.greeting = b""
        self.header = b""
        self.body_left = 0
        self.message_bytes = 0
        self.messages = 0

    def feed(self, data: bytes) -> None:
        view, position = memoryview(data), 0
        while position < len(view):
            if not self.greeting_left and not self.body_left and not self.header:
                position = self._read_whole_frames(data, position)
                if position >= len(view):
                    break
            if self.greeting_left:
                taken = bytes(view[position : position + self.greeting_left])
                self.greeting += taken
                self.greeting_left -= len(taken)
                position += len(taken)
                self._check_greeting()
            elif self.body_left:
                taken = min(self.body_left, len(view) - position)
                self.body_left -= taken
                position += taken
            else:
                position = self._read_header(view, position)

    def _read_whole_frames(self, data: bytes, position: int) -> int:
        """The frames whose header lies wholly in `data`, in one loop over local names: a kernel sending
        countless tiny frames costs the host's event loop a few times less than header by header. Stops at
        a header cut by the chunk's end, or a body that runs past it, for `feed` to carry on."""
        end, limit = len(data), self.max_message_bytes
        message_bytes, messages = self.message_bytes, self.messages
        try:
            while position < end:
                flags = data[position]
                if flags & ~(MORE | LONG | COMMAND) or (flags & COMMAND and flags & MORE):
                    raise StreamRefused(f"frame flags {flags:#x}")
                if flags & LONG:
                    if position + 9 > end:
                        break
                    size = int.from_bytes(data[position + 1 : position + 9], "big")
                    position += 9
                else:
                    if position + 2 > end:
                        break
                    size = data[position + 1]
                    position += 2
                if flags & COMMAND:
                    if size > MAX_COMMAND_BYTES:
                        raise StreamRefused(f"a command of {size} bytes")
                else:
                    message_bytes += size + PART_OVERHEAD_BYTES  # as in _read_header
                    if message_bytes > limit:
                        raise StreamRefused(f"a message of more than {limit} bytes")
                    if not flags & MORE:
                        message_bytes = 0
                        messages += 1
                if position + size > end:
                    self.body_left = position + size - end
                    return end
                position += size
        finally:
            self.message_bytes, self.messages = message_bytes, messages
        return position

    def _check_greeting(self) -> None:
        """The bytes that decide the protocol, as soon as each arrives: the relay forwards a chunk once it is
        read, and a version byte of 1 or 2 passed on in a chunk of its own would make the host read what
        follows in another framing than the one counted here."""
        for index, expected in ((0, 0xFF), (9, 0x7F), (10, 3)):
            if len(self.greeting) > index and self.greeting[index] != expected:
                raise StreamRefused("not a ZMTP 3 greeting")

    def _read_header(self, view: memoryview, position: int) -> int:
        needed = 1 if not self.header else (9 if self.header[0] & LONG else 2)
        taken = bytes(view[position : position + needed - len(self.header)])
        self.header += taken
        position += len(taken)
        if len(self.header) == 1:
            flags = self.header[0]
            if flags & ~(MORE | LONG | COMMAND) or (flags & COMMAND and flags & MORE):
                raise StreamRefused(f"frame flags {flags:#x}")
            return position
        if len(self.header) < (9 if self.header[0] & LONG else 2):
            return position
        flags, size = self.header[0], int.from_bytes(self.header[1:], "big")
        self.header = b""
        if flags & COMMAND:
            if size > MAX_COMMAND_BYTES:
                raise StreamRefused(f"a command of {size} bytes")
        else:
            # Each part costs the host its size and a message header (libzmq's msg_t, 64 bytes), so a message
            # of countless empty parts is cut too.
            self.message_bytes += size + PART_OVERHEAD_BYTES
            if self.message_bytes > self.max_message_bytes:
                raise StreamRefused(f"a message of more than {self.max_message_bytes} bytes")
            if not flags & MORE:
                self.message_bytes = 0
                self.messages += 1
        self.body_left = size
        return position


DIRECTORY_PREFIX = "plk-"
_swept: list[bool] = []


def sweep_stale_directories(root: str | None = None) -> int:
    """Remove the relay directories of processes that are gone: a host killed (SIGKILL, the OOM killer)
    never closed its relays, and their sockets would stay in /tmp for good. Those of live processes stay,
    whoever they are (a reused pid keeps a stale one: safe, if untidy)."""
    removed = 0
    for path in Path(root or tempfile.gettempdir()).glob(f"{DIRECTORY_PREFIX}*-*"):
        pid = path.name.removeprefix(DIRECTORY_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists() and path.lstat().st_uid == os.getuid():
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


def _sweep_stale_directories_once() -> None:
    if not _swept:
        _swept.append(True)
        with contextlib.suppress(OSError):
            sweep_stale_directories()


class KernelRelay:
    """One kernel's relays: `endpoint(path)` is the socket path the host connects to instead of the kernel's
    `path`. `refused` tells whether a relay cut a stream (the host's connection then closes)."""

    def __init__(self, *, max_message_bytes: int):
        self.max_message_bytes = max_message_bytes
        _sweep_stale_directories_once()
        # Mode 0700; short, for the 108-byte socket paths; named by this process, for the sweep.
        self.directory = tempfile.mkdtemp(prefix=f"{DIRECTORY_PREFIX}{os.getpid()}-")
        self.refused: str = ""
        self._servers: list[asyncio.AbstractServer] = []
        self._tasks: set[asyncio.Task] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._descriptors: list[int] = []  # O_PATH, one per kernel socket (endpoint)

    async def relayed(self, connection: dict) -> dict:
        """An ipc connection (`launch.ipc_connection`, as the host reaches it) whose every endpoint is a relay."""
        prefix = os.path.join(self.directory, "k")
        for name in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"):
            port = connection[name]
            await self.endpoint(f"{connection['ip']}-{port}", f"{prefix}-{port}")
        return {**connection, "ip": prefix}

    async def endpoint(self, kernel_path: str, path: str) -> str:
        """Relay `path` to the kernel's socket at `kernel_path` as it is now. The socket is pinned by an
        O_PATH descriptor and every later connection goes through that: a host that connects again (the
        provisioner's clients do, whenever a gateway opens new channels) reaches the same socket, never a
        symlink the kernel's code has put at its path since."""
        descriptor = os.open(kernel_path, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC)
        self._descriptors.append(descriptor)
        if not stat.S_ISSOCK(os.fstat(descriptor).st_mode):
            raise StreamRefused(f"{kernel_path} is not a socket")
        pinned = f"/proc/self/fd/{descriptor}"

        async def relay(host_reader: asyncio.StreamReader, host_writer: asyncio.StreamWriter) -> None:
            await self._relay(pinned, host_reader, host_writer)

        self._servers.append(await asyncio.start_unix_server(relay, path=path))
        return path

    async def _relay(self, kernel_path, host_reader, host_writer) -> None:
        self._writers.add(host_writer)
        try:
            kernel_reader, kernel_writer = await asyncio.open_unix_connection(kernel_path)
        except OSError:
            host_writer.close()
            return
        self._writers.add(kernel_writer)
        counter = MessageSizeCounter(self.max_message_bytes)
        to_host = asyncio.ensure_future(self._pump(kernel_reader, host_writer, counter))
        to_kernel = asyncio.ensure_future(self._pump(host_reader, kernel_writer, None))
        self._tasks |= {to_host, to_kernel}
        try:
            await asyncio.wait({to_host, to_kernel}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (to_host, to_kernel):
                task.cancel()
                self._tasks.discard(task)
            for writer in (host_writer, kernel_writer):
                writer.close()
                self._writers.discard(writer)

    async def _pump(self, reader, writer, counter: MessageSizeCounter | None) -> None:
        while data := await reader.read(CHUNK_BYTES):
            if counter is not None:
                try:
                    counter.feed(data)
                except StreamRefused as refusal:
                    self.refused = str(refusal)
                    return
            writer.write(data)
            await writer.drain()

    async def close(self) -> None:
        for server in self._servers:
            server.close()
        for task in list(self._tasks):
            task.cancel()
        for writer in list(self._writers):
            writer.close()
        self._servers, self._tasks, self._writers = [], set(), set()
        for descriptor in self._descriptors:
            with contextlib.suppress(OSError):
                os.close(descriptor)
        self._descriptors = []
        with contextlib.suppress(OSError):
            shutil.rmtree(self.directory)
