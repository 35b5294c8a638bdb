"""SQL of the faktur as a document: a signed invoice by its NSFP, the certificates that signed, a period's invoices for
the export."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from invoice.models import invoice, invoice_line, signing_certificate


class DocumentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_nsfp(self, nsfp: str) -> dict[str, Any] | None:
        """The invoice that carries this NSFP (never a draft), with its lines."""
        row = (await self.session.execute(select(invoice).where(invoice.c.nsfp == nsfp, invoice.c.status != "draft"))
               ).mappings().first()
        if row is None:
            return None
        lines = [dict(r) for r in (await self.session.execute(
            select(invoice_line).where(invoice_line.c.invoice_id == row["id"]).order_by(invoice_line.c.line_no)
        )).mappings()]
        return {**row, "lines": lines}

    async def certificate(self, serial: str | None) -> dict[str, Any] | None:
        if not serial:
            return None
        row = (await self.session.execute(select(signing_certificate).where(signing_certificate.c.serial == serial))
               ).mappings().first()
        return dict(row) if row else None

    async def export_page(self, *, npwp: str, period: str, statuses: tuple[str, ...], trx: str | None,
                          after: tuple[Any, uuid.UUID] | None, size: int
                          ) -> tuple[list[dict[str, Any]], dict[uuid.UUID, list[dict[str, Any]]]]:
        """Up to `size` of the seller's invoices of the period after `after` (creation order), with their lines."""
        stmt = select(invoice).where(invoice.c.seller_npwp == npwp, invoice.c.period == period,
                                     invoice.c.status.in_(statuses))
        if trx:
            stmt = stmt.where(invoice.c.trx_code == trx)
        if after is not None:
            stmt = stmt.where(or_(invoice.c.created_at > after[0],
                                  and_(invoice.c.created_at == after[0], invoice.c.id > after[1])))
        rows = [dict(r) for r in (await self.session.execute(
            stmt.order_by(invoice.c.created_at, invoice.c.id).limit(size))).mappings()]
        lines: dict[uuid.UUID, list[dict[str, Any]]] = {}
        if rows:
            for line in (await self.session.execute(
                    select(invoice_line).where(invoice_line.c.invoice_id.in_([r["id"] for r in rows]))
                    .order_by(invoice_line.c.invoice_id, invoice_line.c.line_no))).mappings():
                lines.setdefault(line["invoice_id"], []).append(dict(line))
        return rows, lines
