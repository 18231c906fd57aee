"""The cells hub across web processes (cells/hub.RedisHub, the machine's Redis at 127.0.0.1:6379): each
hub here stands for one process's. An event published by one reaches the tabs of every other, once, and
from a worker thread too; with Redis gone, a process's own tabs still hear its events."""

import asyncio
import threading
import uuid

import pytest

from cells.hub import RedisHub

URL = "redis://127.0.0.1:6379/0?socket_connect_timeout=2"
KEY = ("user:7", 42)


@pytest.fixture
def channel():
    return f"panlearn:test:hub:{uuid.uuid4().hex}"  # a channel per test: test workers share the Redis


async def _next(queue: asyncio.Queue, seconds: float = 3.0):
    return await asyncio.wait_for(queue.get(), timeout=seconds)


async def test_an_event_reaches_the_tabs_of_another_process_once(channel):
    first, second = RedisHub(URL, channel), RedisHub(URL, channel)
    tab_on_first, tab_on_second = first.subscribe(KEY), second.subscribe(KEY)
    other_lesson = second.subscribe(("user:7", 43))
    await first.ready()
    await second.ready()
    second.publish(KEY, "status", {"state": "busy"}, origin_tab="tab-b")
    for tab in (tab_on_first, tab_on_second):
        event = await _next(tab)
        assert (event.name, event.data, event.origin_tab) == ("status", {"state": "busy"}, "tab-b")
    await asyncio.sleep(0.3)
    assert tab_on_first.empty() and tab_on_second.empty()  # once each, though it came back through Redis
    assert other_lesson.empty()


async def test_a_sync_view_publishes_from_its_worker_thread(channel):
    listening, publishing = RedisHub(URL, channel), RedisHub(URL, channel)
    tab = listening.subscribe(KEY)
    await listening.ready()
    thread = threading.Thread(target=publishing.publish, args=(KEY, "draft", {"cell_id": "c1"}),
                              kwargs={"origin_tab": "t"})  # fmt: skip
    thread.start()
    thread.join(5)
    assert (await _next(tab)).data == {"cell_id": "c1"}


async def test_without_redis_a_process_still_tells_its_own_tabs(channel):
    hub = RedisHub("redis://127.0.0.1:1/0?socket_connect_timeout=1", channel)  # nothing listens there
    tab = hub.subscribe(KEY)
    await asyncio.wait_for(hub.ready(), timeout=5)  # a stream does not hang on a Redis that is gone
    hub.publish(KEY, "status", {"state": "idle"}, origin_tab="t")
    assert (await _next(tab)).data == {"state": "idle"}


async def test_events_arrive_in_order_and_a_bad_message_stops_nothing(channel):
    import redis

    listening, publishing = RedisHub(URL, channel), RedisHub(URL, channel)
    tab = listening.subscribe(KEY)
    await listening.ready()
    redis.Redis.from_url(URL).publish(channel, b"not json")  # another program on the same Redis, say
    redis.Redis.from_url(URL).publish(channel, b'{"key": 1}')
    for number in range(50):  # from the event loop's thread, as an async view publishes: never blocks it
        publishing.publish(KEY, "output", {"n": number}, origin_tab="t")
    assert [(await _next(tab)).data["n"] for _ in range(50)] == list(range(50))
