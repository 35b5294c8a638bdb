"""Data every process holds in memory, read from its own database and kept fresh: published reference data (a year's
days off, a month's interest rates) that pure rules consult synchronously.

`HeldReading.refresh` reads, then installs what it read; a refresh that read before another one installed is
dropped, so a slow periodic read cannot put back what a newer one (say, right after a publication) replaced.
`kept_fresh` is the start-up step of the API and the worker: one refresh before the process serves (its failure
stops the start), then one every interval (a failure keeps what the process held, and is logged)."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from kit.app import AppState, StartupStep
from kit.db import UnitOfWork
from kit.worker import every

log = logging.getLogger(__name__)
T = TypeVar("T")


class HeldReading(Generic[T]):
    def __init__(self, name: str, read: Callable[[AsyncSession], Awaitable[T]], install: Callable[[T], str]) -> None:
        """`read` takes the rows from the database; `install` puts them in use and says what is now in force (logged
        when that changes)."""
        self.name = name
        self._read = read
        self._install = install
        self._tickets = itertools.count(1)
        self._installed = 0
        self._in_force: str | None = None

    async def refresh(self, uow: UnitOfWork) -> None:
        ticket = next(self._tickets)
        async with uow:
            reading = await self._read(uow.session)
        if ticket < self._installed:
            return
        in_force = self._install(reading)
        self._installed = ticket
        if in_force != self._in_force:
            self._in_force = in_force
            log.info("%s in force: %s", self.name, in_force)

    def kept_fresh(self, interval_s: float) -> StartupStep:
        async def again(state: AppState) -> None:
            await self.refresh(UnitOfWork(state.sessions))

        return every(f"{self.name} refresh", interval_s, again, first_delay_s=interval_s, before_start=True)
