"""The person's view of themselves (`/v1/me`) and the taxpayer profile: address, contacts (a new e-mail or phone is
confirmed by an OTP sent to the new destination), refund bank accounts, PKP status history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import PKPStatusChanged, TaxpayerUpdated
from identity import otp
from identity.access import acting_person, taxpayer_for
from identity.audit import record
from identity.models import Account, BankAccount, Person, PKPStatusPeriod, RoleGrant, Taxpayer
from identity.settings import IdentitySettings
from kit.auth import Principal
from kit.db import UnitOfWork
from kit.outbox import publish

CONTACT_PURPOSE = "contact_change"


@dataclass(frozen=True)
class Me:
    person: Person
    account: Account
    acting_for: list[tuple[Taxpayer, list[str]]]


async def me(uow: UnitOfWork, principal: Principal) -> Me:
    async with uow:
        s = uow.session
        person = await acting_person(s, principal)
        account = (await s.execute(select(Account).where(Account.person_id == person.id))).scalar_one()
        own = (await s.execute(select(Taxpayer).where(Taxpayer.person_id == person.id))).scalars().all()
        granted = (await s.execute(select(Taxpayer, RoleGrant.role).join(RoleGrant, RoleGrant.taxpayer_id == Taxpayer.id)
                                   .where(RoleGrant.person_id == person.id, RoleGrant.revoked_at.is_(None))
                                   .order_by(Taxpayer.name))).all()
        by_taxpayer: dict[uuid.UUID, tuple[Taxpayer, list[str]]] = {t.id: (t, ["self"]) for t in own}
        for taxpayer, role in granted:
            by_taxpayer.setdefault(taxpayer.id, (taxpayer, []))[1].append(role)
        return Me(person, account, list(by_taxpayer.values()))


async def update_address(uow: UnitOfWork, principal: Principal, npwp: str, address: str, ip: str) -> Taxpayer:
    async with uow:
        s = uow.session
        taxpayer = await taxpayer_for(s, principal, npwp, scope="taxpayer:write", lock=True)
        taxpayer.address = address
        await publish_update(s, taxpayer, ["address"])
        await record(s, "profile_updated", actor=_actor(principal), acting_for=npwp, ip=ip,
                     details={"fields": ["address"]})
        await uow.commit()
        return taxpayer


async def request_contact_change(uow: UnitOfWork, settings: IdentitySettings, principal: Principal, npwp: str, *,
                                 channel: str, new_value: str, ip: str) -> uuid.UUID:
    """Send a code to the NEW address or number; the change applies only when it is confirmed."""
    async with uow:
        s = uow.session
        taxpayer = await taxpayer_for(s, principal, npwp, scope="taxpayer:write")
        change_id = uuid.uuid4()
        await otp.issue(s, settings.otp, otp.OTPRequest(
            purpose=CONTACT_PURPOSE, subject_id=f"{taxpayer.id}:{change_id}:{channel}:{new_value}", channel=channel,
            destination=new_value, ip=ip))
        await uow.commit()
        return change_id


async def confirm_contact_change(uow: UnitOfWork, settings: IdentitySettings, principal: Principal, npwp: str, *,
                                 change_id: uuid.UUID, channel: str, new_value: str, code: str, ip: str) -> Taxpayer:
    async with uow:
        s = uow.session
        taxpayer = await taxpayer_for(s, principal, npwp, scope="taxpayer:write", lock=True)
        outcome = await otp.check(s, settings.otp, subject_id=f"{taxpayer.id}:{change_id}:{channel}:{new_value}",
                                  purpose=CONTACT_PURPOSE, channel=channel, code=code)
        if isinstance(outcome, Exception):
            await uow.commit()
            raise outcome
        field = "email" if channel == "email" else "phone"
        setattr(taxpayer, field, new_value)
        if taxpayer.person_id is not None:  # an individual's login contacts follow their taxpayer contacts
            account = (await s.execute(select(Account).where(Account.person_id == taxpayer.person_id))).scalar_one()
            setattr(account, field, new_value)
        await publish_update(s, taxpayer, [field])
        await record(s, "contact_changed", actor=_actor(principal), acting_for=npwp, ip=ip, details={"field": field})
        await uow.commit()
        return taxpayer


async def add_bank_account(uow: UnitOfWork, principal: Principal, npwp: str, *, bank_code: str, account_number: str,
                           account_name: str, is_refund_account: bool, ip: str) -> BankAccount:
    async with uow:
        s = uow.session
        taxpayer = await taxpayer_for(s, principal, npwp, scope="taxpayer:write", lock=True)
        if is_refund_account:
            for existing in (await s.execute(select(BankAccount).where(BankAccount.taxpayer_id == taxpayer.id,
                                                                       BankAccount.is_refund_account))).scalars():
                existing.is_refund_account = False
        bank = BankAccount(taxpayer_id=taxpayer.id, bank_code=bank_code, account_number=account_number,
                           account_name=account_name, is_refund_account=is_refund_account)
        s.add(bank)
        await s.flush()
        await record(s, "bank_account_added", actor=_actor(principal), acting_for=npwp, ip=ip,
                     details={"bank_code": bank_code, "account_last4": account_number[-4:]})
        await uow.commit()
        return bank


async def bank_accounts(uow: UnitOfWork, principal: Principal, npwp: str) -> list[BankAccount]:
    async with uow:
        taxpayer = await taxpayer_for(uow.session, principal, npwp, scope="taxpayer:read")
        return list((await uow.session.execute(select(BankAccount).where(BankAccount.taxpayer_id == taxpayer.id)
                                               .order_by(BankAccount.created_at))).scalars())


async def pkp_history(uow: UnitOfWork, principal: Principal, npwp: str) -> list[PKPStatusPeriod]:
    async with uow:
        taxpayer = await taxpayer_for(uow.session, principal, npwp, scope="taxpayer:read")
        return await _pkp_periods(uow.session, taxpayer.id)


async def _pkp_periods(s: AsyncSession, taxpayer_id: uuid.UUID) -> list[PKPStatusPeriod]:
    return list((await s.execute(select(PKPStatusPeriod).where(PKPStatusPeriod.taxpayer_id == taxpayer_id)
                                 .order_by(PKPStatusPeriod.effective_date, PKPStatusPeriod.recorded_at))).scalars())


async def set_pkp_status(s: AsyncSession, taxpayer: Taxpayer, *, is_pkp: bool, effective_date: date,
                         source: str) -> bool:
    """Record a PKP status from `effective_date` (officer decision or legacy import). Returns False if unchanged."""
    if taxpayer.is_pkp == is_pkp:
        return False
    taxpayer.is_pkp = is_pkp
    taxpayer.version += 1
    s.add(PKPStatusPeriod(taxpayer_id=taxpayer.id, is_pkp=is_pkp, effective_date=effective_date, source=source))
    await publish(s, PKPStatusChanged(taxpayer_id=str(taxpayer.id), npwp=taxpayer.npwp, is_pkp=is_pkp,
                                      effective_date=effective_date, source_of_change=source),  # type: ignore[arg-type]
                  key=taxpayer.npwp, subject=str(taxpayer.id), aggregate_type="taxpayer", sequence=taxpayer.version)
    return True


async def publish_update(s: AsyncSession, taxpayer: Taxpayer, changed: list[str],
                            previous_npwp: str | None = None) -> None:
    taxpayer.version += 1
    await publish(s, TaxpayerUpdated(
        taxpayer_id=str(taxpayer.id), npwp=taxpayer.npwp, previous_npwp=previous_npwp, nitku=taxpayer.nitku,
        name=taxpayer.name, kind=taxpayer.kind, status=taxpayer.status, email=taxpayer.email,  # type: ignore[arg-type]
        phone=taxpayer.phone, address=taxpayer.address, changed=changed, updated_at=datetime.now(UTC)),
        key=taxpayer.npwp, subject=str(taxpayer.id), aggregate_type="taxpayer", sequence=taxpayer.version)


def _actor(principal: Principal) -> str:
    return str(principal.actor["sub"]) if principal.actor else principal.subject


published_update = publish_update
