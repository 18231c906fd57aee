"""Tell a student's other tabs what happens in their lesson session (runs, kernel state, saves).

Publish/subscribe keyed by (who, lesson): each open events stream is an asyncio queue. `publish` may be
called from the event loop or from a worker thread (sync views), so events are handed over with
`call_soon_threadsafe`.

`Hub` keeps to one process: it sees its own tabs only. `RedisHub` (PANLEARN_CELLS_HUB_URL) spans every
web process: a publish goes to one Redis channel, each process listens to it and hands what it hears to
its own tabs, so a student's tabs hear their runs whichever process serves each of them. Every process
hears every student's events: fine for a school's or a facility's traffic, and what a sharded channel
per key would save when it is not.
"""

import asyncio
import json
import logging
import threading
from dataclasses import dataclass

from django.conf import settings

logger = logging.getLogger(__name__)
QUEUE_LIMIT = 1000  # a stream that stops reading loses events rather than growing without bound


@dataclass(frozen=True)
class Event:
    name: str
    data: dict
    origin_tab: str


class Hub:
    def __init__(self):
        self._lock = threading.Lock()
        self._subscribers: dict[tuple, set[tuple[asyncio.Queue, asyncio.AbstractEventLoop]]] = {}

    def subscribe(self, key: tuple) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_LIMIT)
        with self._lock:
            self._subscribers.setdefault(key, set()).add((queue, asyncio.get_running_loop()))
        return queue

    async def ready(self) -> None:
        """Returns once what is published from now on reaches this process's subscribers."""

    def unsubscribe(self, key: tuple, queue: asyncio.Queue) -> None:
        with self._lock:
            entries = self._subscribers.get(key, set())
            entries.difference_update({entry for entry in entries if entry[0] is queue})
            if not entries:
                self._subscribers.pop(key, None)

    def publish(self, key: tuple, name: str, data: dict, *, origin_tab: str) -> None:
        self._deliver(key, Event(name, data, origin_tab))

    def _deliver(self, key: tuple, event: Event) -> None:
        """To this process's subscribers of `key`."""
        with self._lock:
            targets = list(self._subscribers.get(key, ()))
        for queue, loop in targets:
            try:
                loop.call_soon_threadsafe(_offer, queue, event)
            except RuntimeError:  # its loop has closed meanwhile: that stream is gone
                continue

    def subscribers(self, key: tuple) -> int:
        with self._lock:
            return len(self._subscribers.get(key, ()))


class RedisHub(Hub):
    """Every web process's tabs, through one Redis pub/sub channel. Each process listens once per event
    loop; an event comes back to the process that published it through Redis too, so every process
    delivers each event exactly once.

    Publishing never blocks the caller (an async view's event loop): events go, in order, through one
    thread of this hub's that sends them to Redis with short timeouts and no retries. When Redis cannot
    take one, it reaches the tabs of its own process only. The listener connects again after a second, and
    a message it cannot read is skipped, never the end of it. Redis must be private to the site: what comes
    over the channel is shown in students' tabs."""

    SEND_TIMEOUT_S = 0.5
    BACKLOG = 10_000  # events waiting for Redis; beyond, they reach this process's tabs only

    def __init__(self, url: str, channel: str = "panlearn:cells:hub"):
        import queue

        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        super().__init__()
        self._url, self._channel = url, channel
        self._publisher = redis.Redis.from_url(url, socket_timeout=self.SEND_TIMEOUT_S,
                                               socket_connect_timeout=self.SEND_TIMEOUT_S,
                                               retry=Retry(NoBackoff(), 0))  # fmt: skip
        self._outbox: queue.Queue = queue.Queue(maxsize=self.BACKLOG)
        self._sender: threading.Thread | None = None
        self._listeners: dict[asyncio.AbstractEventLoop, tuple[asyncio.Task, asyncio.Event]] = {}

    def subscribe(self, key: tuple) -> asyncio.Queue:
        queue = super().subscribe(key)
        self._listener(asyncio.get_running_loop())
        return queue

    async def ready(self) -> None:
        _task, subscribed = self._listener(asyncio.get_running_loop())
        await subscribed.wait()

    def publish(self, key: tuple, name: str, data: dict, *, origin_tab: str) -> None:
        import queue

        with self._lock:
            if self._sender is None or not self._sender.is_alive():
                self._sender = threading.Thread(target=self._send, name="cells-hub-sender", daemon=True)
                self._sender.start()
        try:
            self._outbox.put_nowait((key, Event(name, data, origin_tab)))
        except queue.Full:
            self._deliver(key, Event(name, data, origin_tab))

    def _send(self) -> None:
        import redis

        while True:
            key, event = self._outbox.get()
            message = json.dumps({"key": list(key), "name": event.name, "data": event.data,
                                  "origin_tab": event.origin_tab})  # fmt: skip
            try:
                self._publisher.publish(self._channel, message)
            except redis.RedisError:
                logger.warning("the cells hub cannot reach Redis: this event reaches this process's tabs only")
                self._deliver(key, event)

    def _listener(self, loop: asyncio.AbstractEventLoop) -> tuple[asyncio.Task, asyncio.Event]:
        with self._lock:
            listener = self._listeners.get(loop)
            if listener is None or listener[0].done():
                subscribed = asyncio.Event()
                listener = self._listeners[loop] = (loop.create_task(self._listen(subscribed)), subscribed)
        return listener

    async def _listen(self, subscribed: asyncio.Event) -> None:
        import redis.asyncio

        while True:
            client = redis.asyncio.Redis.from_url(self._url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    async for message in pubsub.listen():
                        if message["type"] == "subscribe":
                            subscribed.set()  # Redis has confirmed: what is published from now on comes here
                        elif message["type"] == "message":
                            self._heard(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("the cells hub lost Redis; listening again in a second", exc_info=True)
                subscribed.set()  # streams do not wait on it: their own process's failed sends still reach them
                await asyncio.sleep(1)
            finally:
                await client.aclose()

    def _heard(self, raw: bytes) -> None:
        try:
            body = json.loads(raw)
            key, event = tuple(body["key"]), Event(body["name"], body["data"], body["origin_tab"])
        except (ValueError, KeyError, TypeError):
            logger.warning("the cells hub skipped a message it cannot read on %s", self._channel)
            return
        self._deliver(key, event)


def _offer(queue: asyncio.Queue, event: Event) -> None:
    if not queue.full():
        queue.put_nowait(event)


def hub_from_settings() -> Hub:
    url = settings.PANLEARN_CELLS_HUB_URL
    return RedisHub(url, settings.PANLEARN_CELLS_HUB_CHANNEL) if url else Hub()


hub = hub_from_settings()
