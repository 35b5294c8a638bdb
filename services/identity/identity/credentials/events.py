"""Signing-credential events into identity's outbox, keyed by the holder's identity number (their NIK for
residents), so one person's issue and revoke events stay in order. No name, NIK or key material in the payload."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import SigningCredentialIssued, SigningCredentialRevoked
from identity.credentials.models import SigningCredential
from kit.outbox import publish

AGGREGATE = "signing_credential"


async def credential_issued(session: AsyncSession, credential: SigningCredential, *, key: str) -> None:
    event = SigningCredentialIssued(
        credential_id=str(credential.id), account_id=str(credential.account_id),
        kind=credential.kind,  # type: ignore[arg-type]
        certificate_serial=credential.serial_number, valid_from=credential.valid_from,
        valid_until=credential.valid_until, issued_at=credential.created_at,
    )
    await publish(session, event, key=key, subject=str(credential.id), aggregate_type=AGGREGATE, sequence=1)


async def credential_revoked(session: AsyncSession, credential: SigningCredential, *, key: str,
                             revoked_at: datetime) -> None:
    event = SigningCredentialRevoked(
        credential_id=str(credential.id), account_id=str(credential.account_id),
        kind=credential.kind,  # type: ignore[arg-type]
        certificate_serial=credential.serial_number, reason=credential.revoked_reason or "holder_request",
        revoked_at=revoked_at,
    )
    await publish(session, event, key=key, subject=str(credential.id), aggregate_type=AGGREGATE, sequence=2)
