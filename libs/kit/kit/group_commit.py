"""Group commit: many small writes from concurrent tasks share transactions.

Each task hands its write over and waits until it is committed. While one transaction is being written, the writes
that arrive meanwhile gather and go in the next one: at low load each write commits at once, at high load hundreds
share one BEGIN/COMMIT (and one connection) instead of each taking its own. A batch that fails is written again one
write per transaction, so one bad write fails only its own caller.

`GroupCommit` is for writes with nothing to answer; `GroupCall` for use cases whose callers each get their own
answer (or their own refusal) from a batch run of the use case.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

T = TypeVar("T")
R = TypeVar("R")
AfterCommit = Callable[[], None]
Apply = Callable[[AsyncSession, list[T]], Awaitable[AfterCommit | None]]


class GroupCommit(Generic[T]):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], apply: Apply[T], *, max_batch: int = 500) -> None:
        """`apply(session, items)` writes the items in the session's open transaction (set-based where it can); what
        it returns (if anything) runs after that transaction committed (metrics, logs: what must not happen twice)."""
        self._sessions = sessions
        self._apply = apply
        self._max_batch = max_batch
        self._pending: list[tuple[T, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> None:
        """Returns once `item` is committed; raises what writing it raised."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.add_done_callback(lambda f: f.cancelled() or f.exception())  # retrieved, even if the caller is gone
        self._pending.append((item, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_pending(), name="group-commit")
        # A cancelled caller cancels only `done` (the writer skips it): the commit is the writer task's, not the
        # caller's. No asyncio.shield: it would cost a second future per call for the same outcome.
        await done

    async def _write_pending(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:self._max_batch], self._pending[self._max_batch:]
            try:
                await self._write([item for item, _ in batch])
            except Exception:
                for item, done in batch:
                    await self._write_alone(item, done)
                continue
            for _, done in batch:
                _settle(done)

    async def _write(self, items: list[T]) -> None:
        async with self._sessions() as session, session.begin():
            after = await self._apply(session, items)
        if after is not None:
            after()

    async def _write_alone(self, item: T, done: asyncio.Future[None]) -> None:
        try:
            await self._write([item])
        except Exception as exc:
            if not done.done():
                done.set_exception(exc)
            return
        _settle(done)


def _settle(done: asyncio.Future[None]) -> None:
    if not done.done():
        done.set_result(None)


class GroupCall(Generic[T, R]):
    """Concurrent calls of one use case, run in batches: each caller hands its item over and gets its own outcome.

    `run(items)` runs the use case for a batch (its own transaction, set-based where it can) and returns one outcome
    per item, in order: the caller's result, or the exception that caller alone gets (a refusal with its stable
    code). At most `concurrency` batches run at once; the items arriving meanwhile gather for the next, at most
    `max_batch` a batch (TigerBeetle's clients do the same: one request in flight, the events queued behind it
    batched into the next). No timer: at low load a batch of one runs at once. If `run` itself raises (the batch's
    transaction failed), each of its items is run again alone, so one item that breaks the batch fails only its own
    caller."""

    def __init__(self, run: Callable[[list[T]], Awaitable[Sequence[R | BaseException]]], *, max_batch: int = 500,
                 concurrency: int = 1, one_pass: bool = False) -> None:
        """`one_pass`: a batch that starts with a free slot first lets the event loop run once more, so that calls
        already received (their requests read, not yet handled) join it rather than wait for the next one: under
        load a batch of the first call or two otherwise goes alone and the rest of the wave waits behind it."""
        self._run = run
        self._max_batch = max_batch
        self._slots = concurrency
        self._one_pass = one_pass
        self._pending: list[tuple[T, asyncio.Future[R]]] = []

    async def submit(self, item: T) -> R:
        """The item's outcome: its result, or the exception raised for it."""
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        done.add_done_callback(lambda f: f.cancelled() or f.exception())  # retrieved, even if the caller is gone
        self._pending.append((item, done))
        if self._slots > 0:
            self._slots -= 1
            asyncio.get_running_loop().create_task(self._drain(), name="group-call")
        # A cancelled caller cancels only `done` (`_resolve` skips it): the batch is the drain task's, not the
        # caller's. No asyncio.shield: it would cost a second future per call for the same outcome.
        return await done

    async def _drain(self) -> None:
        try:
            if self._one_pass:
                await asyncio.sleep(0)
            while self._pending:
                batch, self._pending = self._pending[:self._max_batch], self._pending[self._max_batch:]
                await self._settle(batch)
        finally:
            self._slots += 1

    async def _settle(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            outcomes = await self._run([item for item, _ in batch])
        except asyncio.CancelledError:  # the process is stopping: nobody waits forever
            for _, done in batch:
                done.cancel()
            raise
        except Exception as exc:
            if len(batch) == 1:
                _resolve(batch[0][1], exc)
                return
            for one in batch:
                await self._settle([one])
            return
        for (_, done), outcome in zip(batch, outcomes, strict=True):
            _resolve(done, outcome)


def _resolve(done: asyncio.Future[R], outcome: R | BaseException) -> None:
    if done.done():
        return
    if isinstance(outcome, BaseException):
        done.set_exception(outcome)
    else:
        done.set_result(outcome)
