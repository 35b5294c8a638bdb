"""Who may act for a taxpayer, decided from the token: its taxpayer ids (`tid`) and scopes, which identity put there
from the person's own taxpayer, their roles, or a PJAP's delegation. Used by the services of the taxpayers and pjap
slices, inside their transactions."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from identity.models import Person, Taxpayer
from identity.taxpayers.errors import NotRepresentative, TaxpayerNotFound
from identity.taxpayers.repository import PersonRepository, TaxpayerRepository
from kit.auth import Principal


def may_act(principal: Principal, npwp: str, scope: str) -> bool:
    return npwp in principal.taxpayer_ids and scope in principal.scopes


async def taxpayer_for(session: AsyncSession, principal: Principal, npwp: str, *, scope: str,
                       lock: bool = False) -> Taxpayer:
    """The taxpayer, if the caller may act for it with `scope`; raises 403/404 otherwise."""
    taxpayer = await TaxpayerRepository(session).by_npwp(npwp, lock=lock)
    if taxpayer is None:
        raise TaxpayerNotFound(f"no taxpayer with NPWP {npwp}")
    if may_act(principal, npwp, scope):
        return taxpayer
    raise NotRepresentative(f"no role with {scope} for taxpayer {npwp}")


async def acting_person(session: AsyncSession, principal: Principal) -> Person:
    """The natural person behind the token: the subject of a person's token, or `act.sub` of an exchanged one."""
    people = PersonRepository(session)
    try:
        account = await people.account(uuid.UUID(principal.acting_person))
    except ValueError:
        account = None
    if account is None:
        raise NotRepresentative("this action needs a person's token")
    person = await people.person(account.person_id)
    assert person is not None
    return person
