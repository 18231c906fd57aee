"""The relay's reading of ZMTP 3 (runner/zmtp_guard.py): messages counted whatever the chunks, cut past the
limit, anything but ZMTP 3 refused; and the relay itself between two real ZMQ sockets."""

import asyncio
import os
import socket
import stat

import pytest
import zmq
import zmq.asyncio

from runner.zmtp_guard import KernelRelay, MessageSizeCounter, StreamRefused, sweep_stale_directories

GREETING = b"\xff" + b"\x00" * 8 + b"\x7f" + bytes([3, 1]) + b"NULL".ljust(20, b"\x00") + b"\x00" + b"\x00" * 31
READY_BODY = b"\x05READY" + b"\x0bSocket-Type" + (3).to_bytes(4, "big") + b"PUB"
READY = bytes([0x04, len(READY_BODY)]) + READY_BODY


def frame(body: bytes, *, more: bool = False) -> bytes:
    flags = 0x01 if more else 0x00
    if len(body) > 255:
        return bytes([flags | 0x02]) + len(body).to_bytes(8, "big") + body
    return bytes([flags, len(body)]) + body


def message(*parts: bytes) -> bytes:
    return b"".join(frame(part, more=index < len(parts) - 1) for index, part in enumerate(parts))


def fed(stream: bytes, *, limit: int, chunk: int) -> MessageSizeCounter:
    counter = MessageSizeCounter(limit)
    for start in range(0, len(stream), chunk):
        counter.feed(stream[start : start + chunk])
    return counter


@pytest.mark.parametrize("chunk", [1, 2, 7, 64, 1 << 20])
def test_messages_are_counted_whatever_the_chunks(chunk):
    stream = GREETING + READY + message(b"a" * 10, b"b" * 300, b"") + message(b"c" * 1000) + message(b"d")
    counter = fed(stream, limit=1310 + 3 * 64, chunk=chunk)
    assert counter.messages == 3
    assert (counter.header, counter.body_left, counter.message_bytes) == (b"", 0, 0)


@pytest.mark.parametrize("chunk", [1, 5, 1 << 20])
def test_a_message_of_many_parts_is_cut_past_the_limit(chunk):
    stream = GREETING + READY + message(b"x" * 100) + b"".join(frame(b"y" * 300, more=True) for _ in range(4))
    with pytest.raises(StreamRefused, match="more than 1200 bytes"):
        fed(stream, limit=1200, chunk=chunk)
    fed(stream[: -(300 + 9)], limit=1200, chunk=chunk)  # three parts: 3 * (300 + 64) bytes, under the limit


def test_whole_frames_and_header_by_header_count_alike():
    """Headers wholly inside a chunk are read in one loop, the rest header by header: a seeded mix of short,
    long, empty and command frames, cut at random places, counts as when it comes byte by byte."""
    import random

    chance = random.Random(2026_12_06)
    parts = []
    for _ in range(400):
        kind = chance.random()
        if kind < 0.05:
            parts.append(READY)
        else:
            size = chance.choice([0, 1, 2, 9, 255, 256, 300, 1000])
            parts.append(message(*(b"z" * size for _ in range(chance.randint(1, 4)))))
    stream = GREETING + b"".join(parts)
    slow = fed(stream, limit=1 << 20, chunk=1)
    cuts = sorted(chance.sample(range(1, len(stream)), 300))
    fast = MessageSizeCounter(1 << 20)
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        fast.feed(stream[start:end])
    assert fast.messages == slow.messages == sum(part is not READY for part in parts)
    assert (fast.header, fast.body_left, fast.message_bytes) == (b"", 0, 0)
    with pytest.raises(StreamRefused, match="frame flags"):
        fed(GREETING + message(b"ok") + b"\x08\x00", limit=1 << 20, chunk=1 << 16)


def test_a_message_of_countless_empty_parts_is_cut():
    """Empty parts cost the host a message header each (review of 2026-12-06: 16 Mi of them grew it by 1 GiB)."""
    with pytest.raises(StreamRefused):
        fed(GREETING + b"\x01\x00" * 20_000, limit=1 << 20, chunk=1 << 16)


def test_a_long_frame_header_is_cut_before_its_body_arrives():
    counter = MessageSizeCounter(1 << 20)
    counter.feed(GREETING + bytes([0x02]) + (1 << 40).to_bytes(8, "big")[:4])
    with pytest.raises(StreamRefused):
        counter.feed((1 << 40).to_bytes(8, "big")[4:])


@pytest.mark.parametrize(
    "stream, reason",
    [
        (b"\x01" + GREETING[1:], "greeting"),  # a ZMTP 1.0 length-prefixed greeting
        (GREETING[:10] + bytes([2, 0]) + GREETING[12:], "greeting"),  # ZMTP 2.0: framed otherwise
        (GREETING + bytes([0x08, 1, 0]), "flags"),
        (GREETING + bytes([0x05, 1, 0]), "flags"),  # a command cannot have more parts
        (GREETING + bytes([0x06]) + (1 << 20).to_bytes(8, "big"), "command"),
    ],
)
def test_anything_but_zmtp_3_is_refused(stream, reason):
    with pytest.raises(StreamRefused, match=reason):
        MessageSizeCounter(1 << 30).feed(stream)


def test_the_relay_carries_zmq_both_ways_and_cuts_a_long_message(tmp_path):
    async def scenario():
        context = zmq.asyncio.Context()
        kernel = context.socket(zmq.ROUTER)
        kernel.bind(f"ipc://{tmp_path}/kernel-1")
        relay = KernelRelay(max_message_bytes=1 << 20)
        try:
            assert stat.S_IMODE(os.stat(relay.directory).st_mode) == 0o700
            path = await relay.endpoint(f"{tmp_path}/kernel-1", os.path.join(relay.directory, "k-1"))
            host = context.socket(zmq.DEALER)
            host.setsockopt(zmq.LINGER, 0)
            host.connect(f"ipc://{path}")
            await host.send_multipart([b"request", b"x" * 1000])
            identity, *request = await asyncio.wait_for(kernel.recv_multipart(), 5)
            assert request == [b"request", b"x" * 1000]
            await kernel.send_multipart([identity, b"reply", b"y" * 500_000])
            assert await asyncio.wait_for(host.recv_multipart(), 5) == [b"reply", b"y" * 500_000]
            assert relay.refused == ""
            await kernel.send_multipart([identity, *[b"z" * 400_000] * 3])  # 1.2 MB in all: over the limit
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(host.recv_multipart(), 1)
            assert "more than 1048576 bytes" in relay.refused
            host.close()
        finally:
            await relay.close()
            kernel.close(linger=0)
            context.term()
        assert not os.path.exists(relay.directory)

    asyncio.run(scenario())


def test_a_later_connection_reaches_the_socket_the_relay_pinned_not_what_is_at_its_path(tmp_path):
    """The kernel's code may put a symlink to any socket on the host where its socket was. A host that
    connects to the relay after that (a gateway's new channels) still reaches the kernel's own socket."""

    async def scenario():
        context = zmq.asyncio.Context()
        kernel, decoy = context.socket(zmq.ROUTER), context.socket(zmq.ROUTER)
        kernel.bind(f"ipc://{tmp_path}/kernel-1")
        decoy.bind(f"ipc://{tmp_path}/host-service")
        relay = KernelRelay(max_message_bytes=1 << 20)
        try:
            path = await relay.endpoint(f"{tmp_path}/kernel-1", os.path.join(relay.directory, "k-1"))
            os.rename(f"{tmp_path}/kernel-1", f"{tmp_path}/moved-away")
            os.symlink(f"{tmp_path}/host-service", f"{tmp_path}/kernel-1")
            host = context.socket(zmq.DEALER)
            host.setsockopt(zmq.LINGER, 0)
            host.connect(f"ipc://{path}")
            await host.send_multipart([b"hello"])
            _, body = await asyncio.wait_for(kernel.recv_multipart(), 5)
            assert body == b"hello"
            assert await decoy.poll(200) == 0
            host.close()
        finally:
            await relay.close()
            kernel.close(linger=0)
            decoy.close(linger=0)
            context.term()

    asyncio.run(scenario())


def test_a_relay_refuses_a_path_that_is_not_a_socket(tmp_path):
    async def scenario():
        (tmp_path / "kernel-1").write_text("not a socket")
        relay = KernelRelay(max_message_bytes=1 << 20)
        try:
            with pytest.raises(StreamRefused, match="not a socket"):
                await relay.endpoint(f"{tmp_path}/kernel-1", os.path.join(relay.directory, "k-1"))
            sock = socket.socket(socket.AF_UNIX)
            sock.bind(f"{tmp_path}/real")
            os.symlink(f"{tmp_path}/real", f"{tmp_path}/kernel-2")
            with pytest.raises(StreamRefused, match="not a socket"):  # a symlink is never followed, even to one
                await relay.endpoint(f"{tmp_path}/kernel-2", os.path.join(relay.directory, "k-2"))
        finally:
            sock.close()
            await relay.close()

    asyncio.run(scenario())


def test_relay_directories_of_dead_processes_are_swept(tmp_path):
    """A host killed with SIGKILL never closes its relays: the next one removes their directory. Those of
    live processes, and anything not named as a relay's, stay."""
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = tmp_path / f"plk-{gone.pid}-x1"
    live = tmp_path / f"plk-{os.getpid()}-x2"
    other = tmp_path / "plk-notapid-x3"
    for directory in (dead, live, other):
        directory.mkdir()
        (directory / "k-1").touch()
    assert sweep_stale_directories(str(tmp_path)) == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([live.name, other.name])


def test_a_relay_directory_is_named_by_its_process_and_removed_on_close():
    async def scenario():
        relay = KernelRelay(max_message_bytes=1024)
        assert os.path.basename(relay.directory).startswith(f"plk-{os.getpid()}-")
        await relay.close()
        return relay.directory

    assert not os.path.exists(asyncio.run(scenario()))


@pytest.mark.parametrize("version", [1, 2])
def test_an_older_version_is_refused_before_its_byte_is_forwarded(version):
    """The relay forwards each chunk once it is read: a greeting cut after its version byte must be refused
    then, not 53 bytes later, or the host would take what follows in ZMTP 1 or 2 framing."""
    counter = MessageSizeCounter(1 << 30)
    counter.feed(GREETING[:10])
    with pytest.raises(StreamRefused, match="greeting"):
        counter.feed(bytes([version]))
