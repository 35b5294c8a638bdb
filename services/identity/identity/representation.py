"""Representatives: the PIC of a company grants and revokes roles (PIC, drafter, signer, payroll viewer) for
persons, one taxpayer at a time. Every change is audited and published."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import or_, select

from contracts.identity import RepresentativeGranted, RepresentativeRevoked
from identity.access import acting_person, active_roles, taxpayer_for
from identity.audit import record
from identity.errors import PersonNotFound, RoleForbidden
from identity.models import Account, Person, RoleGrant, Taxpayer
from kit.auth import Principal
from kit.db import UnitOfWork
from kit.errors import Conflict, NotFound
from kit.outbox import publish


class RoleAlreadyGranted(Conflict):
    code, title = "role.already_granted", "The person already has this role"


class GrantNotFound(NotFound):
    code, title = "role.not_found", "Role grant not found"


async def _require_pic(s, principal: Principal, npwp: str) -> tuple[Taxpayer, Person]:  # type: ignore[no-untyped-def]
    taxpayer = await taxpayer_for(s, principal, npwp, scope="roles:manage", lock=True)
    person = await acting_person(s, principal)
    if "pic" not in await active_roles(s, taxpayer.id, person.id) and taxpayer.person_id != person.id:
        raise RoleForbidden("only the taxpayer's PIC may change roles")
    return taxpayer, person


async def grant(uow: UnitOfWork, principal: Principal, npwp: str, *, person_identifier: str, role: str,
                ip: str) -> RoleGrant:
    async with uow:
        s = uow.session
        taxpayer, pic = await _require_pic(s, principal, npwp)
        grantee = (await s.execute(select(Person).where(or_(Person.identity_number == person_identifier,
                                                            Person.nik == person_identifier)))).scalar_one_or_none()
        if grantee is None:
            raise PersonNotFound("no registered person with this NIK or identity number; they register first")
        now = datetime.now(UTC)
        if role == "pic":  # the PIC hands over: exactly one PIC per taxpayer, changed only by the current PIC
            for current in (await s.execute(select(RoleGrant).where(
                    RoleGrant.taxpayer_id == taxpayer.id, RoleGrant.role == "pic",
                    RoleGrant.revoked_at.is_(None)))).scalars():
                await _revoke(s, taxpayer, current, pic, now)
        if role in await active_roles(s, taxpayer.id, grantee.id):
            raise RoleAlreadyGranted(f"{grantee.full_name} already has the {role} role")
        new = RoleGrant(id=uuid.uuid4(), taxpayer_id=taxpayer.id, person_id=grantee.id, role=role,
                        granted_by=pic.id, granted_at=now)
        s.add(new)
        await s.flush()  # the taxpayer row is locked: no concurrent grant can slip in between
        account_id = (await s.execute(select(Account.id).where(Account.person_id == grantee.id))).scalar()
        taxpayer.version += 1
        await publish(s, RepresentativeGranted(
            grant_id=str(new.id), taxpayer_id=str(taxpayer.id), npwp=npwp, person_id=str(grantee.id),
            account_id=str(account_id) if account_id else None, role=role,  # type: ignore[arg-type]
            granted_by=str(pic.id), granted_at=now),
            key=npwp, subject=str(taxpayer.id), aggregate_type="taxpayer", sequence=taxpayer.version)
        await record(s, "role_granted", actor=str(pic.id), acting_for=npwp, ip=ip,
                     details={"grant_id": str(new.id), "role": role, "person_id": str(grantee.id)})
        await uow.commit()
        return new


async def revoke(uow: UnitOfWork, principal: Principal, npwp: str, grant_id: uuid.UUID, *, ip: str) -> None:
    async with uow:
        s = uow.session
        taxpayer, pic = await _require_pic(s, principal, npwp)
        existing = await s.get(RoleGrant, grant_id, with_for_update=True)
        if existing is None or existing.taxpayer_id != taxpayer.id or existing.revoked_at is not None:
            raise GrantNotFound()
        if existing.role == "pic":
            raise RoleForbidden("the PIC role is handed over by granting it to the new PIC, never left empty")
        await _revoke(s, taxpayer, existing, pic, datetime.now(UTC))
        await record(s, "role_revoked", actor=str(pic.id), acting_for=npwp, ip=ip,
                     details={"grant_id": str(grant_id), "role": existing.role})
        await uow.commit()


async def _revoke(s, taxpayer: Taxpayer, grant_: RoleGrant, by: Person, now: datetime) -> None:  # type: ignore[no-untyped-def]
    grant_.revoked_at, grant_.revoked_by = now, by.id
    await s.flush()
    taxpayer.version += 1
    await publish(s, RepresentativeRevoked(
        grant_id=str(grant_.id), taxpayer_id=str(taxpayer.id), npwp=taxpayer.npwp, person_id=str(grant_.person_id),
        role=grant_.role, revoked_by=str(by.id), revoked_at=now),  # type: ignore[arg-type]
        key=taxpayer.npwp, subject=str(taxpayer.id), aggregate_type="taxpayer", sequence=taxpayer.version)


async def list_grants(uow: UnitOfWork, principal: Principal, npwp: str) -> list[tuple[RoleGrant, Person]]:
    async with uow:
        s = uow.session
        taxpayer = await taxpayer_for(s, principal, npwp, scope="taxpayer:read")
        rows = (await s.execute(select(RoleGrant, Person).join(Person, Person.id == RoleGrant.person_id)
                                .where(RoleGrant.taxpayer_id == taxpayer.id, RoleGrant.revoked_at.is_(None))
                                .order_by(RoleGrant.granted_at))).all()
        return [(g, p) for g, p in rows]
