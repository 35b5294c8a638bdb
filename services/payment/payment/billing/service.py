"""Use cases of the billing slice: a self-assessed (mandiri) code, a code for an SPT waiting for payment (from
filing's event), reading a code, and expiring the codes past their validity. Each API use case commits its own
transaction; the consumer step runs in the consumer's transaction (inbox row and change together)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.filing import SPTPaymentRequested
from contracts.payment import BillingCreated, BillingExpired
from kit.auth import Principal, acting_taxpayer
from kit.db import UnitOfWork
from kit.outbox import publish
from payment.auth import READ, WRITE
from payment.billing.amount import amount_text, check_amount
from payment.billing.codes import new_billing_code, validate_billing_code
from payment.billing.errors import BillingNotFound
from payment.billing.kap_kjs import BillingSubject, check_billing_subject
from payment.billing.repository import BillingRepository
from payment.billing.schemas import BillingCreate, BillingRead
from payment.billing.validity import expires_at
from payment.models import Billing

log = logging.getLogger(__name__)
AGGREGATE = "billing"


async def create_mandiri_billing(uow: UnitOfWork, principal: Principal, body: BillingCreate) -> BillingRead:
    principal.require(WRITE)
    npwp = acting_taxpayer(principal, body.npwp)
    subject = check_billing_subject(body.kap_kjs, period=body.period, assessment_number=body.assessment_number)
    amount = check_amount(body.amount)
    async with uow:
        billing = await issue(uow.session, npwp=npwp, subject=subject, amount=amount, origin="mandiri",
                              created_by=principal.acting_person)
        read = BillingRead.of(billing, None, billing.created_at)
        await uow.commit()
    return read


async def get_billing(uow: UnitOfWork, principal: Principal, code: str) -> BillingRead:
    principal.require(READ)
    code = validate_billing_code(code)
    async with uow:
        found = await BillingRepository(uow.session).get_by_code(code)
    if found is None or found[0].npwp not in principal.taxpayer_ids:
        raise BillingNotFound(f"no billing code {code} for the taxpayers of this token")
    return BillingRead.of(*found, datetime.now(UTC))


async def create_spt_billing(session: AsyncSession, envelope: Envelope, event: SPTPaymentRequested) -> None:
    """Consumer step for filing's `SPTPaymentRequested`: the SPT's code for this KAP-KJS, unless one is still
    payable or paid (a repeated request makes no second code). A request the rules refuse raises, so the event
    goes to the dead-letter topic with the reason."""
    subject = check_billing_subject(event.kap_kjs, period=event.period)
    amount = check_amount(event.amount)
    repo = BillingRepository(session)
    existing = await repo.open_for_spt(event.spt_id, subject.rule.kap, subject.rule.kjs)
    if existing is not None:
        log.info("SPT already has a billing code", extra={"spt_id": event.spt_id, "status": existing.status})
        return
    await issue(session, npwp=event.npwp, subject=subject, amount=amount, origin="spt", spt_id=event.spt_id,
                created_by=f"event:{envelope.id}", causation_id=str(envelope.id))


async def issue(session: AsyncSession, *, npwp: str, subject: BillingSubject, amount: Decimal, origin: str,
                created_by: str, spt_id: str | None = None, debt_id: uuid.UUID | None = None,
                causation_id: str | None = None) -> Billing:
    """A new code with a fresh random number (drawn again if ever issued before) and `BillingCreated`."""
    repo = BillingRepository(session)
    created_at = datetime.now(UTC)
    values = dict(npwp=npwp, kap=subject.rule.kap, kjs=subject.rule.kjs, period=subject.period,
                  assessment_number=subject.assessment_number, amount=amount, origin=origin, spt_id=spt_id,
                  debt_id=debt_id, status="active", created_by=created_by, created_at=created_at,
                  expires_at=expires_at(created_at), version=1)
    billing = None
    while billing is None:
        billing = await repo.insert({**values, "id": uuid.uuid4(), "code": new_billing_code()})
    await publish(session, BillingCreated(
        billing_id=str(billing.id), billing_code=billing.code, npwp=npwp, kap_kjs=billing.kap_kjs,
        period=billing.period, assessment_number=billing.assessment_number, amount=amount_text(amount),
        origin=origin, spt_id=spt_id, debt_id=str(debt_id) if debt_id else None,  # type: ignore[arg-type]
        created_at=created_at, expires_at=billing.expires_at,
    ), key=npwp, subject=str(billing.id), aggregate_type=AGGREGATE, sequence=billing.version,
        causation_id=causation_id)
    return billing


async def expire_due_billing_codes(uow: UnitOfWork, *, batch: int, now: datetime | None = None) -> int:
    """Mark up to `batch` active codes past their expiry as expired and publish `BillingExpired` for each, in one
    transaction. Returns how many; the caller repeats while a full batch came back."""
    now = now or datetime.now(UTC)
    async with uow:
        expired = await BillingRepository(uow.session).expire_due(now, batch)
        for billing in expired:
            await _announce_expiry(uow.session, billing, now)
        await uow.commit()
    return len(expired)


async def expire_in(session: AsyncSession, billing: Billing, now: datetime) -> None:
    """In the caller's transaction, with `billing` locked: an active code past its expiry that the worker has not
    reached yet is marked expired and announced now (a debt's new code needs the old one out of the way)."""
    await BillingRepository(session).mark_expired(billing, now)
    await _announce_expiry(session, billing, now)


async def _announce_expiry(session: AsyncSession, billing: Billing, now: datetime) -> None:
    await publish(session, BillingExpired(
        billing_id=str(billing.id), billing_code=billing.code, npwp=billing.npwp, kap_kjs=billing.kap_kjs,
        period=billing.period, assessment_number=billing.assessment_number,
        amount=amount_text(billing.amount), origin=billing.origin,  # type: ignore[arg-type]
        spt_id=billing.spt_id, debt_id=str(billing.debt_id) if billing.debt_id else None, expired_at=now,
    ), key=billing.npwp, subject=str(billing.id), aggregate_type=AGGREGATE, sequence=billing.version)
