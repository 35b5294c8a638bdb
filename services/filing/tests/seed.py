"""Registry state written straight into filing's tables (the replica rows identity's events would have made, a
taxpayer's registry status, filed returns): the sanction, KSWP, SKB and extension tests need many taxpayers in a
given state, and the consumers that build these rows have tests of their own."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from filing.models import taxpayer
from filing.obligations.models import annual_extension, taxpayer_status
from filing.registry.models import pkp_status_change
from filing.returns.models import spt
from kit.testing.events import random_npwp


async def add_taxpayer(engine: AsyncEngine, *, kind: str = "company", registered: date = date(2022, 1, 10),
                       name: str = "PT Contoh Lontar", pkp: Sequence[tuple[bool, date]] = (),
                       status: str | None = None, npwp: str | None = None) -> str:
    npwp = npwp or random_npwp()
    taxpayer_id = str(uuid.uuid4())
    async with engine.begin() as conn:
        await conn.execute(insert(taxpayer).values(
            npwp=npwp, taxpayer_id=taxpayer_id, nitku=npwp + "000000", name=name, kind=kind,
            registered_at=datetime(registered.year, registered.month, registered.day, 3, tzinfo=UTC),
            source_sequence=1))
        if pkp:
            await conn.execute(insert(pkp_status_change), [
                dict(taxpayer_id=taxpayer_id, source_sequence=2 + i, effective_date=on, is_pkp=is_pkp, npwp=npwp,
                     event_id=uuid.uuid4()) for i, (is_pkp, on) in enumerate(pkp)])
        if status is not None:
            await conn.execute(insert(taxpayer_status).values(taxpayer_id=taxpayer_id, npwp=npwp, status=status,
                                                              source_sequence=9))
    return npwp


async def file_return(engine: AsyncEngine, npwp: str, form: str, period: str, filed_at: datetime,
                      status: str = "filed", version: int = 0) -> uuid.UUID:
    spt_id = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(insert(spt).values(id=spt_id, npwp=npwp, form=form, period=period, version=version,
                                              status=status, filed_at=filed_at if status == "filed" else None))
    return spt_id


async def extend(engine: AsyncEngine, npwp: str, form: str, period: str, *, due: date) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(annual_extension).values(
            id=uuid.uuid4(), npwp=npwp, form=form, period=period, months=2, original_due_date=due,
            nominal_due_date=due, due_date=due, requested_on=date(2026, 3, 1), requested_by="test"))


def at(day: date, hour: int = 3) -> datetime:
    """A moment of `day` (UTC hour 3 = 10:00 WIB)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
