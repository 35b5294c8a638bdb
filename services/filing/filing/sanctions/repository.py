"""All SQL of the sanctions slice: STPs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from filing.sanctions.models import stp, stp_number_seq

# An Art 7(1) fine a return already bears conflicts on the partial unique index: nothing is inserted.
_ADD = (insert(stp).on_conflict_do_nothing(index_elements=["npwp", "form", "period"],
                                           index_where=text("reason IN ('late_filing', 'not_filed')"))
        .returning(*stp.c))


@dataclass(frozen=True)
class StpRow:
    id: uuid.UUID
    number: str
    npwp: str
    reason: str
    basis: str
    kap_kjs: str
    amount: Decimal
    form: str | None
    period: str | None
    spt_id: uuid.UUID | None
    issued_on: date
    due_date: date


def _row(r: Any) -> StpRow:
    return StpRow(r.id, r.number, r.npwp, r.reason, r.basis, r.kap_kjs, r.amount, r.form, r.period, r.spt_id,
                  r.issued_on, r.due_date)


class StpRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def next_serial(self) -> int:
        return int((await self.session.execute(select(stp_number_seq.next_value()))).scalar_one())

    async def add_return_fine(self, values: dict[str, Any]) -> StpRow | None:
        """The new STP; None when the return already bears its Art 7(1) fine."""
        row = (await self.session.execute(_ADD, values)).first()
        return _row(row) if row is not None else None

    async def for_spts(self, spt_ids: Sequence[uuid.UUID]) -> list[StpRow]:
        if not spt_ids:
            return []
        rows = await self.session.execute(select(stp).where(stp.c.spt_id.in_(spt_ids)).order_by(stp.c.created_at))
        return [_row(r) for r in rows]
