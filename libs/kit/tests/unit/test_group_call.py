"""kit.group_commit.GroupCall: concurrent calls run in batches, each caller getting its own outcome."""

from __future__ import annotations

import asyncio

import pytest

from kit.errors import Conflict
from kit.group_commit import GroupCall


class Odd(Conflict):
    code, title = "test.odd", "Odd numbers are refused"


class Recorder:
    def __init__(self, *, fail_when: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.fail_when = fail_when

    async def run(self, items: list[int]) -> list[int | BaseException]:
        self.batches.append(list(items))
        await asyncio.sleep(0)  # the batch is in flight: later calls gather meanwhile
        if self.fail_when is not None and self.fail_when in items and len(items) > 1:
            raise RuntimeError("the batch's transaction failed")
        if self.fail_when is not None and items == [self.fail_when]:
            raise RuntimeError(f"item {self.fail_when} breaks any batch")
        return [Odd(f"{i} is odd") if i % 2 else i * 10 for i in items]


async def test_calls_arriving_while_a_batch_runs_form_the_next_one_and_each_gets_its_own_outcome() -> None:
    recorder = Recorder()
    calls = GroupCall(recorder.run, max_batch=4)
    outcomes = await asyncio.gather(*(calls.submit(i) for i in range(10)), return_exceptions=True)
    assert [o if isinstance(o, int) else type(o) for o in outcomes] == [0, Odd, 20, Odd, 40, Odd, 60, Odd, 80, Odd]
    assert recorder.batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]  # at most 4, the rest in the next


async def test_a_batch_that_fails_is_run_again_one_item_at_a_time() -> None:
    recorder = Recorder(fail_when=3)
    calls = GroupCall(recorder.run, max_batch=10)
    outcomes = await asyncio.gather(*(calls.submit(i) for i in range(6)), return_exceptions=True)
    assert outcomes[0] == 0 and outcomes[2] == 20 and outcomes[4] == 40
    assert isinstance(outcomes[3], RuntimeError) and "breaks" in str(outcomes[3])
    assert isinstance(outcomes[1], Odd) and isinstance(outcomes[5], Odd)
    assert recorder.batches == [[0, 1, 2, 3, 4, 5], [0], [1], [2], [3], [4], [5]]


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_at_most_concurrency_batches_run_at_once(concurrency: int) -> None:
    running = peak = 0

    async def run(items: list[int]) -> list[int | BaseException]:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001)
        running -= 1
        return list(items)

    calls = GroupCall(run, max_batch=2, concurrency=concurrency)
    assert await asyncio.gather(*(calls.submit(i) for i in range(20))) == list(range(20))
    assert peak == concurrency


async def test_a_caller_that_gives_up_does_not_cancel_the_batch() -> None:
    started, release = asyncio.Event(), asyncio.Event()
    done: list[list[int]] = []

    async def run(items: list[int]) -> list[int | BaseException]:
        started.set()
        await release.wait()
        done.append(items)
        return list(items)

    calls = GroupCall(run)
    impatient = asyncio.create_task(calls.submit(1))
    await started.wait()
    patient = asyncio.create_task(calls.submit(2))
    impatient.cancel()
    release.set()
    assert await patient == 2
    assert done == [[1], [2]]


async def test_a_call_alone_runs_at_once_and_later_ones_gather_behind_the_batch_in_flight() -> None:
    recorder = Recorder()
    calls = GroupCall(recorder.run)
    first = asyncio.create_task(calls.submit(0))
    await asyncio.sleep(0)  # the first batch is in flight
    rest = [asyncio.create_task(calls.submit(i)) for i in (2, 4, 6)]
    assert [await first, *[await r for r in rest]] == [0, 20, 40, 60]
    assert recorder.batches == [[0], [2, 4, 6]]


async def test_one_pass_lets_calls_already_received_join_the_batch_about_to_start() -> None:
    recorder = Recorder()
    calls = GroupCall(recorder.run, one_pass=True)
    first = asyncio.create_task(calls.submit(0))
    await asyncio.sleep(0)  # the first is submitted; its batch is about to start
    second = asyncio.create_task(calls.submit(2))
    assert [await first, await second] == [0, 20]
    assert recorder.batches == [[0, 2]]  # without one_pass: [[0], [2]]
