"""Use cases of the bank-facing confirmations slice: inquire a code, confirm its payment with an NTPN.

A confirmation is one transaction: the billing row locked (then, for a code from a bill, its debt), the payment row,
the code marked paid, one ledger posting (for a debt: settling the liability recorded with the debt), the debt
settled, `PaymentConfirmed` (and `DebtSettled`), all or nothing. The bank's reference is the idempotency of a confirmation: the same
confirmation again (even ten at once) finds the payment and answers its NTPN, changing nothing; the transfer ids
derive from it too, so the ledger's primary key is a second guard."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from contracts.payment import PaymentConfirmed
from kit.auth import Principal
from kit.db import UnitOfWork
from kit.outbox import publish
from payment.auth import READ, bank_id
from payment.billing.amount import amount_text, check_amount
from payment.billing.codes import validate_billing_code
from payment.billing.errors import BillingNotFound
from payment.billing.issuance import AGGREGATE
from payment.billing.kap_kjs import rule_for
from payment.billing.repository import BillingRepository
from payment.confirmations.errors import (
    AlreadyPaid,
    AmountMismatch,
    BankReferenceReused,
    BillingExpired,
    PaidAtInvalid,
    PaymentNotFound,
)
from payment.confirmations.ntpn import new_ntpn, validate_ntpn
from payment.confirmations.pdf import bpn_verification_url, mask_npwp, render_bpn
from payment.confirmations.repository import PaymentRepository
from payment.confirmations.schemas import BillingInquiry, PaymentConfirm, PaymentVerification
from payment.debts import service as debts
from payment.deposit import service as deposit
from payment.ledger import service as ledger
from payment.ledger.postings import DEPOSIT_KAP_KJS, payment_posting
from payment.models import Billing, Payment
from payment.settings import BankSettings

NTPN_ATTEMPTS = 5


@dataclass(frozen=True)
class Confirmation:
    payment: Payment
    billing: Billing
    created: bool  # False: the same confirmation was answered before, nothing changed


async def inquire(uow: UnitOfWork, principal: Principal, code: str) -> BillingInquiry:
    code = validate_billing_code(code)
    async with uow:
        found = await BillingRepository(uow.session).get_with_taxpayer_name(code)
    if found is None:
        raise BillingNotFound(f"no billing code {code}")
    return BillingInquiry.of(*found, datetime.now(UTC))


async def confirm_payment(uow: UnitOfWork, principal: Principal, body: PaymentConfirm,
                          settings: BankSettings) -> Confirmation:
    bank = bank_id(principal)
    code = validate_billing_code(body.billing_code)
    amount = check_amount(body.amount)
    reference, paid_at = body.bank_reference, body.paid_at
    async with uow:
        payments = PaymentRepository(uow.session)

        async def refuse(error: Exception) -> Confirmation:
            # a bank reference confirmed before is answered first (its receipt, or `bank_reference_reused`)
            known = await payments.by_bank_reference(bank, reference)
            if known is not None:
                return _replayed(*known, code=code, amount=amount, paid_at=paid_at)
            raise error

        # Locked first, then read: the code is paid exactly when its payment exists (both in this one
        # transaction), so an unpaid code needs no payment lookup, and a retry (even ten at once) finds the paid
        # code's payment after the lock.
        billing = await BillingRepository(uow.session).get_for_update(code)
        if billing is None:
            return await refuse(BillingNotFound(f"no billing code {code}"))
        if billing.status == "paid":
            paid = await payments.for_billing(billing.id)
            if paid is not None and (paid.bank_id, paid.bank_reference) == (bank, reference):  # the same confirmation
                return _replayed(paid, billing, code=code, amount=amount, paid_at=paid_at)
            return await refuse(AlreadyPaid(f"billing code {code} is already paid",
                                            paid_at=(paid or billing).paid_at.isoformat()))
        now = datetime.now(UTC)
        if billing.status == "expired" or now >= billing.expires_at or paid_at >= billing.expires_at:
            return await refuse(BillingExpired(f"billing code {code} expired at {billing.expires_at.isoformat()}",
                                               expires_at=billing.expires_at.isoformat()))
        if amount != billing.amount:
            return await refuse(AmountMismatch(f"billing code {code} is for {amount_text(billing.amount)}",
                                               expected=amount_text(billing.amount), received=amount_text(amount)))
        if paid_at > now + timedelta(seconds=settings.clock_skew_s):
            return await refuse(PaidAtInvalid(f"paid_at {paid_at.isoformat()} is in the future"))
        debt = await debts.lock_for_payment(uow.session, billing.debt_id) if billing.debt_id else None

        payment = await _insert_payment(payments, billing, bank=bank, reference=reference, paid_at=paid_at, now=now)
        await BillingRepository(uow.session).mark_paid(billing, paid_at)
        posting = payment_posting(
            bank_id=bank, bank_reference=reference, npwp=billing.npwp, kap_kjs=billing.kap_kjs, period=billing.period,
            assessment_number=billing.assessment_number, amount=billing.amount, ntpn=payment.ntpn,
            liability_recorded=debt is not None)
        if debt is not None:  # settles the liability recorded with the debt: its totals are locked and summed
            await ledger.post_in(uow.session, posting, effective_at=paid_at)
        else:  # records and settles (or tops up the deposit) in one posting, which no limit can refuse; new, as the
            # payment row just inserted is unique per bank reference, from which the transfer ids derive
            await ledger.post_within_limits_in(uow.session, posting, effective_at=paid_at, new=True)
        if debt is not None:
            await debts.settle_in(uow.session, debt, ntpn=payment.ntpn, paid_at=paid_at)
        if billing.kap_kjs == DEPOSIT_KAP_KJS:
            await deposit.credited_in(uow.session, npwp=billing.npwp, amount=payment.amount, ntpn=payment.ntpn,
                                      payment_id=str(payment.id), deposited_at=paid_at)
        await publish(uow.session, PaymentConfirmed(
            payment_id=str(payment.id), ntpn=payment.ntpn, billing_id=str(billing.id), billing_code=billing.code,
            npwp=billing.npwp, kap_kjs=billing.kap_kjs, period=billing.period,
            assessment_number=billing.assessment_number, amount=amount_text(payment.amount), paid_at=paid_at,
            bank_code=bank, bank_reference=reference, settles=_settles(billing),  # type: ignore[arg-type]
            spt_id=billing.spt_id, debt_id=str(billing.debt_id) if billing.debt_id else None,
            confirmed_at=payment.confirmed_at,
        ), key=billing.npwp, subject=str(billing.id), aggregate_type=AGGREGATE, sequence=billing.version)
        await uow.commit()
    return Confirmation(payment, billing, created=True)


def _replayed(payment: Payment, billing: Billing, *, code: str, amount: object, paid_at: datetime) -> Confirmation:
    """The bank's earlier confirmation with this reference, if this one says the same; else refused."""
    differing = [name for name, same in (("billing_code", payment.billing_code == code),
                                         ("amount", payment.amount == amount),
                                         ("paid_at", payment.paid_at == paid_at)) if not same]
    if differing:
        raise BankReferenceReused(f"this bank reference was confirmed with another {', '.join(differing)}",
                                  fields=differing)
    return Confirmation(payment, billing, created=False)


async def _insert_payment(payments: PaymentRepository, billing: Billing, *, bank: str, reference: str,
                          paid_at: datetime, now: datetime) -> Payment:
    """The payment with a fresh NTPN (drawn again on the rare clash). The billing row is locked, so a conflict that
    is not the NTPN is this bank reference used meanwhile for another code."""
    for _ in range(NTPN_ATTEMPTS):
        payment = await payments.insert(dict(
            id=uuid.uuid4(), ntpn=new_ntpn(), billing_id=billing.id, billing_code=billing.code, npwp=billing.npwp,
            bank_id=bank, bank_reference=reference, amount=billing.amount, paid_at=paid_at, confirmed_at=now))
        if payment is not None:
            return payment
        known = await payments.by_bank_reference(bank, reference)
        if known is not None:  # used meanwhile (the billing row is locked, so for another code)
            _replayed(*known, code=billing.code, amount=billing.amount, paid_at=paid_at)
            raise BankReferenceReused("this bank reference was just used for another billing code",
                                      fields=["billing_code"])
    raise RuntimeError(f"no free NTPN in {NTPN_ATTEMPTS} draws")  # 82 random bits: never in practice


def _settles(billing: Billing) -> str:
    if billing.origin == "spt":
        return "spt"
    if billing.kap_kjs == DEPOSIT_KAP_KJS:
        return "deposit"
    if billing.origin == "bill":
        return "debt"
    return "self_assessed"


async def bpn_for_taxpayer(uow: UnitOfWork, principal: Principal, ntpn: str, public_url: str) -> tuple[str, bytes]:
    """The BPN of one of the caller's taxpayers' payments: (file name, PDF). Another taxpayer's is not found."""
    principal.require(READ)
    return await _bpn(uow, ntpn, public_url, lambda p: p.npwp in principal.taxpayer_ids)


async def bpn_for_bank(uow: UnitOfWork, principal: Principal, ntpn: str, public_url: str) -> tuple[str, bytes]:
    """The BPN of a payment this bank confirmed: (file name, PDF). Another bank's is not found."""
    bank = bank_id(principal)
    return await _bpn(uow, ntpn, public_url, lambda p: p.bank_id == bank)


async def _bpn(uow: UnitOfWork, ntpn: str, public_url: str, allowed: Callable[[Payment], bool]) -> tuple[str, bytes]:
    ntpn = validate_ntpn(ntpn)
    async with uow:
        found = await PaymentRepository(uow.session).by_ntpn(ntpn)
    if found is None or not allowed(found[0]):
        raise PaymentNotFound(f"no payment {ntpn} for this caller")
    payment, billing, name = found
    rule = rule_for(billing.kap_kjs)
    pdf = render_bpn(ntpn=payment.ntpn, billing_code=payment.billing_code, npwp=payment.npwp, name=name,
                     kap_kjs=billing.kap_kjs, kap_name=rule.kap_name, kjs_name=rule.kjs_name, period=billing.period,
                     assessment_number=billing.assessment_number, amount=payment.amount, paid_at=payment.paid_at,
                     bank=payment.bank_id, bank_reference=payment.bank_reference, confirmed_at=payment.confirmed_at,
                     url=bpn_verification_url(public_url, payment.ntpn))
    return f"BPN-{payment.ntpn}.pdf", pdf


async def verification(uow: UnitOfWork, ntpn: str) -> PaymentVerification:
    """The public check behind the BPN's QR code (no token): the NPWP masked, no name, no bank reference."""
    ntpn = validate_ntpn(ntpn)
    async with uow:
        found = await PaymentRepository(uow.session).by_ntpn(ntpn)
    if found is None:
        raise PaymentNotFound(f"no payment {ntpn}")
    payment, billing, _ = found
    return PaymentVerification.of(payment, billing, mask_npwp(payment.npwp))
