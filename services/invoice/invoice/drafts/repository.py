"""SQL of the `invoice` and `invoice_line` tables as drafts and reads use them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Text, and_, bindparam, delete, false, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from invoice.models import invoice, invoice_line
from kit.pagination import CursorParams


class InvoiceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, invoice_id: uuid.UUID, *, for_update: bool = False) -> dict[str, Any] | None:
        """The invoice with its `lines` (in line order)."""
        stmt = select(invoice).where(invoice.c.id == invoice_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = (await self.session.execute(stmt)).mappings().first()
        if row is None:
            return None
        return {**row, "lines": await self.lines(invoice_id)}

    async def get_head(self, invoice_id: uuid.UUID, *, for_update: bool = False) -> dict[str, Any] | None:
        """The invoice row without its lines."""
        stmt = select(invoice).where(invoice.c.id == invoice_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = (await self.session.execute(stmt)).mappings().first()
        return dict(row) if row else None

    async def lines(self, invoice_id: uuid.UUID) -> list[dict[str, Any]]:
        return [dict(r) for r in (await self.session.execute(
            select(invoice_line).where(invoice_line.c.invoice_id == invoice_id).order_by(invoice_line.c.line_no)
        )).mappings()]

    async def add(self, row: dict[str, Any], lines: list[dict[str, Any]]) -> None:
        await self.session.execute(insert(invoice).values(**row))
        await self.session.execute(insert(invoice_line), lines)

    async def change(self, invoice_id: uuid.UUID, values: dict[str, Any], lines: list[dict[str, Any]]) -> None:
        """A draft's new content: its version goes up (a signing job that digested the old one will not sign it)."""
        await self.session.execute(update(invoice).where(invoice.c.id == invoice_id)
                                   .values(**values, version=invoice.c.version + 1, updated_at=func.now()))
        await self.session.execute(delete(invoice_line).where(invoice_line.c.invoice_id == invoice_id))
        await self.session.execute(insert(invoice_line), lines)

    async def delete(self, invoice_id: uuid.UUID) -> None:
        await self.session.execute(delete(invoice).where(invoice.c.id == invoice_id))

    async def taken_references(self, npwp: str, refs: list[str], exclude: uuid.UUID | None = None) -> set[str]:
        """Which of `refs` the seller's invoices (other than `exclude`) already carry."""
        if not refs:
            return set()
        # one array parameter: an IN list of 100,000 references would exceed PostgreSQL's 32,767 parameters
        wanted = bindparam("refs", list(refs), type_=ARRAY(Text()))
        stmt = select(invoice.c.ref_desc).where(invoice.c.seller_npwp == npwp, invoice.c.ref_desc == func.any(wanted))
        if exclude is not None:
            stmt = stmt.where(invoice.c.id != exclude)
        return set((await self.session.execute(stmt)).scalars())

    async def page(self, *, npwp: str, view: str, page: CursorParams, period: str | None, status: str | None,
                   counterparty: str | None, transaction_code: str | None) -> list[dict[str, Any]]:
        """Up to `page.limit + 1` invoices, newest first: output (the seller's, drafts included) or input (signed
        ones issued to the buyer)."""
        if view == "output":
            stmt = select(invoice).where(invoice.c.seller_npwp == npwp)
            if counterparty:
                stmt = stmt.where(invoice.c.buyer_tin == counterparty)
            if status:
                stmt = stmt.where(invoice.c.status == status)
        else:
            stmt = select(invoice).where(invoice.c.buyer_tin == npwp, invoice.c.status == "signed")
            if counterparty:
                stmt = stmt.where(invoice.c.seller_npwp == counterparty)
            if status and status != "signed":
                stmt = stmt.where(false())
        if period:
            stmt = stmt.where(invoice.c.period == period)
        if transaction_code:
            stmt = stmt.where(invoice.c.trx_code == transaction_code)
        if page.after is not None:
            a = page.after
            stmt = stmt.where(or_(invoice.c.created_at < a.created_at,
                                  and_(invoice.c.created_at == a.created_at, invoice.c.id < a.id)))
        stmt = stmt.order_by(invoice.c.created_at.desc(), invoice.c.id.desc()).limit(page.limit + 1)
        return [dict(r) for r in (await self.session.execute(stmt)).mappings()]
