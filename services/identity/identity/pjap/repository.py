"""SQL of machine clients and PJAP delegations."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from identity.models import PJAPClient, PJAPDelegation


class PJAPRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_client(self, client: PJAPClient) -> None:
        self.session.add(client)
        await self.session.flush()

    async def pjap_client(self, client_id: str) -> PJAPClient | None:
        return (await self.session.execute(select(PJAPClient).where(
            PJAPClient.client_id == client_id, PJAPClient.kind == "pjap"))).scalar_one_or_none()

    async def active_delegation_for_update(self, taxpayer_id: uuid.UUID, client_id: str) -> PJAPDelegation | None:
        return (await self.session.execute(select(PJAPDelegation).where(
            PJAPDelegation.taxpayer_id == taxpayer_id, PJAPDelegation.client_id == client_id,
            PJAPDelegation.revoked_at.is_(None)).with_for_update())).scalar_one_or_none()

    async def add_delegation(self, delegation: PJAPDelegation) -> None:
        self.session.add(delegation)
        await self.session.flush()

    async def flush(self) -> None:
        await self.session.flush()
