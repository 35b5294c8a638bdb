"""FastAPI dependencies every service uses: the unit of work, the service's settings and its runtime objects.

    Uow = kit.dependencies.Uow                                    # a fresh UnitOfWork per request
    Settings = Annotated[InvoiceSettings, settings_of(InvoiceSettings)]
    Jobs = Annotated[JobRunner, runtime(JobRunner)]             # what a start-up step provided

They are `async def` although they never await: FastAPI runs a plain `def` dependency on its thread pool, a hop that
cost ~0.1 ms of CPU each (four on a typical route) for what is a dictionary lookup.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request

from kit.app import state_of
from kit.db import UnitOfWork
from kit.settings import BaseServiceSettings

T = TypeVar("T")
S = TypeVar("S", bound=BaseServiceSettings)


async def unit_of_work(request: Request) -> UnitOfWork:
    return UnitOfWork(state_of(request).sessions)


Uow = Annotated[UnitOfWork, Depends(unit_of_work)]


def settings_of(kind: type[S]) -> Any:
    """`Depends` on the process's settings, checked to be the service's own settings class."""

    async def dependency(request: Request) -> S:
        settings = state_of(request).settings
        if not isinstance(settings, kind):
            raise TypeError(f"this process runs with {type(settings).__name__}, not {kind.__name__}")
        return settings

    return Depends(dependency)


def runtime(kind: type[T]) -> Any:
    """`Depends` on the object of type `kind` that one of the process's start-up steps provided."""

    async def dependency(request: Request) -> T:
        return state_of(request).get(kind)

    return Depends(dependency)
