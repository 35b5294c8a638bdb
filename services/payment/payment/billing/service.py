"""Use cases of the billing slice: a self-assessed (mandiri) code, a code for an SPT waiting for payment (from
filing's event), reading a code, and expiring the codes past their validity. Each API use case commits its own
transaction; the consumer step runs in the consumer's transaction (inbox row and change together)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.filing import SPTPaymentRequested
from kit.auth import Principal, acting_taxpayer
from kit.db import UnitOfWork
from kit.pagination import CursorParams, encode_cursor
from payment.auth import READ, WRITE
from payment.billing.amount import check_amount
from payment.billing.codes import validate_billing_code
from payment.billing.errors import BillingNotFound
from payment.billing.issuance import announce_expiry, issue
from payment.billing.kap_kjs import BillingSubject, check_billing_subject
from payment.billing.repository import BillingRepository
from payment.billing.schemas import BillingCreate, BillingPage, BillingRead
from payment.billing.transfer import Transfer, check_transfer
from payment.debts import service as debts

log = logging.getLogger(__name__)


async def create_mandiri_billing(uow: UnitOfWork, principal: Principal, body: BillingCreate) -> BillingRead:
    npwp, subject, amount, transfer = _checked(principal, body)
    if subject.assessment_number is not None:  # a code naming an open debt's STP/SKP number pays that debt
        found = await debts.code_for_named_debt(uow, principal, npwp=npwp, subject=subject, amount=amount)
        if found is not None:
            return found
    async with uow:
        read = await _issue_mandiri(uow.session, principal, npwp, subject, amount, transfer)
        await uow.commit()
    return read


async def create_mandiri_billing_in(session: AsyncSession, principal: Principal, body: BillingCreate) -> BillingRead:
    """`create_mandiri_billing` for a body naming no STP/SKP number (so never a debt's code), in the caller's
    transaction (the Idempotency-Key's, `Idempotency.run_in`), not committed."""
    if body.assessment_number is not None:
        raise ValueError("a code naming an STP/SKP number may be a debt's: use create_mandiri_billing")
    npwp, subject, amount, transfer = _checked(principal, body)
    return await _issue_mandiri(session, principal, npwp, subject, amount, transfer)


def _checked(principal: Principal, body: BillingCreate) -> tuple[str, BillingSubject, Decimal, Transfer | None]:
    principal.require(WRITE)
    npwp = acting_taxpayer(principal, body.npwp)
    subject = check_billing_subject(body.kap_kjs, period=body.period, assessment_number=body.assessment_number)
    amount = check_amount(body.amount)
    transfer = check_transfer(subject.rule.kap_kjs, nop=body.nop, value=body.transfer_value, buyer_id=body.buyer_id)
    return npwp, subject, amount, transfer


async def _issue_mandiri(session: AsyncSession, principal: Principal, npwp: str, subject: BillingSubject,
                         amount: Decimal, transfer: Transfer | None) -> BillingRead:
    billing = await issue(session, npwp=npwp, subject=subject, amount=amount, origin="mandiri",
                          created_by=principal.acting_person, transfer=transfer)
    return BillingRead.of(billing, None, billing.created_at)


async def list_billing(uow: UnitOfWork, principal: Principal, params: CursorParams, *, npwp: str | None,
                       status: str | None, spt_id: str | None) -> BillingPage:
    """The taxpayer's codes, oldest first: what a front end shows after "Bayar dan Lapor" (the SPT's codes, by
    `spt_id`), and what is still payable (`status=active`)."""
    principal.require(READ)
    npwp = acting_taxpayer(principal, npwp)
    async with uow:
        page, more = await BillingRepository(uow.session).page(npwp, params, status=status, spt_id=spt_id)
    now = datetime.now(UTC)
    last = page[-1][0] if page else None
    return BillingPage(npwp=npwp, items=[BillingRead.of(billing, payment, now) for billing, payment in page],
                       next_cursor=encode_cursor(last.created_at, last.id) if more and last else None)


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


async def expire_due_billing_codes(uow: UnitOfWork, *, batch: int, now: datetime | None = None) -> int:
    """Mark up to `batch` active codes past their expiry as expired and publish `BillingExpired` for each, in one
    transaction. Returns how many; the caller repeats while a full batch came back."""
    now = now or datetime.now(UTC)
    async with uow:
        expired = await BillingRepository(uow.session).expire_due(now, batch)
        for billing in expired:
            await announce_expiry(uow.session, billing, now)
        await uow.commit()
    return len(expired)
