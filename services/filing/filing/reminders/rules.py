"""Which reminders are due on a day, and for which deadlines (pure).

A reminder `dN` goes out on the day the effective due date is N working days ahead: the due date is the N-th working
day after today (`WorkingCalendar.add_working_days`), today not counted. Effective due dates are working days, so
each reminder has exactly one target date per day; on a weekend or a day off the target is the one of the working day
before, and the rerun of that day sends nothing more. A target that needs a year without a calendar is left out (and
reported), never guessed; so is a deadline whose own rolling needs one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from filing.calendar.errors import CalendarYearUnknown
from filing.calendar.periods import TaxPeriod, TaxYear
from filing.calendar.workdays import WorkingCalendar
from filing.obligations.deadlines import due_date
from filing.obligations.kinds import ANNUAL, Obligation

REMINDERS: tuple[tuple[str, int], ...] = (("d7", 7), ("d1", 1))
# the returns reminded of: those the sanction run fines (who owes them is known from the registry replica)
REMINDED = (Obligation.SPT_MASA_PPN, Obligation.SPT_TAHUNAN_OP, Obligation.SPT_TAHUNAN_BADAN)
MASA_PERIODS_BACK = (1, 2)  # last month's return (due this month) and the one before (its deadline may have rolled)


@dataclass(frozen=True)
class Target:
    reminder: str
    days_left: int
    due: date  # the effective due date this reminder is sent for today


@dataclass(frozen=True)
class Candidate:
    obligation: Obligation
    period: TaxPeriod | TaxYear
    due: date  # effective, before any taxpayer's extension
    on_target: bool = True  # the deadline itself is a target; if not (annual), only extended returns can be

    @property
    def annual(self) -> bool:
        return self.obligation in ANNUAL


@dataclass(frozen=True)
class Plan:
    targets: tuple[Target, ...]
    candidates: tuple[Candidate, ...]
    skipped: tuple[str, ...]  # what needed a year without a calendar, for the log


def plan(today: date, calendar: WorkingCalendar | None = None) -> Plan:
    """The reminders due today and the deadlines they may concern. A masa deadline is a candidate only when its date is
    a target; an annual one always (an extension under Art 3(4) moves a taxpayer's own due date)."""
    calendar = calendar or WorkingCalendar.load()
    targets: list[Target] = []
    skipped: list[str] = []
    for reminder, days in REMINDERS:
        try:
            targets.append(Target(reminder, days, calendar.add_working_days(today, days)))
        except CalendarYearUnknown as e:
            skipped.append(f"reminder {reminder}: {e}")
    dates = {t.due for t in targets}
    periods: list[tuple[Obligation, TaxPeriod | TaxYear]] = []
    for obligation in REMINDED:
        if obligation in ANNUAL:
            periods.append((obligation, TaxYear(today.year - 1)))
        else:
            periods += [(obligation, TaxPeriod.of(today).shifted(-back)) for back in MASA_PERIODS_BACK]
    candidates: list[Candidate] = []
    for obligation, period in periods:
        try:
            due = due_date(obligation, period, calendar).effective
        except CalendarYearUnknown as e:
            skipped.append(f"{obligation.value} {period}: {e}")
            continue
        if obligation in ANNUAL or due in dates:
            candidates.append(Candidate(obligation, period, due, on_target=due in dates))
    return Plan(tuple(targets), tuple(candidates) if targets else (), tuple(skipped))
