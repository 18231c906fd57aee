"""Tell a student's other tabs what happens in their lesson session (runs, kernel state, saves).

Publish/subscribe keyed by (who, lesson): each open events stream is an asyncio queue. `publish` may be
called from the event loop or from a worker thread (sync views), so events are handed over with
`call_soon_threadsafe`.

`Hub` keeps to one process: it sees its own tabs only. `RedisHub` (PANLEARN_CELLS_HUB_URL) spans every
web process: a publish goes to one Redis channel, each process listens to it and hands what it hears to
its own tabs, so a student's tabs hear their runs whichever process serves each of them.
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
            if loop.is_closed():
                continue
            loop.call_soon_threadsafe(_offer, queue, event)

    def subscribers(self, key: tuple) -> int:
        with self._lock:
            return len(self._subscribers.get(key, ()))


class RedisHub(Hub):
    """Every web process's tabs, through one Redis pub/sub channel. Each process listens once per event
    loop; an event comes back to the process that published it through Redis too, so every process
    delivers each event exactly once. When Redis cannot be reached, a publish still reaches the tabs of
    its own process, and the listener connects again."""

    def __init__(self, url: str, channel: str = "panlearn:cells:hub"):
        import redis

        super().__init__()
        self._url, self._channel = url, channel
        self._publisher = redis.Redis.from_url(url)  # its pool serves every thread
        self._listeners: dict[asyncio.AbstractEventLoop, tuple[asyncio.Task, asyncio.Event]] = {}

    def subscribe(self, key: tuple) -> asyncio.Queue:
        queue = super().subscribe(key)
        self._listener(asyncio.get_running_loop())
        return queue

    async def ready(self) -> None:
        _task, subscribed = self._listener(asyncio.get_running_loop())
        await subscribed.wait()

    def publish(self, key: tuple, name: str, data: dict, *, origin_tab: str) -> None:
        import redis

        message = json.dumps({"key": list(key), "name": name, "data": data, "origin_tab": origin_tab})
        try:
            self._publisher.publish(self._channel, message)
        except redis.RedisError:
            logger.warning("the cells hub cannot reach Redis: this event reaches this process's tabs only")
            self._deliver(key, Event(name, data, origin_tab))

    def _listener(self, loop: asyncio.AbstractEventLoop) -> tuple[asyncio.Task, asyncio.Event]:
        with self._lock:
            listener = self._listeners.get(loop)
            if listener is None or listener[0].done():
                subscribed = asyncio.Event()
                listener = self._listeners[loop] = (loop.create_task(self._listen(subscribed)), subscribed)
        return listener

    async def _listen(self, subscribed: asyncio.Event) -> None:
        import redis
        import redis.asyncio

        while True:
            client = redis.asyncio.Redis.from_url(self._url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    subscribed.set()
                    async for message in pubsub.listen():
                        if message["type"] == "message":
                            body = json.loads(message["data"])
                            event = Event(body["name"], body["data"], body["origin_tab"])
                            self._deliver(tuple(body["key"]), event)
            except (redis.RedisError, OSError):
                logger.warning("the cells hub lost Redis; listening again in a second")
                subscribed.set()  # streams do not wait on it: they get their own process's events meanwhile
                await asyncio.sleep(1)
            finally:
                await client.aclose()


def _offer(queue: asyncio.Queue, event: Event) -> None:
    if not queue.full():
        queue.put_nowait(event)


def hub_from_settings() -> Hub:
    url = settings.PANLEARN_CELLS_HUB_URL
    return RedisHub(url, settings.PANLEARN_CELLS_HUB_CHANNEL) if url else Hub()


hub = hub_from_settings()
