"""SQL of a signed invoice's lifecycle: the locked invoice, its state changes (each one a version more), its returns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from invoice.lifecycle.rules import RETURN_AMOUNTS, Returned
from invoice.models import invoice, invoice_return, invoice_return_line

_VERSION = invoice.c.version + 1


class LifecycleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock(self, invoice_id: uuid.UUID) -> dict[str, Any] | None:
        """The invoice row, locked: concurrent actions on one invoice are ordered."""
        row = (await self.session.execute(select(invoice).where(invoice.c.id == invoice_id).with_for_update())
               ).mappings().first()
        return dict(row) if row else None

    async def pending_replacement(self, invoice_id: uuid.UUID) -> uuid.UUID | None:
        return (await self.session.execute(select(invoice.c.id).where(
            invoice.c.replaces_id == invoice_id, invoice.c.status == "draft"))).scalar()

    async def _change(self, invoice_id: uuid.UUID, **values: Any) -> int:
        """A state change of the invoice; its new version (the sequence of the event it publishes)."""
        return int((await self.session.execute(update(invoice).where(invoice.c.id == invoice_id).values(
            **values, version=_VERSION, updated_at=func.now()).returning(invoice.c.version))).scalar_one())

    async def cancel(self, invoice_id: uuid.UUID, *, at: datetime, cancellation: dict[str, Any]) -> int:
        return await self._change(invoice_id, status="cancelled", cancelled_at=at, cancellation=cancellation)

    async def decide_input_tax(self, invoice_id: uuid.UUID, *, action: str, period: str, at: datetime) -> int:
        return await self._change(invoice_id, input_tax_action=action, input_tax_period=period, input_tax_at=at)

    async def returned(self, invoice_id: uuid.UUID) -> dict[int, Returned]:
        """What earlier returns took of each line."""
        r = invoice_return_line.c
        rows = await self.session.execute(
            select(r.line_no, *[func.sum(r[f]).label(f) for f in ("qty", *RETURN_AMOUNTS)])
            .join(invoice_return, invoice_return.c.id == r.return_id)
            .where(invoice_return.c.invoice_id == invoice_id).group_by(r.line_no))
        return {row.line_no: Returned(row.qty, row.tax_base, row.other_tax_base, row.vat, row.stlg) for row in rows}

    async def add_return(self, head: dict[str, Any], lines: list[dict[str, Any]]) -> int:
        """The Nota Retur; the invoice's new version (a return changes what is left of it)."""
        await self.session.execute(insert(invoice_return).values(**head))
        await self.session.execute(insert(invoice_return_line), [{"return_id": head["id"], **x} for x in lines])
        return await self._change(head["invoice_id"])

    async def returns(self, invoice_id: uuid.UUID) -> list[dict[str, Any]]:
        heads = [dict(r) for r in (await self.session.execute(select(invoice_return).where(
            invoice_return.c.invoice_id == invoice_id).order_by(invoice_return.c.created_at))).mappings()]
        for head in heads:
            head["lines"] = [dict(r) for r in (await self.session.execute(select(invoice_return_line).where(
                invoice_return_line.c.return_id == head["id"]).order_by(invoice_return_line.c.line_no))).mappings()]
        return heads
