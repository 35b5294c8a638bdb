"""Use cases of the obligations slice: which returns a taxpayer owes over a range of months (from filing's replica
of identity's registry: kind, registration and PKP spans), when each is due, and where each stands."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.identity import TaxpayerUpdated
from filing.calendar.errors import CalendarYearUnknown
from filing.calendar.periods import TaxPeriod, TaxYear
from filing.calendar.schemas import DayOffRead
from filing.calendar.workdays import WorkingCalendar
from filing.obligations.deadlines import BASIS, due_date, extended_due_date, nominal_due_date
from filing.obligations.errors import ExtensionAlreadyFiled, ExtensionExists, RangeReversed, RangeTooLong
from filing.obligations.kinds import ANNUAL, Obligation
from filing.obligations.owed import OwedReturn, owed_returns
from filing.obligations.repository import ExtensionRow, ObligationRepository
from filing.obligations.schemas import ExtensionCreate, ExtensionRead, ObligationList, ObligationRead
from filing.obligations.status import obligation_status, status_before_calendar
from filing.registry import service as registry
from filing.returns.errors import ReturnNotOwed
from kit.auth import Principal, acting_taxpayer
from kit.clock import JAKARTA, Clock
from kit.db import UnitOfWork

MAX_MONTHS = 120
READ = "filing:read"
SUBMIT = "filing:submit"


async def list_obligations(uow: UnitOfWork, principal: Principal, clock: Clock, *, npwp: str | None,
                           first: str, last: str) -> ObligationList:
    principal.require(READ)
    npwp = acting_taxpayer(principal, npwp)
    start, end = TaxPeriod.parse(first), TaxPeriod.parse(last)
    if end < start:
        raise RangeReversed(f"{start} is after {end}", path="/from")
    if (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
        raise RangeTooLong(f"{start}..{end} is more than {MAX_MONTHS} months", path="/to")
    today = clock.today()
    async with uow:
        taxpayer = await registry.registered(uow.session, npwp)
        owed = owed_returns(taxpayer.kind, first=start, last=end, pkp=taxpayer.pkp,
                            registered_on=taxpayer.registered_on)
        filed = await ObligationRepository(uow.session).filed_at(
            npwp, sorted({o.obligation.value for o in owed}), sorted({str(o.period) for o in owed}))
        extended = await ObligationRepository(uow.session).extensions(
            npwp, sorted({o.obligation.value for o in owed if o.obligation in ANNUAL}),
            sorted({str(o.period) for o in owed if o.obligation in ANNUAL}))
    items = [_item(o, filed.get((o.obligation.value, str(o.period))), today,
                   extended.get((o.obligation.value, str(o.period)))) for o in owed]
    return ObligationList(npwp=npwp, from_period=str(start), to_period=str(end), today=today,
                          items=sorted(items, key=lambda i: (i.nominal_due_date, i.obligation.value)))


def _item(owed: OwedReturn, filed_at: datetime | None, today: date,
          extension: ExtensionRow | None = None) -> ObligationRead:
    done_on = filed_at.astimezone(JAKARTA).date() if filed_at is not None else None
    if extension is not None:
        days_off = WorkingCalendar.load().roll_forward(extension.nominal_due_date).days_off
        return ObligationRead(obligation=owed.obligation, period=str(owed.period),
                              nominal_due_date=extension.nominal_due_date, due_date=extension.due_date,
                              days_off=[DayOffRead.of(d) for d in days_off],
                              basis=f"{BASIS[owed.obligation]}; extended under UU KUP Art 3(4)",
                              status=obligation_status(extension.due_date, done_on=done_on, today=today),
                              filed_on=done_on, extended_by_months=extension.months)
    try:
        deadline = due_date(owed.obligation, owed.period)
    except CalendarYearUnknown as unknown:
        nominal = nominal_due_date(owed.obligation, owed.period)
        return ObligationRead(obligation=owed.obligation, period=str(owed.period), nominal_due_date=nominal,
                              due_date=None, days_off=[], basis=BASIS[owed.obligation],
                              status=status_before_calendar(nominal, done_on=done_on, today=today),
                              filed_on=done_on, calendar_problem=unknown.code)
    return ObligationRead(obligation=owed.obligation, period=str(owed.period), nominal_due_date=deadline.nominal,
                          due_date=deadline.effective, days_off=[DayOffRead.of(d) for d in deadline.days_off],
                          basis=deadline.basis,
                          status=obligation_status(deadline.effective, done_on=done_on, today=today),
                          filed_on=done_on)


async def request_extension(uow: UnitOfWork, principal: Principal, clock: Clock, *, npwp: str | None,
                            obligation: Obligation, year: str, body: ExtensionCreate) -> ExtensionRead:
    """UU KUP Art 3(4): the SPT Tahunan's deadline moves by 1 or 2 months when asked on or before it (the effective,
    rolled date). One extension per return; refused once the return is filed or when it is not owed."""
    principal.require(SUBMIT)
    npwp = acting_taxpayer(principal, npwp)
    tax_year = TaxYear(int(year))
    today = clock.today()
    deadline = extended_due_date(obligation, tax_year, months=body.months, requested_on=today)
    original = due_date(obligation, tax_year)
    async with uow:
        taxpayer = await registry.registered(uow.session, npwp)
        owed = owed_returns(taxpayer.kind, first=TaxPeriod(tax_year.year, 1), last=TaxPeriod(tax_year.year, 12),
                            registered_on=taxpayer.registered_on)
        if not any(o.obligation is obligation for o in owed):
            raise ReturnNotOwed(f"{npwp} owes no {obligation.value} for {tax_year}", path="/obligation")
        repo = ObligationRepository(uow.session)
        if await repo.filed(npwp, obligation.value, str(tax_year)):
            raise ExtensionAlreadyFiled(f"{obligation.value} {tax_year} is filed")
        added = await repo.add_extension(dict(
            id=uuid.uuid4(), npwp=npwp, form=obligation.value, period=str(tax_year), months=body.months,
            original_due_date=original.effective, nominal_due_date=deadline.nominal, due_date=deadline.effective,
            requested_on=today, requested_by=principal.acting_person))
        if not added:
            raise ExtensionExists(f"{obligation.value} {tax_year} is already extended")
        await uow.commit()
    return ExtensionRead(npwp=npwp, obligation=obligation, period=str(tax_year), months=body.months,
                         original_due_date=original.effective, nominal_due_date=deadline.nominal,
                         due_date=deadline.effective, days_off=[DayOffRead.of(d) for d in deadline.days_off],
                         requested_on=today, basis=deadline.basis)


async def effective_due_date(session: AsyncSession, npwp: str, obligation: Obligation,
                             period: TaxPeriod | TaxYear) -> date:
    """The effective due date of a taxpayer's return: the extended one when an SPT Tahunan was extended (for the
    slices that judge lateness inside their own transaction)."""
    if obligation in ANNUAL:
        extension = (await ObligationRepository(session).extensions(npwp, [obligation.value], [str(period)])).get(
            (obligation.value, str(period)))
        if extension is not None:
            return extension.due_date
    return due_date(obligation, period).effective


async def record_statuses(session: AsyncSession, events: Sequence[tuple[Envelope, TaxpayerUpdated]]) -> None:
    """identity's registry status of each taxpayer (TaxpayerUpdated), newest fact first-class."""
    await ObligationRepository(session).apply_statuses([
        dict(taxpayer_id=e.taxpayer_id, npwp=e.npwp, status=e.status, source_sequence=envelope.sequence,
             updated_at=e.updated_at) for envelope, e in events])


async def registry_status(session: AsyncSession, npwp: str) -> str:
    """`active` unless identity said otherwise (its default at registration)."""
    return await ObligationRepository(session).status(npwp) or "active"
