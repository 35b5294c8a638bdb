"""Consumer of `identity.events` as group `filing.identity-status`: each taxpayer's registry status
(TaxpayerUpdated), which KSWP ("NPWP active") and the sanction run (the Art 7(2) cases the registry knows) read.
A group of its own, beside the replica's `filing.identity-events`."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.identity import TaxpayerUpdated
from filing.obligations import service
from kit.consumer import Handlers


async def taxpayers_updated(session: AsyncSession, events: Sequence[tuple[Envelope, TaxpayerUpdated]]) -> None:
    await service.record_statuses(session, events)


def identity_status_handlers() -> Handlers:
    handlers = Handlers()
    handlers.on_many(TaxpayerUpdated)(taxpayers_updated)
    return handlers
