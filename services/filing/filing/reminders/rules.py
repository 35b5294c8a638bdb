"""Which reminders are due on a day, and for which deadlines (pure).

A return is `w` working days from its effective due date on a day when the due date is the w-th working day after it
(`WorkingCalendar.add_working_days`, the day itself not counted; 0 on the due date). The reminder it is owed then
(`reminder_due`) is `d1` for w = 0 or 1 and `d7` for w = 2 to 7; none before and none once the due date has passed.
On the day itself (w = 7, w = 1) that is the on-time reminder; on a later day it is the catch-up of a pass that did
not run (a worker down for hours or days), still meaningful because the deadline is still ahead:

- d7 missed, now 2 to 6 working days ahead: d7 goes, late, saying how many days are left;
- d7 missed and now within d1's days (1 or 0 days left): d1 only. Never both late at once, never d7 after d1's day;
- the due date passed: nothing (the sanction run takes over).

Each return gets each reminder at most once (the `deadline_reminder` table's unique key), so every pass sends exactly
what is still owed and a rerun sends nothing. Effective due dates are working days, so the window of a day is the
working days from it (itself, if a working day) to its 7th working day after, each with its own `w`; on a weekend or
a day off it is the window of the working day before, less that day. A window that runs into a year without a
calendar is cut there (the reminders it would have held reported, never guessed); so is a deadline whose own rolling
needs one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from filing.calendar.errors import CalendarYearUnknown
from filing.calendar.periods import TaxPeriod, TaxYear
from filing.calendar.workdays import WorkingCalendar
from filing.obligations.deadlines import due_date
from filing.obligations.kinds import ANNUAL, Obligation

# (reminder, working days ahead when it is sent on time); each is owed from that day until the next one's
REMINDERS: tuple[tuple[str, int], ...] = (("d7", 7), ("d1", 1))
HORIZON = max(days for _, days in REMINDERS)
# the returns reminded of: those the sanction run fines (who owes them is known from the registry replica)
REMINDED = (Obligation.SPT_MASA_PPN, Obligation.SPT_TAHUNAN_OP, Obligation.SPT_TAHUNAN_BADAN)
MASA_PERIODS_BACK = (1, 2)  # last month's return (due this month) and the one before (its deadline may have rolled)


def reminder_due(days_left: int) -> str | None:
    """The reminder a return not filed is owed when its due date is `days_left` working days ahead (negative: passed):
    the one with the fewest days at or above `days_left`, so d1 for 0-1, d7 for 2-7, none beyond 7 or after."""
    if days_left < 0:
        return None
    for reminder, days in sorted(REMINDERS, key=lambda r: r[1]):
        if days_left <= days:
            return reminder
    return None


def _span(reminder: str) -> tuple[int, int]:
    """The days_left over which `reminder` is owed: (d1) 0-1, (d7) 2-7."""
    days = sorted(d for _, d in REMINDERS)
    own = dict(REMINDERS)[reminder]
    lower = max((d + 1 for d in days if d < own), default=0)
    return lower, own


@dataclass(frozen=True)
class Target:
    reminder: str
    days_left: int
    due: date  # an effective due date for which this reminder is owed today


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


def window(today: date, calendar: WorkingCalendar) -> tuple[tuple[Target, ...], tuple[str, ...]]:
    """Every due date a reminder is owed for today (today if a working day, then each of the next `HORIZON` working
    days), with its reminder and days left; and what a missing calendar cut off."""
    targets: list[Target] = []
    reached = -1  # the days left of the last due date placed
    try:
        day, days_left = (today, 0) if calendar.is_working_day(today) else (calendar.add_working_days(today, 1), 1)
        while True:
            reminder = reminder_due(days_left)
            assert reminder is not None
            targets.append(Target(reminder, days_left, day))
            reached = days_left
            if days_left == HORIZON:
                break
            day, days_left = calendar.add_working_days(day, 1), days_left + 1
    except CalendarYearUnknown as e:
        missing = reached + 1
        cut = [(name, max(low, missing), high) for name, _ in REMINDERS for low, high in [_span(name)]
               if high >= missing]
        return tuple(targets), tuple(f"reminder {name} ({low}{f'-{high}' if high > low else ''} working days ahead): {e}"
                                     for name, low, high in cut)
    return tuple(targets), ()


def plan(today: date, calendar: WorkingCalendar | None = None) -> Plan:
    """The reminders owed today and the deadlines they may concern. A masa deadline is a candidate only when its date
    is in today's window; an annual one always (an extension under Art 3(4) moves a taxpayer's own due date)."""
    calendar = calendar or WorkingCalendar.load()
    targets, cut = window(today, calendar)
    skipped = list(cut)
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
    return Plan(targets, tuple(candidates) if targets else (), tuple(skipped))
