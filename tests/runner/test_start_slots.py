"""Kernels started for students who found no warm one: a few at a time, in the order the students came; and
the queue of a full host, first come, first served.

After a host's loss the load test had 55 students start a kernel at once on the other host: sharing the
CPU, each start took 20 s. Started a few at a time, the first students have theirs in a fraction of that.
"""

import asyncio

import pytest

from runner.exceptions import PoolExhausted
from tests.runner.recording_pool import RecordingKernel, recording_pool


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0.01)


def within_ten_seconds(scenario) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 10))  # a student left waiting fails, not hangs


async def one_student_holding_the_only_slot(made: list, **settings):
    """A pool of one start slot, no warm kernel, and a first student whose kernel is starting (made[0],
    until its gate is set): the pool and that student's request."""
    pool = recording_pool(made, gate_each=True, target_size=0, start_concurrency=1, **settings)
    first = asyncio.create_task(pool.acquire(timeout=5))
    await settle()
    return pool, first


async def started_for(made: list, student: asyncio.Task):
    """Let the latest start end: the kernel the student gets."""
    await settle()
    made[-1].gate.set()
    return await student


def test_cold_starts_run_a_few_at_a_time_and_students_get_them_in_order():
    async def scenario():
        made: list[RecordingKernel] = []
        pool = recording_pool(made, gate_each=True, target_size=0, max_kernels=10, start_concurrency=2)
        students = [asyncio.create_task(pool.acquire(timeout=5)) for _ in range(5)]
        await settle()
        assert len(made) == 2, "more cold starts at once than the host's start slots"
        assert pool.starting == 2 and pool.waiting_to_start == 3
        made[1].gate.set()  # the second start ends first: its slot goes to the third student, not a fourth start
        await settle()
        assert await students[1] is made[1]
        assert len(made) == 3 and pool.waiting_to_start == 2
        while not all(student.done() for student in students):  # let every start end, as they come
            for kernel in made:
                kernel.gate.set()
            await settle()
        given = [student.result() for student in students]
        assert given == [made[0], made[1], made[2], made[3], made[4]], "students served out of their order"
        assert pool.waiting_to_start == 0 and pool.starting == 0
        await pool.close()

    within_ten_seconds(scenario)


def test_a_student_waiting_for_a_start_slot_takes_a_warm_kernel_that_comes_first():
    async def scenario():
        made: list[RecordingKernel] = []
        pool, first = await one_student_holding_the_only_slot(made, max_kernels=10)
        second = asyncio.create_task(pool.acquire(timeout=5))
        await settle()
        assert len(made) == 1 and pool.waiting_to_start == 1
        warm = RecordingKernel()
        pool.idle[()].append(warm)  # as the refill delivers one
        made[0].gate.set()
        assert await first is made[0]
        assert await second is warm
        assert len(made) == 1, "a kernel was started although a warm one was there"
        await pool.close()

    within_ten_seconds(scenario)


def test_a_student_who_waits_past_the_deadline_for_a_slot_is_told_the_host_is_busy():
    async def scenario():
        made: list[RecordingKernel] = []
        pool, first = await one_student_holding_the_only_slot(made, max_kernels=10)
        with pytest.raises(PoolExhausted):
            await pool.acquire(timeout=0.1)
        assert pool.waiting_to_start == 0
        made[0].gate.set()
        assert await first is made[0]
        third = asyncio.create_task(pool.acquire(timeout=5))  # the slot the late student gave up is free
        assert await started_for(made, third) is made[1]
        await pool.close()

    within_ten_seconds(scenario)


def test_the_refill_leaves_the_place_of_a_student_waiting_for_a_start_slot():
    async def scenario():
        made: list[RecordingKernel] = []
        pool, first = await one_student_holding_the_only_slot(made, max_kernels=2)
        second = asyncio.create_task(pool.acquire(timeout=5))
        await settle()
        assert pool.waiting_to_start == 1  # the host has room for them: the place is theirs
        pool.target_size = 2  # the refill would warm a kernel in the last place
        pool._refill_wakeup.set()
        await settle()
        assert len(made) == 1 and pool.total == 1, "the refill took the place promised to the second student"
        made[0].gate.set()
        assert await first is made[0]
        assert await started_for(made, second) is made[1]  # with the slot, a start in their place
        await pool.close()

    within_ten_seconds(scenario)


def test_a_student_who_leaves_while_waiting_for_a_slot_frees_their_place():
    async def scenario():
        made: list[RecordingKernel] = []
        pool, first = await one_student_holding_the_only_slot(made, max_kernels=10)
        gone = asyncio.create_task(pool.acquire(timeout=5))
        await settle()
        assert pool.waiting_to_start == 1
        gone.cancel()  # the request went away (a closed tab)
        await settle()
        assert pool.waiting_to_start == 0
        made[0].gate.set()
        assert await first is made[0]
        third = asyncio.create_task(pool.acquire(timeout=5))
        await settle()
        assert len(made) == 2, "the slot was lost with the student who left"
        assert await started_for(made, third) is made[1]
        await pool.close()

    within_ten_seconds(scenario)


def test_the_host_refuses_to_start_without_a_start_slot():
    with pytest.raises(ValueError, match="START_CONCURRENCY"):
        recording_pool([], target_size=0, max_kernels=1, start_concurrency=0)


async def a_full_host_and_its_queue(made: list, waiting: int, *, gap: float = 0.0):
    """A host of one kernel, held by a first student, and `waiting` students queued behind, `gap` seconds
    apart: the pool, the kernel held, and the queued students' requests in the order they came."""
    pool = recording_pool(made, target_size=0, max_kernels=1)
    held = await pool.acquire(timeout=5)
    queued = []
    for _ in range(waiting):
        queued.append(asyncio.create_task(pool.acquire(timeout=8)))
        await settle()
        await asyncio.sleep(gap)
    assert pool.queue_length() == waiting
    return pool, held, queued


def test_students_in_the_queue_keep_their_places_however_long_they_wait():
    async def scenario():
        made: list[RecordingKernel] = []
        # Half a second apart, and past the second after which each looks again: a student who looked again
        # used to go to the back, behind those who came after them.
        pool, held, (second, third) = await a_full_host_and_its_queue(made, 2, gap=0.6)
        await asyncio.sleep(0.6)
        await pool.release(held)
        assert await second is made[1], "the second student was overtaken by the third"
        await settle()
        assert not third.done() and pool.queue_length() == 1
        await pool.release(made[1])
        assert await third is made[2]
        await pool.close()

    within_ten_seconds(scenario)


def test_a_student_who_comes_later_takes_no_warm_kernel_that_someone_in_the_queue_waits_for():
    async def scenario():
        made: list[RecordingKernel] = []
        pool, held, (second,) = await a_full_host_and_its_queue(made, 1)
        warm = RecordingKernel()
        pool.idle[()].append(warm)  # as a refill delivers one, before the student in the queue looks again
        later = asyncio.create_task(pool.acquire(timeout=5))
        assert await second is warm
        await settle()
        assert not later.done(), "the later student took the kernel the queued one waited for"
        await pool.release(warm)  # (one more than the host's ceiling, put there by hand)
        await pool.release(held)
        assert await later is made[1]
        await pool.close()

    within_ten_seconds(scenario)


def test_a_place_that_comes_free_goes_to_the_queue_before_a_student_who_comes_at_that_moment():
    async def scenario():
        made: list[RecordingKernel] = []
        pool, held, (second,) = await a_full_host_and_its_queue(made, 1)
        await pool.release(held)
        await asyncio.sleep(0)  # the kernel is gone: its place is free, and the queued student woken
        await asyncio.sleep(0)
        later = asyncio.create_task(pool.acquire(timeout=5))  # before the woken student has looked again
        assert await second is made[1]
        await settle()
        assert not later.done(), "the later student took the place the queued one was woken for"
        await pool.release(made[1])
        assert await later is made[2]
        await pool.close()

    within_ten_seconds(scenario)


def test_a_queued_student_is_told_their_place_and_each_move():
    async def scenario():
        made: list[RecordingKernel] = []
        pool, held, (second,) = await a_full_host_and_its_queue(made, 1)
        told: list[int] = []

        async def on_queue(place: int) -> None:
            told.append(place)

        third = asyncio.create_task(pool.acquire(timeout=5, on_queue=on_queue))
        await settle()
        assert told == [2]
        await pool.release(held)
        assert await second is made[1]
        await asyncio.sleep(1.2)  # a student looks again each second, or when woken
        assert told == [2, 1] and not third.done()
        await pool.release(made[1])
        assert await third is made[2]
        assert told == [2, 1]
        await pool.close()

    within_ten_seconds(scenario)


def test_students_who_could_not_start_are_served_in_the_order_they_came():
    async def scenario():
        made: list[RecordingKernel] = []
        # One start slot, places for two: the first two students start (one waits for the slot); the next
        # two queue. They used to wait for the slot too, find the host full, and go back to the queue's
        # head each, the last first.
        pool = recording_pool(made, gate_each=True, target_size=0, max_kernels=2, start_concurrency=1)
        students = []
        for _ in range(4):
            students.append(asyncio.create_task(pool.acquire(timeout=8)))
            await settle()
        made[0].gate.set()
        assert await students[0] is made[0]
        assert await started_for(made, students[1]) is made[1]
        await settle()
        assert pool.queue_length() == 2 and not students[2].done() and not students[3].done()
        await pool.release(made[0])
        assert await started_for(made, students[2]) is made[2], "the fourth student went before the third"
        await pool.release(made[1])
        assert await started_for(made, students[3]) is made[3]
        await pool.close()

    within_ten_seconds(scenario)


def test_two_places_that_come_free_at_once_serve_two_queued_students_at_once():
    async def scenario():
        made: list[RecordingKernel] = []
        pool = recording_pool(made, target_size=0, max_kernels=2)
        held = [await pool.acquire(timeout=5), await pool.acquire(timeout=5)]
        queued = [asyncio.create_task(pool.acquire(timeout=8)) for _ in range(2)]
        await settle()
        assert pool.queue_length() == 2
        for kernel in held:
            await pool.release(kernel)
        # Both woken now, not the second at its next look a second later (both wakes went to the first).
        given = await asyncio.wait_for(asyncio.gather(*queued), 0.5)
        assert given == [made[2], made[3]]
        await pool.close()

    within_ten_seconds(scenario)


def test_the_refill_does_not_take_the_place_a_student_queued_for_other_datasets_needs():
    async def scenario():
        made: list[RecordingKernel] = []
        pool = recording_pool(made, target_size=1, max_kernels=1)
        await pool.fill(timeout=5)
        with_data = asyncio.create_task(pool.acquire((("beamline", "/data/x"),), timeout=3))
        await settle()
        assert pool.queue_length() == 1  # the host is full with the warm kernel
        plain = await pool.acquire(timeout=1)  # a student who needs no data takes the warm one
        await settle()
        assert pool.starting == 0, "the refill took the place the student with data waits for"
        await pool.release(plain)  # the place comes free: theirs, not a warm kernel's
        assert await with_data is made[-1]
        assert len(made) == 2
        await pool.close()

    within_ten_seconds(scenario)
