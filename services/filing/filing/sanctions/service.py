"""Use cases of the sanctions slice. `issue_late_filing_stp` runs inside the transaction of the use case that files
a return (the API's submission, or the consumer step that completes a "Bayar dan Lapor" filing): the return is filed
and its STP issued together, or neither."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.filing import STPIssued
from contracts.invoice import InvoiceSigned
from contracts.payment import PaymentConfirmed
from filing.calendar.errors import CalendarYearUnknown
from filing.calendar.periods import TaxPeriod, TaxYear, parse_period
from filing.obligations.deadlines import due_date
from filing.obligations.kinds import ANNUAL, Obligation
from filing.sanctions.auth import require_officer
from filing.sanctions.errors import DeadlineNotPassed, RunInProgress, RunObligationUnsupported
from filing.sanctions.interest import InterestCharge, late_payment_interest
from filing.sanctions.repository import StpRepository, StpRow
from filing.sanctions.rules import EXEMPT_STATUSES, RUN_OBLIGATIONS, late_faktur_fine, late_filing_fine
from filing.sanctions.schedule import deadlines_to_run
from filing.sanctions.schemas import SanctionRunCreate, SanctionRunRead, StpRead
from filing.sanctions.stp import LATE_FAKTUR_KAP_KJS, bill_due_date, return_stp_kap_kjs, stp_kap_kjs
from kit.auth import Principal, acting_taxpayer
from kit.clock import JAKARTA, Clock
from kit.db import UnitOfWork
from kit.outbox import outbox_row, publish

log = logging.getLogger(__name__)

AGGREGATE = "stp"
LATE_FILING = "late_filing"
LATE_PAYMENT = "late_payment"
LATE_FAKTUR = "late_faktur"
_RUN_LOCK = "filing.sanction-run"


async def issue_late_filing_stp(session: AsyncSession, *, npwp: str, obligation: Obligation, period: str,
                                spt_id: uuid.UUID, issued_on: date, causation_id: str | None = None,
                                form: str | None = None, pph_kap: str | None = None) -> StpRead | None:
    """The UU KUP Art 7(1) fine of a return filed after its effective due date, as an STP published with
    `STPIssued`; None when the return already bears its fine (issued once, whoever asks again).

    The Art 7(2) exemptions (death, disaster, ...) are not known to filing yet: no fine is waived here. Raises
    `calendar.year_unknown` when the due date (1 month after issue, rolled) falls in a year without a calendar."""
    fine = late_filing_fine(obligation)
    due = bill_due_date(issued_on)
    repo = StpRepository(session)
    stp_id = uuid.uuid4()
    row = await repo.add_return_fine(dict(
        id=stp_id, number=f"STP-{issued_on.year}-{await repo.next_serial():09d}", npwp=npwp, reason=LATE_FILING,
        basis=fine.basis, kap_kjs=return_stp_kap_kjs(obligation, pph_kap=pph_kap), amount=fine.amount,
        form=form or obligation.value,  # a data-driven form (`forms/`) is its own return: spt_masa_pph21, ...
        period=period, spt_id=spt_id, issued_on=issued_on, due_date=due.effective))
    if row is None:
        return None
    await publish(session, STPIssued(
        stp_id=str(row.id), stp_number=row.number, npwp=npwp, reason=row.reason, basis=row.basis,
        kap_kjs=row.kap_kjs, amount=f"{whole(row.amount):f}", form=row.form, period=row.period, spt_id=str(spt_id),
        issued_on=row.issued_on, due_date=row.due_date,
    ), key=npwp, subject=str(row.id), aggregate_type=AGGREGATE, sequence=1, causation_id=causation_id)
    return read(row)


async def stps_of(session: AsyncSession, spt_ids: list[uuid.UUID]) -> list[StpRead]:
    return [read(r) for r in await StpRepository(session).for_spts(spt_ids)]


def whole(amount: Decimal) -> Decimal:
    """An STP carries whole rupiah (the fines are; interest is rounded once, `sanctions.interest`)."""
    return amount.quantize(Decimal(1))


def read(row: StpRow) -> StpRead:
    return StpRead(id=row.id, number=row.number, reason=row.reason, basis=row.basis, kap_kjs=row.kap_kjs,
                   amount=whole(row.amount), form=row.form, period=row.period, issued_on=row.issued_on,
                   due_date=row.due_date, principal=row.principal, interest_months=row.interest_months,
                   monthly_rate_percent=row.monthly_rate_percent, invoice_id=row.invoice_id)


def _issued(row: StpRow) -> STPIssued:
    return STPIssued(
        stp_id=str(row.id), stp_number=row.number, npwp=row.npwp, reason=row.reason, basis=row.basis,
        kap_kjs=row.kap_kjs, amount=f"{whole(row.amount):f}",
        principal=f"{whole(row.principal):f}" if row.principal is not None else None,
        interest_months=row.interest_months,
        monthly_rate_percent=f"{row.monthly_rate_percent.normalize():f}" if row.monthly_rate_percent is not None
        else None,
        form=row.form, period=row.period, spt_id=str(row.spt_id) if row.spt_id else None, invoice_id=row.invoice_id,
        issued_on=row.issued_on, due_date=row.due_date)


def _event_row(row: StpRow, causation_id: str | None = None) -> dict[str, object]:
    return outbox_row(_issued(row), key=row.npwp, subject=str(row.id), aggregate_type=AGGREGATE, sequence=1,
                      causation_id=causation_id)


# -- the sanction run: UU KUP Art 7(1) for every owed return not filed by its deadline --------------------------------
async def run_return_fines(session: AsyncSession, *, obligation: Obligation, period: TaxPeriod | TaxYear,
                           today: date, trigger: str, officer: str | None = None,
                           npwps: Sequence[str] | None = None) -> SanctionRunRead:
    """One set-based statement issues the fines (insert ... select, the partial unique index making a rerun issue
    nothing), then their `STPIssued` go to the outbox in one statement. Runs in the caller's transaction.
    Raises `sanctions.deadline_not_passed` before the day after the effective deadline and `calendar.year_unknown`
    when the deadline or the STP's due date cannot be rolled."""
    if obligation not in RUN_OBLIGATIONS:
        raise RunObligationUnsupported(f"{obligation.value} is not covered by the sanction run",
                                       path="/obligation")
    deadline = due_date(obligation, period)
    if today <= deadline.effective:
        raise DeadlineNotPassed(f"{obligation.value} {period} is due on {deadline.effective.isoformat()}",
                                due_date=deadline.effective.isoformat())
    bill_due = bill_due_date(today).effective
    fine = late_filing_fine(obligation)
    repo = StpRepository(session)
    run_id = uuid.uuid4()
    started_at = datetime.now(UTC)
    annual = obligation in ANNUAL
    params: dict[str, object] = dict(
        npwps=list(npwps) if npwps is not None else None, form=obligation.value, period=str(period),
        due=deadline.effective, run_on=today, exempt=sorted(EXEMPT_STATUSES), year=str(today.year),
        basis=fine.basis, kap_kjs=return_stp_kap_kjs(obligation), amount=fine.amount, bill_due=bill_due,
        run_id=run_id)
    if annual:
        params.update(kind="individual" if obligation is Obligation.SPT_TAHUNAN_OP else "company",
                      tax_year=period.first_day.year)
    else:
        params.update(first=period.first_day, last=period.last_day)
    issued = await repo.run_return_fines(annual=annual, params=params)
    await repo.add_events([outbox_row(STPIssued(
        stp_id=str(i.id), stp_number=i.number, npwp=i.npwp, reason=i.reason, basis=fine.basis,
        kap_kjs=params["kap_kjs"], amount=f"{whole(fine.amount):f}", form=obligation.value, period=str(period),
        spt_id=str(i.spt_id) if i.spt_id else None, issued_on=today, due_date=bill_due,
    ), key=i.npwp, subject=str(i.id), aggregate_type=AGGREGATE, sequence=1) for i in issued])
    await repo.add_run(dict(id=run_id, obligation=obligation.value, period=str(period), due_date=deadline.effective,
                            run_on=today, trigger=trigger, officer_account_id=officer, issued=len(issued),
                            started_at=started_at))
    not_filed = sum(1 for i in issued if i.reason == "not_filed")
    return SanctionRunRead(run_id=run_id, obligation=obligation, period=str(period), due_date=deadline.effective,
                           run_on=today, stp_due_date=bill_due, issued=len(issued), not_filed=not_filed,
                           late_filing=len(issued) - not_filed)


async def start_run(uow: UnitOfWork, principal: Principal, clock: Clock, body: SanctionRunCreate) -> SanctionRunRead:
    """The officer's route: the run of one deadline, now (one at a time: `sanctions.run_in_progress`)."""
    officer = require_officer(principal)
    period = parse_period(body.period)
    async with uow:
        if not await StpRepository(uow.session).try_lock(_RUN_LOCK):
            raise RunInProgress("another sanction run holds the lock")
        result = await run_return_fines(uow.session, obligation=body.obligation, period=period,
                                        today=clock.today(), trigger="officer", officer=officer, npwps=body.npwps)
        await uow.commit()
    return result


async def run_scheduled(uow: UnitOfWork, clock: Clock) -> list[SanctionRunRead]:
    """The worker's pass: each deadline due a run today (`sanctions.schedule`), one transaction each; a masa deadline
    runs once, an annual one once a day through the extension window. Another worker's run in progress is left to
    it."""
    today = clock.today()
    done: list[SanctionRunRead] = []
    for due in deadlines_to_run(today):
        async with uow:
            repo = StpRepository(uow.session)
            if not await repo.try_lock(_RUN_LOCK):
                return done
            if await repo.has_run(due.obligation.value, str(due.period), on=today if due.repeat_daily else None):
                continue
            try:
                done.append(await run_return_fines(uow.session, obligation=due.obligation, period=due.period,
                                                   today=today, trigger="schedule"))
            except CalendarYearUnknown:  # the STPs' due date needs next year's calendar: tried again next pass
                log.warning("sanction run of %s %s postponed: no calendar for the STPs' due date",
                            due.obligation.value, due.period)
                continue
            await uow.commit()
    return done


# -- Art 9(2a): a return's payment made after its due date --------------------------------------------------------
async def issue_late_payment_stp(session: AsyncSession, *, npwp: str, form: str | None, period: str | None,
                                 spt_id: uuid.UUID, kap: str, principal: Decimal, due: date, paid_on: date,
                                 issued_on: date, causation_id: str | None = None) -> StpRead | None:
    """UU KUP Art 9(2a) interest (tier 2, the KMK rate of the month the sanction starts, part of a month a month, at
    most 24) on `principal` paid on `paid_on` after `due`, as an STP paid with the tax's KAP and KJS 300; None when
    paid on time, or when this payment (return and KAP) already bears its STP. `sanctions.interest_rate_unknown`
    when the month's KMK rate is not in the table."""
    charge = late_payment_interest(principal, due=due, paid_on=paid_on)
    if charge.amount <= 0 or charge.rate is None:
        return None
    repo = StpRepository(session)
    row = await repo.add_late_payment(dict(
        id=uuid.uuid4(), number=f"STP-{issued_on.year}-{await repo.next_serial():09d}", npwp=npwp,
        reason=LATE_PAYMENT, basis="UU KUP Art 9(2a)", kap_kjs=stp_kap_kjs(kap), amount=charge.amount, form=form,
        period=period, spt_id=spt_id, issued_on=issued_on, due_date=bill_due_date(issued_on).effective,
        principal=charge.principal, interest_months=charge.months, monthly_rate_percent=charge.rate.percent))
    if row is None:
        return None
    await repo.add_events([_event_row(row, causation_id)])
    return read(row)


async def payment_confirmed(session: AsyncSession, event: PaymentConfirmed, *, today: date,
                            causation_id: str | None = None) -> StpRead | None:
    """A return's payment (Bayar dan Lapor: `settles: spt`) confirmed after the due date its request carried."""
    if event.settles != "spt" or event.spt_id is None:
        return None
    asked = await StpRepository(session).payment_due(uuid.UUID(event.spt_id), event.kap_kjs)
    if asked is None:
        return None
    return await issue_late_payment_stp(
        session, npwp=asked.npwp, form=asked.form, period=asked.period, spt_id=asked.spt_id,
        kap=event.kap_kjs.split("-")[0], principal=Decimal(event.amount), due=asked.payment_due_date,
        paid_on=event.paid_at.astimezone(JAKARTA).date(), issued_on=today, causation_id=causation_id)


# -- Art 14(4): a faktur made late --------------------------------------------------------------------------------
async def invoices_signed(session: AsyncSession, events: Sequence[tuple[str, InvoiceSigned]], *,
                          today: date) -> list[StpRead]:
    """1% of the DPP of each faktur signed after its upload deadline, once per invoice. A faktur pengganti (status
    code above 00) replaces a faktur already made: only the original is judged. `events`: (event id, event)."""
    late = [(event_id, e) for event_id, e in events
            if e.nsfp[2:4] == "00" and e.late and late_faktur_fine(Decimal(e.dpp)) > 0]
    if not late:
        return []
    repo = StpRepository(session)
    bill_due = bill_due_date(today).effective
    rows = await repo.add_late_fakturs([dict(
        id=uuid.uuid4(), number=f"STP-{today.year}-{await repo.next_serial():09d}", npwp=e.seller_npwp,
        reason=LATE_FAKTUR, basis="UU KUP Art 14(4)", kap_kjs=LATE_FAKTUR_KAP_KJS,
        amount=late_faktur_fine(Decimal(e.dpp)), form=None, period=e.period, spt_id=None, invoice_id=e.invoice_id,
        principal=Decimal(e.dpp), issued_on=today, due_date=bill_due) for _, e in late])
    causes = {e.invoice_id: event_id for event_id, e in late}
    await repo.add_events([_event_row(r, causes.get(r.invoice_id or "")) for r in rows])
    return [read(r) for r in rows]


async def list_stps(uow: UnitOfWork, principal: Principal, *, npwp: str | None) -> list[StpRead]:
    principal.require("filing:read")
    npwp = acting_taxpayer(principal, npwp)
    async with uow:
        return [read(r) for r in await StpRepository(uow.session).of_npwp(npwp)]


# -- Art 8(2)/(2a): a pembetulan that raises the tax ----------------------------------------------------------------
CORRECTION_INTEREST = "correction_interest"


async def issue_correction_interest_stp(session: AsyncSession, *, npwp: str, form: str, period: str,
                                        spt_id: uuid.UUID, kap_kjs: str, charge: InterestCharge, issued_on: date,
                                        causation_id: str | None = None) -> StpRead | None:
    """The interest on a pembetulan's raise (`corrections.rules.correction_interest`: tier 2, from the payment due
    date or the annual filing deadline to the payment date), as an STP paid with the tax's KAP and KJS 300. Called by
    submissions in the transaction that files the pembetulan, once per version and KAP-KJS; None when nothing is
    charged."""
    if charge.amount <= 0 or charge.rate is None:
        return None
    repo = StpRepository(session)
    row = await repo.add(dict(
        id=uuid.uuid4(), number=f"STP-{issued_on.year}-{await repo.next_serial():09d}", npwp=npwp,
        reason=CORRECTION_INTEREST, basis=charge.basis, kap_kjs=stp_kap_kjs(kap_kjs.split("-")[0]),
        amount=charge.amount, form=form, period=period, spt_id=spt_id, issued_on=issued_on,
        due_date=bill_due_date(issued_on).effective, principal=charge.principal, interest_months=charge.months,
        monthly_rate_percent=charge.rate.percent))
    await publish(session, _issued(row), key=npwp, subject=str(row.id), aggregate_type=AGGREGATE, sequence=1,
                  causation_id=causation_id)
    return read(row)
