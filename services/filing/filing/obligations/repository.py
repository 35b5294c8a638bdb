"""All SQL of the obligations slice: when each owed return was filed (the returns slice's `spt` rows), annual
extensions, and the registry status of taxpayers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from filing.obligations.models import annual_extension, taxpayer_status
from filing.returns.models import spt

_insert_status = insert(taxpayer_status)
# identity's newest fact wins (its taxpayer version); a stale one changes nothing
_APPLY_STATUS = _insert_status.on_conflict_do_update(
    index_elements=[taxpayer_status.c.taxpayer_id],
    set_={"npwp": _insert_status.excluded.npwp, "status": _insert_status.excluded.status,
          "source_sequence": _insert_status.excluded.source_sequence, "updated_at": _insert_status.excluded.updated_at},
    where=taxpayer_status.c.source_sequence <= _insert_status.excluded.source_sequence)
_ADD_EXTENSION = insert(annual_extension).on_conflict_do_nothing().returning(annual_extension.c.id)


@dataclass(frozen=True)
class ExtensionRow:
    id: Any
    npwp: str
    form: str
    period: str
    months: int
    original_due_date: date
    nominal_due_date: date
    due_date: date
    requested_on: date


class ObligationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def filed_at(self, npwp: str, forms: Sequence[str], periods: Sequence[str]
                       ) -> dict[tuple[str, str], datetime]:
        """When the Normal of each (form, period) was filed, for those filed."""
        if not forms or not periods:
            return {}
        rows = await self.session.execute(select(spt.c.form, spt.c.period, spt.c.filed_at).where(
            spt.c.npwp == npwp, spt.c.form.in_(forms), spt.c.period.in_(periods), spt.c.version == 0,
            spt.c.status == "filed"))
        return {(form, period): filed_at for form, period, filed_at in rows}

    async def extensions(self, npwp: str, forms: Sequence[str], periods: Sequence[str]
                         ) -> dict[tuple[str, str], ExtensionRow]:
        if not forms or not periods:
            return {}
        rows = await self.session.execute(select(*_EXTENSION).where(
            annual_extension.c.npwp == npwp, annual_extension.c.form.in_(forms),
            annual_extension.c.period.in_(periods)))
        return {(r.form, r.period): ExtensionRow(*r) for r in rows}

    async def add_extension(self, values: dict[str, Any]) -> bool:
        """False when the return already has its extension."""
        return (await self.session.execute(_ADD_EXTENSION, values)).first() is not None

    async def filed(self, npwp: str, form: str, period: str) -> bool:
        return bool(await self.filed_at(npwp, [form], [period]))

    async def apply_statuses(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(_APPLY_STATUS, list(rows))

    async def status(self, npwp: str) -> str | None:
        return (await self.session.execute(select(taxpayer_status.c.status)
                                           .where(taxpayer_status.c.npwp == npwp))).scalar_one_or_none()


_EXTENSION = (annual_extension.c.id, annual_extension.c.npwp, annual_extension.c.form, annual_extension.c.period,
              annual_extension.c.months, annual_extension.c.original_due_date, annual_extension.c.nominal_due_date,
              annual_extension.c.due_date, annual_extension.c.requested_on)
