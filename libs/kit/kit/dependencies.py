"""FastAPI dependencies every service uses: the unit of work, the service's settings and its runtime objects.

    Uow = kit.dependencies.Uow                                    # a fresh UnitOfWork per request
    Settings = Annotated[InvoiceSettings, settings_of(InvoiceSettings)]
    Jobs = Annotated[JobRunner, runtime(JobRunner)]             # what a start-up step provided

They stay plain `def` (FastAPI runs them on its thread pool, ~0.1 ms of CPU each): made `async def`, bench/payment.py
at 64 concurrent clients timed out waiting for database connections (503s) where the thread-pool version did not;
the cause is not understood yet, so the measured-safe form stays.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request

from kit.app import state_of
from kit.db import UnitOfWork
from kit.settings import BaseServiceSettings

T = TypeVar("T")
S = TypeVar("S", bound=BaseServiceSettings)


def unit_of_work(request: Request) -> UnitOfWork:
    return UnitOfWork(state_of(request).sessions)


Uow = Annotated[UnitOfWork, Depends(unit_of_work)]


def settings_of(kind: type[S]) -> Any:
    """`Depends` on the process's settings, checked to be the service's own settings class."""

    def dependency(request: Request) -> S:
        settings = state_of(request).settings
        if not isinstance(settings, kind):
            raise TypeError(f"this process runs with {type(settings).__name__}, not {kind.__name__}")
        return settings

    return Depends(dependency)


def runtime(kind: type[T]) -> Any:
    """`Depends` on the object of type `kind` that one of the process's start-up steps provided."""

    def dependency(request: Request) -> T:
        return state_of(request).get(kind)

    return Depends(dependency)
