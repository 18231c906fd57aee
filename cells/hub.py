"""Tell a student's other tabs what happens in their lesson session (runs, kernel state, saves).

In-process publish/subscribe: each open events stream is an asyncio queue keyed by
(who, lesson). `publish` may be called from the event loop or from a worker thread (sync views),
so it hands events over with `call_soon_threadsafe`. One ASGI process sees its own tabs only:
behind several processes, pin a user to one (sticky sessions) or replace this with a shared bus.
"""

import asyncio
import threading
from dataclasses import dataclass

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

    def unsubscribe(self, key: tuple, queue: asyncio.Queue) -> None:
        with self._lock:
            entries = self._subscribers.get(key, set())
            entries.difference_update({entry for entry in entries if entry[0] is queue})
            if not entries:
                self._subscribers.pop(key, None)

    def publish(self, key: tuple, name: str, data: dict, *, origin_tab: str) -> None:
        event = Event(name, data, origin_tab)
        with self._lock:
            targets = list(self._subscribers.get(key, ()))
        for queue, loop in targets:
            if loop.is_closed():
                continue
            loop.call_soon_threadsafe(_offer, queue, event)

    def subscribers(self, key: tuple) -> int:
        with self._lock:
            return len(self._subscribers.get(key, ()))


def _offer(queue: asyncio.Queue, event: Event) -> None:
    if not queue.full():
        queue.put_nowait(event)


hub = Hub()
