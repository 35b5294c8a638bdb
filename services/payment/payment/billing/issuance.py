"""Issuing and expiring billing codes inside the caller's transaction: the steps billing's own use cases and the
other slices (a debt's code, an instalment's, the deposit's) share. They publish `BillingCreated` / `BillingExpired`
through the outbox in that transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.payment import BillingCreated, BillingExpired
from kit.outbox import publish
from payment.billing.amount import amount_text
from payment.billing.codes import new_billing_code
from payment.billing.kap_kjs import BillingSubject
from payment.billing.repository import BillingRepository
from payment.billing.transfer import Transfer
from payment.billing.validity import expires_at
from payment.models import Billing

AGGREGATE = "billing"


async def issue(session: AsyncSession, *, npwp: str, subject: BillingSubject, amount: Decimal, origin: str,
                created_by: str, spt_id: str | None = None, debt_id: uuid.UUID | None = None,
                instalment_number: int | None = None, causation_id: str | None = None,
                transfer: Transfer | None = None) -> Billing:
    """A new code with a fresh random number (drawn again if ever issued before) and `BillingCreated`."""
    repo = BillingRepository(session)
    created_at = datetime.now(UTC)
    values = dict(npwp=npwp, kap=subject.rule.kap, kjs=subject.rule.kjs, period=subject.period,
                  assessment_number=subject.assessment_number, amount=amount, origin=origin, spt_id=spt_id,
                  debt_id=debt_id, instalment_number=instalment_number, status="active", created_by=created_by,
                  created_at=created_at,
                  expires_at=expires_at(created_at), version=1,
                  nop=transfer.nop if transfer else None, transfer_value=transfer.value if transfer else None,
                  buyer_id=transfer.buyer_id if transfer else None)
    billing = None
    while billing is None:
        billing = await repo.insert({**values, "id": uuid.uuid4(), "code": new_billing_code()})
    await publish(session, BillingCreated(
        billing_id=str(billing.id), billing_code=billing.code, npwp=npwp, kap_kjs=billing.kap_kjs,
        period=billing.period, assessment_number=billing.assessment_number, amount=amount_text(amount),
        origin=origin, spt_id=spt_id, debt_id=str(debt_id) if debt_id else None,  # type: ignore[arg-type]
        instalment_number=instalment_number, created_at=created_at, expires_at=billing.expires_at,
    ), key=npwp, subject=str(billing.id), aggregate_type=AGGREGATE, sequence=billing.version,
        causation_id=causation_id)
    return billing


async def expire_in(session: AsyncSession, billing: Billing, now: datetime) -> None:
    """In the caller's transaction, with `billing` locked: an active code past its expiry that the worker has not
    reached yet is marked expired and announced now (a debt's new code needs the old one out of the way)."""
    await BillingRepository(session).mark_expired(billing, now)
    await announce_expiry(session, billing, now)


async def announce_expiry(session: AsyncSession, billing: Billing, now: datetime) -> None:
    await publish(session, BillingExpired(
        billing_id=str(billing.id), billing_code=billing.code, npwp=billing.npwp, kap_kjs=billing.kap_kjs,
        period=billing.period, assessment_number=billing.assessment_number,
        amount=amount_text(billing.amount), origin=billing.origin,  # type: ignore[arg-type]
        spt_id=billing.spt_id, debt_id=str(billing.debt_id) if billing.debt_id else None,
        instalment_number=billing.instalment_number, expired_at=now,
    ), key=billing.npwp, subject=str(billing.id), aggregate_type=AGGREGATE, sequence=billing.version)
