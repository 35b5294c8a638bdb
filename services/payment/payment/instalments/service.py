"""Use cases of the instalments slice (tax-rules §6.5; PMK-81/2024 Art 113-117): a taxpayer applies for instalments
or a postponement of an open debt; an officer approves (the schedule, with Art 19(2) tier-1 interest, booked on the
debt's liability, `InstalmentGranted`) or rejects with a reason, due within 3 or 7 working days of receipt; each
instalment is paid with its own billing code (`billing.instalment_number`), whose confirmation marks it paid (a step
of the confirmation's transaction, through `debts.settle_in`); a missed instalment makes the remainder due at once
(a worker step): the later instalments' interest is cancelled and the debt is payable whole again.

PPh 29 of an annual SPT (Art 114): with "Bayar dan Lapor" a kurang bayar return waits for its payment at filing, so
its PPh 29 is not a debt yet; the application names the SPT (`spt_id`) whose code waits, with no debt. Granted, the
PPh 29 becomes a debt recorded from that code (`debts.recording.record_pph29_in`: due by the annual filing
deadline), its schedule is made as for any debt, and the SPT's code for the whole amount expires, after
`InstalmentGranted` (with the `spt_id`), so that the SPT's code and the schedule can never both be paid. Rejected,
nothing changes: the SPT still waits for its code to be paid.

Lock order, as everywhere: billing codes, then the debt, then the application.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.payment import InstalmentGranted, ScheduledPayment
from kit.auth import Principal
from kit.clock import Clock
from kit.db import UnitOfWork
from kit.outbox import publish
from payment.auth import READ, WRITE
from payment.billing import issuance as billing
from payment.billing.amount import amount_text
from payment.billing.repository import BillingRepository
from payment.billing.schemas import BillingRead
from payment.debts import recording
from payment.debts.errors import DebtAlreadySettled, DebtNotFound
from payment.debts.interest import add_months, monthly_rate
from payment.debts.repository import DebtRepository
from payment.debts.rules import PPH29_DUE_MONTHS, debt_subject, pph29_due_date, pph29_issued_on
from payment.instalments.errors import (
    AlreadyApplied,
    AlreadyDecided,
    ArrangementNotFound,
    InstalmentNotFound,
    InstalmentPaid,
    NotGranted,
    PostponementTermsInvalid,
    RejectionReasonRequired,
    SptNotAwaitingPayment,
    SptNotFound,
    SptPaid,
)
from payment.instalments.repository import InstalmentRepository
from payment.instalments.schedule import (
    ScheduledInstalment,
    amount_due_after_missed_instalment,
    decision_working_days,
    instalment_schedule,
    interest_tier,
)
from payment.instalments.schemas import ArrangementCreate, ArrangementQueue, ArrangementRead, Decision
from payment.instalments.workdays import add_working_days
from payment.ledger import service as ledger
from payment.ledger.postings import instalment_interest_cancelled_posting, instalment_interest_posting
from payment.models import Billing, Debt, Instalment, InstalmentArrangement

log = logging.getLogger(__name__)
AGGREGATE = "instalment_arrangement"
ONE_DAY = timedelta(days=1)
WIB = timezone(timedelta(hours=7))


def _debt_kind(debt: Debt) -> str:
    """PPh 29 (an annual SPT's kurang bayar: 3 working days to decide) or an assessment (STP, SKP: 7)."""
    return "pph29" if debt.kind == "spt_underpayment" else "assessment"


def _first_due(due_date: date, asked: date | None, received_on: date) -> date:
    return asked or add_months(max(due_date, received_on), 1)


def _schedule(due_date: date, arrangement: InstalmentArrangement,
              principal: Decimal) -> tuple[ScheduledInstalment, ...]:
    """The schedule of a debt due on `due_date` (its interest runs from there)."""
    return instalment_schedule(principal, instalments=arrangement.instalments, interest_from=due_date,
                               first_due_date=_first_due(due_date, arrangement.first_due_date, arrangement.received_on),
                               kind=arrangement.debt_kind)


# -- the taxpayer applies ------------------------------------------------------------------------------------------
async def apply(uow: UnitOfWork, principal: Principal, body: ArrangementCreate, *, today: date) -> ArrangementRead:
    principal.require(WRITE)
    if body.kind == "postponement" and (body.postponed_to is None or body.instalments or body.first_due_date):
        raise PostponementTermsInvalid("a postponement names postponed_to, and neither instalments nor "
                                       "first_due_date", kind=body.kind)
    if body.kind == "instalment" and (body.instalments is None or body.postponed_to is not None):
        raise PostponementTermsInvalid("instalments name how many (instalments, 2 or more), not postponed_to",
                                       kind=body.kind)
    if (body.debt_id is None) == (body.spt_id is None):
        raise PostponementTermsInvalid("name the debt (debt_id) or the annual SPT waiting for its PPh 29 payment "
                                       "(spt_id): one of them", kind=body.kind)
    if body.spt_id is not None:
        return await _apply_for_spt(uow, principal, body, body.spt_id, received_on=today)
    assert body.debt_id is not None
    received_on = today
    async with uow:
        s = uow.session
        debt = await DebtRepository(s).get_for_update(body.debt_id)
        if debt is None or debt.npwp not in principal.taxpayer_ids:
            raise DebtNotFound(f"no debt {body.debt_id} for the taxpayers of this token")
        if debt.status == "settled":
            raise DebtAlreadySettled(f"debt {debt.id} is paid", ntpn=debt.ntpn)
        repo = InstalmentRepository(s)
        current = await repo.current_for_debt(debt.id)
        if current is not None:
            raise AlreadyApplied(f"debt {debt.id} has an application {current.status}",
                                 arrangement_id=str(current.id), status=current.status)
        debt_kind = _debt_kind(debt)
        arrangement = InstalmentArrangement(
            id=uuid.uuid4(), debt_id=debt.id, npwp=debt.npwp, kind=body.kind, debt_kind=debt_kind,
            instalments=body.instalments or 1, first_due_date=body.postponed_to or body.first_due_date,
            reason=body.reason, status="applied", received_on=received_on,
            decide_by=add_working_days(received_on, decision_working_days(debt_kind)), principal=debt.outstanding,
            created_by=principal.acting_person, created_at=datetime.now(UTC), version=1)
        _schedule(debt.due_date, arrangement, debt.outstanding)  # terms the rules refuse: refused now, nothing written
        await repo.add(arrangement)
        read = ArrangementRead.of(arrangement, [])
        await uow.commit()
    return read


async def _apply_for_spt(uow: UnitOfWork, principal: Principal, body: ArrangementCreate, spt_id: str, *,
                         received_on: date) -> ArrangementRead:
    """An application for the PPh 29 of an annual SPT waiting for payment: checked against the SPT's code (locked,
    so a payment of it meanwhile waits), decided within 3 working days; no debt until it is granted."""
    async with uow:
        s = uow.session
        repo = InstalmentRepository(s)
        found = await repo.spt_code(spt_id, sorted(principal.taxpayer_ids), sorted(PPH29_DUE_MONTHS))
        code = await BillingRepository(s).get_for_update(found.code) if found is not None else None
        if code is None or code.status == "expired" or datetime.now(UTC) >= code.expires_at:
            raise SptNotFound(f"no SPT {spt_id} of the taxpayers of this token waits for a PPh 29 payment",
                              spt_id=spt_id)
        if code.status == "paid":
            raise SptPaid(f"the PPh 29 of SPT {spt_id} is paid", billing_code=code.code)
        current = await repo.current_for_spt(spt_id)
        if current is not None:
            raise AlreadyApplied(f"SPT {spt_id} has an application {current.status}",
                                 arrangement_id=str(current.id), status=current.status)
        recorded = await DebtRepository(s).by_source("spt", spt_id)
        if recorded is not None:  # granted before (the schedule ran out or fell due): apply for the debt itself
            raise AlreadyApplied(f"the PPh 29 of SPT {spt_id} is debt {recorded.id} already",
                                 debt_id=str(recorded.id), status=recorded.status)
        arrangement = InstalmentArrangement(
            id=uuid.uuid4(), debt_id=None, spt_id=spt_id, spt_billing_id=code.id, npwp=code.npwp, kind=body.kind,
            debt_kind="pph29", instalments=body.instalments or 1,
            first_due_date=body.postponed_to or body.first_due_date, reason=body.reason, status="applied",
            received_on=received_on, decide_by=add_working_days(received_on, decision_working_days("pph29")),
            principal=code.amount, created_by=principal.acting_person, created_at=datetime.now(UTC), version=1)
        _schedule(_pph29_due(code), arrangement, code.amount)  # terms the rules refuse are refused now
        await repo.add(arrangement)
        read = ArrangementRead.of(arrangement, [])
        await uow.commit()
    return read


def _pph29_due(code: Billing) -> date:
    assert code.period is not None  # 411125-200 / 411126-200 are keyed by the tax year
    return pph29_due_date(code.kap_kjs, code.period)


async def get(uow: UnitOfWork, principal: Principal, arrangement_id: uuid.UUID) -> ArrangementRead:
    principal.require(READ)
    async with uow:
        repo = InstalmentRepository(uow.session)
        arrangement = await repo.get(arrangement_id)
        if arrangement is None or arrangement.npwp not in principal.taxpayer_ids:
            raise ArrangementNotFound(f"no application {arrangement_id} for the taxpayers of this token")
        return ArrangementRead.of(arrangement, await repo.schedule(arrangement.id))


# -- the officer decides -------------------------------------------------------------------------------------------
async def queue(uow: UnitOfWork, *, limit: int) -> ArrangementQueue:
    async with uow:
        return ArrangementQueue(items=[ArrangementRead.of(a, []) for a in await InstalmentRepository(uow.session)
                                       .queue(limit)])


async def officer_get(uow: UnitOfWork, arrangement_id: uuid.UUID) -> ArrangementRead:
    async with uow:
        repo = InstalmentRepository(uow.session)
        arrangement = await repo.get(arrangement_id)
        if arrangement is None:
            raise ArrangementNotFound(f"no application {arrangement_id}")
        return ArrangementRead.of(arrangement, await repo.schedule(arrangement.id))


async def decide(uow: UnitOfWork, principal: Principal, arrangement_id: uuid.UUID, body: Decision) -> ArrangementRead:
    if body.decision == "reject" and not body.reason:
        raise RejectionReasonRequired("a rejection states its reason")
    async with uow:
        s = uow.session
        repo = InstalmentRepository(s)
        found = await repo.get(arrangement_id)
        if found is None:
            raise ArrangementNotFound(f"no application {arrangement_id}")
        codes = BillingRepository(s)
        code: Billing | None = None
        debt: Debt | None = None
        spt_code: Billing | None = None
        if found.debt_id is None:  # an SPT's PPh 29: its code first (the lock order); the debt is made if granted
            assert found.spt_id is not None
            current = await repo.spt_code(found.spt_id, [found.npwp], sorted(PPH29_DUE_MONTHS))
            spt_code = await codes.get_for_update(current.code) if current is not None else None
        else:
            code = await codes.open_for_debt(found.debt_id, lock=True)
            debt = await DebtRepository(s).get_for_update(found.debt_id)
            assert debt is not None  # foreign key; rows are never deleted
        arrangement = await repo.get(arrangement_id, lock=True)
        assert arrangement is not None
        if arrangement.status != "applied":
            raise AlreadyDecided(f"application {arrangement.id} is {arrangement.status}", status=arrangement.status)
        now = datetime.now(UTC)
        arrangement.decided_at, arrangement.decided_by = now, principal.acting_person
        arrangement.version += 1
        schedule: list[Instalment] = []
        if body.decision == "reject":
            arrangement.status, arrangement.rejection_reason = "rejected", body.reason
            await repo.flush()
        elif debt is None:
            schedule = await _grant_spt_in(s, arrangement, spt_code, now)
        else:
            if debt.status == "settled" or (code is not None and code.status == "paid"):
                raise DebtAlreadySettled(f"debt {debt.id} was paid meanwhile: reject the application",
                                         ntpn=debt.ntpn)
            if code is not None:  # the code for the whole debt may no longer be paid
                await billing.expire_in(s, code, now)
            schedule = await _grant_in(s, debt, arrangement, now)
        read = ArrangementRead.of(arrangement, schedule)
        await uow.commit()
    return read


async def _grant_spt_in(s: AsyncSession, arrangement: InstalmentArrangement, code: Billing | None,
                        now: datetime) -> list[Instalment]:
    """Granted for an SPT's PPh 29 (its code locked): the debt recorded from the code, the schedule, then the code
    expired (`BillingExpired` after `InstalmentGranted`: filing learns of the grant before the expiry)."""
    if code is None or code.status == "expired" or now >= code.expires_at:
        raise SptNotAwaitingPayment(f"SPT {arrangement.spt_id}'s code expired: the SPT went back to draft; reject "
                                    "the application", spt_id=arrangement.spt_id)
    if code.status == "paid":
        raise SptPaid(f"the PPh 29 of SPT {arrangement.spt_id} was paid meanwhile: reject the application",
                      billing_code=code.code)
    assert arrangement.spt_id is not None
    due = _pph29_due(code)
    debt = await recording.record_pph29_in(
        s, npwp=code.npwp, subject=debt_subject(code.kap_kjs, period=code.period, assessment_number=None),
        amount=code.amount, spt_id=arrangement.spt_id, due_date=due,
        issued_on=pph29_issued_on(code.created_at.astimezone(WIB).date(), due))
    arrangement.debt_id, arrangement.spt_billing_id = debt.id, code.id
    schedule = await _grant_in(s, debt, arrangement, now)
    await billing.expire_in(s, code, now)
    return schedule


async def _grant_in(s: AsyncSession, debt: Debt, arrangement: InstalmentArrangement,
                    now: datetime) -> list[Instalment]:
    planned = _schedule(debt.due_date, arrangement, debt.outstanding)
    rate = _rate(debt)
    rows = [dict(id=uuid.uuid4(), arrangement_id=arrangement.id, number=p.number, due_date=p.due_date,
                 principal=p.principal, interest=p.interest, status="open") for p in planned]
    repo = InstalmentRepository(s)
    await repo.add_schedule(rows)
    interest = sum((p.interest for p in planned), Decimal(0))
    if interest > 0:
        await ledger.post_in(s, instalment_interest_posting(
            arrangement_id=str(arrangement.id), npwp=debt.npwp, kap_kjs=debt.kap_kjs, period=_key_period(debt),
            assessment_number=debt.assessment_number, amount=interest), effective_at=now)
    debt.outstanding += interest
    debt.interest_next_on = None  # the schedule's interest replaces Art 19(1) interest while it runs
    arrangement.status, arrangement.principal, arrangement.monthly_rate_percent = "granted", sum(
        (p.principal for p in planned), Decimal(0)), rate
    await repo.flush()
    await publish(s, InstalmentGranted(
        arrangement_id=str(arrangement.id), npwp=debt.npwp, debt_id=str(debt.id), kap_kjs=debt.kap_kjs,
        kind=arrangement.kind, debt_kind=arrangement.debt_kind,  # type: ignore[arg-type]
        principal=amount_text(arrangement.principal), monthly_rate_percent=f"{rate:f}",
        schedule=[ScheduledPayment(number=p.number, due_date=p.due_date, principal=amount_text(p.principal),
                                   interest=amount_text(p.interest), total=amount_text(p.total)) for p in planned],
        officer_account_id=arrangement.decided_by, granted_at=now, spt_id=arrangement.spt_id,
    ), key=debt.npwp, subject=str(arrangement.id), aggregate_type=AGGREGATE, sequence=arrangement.version)
    return await repo.schedule(arrangement.id)


def _rate(debt: Debt) -> Decimal:
    return monthly_rate(interest_tier(), debt.due_date)


def _key_period(debt: Debt) -> str | None:
    """The period keys the debt's liability only when no STP/SKP number does."""
    return None if debt.assessment_number else debt.period


# -- paying an instalment ------------------------------------------------------------------------------------------
async def instalment_billing(uow: UnitOfWork, principal: Principal, arrangement_id: uuid.UUID,
                             number: int) -> BillingRead:
    """The billing code of one instalment (principal + interest): a new one, or the one still payable."""
    principal.require(WRITE)
    async with uow:
        s = uow.session
        repo = InstalmentRepository(s)
        found = await repo.get(arrangement_id)
        if found is None or found.npwp not in principal.taxpayer_ids:
            raise ArrangementNotFound(f"no application {arrangement_id} for the taxpayers of this token")
        if found.debt_id is None:  # an SPT's PPh 29 not granted (yet): no schedule, no debt
            raise NotGranted(f"application {found.id} is {found.status}", status=found.status)
        codes = BillingRepository(s)
        locked = await codes.open_for_instalments(found.debt_id, [number], lock=True)
        debt = await DebtRepository(s).get_for_update(found.debt_id)
        arrangement = await repo.get(arrangement_id, lock=True)
        assert debt is not None and arrangement is not None
        instalment = next((i for i in await repo.schedule(arrangement.id) if i.number == number), None)
        if instalment is not None and instalment.status == "paid":
            raise InstalmentPaid(f"instalment {number} is paid", ntpn=instalment.ntpn)
        if arrangement.status != "granted":
            raise NotGranted(f"application {arrangement.id} is {arrangement.status}", status=arrangement.status)
        if instalment is None:
            raise InstalmentNotFound(f"the schedule has instalments 1-{arrangement.instalments}",
                                     instalments=arrangement.instalments)
        now = datetime.now(UTC)
        if locked and now >= locked[0].expires_at:
            await billing.expire_in(s, locked[0], now)
        elif locked:
            return BillingRead.of(locked[0], None, now)
        else:  # one made meanwhile by a concurrent request (committed once we held the debt) is fresh
            for made in await codes.open_for_instalments(debt.id, [number]):
                return BillingRead.of(made, None, now)
        subject = debt_subject(debt.kap_kjs, period=debt.period, assessment_number=debt.assessment_number)
        code = await billing.issue(s, npwp=debt.npwp, subject=subject, amount=instalment.total, origin="bill",
                                   debt_id=debt.id, instalment_number=number, created_by=principal.acting_person)
        read = BillingRead.of(code, None, code.created_at)
        await uow.commit()
    return read


async def granted_for(session: AsyncSession, debt_id: uuid.UUID) -> InstalmentArrangement | None:
    """The debt's granted schedule, if one runs (then the debt is paid instalment by instalment)."""
    current = await InstalmentRepository(session).current_for_debt(debt_id)
    return current if current is not None and current.status == "granted" else None


async def paid_in(session: AsyncSession, debt: Debt, number: int, *, ntpn: str, paid_at: datetime) -> None:
    """Step of the confirmation's transaction (the code and the debt locked): instalment `number` is paid."""
    repo = InstalmentRepository(session)
    arrangement = await repo.current_for_debt(debt.id, lock=True)
    if arrangement is None or arrangement.status != "granted":
        raise RuntimeError(f"a code pays instalment {number} of debt {debt.id}, which has no granted schedule")
    schedule = await repo.schedule(arrangement.id)
    instalment = next(i for i in schedule if i.number == number)
    instalment.status, instalment.paid_at, instalment.ntpn = "paid", paid_at, ntpn
    if all(i.status == "paid" for i in schedule):
        arrangement.status, arrangement.version = "completed", arrangement.version + 1
    await repo.flush()


# -- a missed instalment (worker step) -----------------------------------------------------------------------------
async def accelerate_missed(uow: UnitOfWork, *, batch: int, today: date | None = None) -> int:
    """Schedules with an unpaid instalment past its due date: the remainder falls due at once (tax-rules §6.5), in
    one transaction per schedule. The open instalments' codes are expired, the interest of instalments not yet due
    is cancelled in the ledger (it never ran), and the debt is payable whole for the unpaid principal plus the
    interest already due, with Art 19 interest running from the missed due date. Returns how many it took."""
    today = today or Clock().today()
    async with uow:
        candidates = await InstalmentRepository(uow.session).with_missed_instalment(today, batch)
    for arrangement_id, debt_id in candidates:
        async with uow:
            await _accelerate_in(uow.session, arrangement_id, debt_id, today)
            await uow.commit()
    return len(candidates)


async def _accelerate_in(s: AsyncSession, arrangement_id: uuid.UUID, debt_id: uuid.UUID, today: date) -> None:
    now = datetime.now(UTC)
    codes = await BillingRepository(s).open_for_instalments(debt_id, lock=True)
    debt = await DebtRepository(s).get_for_update(debt_id)
    repo = InstalmentRepository(s)
    arrangement = await repo.get(arrangement_id, lock=True)
    assert debt is not None and arrangement is not None
    if arrangement.status != "granted":  # another worker took it
        return
    schedule = await repo.schedule(arrangement.id, lock=True)
    planned = _planned(schedule)
    due_now = amount_due_after_missed_instalment(
        planned, paid=[i.number for i in schedule if i.status == "paid"], as_of=today)
    if due_now is None:  # paid meanwhile
        return
    unpaid = [i for i in schedule if i.status == "open"]
    missed = min(i.due_date for i in unpaid if i.due_date < today)
    cancelled = sum((i.interest for i in unpaid if i.due_date >= today), Decimal(0))
    for code in codes:
        if code.status == "active":
            await billing.expire_in(s, code, now)
    for i in unpaid:
        i.status = "cancelled"
    if cancelled > 0:
        await ledger.post_in(s, instalment_interest_cancelled_posting(
            arrangement_id=str(arrangement.id), npwp=debt.npwp, kap_kjs=debt.kap_kjs, period=_key_period(debt),
            assessment_number=debt.assessment_number, amount=cancelled), effective_at=now)
    debt.outstanding -= cancelled
    if debt.outstanding != due_now:
        raise RuntimeError(f"debt {debt.id} owes {debt.outstanding}, the schedule says {due_now}")
    debt.interest_principal = sum((i.principal for i in unpaid), Decimal(0))
    debt.interest_from, debt.interest_next_on = missed, missed + ONE_DAY
    debt.interest_months, debt.interest_accrued = 0, Decimal(0)
    arrangement.status, arrangement.accelerated_on = "accelerated", missed
    arrangement.version += 1
    await repo.flush()
    log.info("instalment missed: the remainder is due", extra={"arrangement_id": str(arrangement.id),
                                                                "debt_id": str(debt.id), "due": str(due_now)})


def _planned(schedule: Sequence[Instalment]) -> list[ScheduledInstalment]:
    return [ScheduledInstalment(i.number, i.due_date, i.principal, i.interest, 0, Decimal(0)) for i in schedule]
