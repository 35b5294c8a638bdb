"""All SQL of the warnings slice."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from filing.warnings.models import written_warning


@dataclass(frozen=True)
class WarningRow:
    id: uuid.UUID
    number: str
    npwp: str
    form: str
    period: str
    warned_on: date
    officer_account_id: str
    recorded_at: datetime


_COLUMNS = tuple(written_warning.c[name] for name in WarningRow.__dataclass_fields__)


class WarningRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, values: dict[str, Any]) -> WarningRow | None:
        """The warning recorded; None when its number is already taken."""
        row = (await self.session.execute(insert(written_warning).values(**values).on_conflict_do_nothing(
            index_elements=["number"]).returning(*_COLUMNS))).first()
        return WarningRow(*row) if row is not None else None

    async def by_number(self, number: str) -> WarningRow | None:
        row = (await self.session.execute(select(*_COLUMNS).where(written_warning.c.number == number))).first()
        return WarningRow(*row) if row is not None else None

    async def of_taxpayer(self, npwp: str, *, form: str | None = None, period: str | None = None
                          ) -> list[WarningRow]:
        query = select(*_COLUMNS).where(written_warning.c.npwp == npwp)
        if form is not None:
            query = query.where(written_warning.c.form == form)
        if period is not None:
            query = query.where(written_warning.c.period == period)
        rows = await self.session.execute(query.order_by(written_warning.c.warned_on, written_warning.c.number))
        return [WarningRow(*r) for r in rows]

    async def dates_of(self, npwps: Sequence[str], periods: Sequence[str]) -> list[tuple[str, str, str, date]]:
        """(npwp, form, period, warned_on) of every warning of these taxpayers in these periods, in one statement (a
        superset of a batch's returns: the caller picks its own)."""
        rows = await self.session.execute(
            select(written_warning.c.npwp, written_warning.c.form, written_warning.c.period,
                   written_warning.c.warned_on)
            .where(written_warning.c.npwp == func.any(list(npwps)),
                   written_warning.c.period == func.any(list(periods))))
        return [tuple(r) for r in rows]  # type: ignore[misc]
