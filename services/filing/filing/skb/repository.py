"""All SQL of the SKB slice."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from filing.skb.models import skb_application, skb_number_seq


class SkbRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def next_serial(self) -> int:
        return int((await self.session.execute(select(skb_number_seq.next_value()))).scalar_one())

    async def add(self, values: dict[str, Any]) -> None:
        await self.session.execute(insert(skb_application), values)

    async def get(self, application_id: uuid.UUID, *, for_update: bool = False) -> dict[str, Any] | None:
        query = select(skb_application).where(skb_application.c.id == application_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return dict(row) if row is not None else None

    async def decide(self, application_id: uuid.UUID, values: dict[str, Any]) -> None:
        await self.session.execute(update(skb_application).where(skb_application.c.id == application_id)
                                   .values(**values, revision=skb_application.c.revision + 1))

    async def pending(self, limit: int) -> list[dict[str, Any]]:
        rows = await self.session.execute(
            select(skb_application).where(skb_application.c.status == "submitted")
            .order_by(skb_application.c.decision_due, skb_application.c.applied_at).limit(limit))
        return [dict(r) for r in rows.mappings()]

    async def by_number(self, number: str) -> dict[str, Any] | None:
        row = (await self.session.execute(select(skb_application).where(skb_application.c.number == number))
               ).mappings().first()
        return dict(row) if row is not None else None

    async def approved_of(self, npwp: str) -> list[dict[str, Any]]:
        rows = await self.session.execute(
            select(skb_application).where(skb_application.c.npwp == npwp, skb_application.c.status == "approved")
            .order_by(skb_application.c.valid_until.desc(), skb_application.c.number))
        return [dict(r) for r in rows.mappings()]
