"""Taxpayer events into identity's outbox on `identity.events`, keyed by the NPWP so that one taxpayer's events stay
in order. `sequence` is the taxpayer's `version` after the change: callers bump it first when the change is one."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import (
    PKPStatusChanged,
    RepresentativeGranted,
    RepresentativeRevoked,
    TaxpayerRegistered,
    TaxpayerUpdated,
)
from contracts.registry import Contract
from identity.models import RoleGrant, Taxpayer
from kit.outbox import publish

AGGREGATE = "taxpayer"


async def _publish(session: AsyncSession, taxpayer: Taxpayer, event: Contract) -> None:
    await publish(session, event, key=taxpayer.npwp, subject=str(taxpayer.id), aggregate_type=AGGREGATE,
                  sequence=taxpayer.version)


async def taxpayer_registered(session: AsyncSession, taxpayer: Taxpayer) -> None:
    """With the contacts, so that notification can send the registration notice before any TaxpayerUpdated."""
    await _publish(session, taxpayer, TaxpayerRegistered(
        taxpayer_id=str(taxpayer.id), npwp=taxpayer.npwp, nitku=taxpayer.nitku, name=taxpayer.name,
        kind=taxpayer.kind, registered_at=taxpayer.registered_at,  # type: ignore[arg-type]
        email=taxpayer.email, phone=taxpayer.phone))


async def pkp_status_changed(session: AsyncSession, taxpayer: Taxpayer, *, effective_date: date,
                             source: str) -> None:
    await _publish(session, taxpayer, PKPStatusChanged(
        taxpayer_id=str(taxpayer.id), npwp=taxpayer.npwp, is_pkp=taxpayer.is_pkp, effective_date=effective_date,
        source_of_change=source))  # type: ignore[arg-type]


async def taxpayer_updated(session: AsyncSession, taxpayer: Taxpayer, changed: list[str],
                           previous_npwp: str | None) -> None:
    await _publish(session, taxpayer, TaxpayerUpdated(
        taxpayer_id=str(taxpayer.id), npwp=taxpayer.npwp, previous_npwp=previous_npwp, nitku=taxpayer.nitku,
        name=taxpayer.name, kind=taxpayer.kind, status=taxpayer.status, email=taxpayer.email,  # type: ignore[arg-type]
        phone=taxpayer.phone, address=taxpayer.address, changed=changed, updated_at=datetime.now(UTC)))


async def representative_granted(session: AsyncSession, taxpayer: Taxpayer, grant: RoleGrant, *,
                                 account_id: uuid.UUID | None) -> None:
    await _publish(session, taxpayer, RepresentativeGranted(
        grant_id=str(grant.id), taxpayer_id=str(taxpayer.id), npwp=taxpayer.npwp, person_id=str(grant.person_id),
        account_id=str(account_id) if account_id else None, role=grant.role,  # type: ignore[arg-type]
        granted_by=str(grant.granted_by) if grant.granted_by else None, granted_at=grant.granted_at))


async def representative_revoked(session: AsyncSession, taxpayer: Taxpayer, grant: RoleGrant) -> None:
    await _publish(session, taxpayer, RepresentativeRevoked(
        grant_id=str(grant.id), taxpayer_id=str(taxpayer.id), npwp=taxpayer.npwp, person_id=str(grant.person_id),
        role=grant.role, revoked_by=str(grant.revoked_by), revoked_at=grant.revoked_at))  # type: ignore[arg-type]
