"""PJAP use cases: register a machine client (secret shown once, stored as an Argon2id hash), delegate to a PJAP,
revoke a delegation. Each commits its own transaction."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

from identity.audit.service import record
from identity.models import PJAPClient, PJAPDelegation
from identity.passwords import Passwords
from identity.pjap.errors import ClientNotFound
from identity.pjap.repository import PJAPRepository
from identity.taxpayers.access import taxpayer_for
from identity.taxpayers.errors import NotRepresentative
from kit.auth import Principal
from kit.db import UnitOfWork


async def register_client(uow: UnitOfWork, passwords: Passwords, officer: Principal | None, *, name: str,
                          scopes: list[str], kind: str, rate_limit_per_minute: int, ip: str) -> tuple[PJAPClient, str]:
    """A new machine client; the secret is shown once and stored only as an Argon2id hash. `officer` is None when
    the command line registers it."""
    secret = secrets.token_urlsafe(32)
    secret_hash = await passwords.hash(secret)
    async with uow:
        client = PJAPClient(client_id=f"{kind}-{secrets.token_hex(6)}", secret_hash=secret_hash, name=name,
                            scopes=" ".join(sorted(set(scopes))), kind=kind,
                            rate_limit_per_minute=rate_limit_per_minute)
        await PJAPRepository(uow.session).add_client(client)
        await record(uow.session, "client_registered", actor=officer.subject if officer else "cli", ip=ip,
                     details={"client_id": client.client_id, "kind": kind, "scopes": client.scopes})
        await uow.commit()
        return client, secret


async def delegate(uow: UnitOfWork, principal: Principal, npwp: str, *, client_id: str, scopes: list[str],
                   ip: str) -> PJAPDelegation:
    """The taxpayer (its own person, or its PIC) allows a PJAP to act for it with some of the PJAP's scopes."""
    async with uow:
        s = uow.session
        repo = PJAPRepository(s)
        taxpayer = await taxpayer_for(s, principal, npwp, scope="roles:manage")
        client = await repo.pjap_client(client_id)
        if client is None or not client.active:
            raise ClientNotFound()
        allowed = sorted(set(scopes) & set(client.scopes.split()))
        if not allowed:
            raise NotRepresentative("none of these scopes is available to this PJAP")
        existing = await repo.active_delegation_for_update(taxpayer.id, client_id)
        if existing:
            existing.scopes = " ".join(allowed)
            delegation = existing
            await repo.flush()
        else:
            delegation = PJAPDelegation(taxpayer_id=taxpayer.id, client_id=client_id, scopes=" ".join(allowed),
                                        granted_by=uuid.UUID(principal.acting_person))
            await repo.add_delegation(delegation)
        await record(s, "pjap_delegated", actor=str(delegation.granted_by), acting_for=npwp, ip=ip,
                     details={"client_id": client_id, "scopes": allowed})
        await uow.commit()
        return delegation


async def revoke_delegation(uow: UnitOfWork, principal: Principal, npwp: str, client_id: str, ip: str) -> None:
    async with uow:
        s = uow.session
        taxpayer = await taxpayer_for(s, principal, npwp, scope="roles:manage")
        delegation = await PJAPRepository(s).active_delegation_for_update(taxpayer.id, client_id)
        if delegation is None:
            raise ClientNotFound("no active delegation to this PJAP")
        delegation.revoked_at = datetime.now(UTC)
        await record(s, "pjap_revoked", actor=principal.subject, acting_for=npwp, ip=ip,
                     details={"client_id": client_id})
        await uow.commit()
