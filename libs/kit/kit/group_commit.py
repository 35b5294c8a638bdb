"""Group commit: many small writes from concurrent tasks share transactions.

Each task hands its write over and waits until it is committed. While one transaction is being written, the writes
that arrive meanwhile gather and go in the next one: at low load each write commits at once, at high load hundreds
share one BEGIN/COMMIT (and one connection) instead of each taking its own. A batch that fails is written again one
write per transaction, so one bad write fails only its own caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

T = TypeVar("T")
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
        await asyncio.shield(done)  # a cancelled caller does not cancel the others' commit

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
