"""Use cases of the deposit slice (tax-rules §4.4). Top-ups are bank payments of 411618-100 codes (the confirmation
posts them). From the deposit, a taxpayer allocates to a liability (an open debt, or a self-assessed KAP-KJS and
period), the deposit date counting as the payment date; transfers to another taxpayer's deposit; or asks for a refund,
which an officer approves or rejects. Each use case is one transaction with its balanced ledger posting
(`ledger.service.post_in`) and its events; the balance is derived from the ledger, so it carries across years.

Lock order: a debt's billing code, then the debt, then the deposit account (then the ledger locks its accounts in id
order), as in a bank confirmation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.payment import DepositAllocated, DepositCredited, DepositDebited
from kit.auth import Principal, acting_taxpayer
from kit.db import UnitOfWork
from kit.outbox import publish
from kit.pagination import CursorParams, encode_cursor
from payment.auth import READ, WRITE
from payment.billing import issuance as billing
from payment.billing.amount import amount_text, check_amount
from payment.billing.kap_kjs import check_billing_subject
from payment.billing.repository import BillingRepository
from payment.debts import service as debts
from payment.debts.errors import DebtAlreadySettled, DebtInInstalments, DebtNotFound
from payment.debts.repository import DebtRepository
from payment.debts.rules import debt_subject
from payment.deposit.errors import (
    InsufficientDeposit,
    NamesADebt,
    NotForDeposit,
    RecipientInvalid,
    RefundDecided,
    RefundNotFound,
    RejectionReasonRequired,
    TargetInvalid,
)
from payment.deposit.repository import DepositRepository
from payment.deposit.rules import deposit_date
from payment.deposit.schemas import (
    AllocationCreate,
    DepositRead,
    MovementRead,
    RefundCreate,
    RefundDecision,
    RefundQueue,
    TransferCreate,
)
from payment.instalments import service as instalments
from payment.ledger import service as ledger
from payment.ledger.accounts import account_id, deposit_key
from payment.ledger.errors import ExceedsCredits
from payment.ledger.postings import (
    DEPOSIT_KAP_KJS,
    allocation_posting,
    deposit_refund_posting,
    deposit_transfer_posting,
)
from payment.ledger.rules import PostingResult
from payment.models import DepositMovement

AGGREGATE = "deposit"


async def get_deposit(uow: UnitOfWork, principal: Principal, params: CursorParams, *,
                      npwp: str | None) -> DepositRead:
    principal.require(READ)
    npwp = acting_taxpayer(principal, npwp)
    async with uow:
        repo = DepositRepository(uow.session)
        balance = await repo.balance(account_id(deposit_key(npwp)))
        page, more = await repo.page(npwp, params)
    last = page[-1] if page else None
    return DepositRead(npwp=npwp, balance=amount_text(balance), movements=[MovementRead.of(m) for m in page],
                       next_cursor=encode_cursor(last.created_at, last.id) if more and last else None)


async def credited_in(session: AsyncSession, *, npwp: str, amount: Decimal, ntpn: str, payment_id: str,
                      deposited_at: datetime) -> None:
    """Step of a bank confirmation's transaction, after its posting topped up the deposit (411618-100):
    `DepositCredited` (route payment) with the balance after it. The payment's date is the deposit date."""
    balance = await DepositRepository(session).balance(account_id(deposit_key(npwp)))
    await publish(session, DepositCredited(
        credit_id=payment_id, npwp=npwp, amount=amount_text(amount), route="payment", ntpn=ntpn,
        source_reference=payment_id, deposited_at=deposited_at, balance_after=amount_text(balance),
    ), key=npwp, subject=payment_id, aggregate_type=AGGREGATE, sequence=1)


# -- allocation ----------------------------------------------------------------------------------------------------
async def allocate(uow: UnitOfWork, principal: Principal, body: AllocationCreate) -> MovementRead:
    principal.require(WRITE)
    npwp = acting_taxpayer(principal, body.npwp)
    names_debt = body.debt_id is not None
    names_liability = any(v is not None for v in (body.kap_kjs, body.period, body.assessment_number, body.amount))
    if names_debt == names_liability:
        raise TargetInvalid("name a debt_id, or a kap_kjs with its period or assessment_number and an amount",
                            reason="both" if names_debt else "neither")
    async with uow:
        if body.debt_id is not None:
            read = await _allocate_to_debt(uow.session, principal, npwp, body.debt_id)
        else:
            read = await _allocate_to_liability(uow.session, principal, npwp, body)
        await uow.commit()
    return read


async def _allocate_to_debt(s: AsyncSession, principal: Principal, npwp: str, debt_id: uuid.UUID) -> MovementRead:
    code = await BillingRepository(s).open_for_debt(debt_id, lock=True)
    debt = await DebtRepository(s).get_for_update(debt_id)
    if debt is None or debt.npwp != npwp:
        raise DebtNotFound(f"no debt {debt_id} for {npwp}")
    if debt.status == "settled" or (code is not None and code.status == "paid"):
        raise DebtAlreadySettled(f"debt {debt.id} is paid", ntpn=debt.ntpn)
    arrangement = await instalments.granted_for(s, debt.id)
    if arrangement is not None:
        raise DebtInInstalments(f"debt {debt.id} is paid in instalments", arrangement_id=str(arrangement.id))
    amount, now = debt.outstanding, datetime.now(UTC)
    movement = _movement(principal, npwp, "allocation", amount, now, debt_id=debt.id, kap_kjs=debt.kap_kjs,
                         period=debt.period, assessment_number=debt.assessment_number)
    deemed = await _deposit_date(s, npwp, amount)
    if code is not None:  # the debt's code may no longer be paid: the deposit pays it
        await billing.expire_in(s, code, now)
    subject = debt_subject(debt.kap_kjs, period=debt.period, assessment_number=debt.assessment_number)
    result = await _post(s, npwp, amount, allocation_posting(
        movement_id=str(movement.id), npwp=npwp, kap_kjs=debt.kap_kjs, period=subject.period,
        assessment_number=subject.assessment_number, amount=amount, liability_recorded=True), deemed)
    movement.deemed_paid_at = deemed
    await DepositRepository(s).add(movement)
    await debts.settle_by_allocation_in(s, debt, allocation_id=str(movement.id), deemed_paid_at=deemed)
    return await _allocated(s, movement, result, settles="debt", allocated_at=now)


async def _allocate_to_liability(s: AsyncSession, principal: Principal, npwp: str,
                                 body: AllocationCreate) -> MovementRead:
    if body.kap_kjs is None or body.amount is None:
        raise TargetInvalid("a self-assessed liability names kap_kjs and amount", reason="incomplete")
    subject = check_billing_subject(body.kap_kjs, period=body.period, assessment_number=body.assessment_number)
    if subject.rule.kap_kjs == DEPOSIT_KAP_KJS:
        raise NotForDeposit("411618-100 is the deposit itself")
    amount = check_amount(body.amount)
    if subject.assessment_number is not None:
        named = await DebtRepository(s).by_assessment(npwp, subject.rule.kap, subject.rule.kjs,
                                                      subject.assessment_number)
        if named is not None:
            raise NamesADebt(f"{subject.rule.kap_kjs} {subject.assessment_number} is debt {named.id}",
                             debt_id=str(named.id))
    now = datetime.now(UTC)
    movement = _movement(principal, npwp, "allocation", amount, now, kap_kjs=subject.rule.kap_kjs,
                         period=subject.period, assessment_number=subject.assessment_number)
    deemed = await _deposit_date(s, npwp, amount)
    result = await _post(s, npwp, amount, allocation_posting(
        movement_id=str(movement.id), npwp=npwp, kap_kjs=subject.rule.kap_kjs, period=subject.period,
        assessment_number=subject.assessment_number, amount=amount, liability_recorded=False), deemed)
    movement.deemed_paid_at = deemed
    await DepositRepository(s).add(movement)
    return await _allocated(s, movement, result, settles="self_assessed", allocated_at=now)


async def _deposit_date(s: AsyncSession, npwp: str, amount: Decimal) -> datetime:
    """The deposit account locked, and the date its money for this allocation came in (first in, first out)."""
    repo = DepositRepository(s)
    account = account_id(deposit_key(npwp))
    if not await repo.lock_account(account):
        raise InsufficientDeposit(f"the deposit of {npwp} holds 0", balance="0", amount=amount_text(amount))
    credits, spent = await repo.credits(account), await repo.debited(account)
    deemed = deposit_date(credits, spent=spent, amount=amount)
    if deemed is None:
        balance = sum((c for _, c in credits), Decimal(0)) - spent
        raise InsufficientDeposit(f"the deposit of {npwp} holds {amount_text(balance)}",
                                  balance=amount_text(balance), amount=amount_text(amount))
    return deemed


async def _post(s: AsyncSession, npwp: str, amount: Decimal, posting: object, effective_at: datetime) -> PostingResult:
    try:
        return await ledger.post_in(s, posting, effective_at=effective_at)  # type: ignore[arg-type]
    except ExceedsCredits as refused:
        raise InsufficientDeposit(f"the deposit of {npwp} holds less than {amount_text(amount)}",
                                  balance=refused.details.get("available"), amount=amount_text(amount)) from None


def _balance(result: PostingResult, npwp: str) -> Decimal:
    return result.accounts[account_id(deposit_key(npwp))].balance


async def _allocated(s: AsyncSession, movement: DepositMovement, result: PostingResult, *, settles: str,
                     allocated_at: datetime) -> MovementRead:
    balance = _balance(result, movement.npwp)
    assert movement.deemed_paid_at is not None and movement.kap_kjs is not None
    await publish(s, DepositAllocated(
        allocation_id=str(movement.id), npwp=movement.npwp, amount=amount_text(movement.amount),
        kap_kjs=movement.kap_kjs, period=movement.period, assessment_number=movement.assessment_number,
        settles=settles,  # type: ignore[arg-type]
        debt_id=str(movement.debt_id) if movement.debt_id else None, deemed_paid_at=movement.deemed_paid_at,
        allocated_at=allocated_at, balance_after=amount_text(balance),
    ), key=movement.npwp, subject=str(movement.id), aggregate_type=AGGREGATE, sequence=1)
    return MovementRead.of(movement, balance)


def _movement(principal: Principal, npwp: str, kind: str, amount: Decimal, now: datetime, *, status: str = "done",
              **values: object) -> DepositMovement:
    return DepositMovement(id=uuid.uuid4(), npwp=npwp, kind=kind, status=status, amount=amount,
                           created_by=principal.acting_person, created_at=now, **values)


# -- transfer ------------------------------------------------------------------------------------------------------
async def transfer(uow: UnitOfWork, principal: Principal, body: TransferCreate) -> MovementRead:
    """To another taxpayer's deposit (pemindahbukuan): `DepositDebited` for the sender, `DepositCredited` (route
    transfer) for the recipient, whose deposit date is the transfer's."""
    principal.require(WRITE)
    npwp = acting_taxpayer(principal, body.npwp)
    amount = check_amount(body.amount)
    if body.to_npwp == npwp:
        raise RecipientInvalid("a deposit cannot be transferred to itself", reason="same_taxpayer")
    async with uow:
        s = uow.session
        repo = DepositRepository(s)
        if not await repo.registered(body.to_npwp):
            raise RecipientInvalid(f"{body.to_npwp} is not a registered taxpayer", reason="unknown")
        now = datetime.now(UTC)
        movement = _movement(principal, npwp, "transfer", amount, now, to_npwp=body.to_npwp)
        result = await _post(s, npwp, amount, deposit_transfer_posting(
            movement_id=str(movement.id), npwp=npwp, to_npwp=body.to_npwp, amount=amount), now)
        await repo.add(movement)
        balance = _balance(result, npwp)
        await publish(s, DepositDebited(
            movement_id=str(movement.id), npwp=npwp, amount=amount_text(amount), route="transfer",
            to_npwp=body.to_npwp, debited_at=now, balance_after=amount_text(balance),
        ), key=npwp, subject=str(movement.id), aggregate_type=AGGREGATE, sequence=1)
        await publish(s, DepositCredited(
            credit_id=str(movement.id), npwp=body.to_npwp, amount=amount_text(amount), route="transfer",
            source_reference=str(movement.id), deposited_at=now,
            balance_after=amount_text(_balance(result, body.to_npwp)),
        ), key=body.to_npwp, subject=str(movement.id), aggregate_type=AGGREGATE, sequence=2)
        read = MovementRead.of(movement, balance)
        await uow.commit()
    return read


# -- refund --------------------------------------------------------------------------------------------------------
async def request_refund(uow: UnitOfWork, principal: Principal, body: RefundCreate) -> MovementRead:
    """A refund request, checked against the balance now; nothing leaves the deposit until an officer approves."""
    principal.require(WRITE)
    npwp = acting_taxpayer(principal, body.npwp)
    amount = check_amount(body.amount)
    async with uow:
        repo = DepositRepository(uow.session)
        balance = await repo.balance(account_id(deposit_key(npwp)))
        if balance < amount:
            raise InsufficientDeposit(f"the deposit of {npwp} holds {amount_text(balance)}",
                                      balance=amount_text(balance), amount=amount_text(amount))
        movement = _movement(principal, npwp, "refund", amount, datetime.now(UTC), status="requested",
                             bank_code=body.bank_code, account_number=body.account_number)
        await repo.add(movement)
        read = MovementRead.of(movement)
        await uow.commit()
    return read


async def refund_queue(uow: UnitOfWork, *, limit: int) -> RefundQueue:
    async with uow:
        return RefundQueue(items=[MovementRead.of(m) for m in await DepositRepository(uow.session).refund_queue(limit)])


async def decide_refund(uow: UnitOfWork, principal: Principal, movement_id: uuid.UUID,
                        body: RefundDecision) -> MovementRead:
    """Approve (the deposit pays out through the bank, `DepositDebited` route refund; refused with
    `deposit.insufficient` if the deposit no longer holds it) or reject with a reason."""
    if body.decision == "reject" and not body.reason:
        raise RejectionReasonRequired("a rejection states its reason")
    async with uow:
        s = uow.session
        repo = DepositRepository(s)
        movement = await repo.get(movement_id, lock=True)
        if movement is None or movement.kind != "refund":
            raise RefundNotFound(f"no refund request {movement_id}")
        if movement.status != "requested":
            raise RefundDecided(f"refund {movement_id} is {movement.status}", status=movement.status)
        now = datetime.now(UTC)
        movement.decided_by, movement.decided_at = principal.acting_person, now
        balance = None
        if body.decision == "reject":
            movement.status, movement.reason = "rejected", body.reason
        else:
            assert movement.bank_code is not None
            result = await _post(s, movement.npwp, movement.amount, deposit_refund_posting(
                movement_id=str(movement.id), npwp=movement.npwp, bank_code=movement.bank_code,
                amount=movement.amount), now)
            movement.status = "done"
            balance = _balance(result, movement.npwp)
            await publish(s, DepositDebited(
                movement_id=str(movement.id), npwp=movement.npwp, amount=amount_text(movement.amount),
                route="refund", bank_code=movement.bank_code, debited_at=now, balance_after=amount_text(balance),
            ), key=movement.npwp, subject=str(movement.id), aggregate_type=AGGREGATE, sequence=1)
        await repo.flush()
        read = MovementRead.of(movement, balance)
        await uow.commit()
    return read
