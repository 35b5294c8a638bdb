"""When the worker runs the sanctions of a deadline (pure): the day after each effective deadline of the returns the
run knows (`RUN_OBLIGATIONS`), and, for an SPT Tahunan, every day of the following `ANNUAL_WINDOW_DAYS` so that a
return extended under UU KUP Art 3(4) (up to 2 months) is caught the day after its own extended deadline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from filing.calendar.errors import CalendarYearUnknown
from filing.calendar.periods import TaxPeriod, TaxYear
from filing.calendar.workdays import WorkingCalendar
from filing.obligations.deadlines import due_date
from filing.obligations.kinds import ANNUAL, Obligation
from filing.sanctions.rules import RUN_OBLIGATIONS

MASA_LOOKBACK_MONTHS = 4  # a worker down for weeks still runs the deadlines it missed
ANNUAL_WINDOW_DAYS = 75  # 2 months of extension, rolled, and a margin


@dataclass(frozen=True)
class DueRun:
    obligation: Obligation
    period: TaxPeriod | TaxYear
    due: date  # effective deadline
    repeat_daily: bool  # annual: extensions end later, one by one


def deadlines_to_run(today: date, calendar: WorkingCalendar | None = None) -> list[DueRun]:
    """The deadlines whose run is due on `today` (a deadline in a year without a calendar is left for later)."""
    calendar = calendar or WorkingCalendar.load()
    this_month = TaxPeriod.of(today)
    candidates: list[tuple[Obligation, TaxPeriod | TaxYear]] = []
    for obligation in RUN_OBLIGATIONS:
        if obligation in ANNUAL:
            candidates += [(obligation, TaxYear(today.year - back)) for back in (1, 2)]
        else:
            candidates += [(obligation, this_month.shifted(-back)) for back in range(1, MASA_LOOKBACK_MONTHS + 1)]
    due: list[DueRun] = []
    for obligation, period in candidates:
        try:
            deadline = due_date(obligation, period, calendar)
        except CalendarYearUnknown:
            continue
        annual = obligation in ANNUAL
        if deadline.effective < today and (
                not annual or today <= deadline.effective + timedelta(days=ANNUAL_WINDOW_DAYS)):
            due.append(DueRun(obligation, period, deadline.effective, annual))
    return due
