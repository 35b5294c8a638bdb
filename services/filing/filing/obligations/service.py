"""Use cases of the obligations slice: which returns a taxpayer owes over a range of months (from filing's replica
of identity's registry: kind, registration and PKP spans), when each is due, and where each stands."""

from __future__ import annotations

from datetime import date, datetime

from filing.calendar.errors import CalendarYearUnknown
from filing.calendar.periods import TaxPeriod
from filing.calendar.schemas import DayOffRead
from filing.clock import JAKARTA, Clock
from filing.obligations.deadlines import BASIS, due_date, nominal_due_date
from filing.obligations.errors import RangeReversed, RangeTooLong
from filing.obligations.owed import OwedReturn, owed_returns
from filing.obligations.repository import ObligationRepository
from filing.obligations.schemas import ObligationList, ObligationRead
from filing.obligations.status import obligation_status, status_before_calendar
from filing.registry import service as registry
from kit.auth import Principal, acting_taxpayer
from kit.db import UnitOfWork

MAX_MONTHS = 120
READ = "filing:read"


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
    items = [_item(o, filed.get((o.obligation.value, str(o.period))), today) for o in owed]
    return ObligationList(npwp=npwp, from_period=str(start), to_period=str(end), today=today,
                          items=sorted(items, key=lambda i: (i.nominal_due_date, i.obligation.value)))


def _item(owed: OwedReturn, filed_at: datetime | None, today: date) -> ObligationRead:
    done_on = filed_at.astimezone(JAKARTA).date() if filed_at is not None else None
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
