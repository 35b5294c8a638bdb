"""Consumer of `identity.events` (group `filing.identity-events`): the taxpayer replica (kit.replica) and PKP status
changes."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.identity import PKPStatusChanged
from filing.registry import service
from kit.consumer import Handlers
from kit.replica import identity_handlers as replica_handlers


async def pkp_status_changed(session: AsyncSession, events: Sequence[tuple[Envelope, PKPStatusChanged]]) -> None:
    await service.record_pkp_changes(session, events)


def identity_handlers() -> Handlers:
    handlers = replica_handlers()
    handlers.on_many(PKPStatusChanged)(pkp_status_changed)
    return handlers
