"""Who may act for a taxpayer, decided from the token: its own taxpayer ids (`tid`) and roles, a PJAP's delegated
token, or a person's roles granted in this database."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from identity.errors import NotRepresentative, TaxpayerNotFound
from identity.models import Account, Person, RoleGrant, Taxpayer
from kit.auth import Principal


async def taxpayer_for(s: AsyncSession, principal: Principal, npwp: str, *, scope: str,
                       lock: bool = False) -> Taxpayer:
    """The taxpayer, if the caller may act for it with `scope`; raises 403/404 otherwise."""
    query = select(Taxpayer).where(Taxpayer.npwp == npwp)
    taxpayer = (await s.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
    if taxpayer is None:
        raise TaxpayerNotFound(f"no taxpayer with NPWP {npwp}")
    if npwp in principal.taxpayer_ids and scope in principal.scopes:
        return taxpayer
    raise NotRepresentative(f"no role with {scope} for taxpayer {npwp}")


async def acting_person(s: AsyncSession, principal: Principal) -> Person:
    """The natural person behind the token: the subject of a person's token, or `act.sub` of an exchanged one."""
    account_id = principal.actor["sub"] if principal.actor else principal.subject
    try:
        account = await s.get(Account, uuid.UUID(str(account_id)))
    except ValueError:
        account = None
    if account is None:
        raise NotRepresentative("this action needs a person's token")
    person = await s.get(Person, account.person_id)
    assert person is not None
    return person


async def active_roles(s: AsyncSession, taxpayer_id: uuid.UUID, person_id: uuid.UUID) -> list[str]:
    return list((await s.execute(select(RoleGrant.role).where(
        RoleGrant.taxpayer_id == taxpayer_id, RoleGrant.person_id == person_id,
        RoleGrant.revoked_at.is_(None)))).scalars())
