"""Use cases of the calendar slice: due dates and days off. Pure (the calendar is data in the package), so no
transaction."""

from __future__ import annotations

from filing.calendar.periods import parse_period
from filing.calendar.schemas import DayOffRead, DeadlineRead, WorkingCalendarRead
from filing.calendar.workdays import WorkingCalendar
from filing.obligations.deadlines import due_date
from filing.obligations.kinds import Obligation


def deadline(obligation: Obligation, period: str) -> DeadlineRead:
    """Raises `period.invalid`, `obligation.period_mismatch` (a month for an annual return, or the reverse) or
    `calendar.year_unknown` (the due date falls in, or rolls into, a year with no holiday list)."""
    return DeadlineRead.of(due_date(obligation, parse_period(period)))


def days_off(year: int) -> WorkingCalendarRead:
    return WorkingCalendarRead(year=year, days_off=[DayOffRead.of(off) for off in WorkingCalendar.load().holidays(year)])
