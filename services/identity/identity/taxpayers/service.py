"""Taxpayer use cases. Each one that is called from an endpoint owns its transaction and commits it, with its events
and audit rows. `create_taxpayer`, `set_pkp_status`, `record_update` and `appoint_first_pic` are steps that other
slices' use cases (registration, officer tools) run in their own transaction: they never commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from identity.audit.service import record
from identity.models import Account, BankAccount, Person, PKPStatusPeriod, RoleGrant, Taxpayer
from identity.otp import service as otp
from identity.settings import IdentitySettings
from identity.taxpayers import events, rules
from identity.taxpayers.access import acting_person, taxpayer_for
from identity.taxpayers.errors import (
    GrantNotFound,
    PersonNotFound,
    RoleAlreadyGranted,
    RoleForbidden,
    TaxpayerAlreadyRegistered,
    TaxpayerNotFound,
)
from identity.taxpayers.repository import PersonRepository, RoleRepository, TaxpayerRepository
from identity.taxpayers.schemas import TaxpayerCreate
from kit.auth import Principal
from kit.clock import JAKARTA
from kit.db import UnitOfWork
from kit.identifiers import head_office_nitku

CONTACT_PURPOSE = "contact_change"


# -- creating a taxpayer: the one way ---------------------------------------------------------------------------
@dataclass(frozen=True)
class NewTaxpayer:
    npwp: str
    name: str
    kind: str  # individual | company | government
    person_id: uuid.UUID | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    ahu_number: str | None = None
    legacy_npwp15: str | None = None
    is_pkp: bool = False
    pkp_since: date | None = None  # a PKP's start date (legacy import); PKP from the registration day if not given
    registered_on: date | None = None  # the legacy system's registration day (legacy import); None: now


async def create_taxpayer(session: AsyncSession, new: NewTaxpayer, *, source: str) -> Taxpayer:
    """The one way a taxpayer comes to be (registration, the internal route, the legacy import), in the caller's
    transaction: the row at version 1 with its head-office NITKU, its first PKP status period (non-PKP from the
    registration day, or PKP from `pkp_since`), and TaxpayerRegistered then PKPStatusChanged, both with sequence =
    the version. Registered now, or at 00:00 (Jakarta) of `registered_on` when given (a legacy registration).
    Raises TaxpayerAlreadyRegistered when the NPWP (or another unique number) is taken."""
    now = datetime.now(UTC)
    registered_at = datetime.combine(new.registered_on, time(0), JAKARTA) if new.registered_on else now
    # DJP's day, as filing reads it: from 00:00 to 07:00 WIB the UTC date is the day before
    registered_day = new.registered_on or now.astimezone(JAKARTA).date()
    taxpayer = Taxpayer(id=uuid.uuid4(), npwp=new.npwp, nitku=head_office_nitku(new.npwp), name=new.name,
                        kind=new.kind, person_id=new.person_id, legacy_npwp15=new.legacy_npwp15,
                        ahu_number=new.ahu_number, email=new.email, phone=new.phone, address=new.address,
                        is_pkp=new.is_pkp, version=1, registered_at=registered_at)
    repo = TaxpayerRepository(session)
    try:
        await repo.add(taxpayer)
    except IntegrityError:
        raise TaxpayerAlreadyRegistered(f"NPWP {new.npwp} is already registered") from None
    effective = (new.pkp_since or registered_day) if new.is_pkp else registered_day
    repo.add_pkp_period(PKPStatusPeriod(taxpayer_id=taxpayer.id, is_pkp=new.is_pkp, effective_date=effective,
                                        source=source))
    await events.taxpayer_registered(session, taxpayer)
    await events.pkp_status_changed(session, taxpayer, effective_date=effective, source=source)
    return taxpayer


async def register_taxpayer(uow: UnitOfWork, data: TaxpayerCreate) -> Taxpayer:
    """A minimal taxpayer record (officer tooling, tests): `POST /internal/v1/taxpayers`."""
    async with uow:
        taxpayer = await create_taxpayer(uow.session, NewTaxpayer(npwp=data.npwp, name=data.name, kind=data.kind),
                                         source="registration")
        await uow.commit()
        return taxpayer


async def get_taxpayer(uow: UnitOfWork, npwp: str) -> Taxpayer:
    async with uow:
        taxpayer = await TaxpayerRepository(uow.session).by_npwp(npwp)
        if taxpayer is None:
            raise TaxpayerNotFound(f"no taxpayer with NPWP {npwp}")
        return taxpayer


# -- steps other slices run in their transaction ----------------------------------------------------------------
async def set_pkp_status(session: AsyncSession, taxpayer: Taxpayer, *, is_pkp: bool, effective_date: date,
                         source: str) -> list[rules.Change]:
    """Record a PKP status from `effective_date` on (an officer's decision), on the taxpayer the caller locked: it
    wins over every change recorded before, later dates included (`rules.decision_changes`), one period and one
    PKPStatusChanged per change, all at the taxpayer's next version. Returns the changes recorded, the decision's
    own last: none when the status already is `is_pkp` from that date on. A date before the registration day is
    taken as dated (DJP registers and confirms PKP ex officio with effect from when the obligation arose): the
    registration's own non-PKP period is restated like any later change."""
    repo = TaxpayerRepository(session)
    periods = await repo.pkp_periods(taxpayer.id)
    changes = rules.decision_changes([(p.effective_date, p.is_pkp) for p in periods], is_pkp=is_pkp,
                                     effective_date=effective_date)
    if not changes:
        return []
    taxpayer.is_pkp = is_pkp
    taxpayer.version += 1
    recorded_at = await repo.clock()  # one instant for the decision; reads after the earlier ones (the row lock)
    for day, status in changes:
        repo.add_pkp_period(PKPStatusPeriod(taxpayer_id=taxpayer.id, is_pkp=status, effective_date=day,
                                            source=source, recorded_at=recorded_at))
        await events.pkp_status_changed(session, taxpayer, effective_date=day, source=source)
    return changes


async def record_update(session: AsyncSession, taxpayer: Taxpayer, changed: list[str],
                        previous_npwp: str | None = None) -> None:
    """The taxpayer row changed (`changed` fields): a new version and TaxpayerUpdated with the full current view."""
    taxpayer.version += 1
    await events.taxpayer_updated(session, taxpayer, changed, previous_npwp)


async def appoint_first_pic(session: AsyncSession, taxpayer: Taxpayer, person_id: uuid.UUID,
                            account_id: uuid.UUID) -> RoleGrant:
    """The person who registered a company becomes its PIC, with the registration's version of the taxpayer."""
    grant = RoleGrant(id=uuid.uuid4(), taxpayer_id=taxpayer.id, person_id=person_id, role="pic",
                      granted_at=datetime.now(UTC))
    await RoleRepository(session).add(grant)
    await events.representative_granted(session, taxpayer, grant, account_id=account_id)
    return grant


# -- the person and their taxpayers -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Me:
    person: Person
    account: Account
    acting_for: list[tuple[Taxpayer, list[str]]]


async def me(uow: UnitOfWork, principal: Principal) -> Me:
    async with uow:
        s = uow.session
        person = await acting_person(s, principal)
        account = await PersonRepository(s).account_of(person.id)
        assert account is not None
        by_taxpayer: dict[uuid.UUID, tuple[Taxpayer, list[str]]] = {
            t.id: (t, ["self"]) for t in await TaxpayerRepository(s).own_of(person.id)}
        for taxpayer, role in await RoleRepository(s).granted_taxpayers(person.id):
            by_taxpayer.setdefault(taxpayer.id, (taxpayer, []))[1].append(role)
        return Me(person, account, list(by_taxpayer.values()))


async def read_profile(uow: UnitOfWork, principal: Principal, npwp: str) -> Taxpayer:
    async with uow:
        return await taxpayer_for(uow.session, principal, npwp, scope="taxpayer:read")


async def update_address(uow: UnitOfWork, principal: Principal, npwp: str, address: str, ip: str) -> Taxpayer:
    async with uow:
        s = uow.session
        taxpayer = await taxpayer_for(s, principal, npwp, scope="taxpayer:write", lock=True)
        taxpayer.address = address
        await record_update(s, taxpayer, ["address"])
        await record(s, "profile_updated", actor=principal.acting_person, acting_for=npwp, ip=ip,
                     details={"fields": ["address"]})
        await uow.commit()
        return taxpayer


def _contact_subject(taxpayer: Taxpayer, change_id: uuid.UUID, channel: str, new_value: str) -> str:
    return f"{taxpayer.id}:{change_id}:{channel}:{new_value}"


async def request_contact_change(uow: UnitOfWork, settings: IdentitySettings, principal: Principal, npwp: str, *,
                                 channel: str, new_value: str, ip: str) -> uuid.UUID:
    """Send a code to the NEW address or number; the change applies only when it is confirmed."""
    async with uow:
        s = uow.session
        taxpayer = await taxpayer_for(s, principal, npwp, scope="taxpayer:write")
        change_id = uuid.uuid4()
        await otp.issue(s, settings.otp, otp.OTPRequest(
            purpose=CONTACT_PURPOSE, subject_id=_contact_subject(taxpayer, change_id, channel, new_value),
            channel=channel, destination=new_value, ip=ip))
        await uow.commit()
        return change_id


async def confirm_contact_change(uow: UnitOfWork, settings: IdentitySettings, principal: Principal, npwp: str, *,
                                 change_id: uuid.UUID, channel: str, new_value: str, code: str, ip: str) -> Taxpayer:
    async with uow:
        s = uow.session
        taxpayer = await taxpayer_for(s, principal, npwp, scope="taxpayer:write", lock=True)
        outcome = await otp.check(s, settings.otp, subject_id=_contact_subject(taxpayer, change_id, channel, new_value),
                                  purpose=CONTACT_PURPOSE, channel=channel, code=code)
        if isinstance(outcome, Exception):
            await uow.commit()  # the attempt counts
            raise outcome
        field = "email" if channel == "email" else "phone"
        setattr(taxpayer, field, new_value)
        if taxpayer.person_id is not None:  # an individual's login contacts follow their taxpayer contacts
            account = await PersonRepository(s).account_of(taxpayer.person_id)
            assert account is not None
            setattr(account, field, new_value)
        await record_update(s, taxpayer, [field])
        await record(s, "contact_changed", actor=principal.acting_person, acting_for=npwp, ip=ip,
                     details={"field": field})
        await uow.commit()
        return taxpayer


async def add_bank_account(uow: UnitOfWork, principal: Principal, npwp: str, *, bank_code: str, account_number: str,
                           account_name: str, is_refund_account: bool, ip: str) -> BankAccount:
    async with uow:
        s = uow.session
        repo = TaxpayerRepository(s)
        taxpayer = await taxpayer_for(s, principal, npwp, scope="taxpayer:write", lock=True)
        if is_refund_account:  # one refund account at a time
            for existing in await repo.bank_accounts(taxpayer.id, refund_only=True):
                existing.is_refund_account = False
        bank = BankAccount(taxpayer_id=taxpayer.id, bank_code=bank_code, account_number=account_number,
                           account_name=account_name, is_refund_account=is_refund_account)
        await repo.add_bank_account(bank)
        await record(s, "bank_account_added", actor=principal.acting_person, acting_for=npwp, ip=ip,
                     details={"bank_code": bank_code, "account_last4": account_number[-4:]})
        await uow.commit()
        return bank


async def bank_accounts(uow: UnitOfWork, principal: Principal, npwp: str) -> list[BankAccount]:
    async with uow:
        taxpayer = await taxpayer_for(uow.session, principal, npwp, scope="taxpayer:read")
        return await TaxpayerRepository(uow.session).bank_accounts(taxpayer.id)


async def pkp_history(uow: UnitOfWork, principal: Principal, npwp: str) -> list[PKPStatusPeriod]:
    async with uow:
        taxpayer = await taxpayer_for(uow.session, principal, npwp, scope="taxpayer:read")
        return await TaxpayerRepository(uow.session).pkp_periods(taxpayer.id)


# -- representatives: the PIC grants and revokes roles ----------------------------------------------------------
async def _require_pic(s: AsyncSession, principal: Principal, npwp: str) -> tuple[Taxpayer, Person]:
    taxpayer = await taxpayer_for(s, principal, npwp, scope="roles:manage", lock=True)
    person = await acting_person(s, principal)
    if "pic" not in await RoleRepository(s).active_roles(taxpayer.id, person.id) and taxpayer.person_id != person.id:
        raise RoleForbidden("only the taxpayer's PIC may change roles")
    return taxpayer, person


async def grant_role(uow: UnitOfWork, principal: Principal, npwp: str, *, person_identifier: str, role: str,
                     ip: str) -> tuple[RoleGrant, Person]:
    """The PIC grants `role` to a registered person; granting `pic` hands the role over (exactly one PIC per
    taxpayer, changed only by the current PIC). Returns the grant and the grantee."""
    async with uow:
        s = uow.session
        roles = RoleRepository(s)
        taxpayer, pic = await _require_pic(s, principal, npwp)
        grantee = await PersonRepository(s).by_identifier(person_identifier)
        if grantee is None:
            raise PersonNotFound("no registered person with this NIK or identity number; they register first")
        now = datetime.now(UTC)
        if role == "pic":
            for current in await roles.active_with_role(taxpayer.id, "pic"):
                await _revoke(s, taxpayer, current, pic, now)
        if role in await roles.active_roles(taxpayer.id, grantee.id):
            raise RoleAlreadyGranted(f"{grantee.full_name} already has the {role} role")
        new = RoleGrant(id=uuid.uuid4(), taxpayer_id=taxpayer.id, person_id=grantee.id, role=role,
                        granted_by=pic.id, granted_at=now)
        await roles.add(new)  # the taxpayer row is locked: no concurrent grant can slip in between
        account = await PersonRepository(s).account_of(grantee.id)
        taxpayer.version += 1
        await events.representative_granted(s, taxpayer, new, account_id=account.id if account else None)
        await record(s, "role_granted", actor=str(pic.id), acting_for=npwp, ip=ip,
                     details={"grant_id": str(new.id), "role": role, "person_id": str(grantee.id)})
        await uow.commit()
        return new, grantee


async def revoke_role(uow: UnitOfWork, principal: Principal, npwp: str, grant_id: uuid.UUID, *, ip: str) -> None:
    async with uow:
        s = uow.session
        taxpayer, pic = await _require_pic(s, principal, npwp)
        existing = await RoleRepository(s).get_for_update(grant_id)
        if existing is None or existing.taxpayer_id != taxpayer.id or existing.revoked_at is not None:
            raise GrantNotFound()
        if existing.role == "pic":
            raise RoleForbidden("the PIC role is handed over by granting it to the new PIC, never left empty")
        await _revoke(s, taxpayer, existing, pic, datetime.now(UTC))
        await record(s, "role_revoked", actor=str(pic.id), acting_for=npwp, ip=ip,
                     details={"grant_id": str(grant_id), "role": existing.role})
        await uow.commit()


async def _revoke(s: AsyncSession, taxpayer: Taxpayer, grant: RoleGrant, by: Person, now: datetime) -> None:
    grant.revoked_at, grant.revoked_by = now, by.id
    await RoleRepository(s).flush()
    taxpayer.version += 1
    await events.representative_revoked(s, taxpayer, grant)


async def list_roles(uow: UnitOfWork, principal: Principal, npwp: str) -> list[tuple[RoleGrant, Person]]:
    async with uow:
        taxpayer = await taxpayer_for(uow.session, principal, npwp, scope="taxpayer:read")
        return await RoleRepository(uow.session).active_with_persons(taxpayer.id)
