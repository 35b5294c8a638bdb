"""Due dates (tax-rules.md §5): the nominal date the rule gives, the effective date after PMK-81/2024 Art 100 rolls
it to the next working day, and the days off that moved it.

| obligation          | nominal due date                                 | basis                               |
| masa tax payment    | the 15th of the month after the period           | PMK-81/2024 Art 94                  |
| PPN payment         | end of the month after the period (before filing)| PMK-81/2024                         |
| SPT Masa PPh        | 20 days after the end of the period (the 20th)   | UU KUP Art 3(3)(a)                  |
| SPT Masa PPN        | end of the month after the period                | UU KUP Art 3(3)(a), PMK-81/2024     |
| SPT Tahunan OP      | 3 months after the end of the tax year (31 Mar)  | UU KUP Art 3(3)(b)                  |
| SPT Tahunan Badan   | 4 months after the end of the tax year (30 Apr)  | UU KUP Art 3(3)(c)                  |
An SPT Tahunan may be extended by up to 2 months, requested before the deadline ends (UU KUP Art 3(4)).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from filing.calendar.periods import TaxPeriod, TaxYear, add_months
from filing.calendar.workdays import DayOff, WorkingCalendar
from filing.obligations.errors import ExtensionNotAnnual, ExtensionTooLate, ExtensionTooLong, PeriodMismatch
from filing.obligations.kinds import ANNUAL, Obligation

MAX_EXTENSION_MONTHS = 2

BASIS = {
    Obligation.MASA_TAX_PAYMENT: "PMK-81/2024 Art 94; Art 100 rollover",
    Obligation.PPN_PAYMENT: "PMK-81/2024 (before filing, at the latest the end of the following month); Art 100",
    Obligation.SPT_MASA_PPH: "UU KUP Art 3(3)(a); PMK-81/2024 Art 100 rollover",
    Obligation.SPT_MASA_PPN: "UU KUP Art 3(3)(a); PMK-81/2024; Art 100 rollover",
    Obligation.SPT_TAHUNAN_OP: "UU KUP Art 3(3)(b); PMK-81/2024 Art 100 rollover",
    Obligation.SPT_TAHUNAN_BADAN: "UU KUP Art 3(3)(c); PMK-81/2024 Art 100 rollover",
}


@dataclass(frozen=True)
class Deadline:
    obligation: Obligation
    period: TaxPeriod | TaxYear
    nominal: date
    effective: date
    days_off: tuple[DayOff, ...]
    basis: str
    extended_by_months: int = 0

    @property
    def moved(self) -> bool:
        return self.effective != self.nominal


def nominal_due_date(obligation: Obligation, period: TaxPeriod | TaxYear) -> date:
    _check_period(obligation, period)
    match obligation:
        case Obligation.MASA_TAX_PAYMENT:
            return period.shifted(1).first_day.replace(day=15)
        case Obligation.PPN_PAYMENT | Obligation.SPT_MASA_PPN:
            return period.shifted(1).last_day
        case Obligation.SPT_MASA_PPH:
            return period.last_day + timedelta(days=20)
        case Obligation.SPT_TAHUNAN_OP:
            return add_months(period.last_day, 3)
        case Obligation.SPT_TAHUNAN_BADAN:
            return add_months(period.last_day, 4)
    raise AssertionError(f"unhandled obligation {obligation}")


def due_date(obligation: Obligation, period: TaxPeriod | TaxYear,
             calendar: WorkingCalendar | None = None) -> Deadline:
    """Nominal and effective due date. Raises `CalendarYearUnknown` when the rolling needs a year with no list."""
    calendar = calendar or WorkingCalendar.load()
    nominal = nominal_due_date(obligation, period)
    effective, days_off = calendar.roll_forward(nominal)
    return Deadline(obligation, period, nominal, effective, days_off, BASIS[obligation])


def extended_due_date(obligation: Obligation, year: TaxYear, *, months: int, requested_on: date,
                      calendar: WorkingCalendar | None = None) -> Deadline:
    """The SPT Tahunan deadline extended by `months` (1 or 2) counted from the nominal deadline (31 Mar -> 31 May,
    30 Apr -> 30 Jun), then rolled. "Before the deadline ends" is read as on or before the effective due date:
    the deadline has not ended while its (rolled) last day lasts."""
    if obligation not in ANNUAL:
        raise ExtensionNotAnnual(obligation=obligation.value)
    if not 1 <= months <= MAX_EXTENSION_MONTHS:
        raise ExtensionTooLong(months=months)
    calendar = calendar or WorkingCalendar.load()
    original = due_date(obligation, year, calendar)
    if requested_on > original.effective:
        raise ExtensionTooLate(f"the deadline ended on {original.effective.isoformat()}",
                               deadline=original.effective.isoformat())
    nominal = add_months(original.nominal, months)
    effective, days_off = calendar.roll_forward(nominal)
    return replace(original, nominal=nominal, effective=effective, days_off=days_off, extended_by_months=months,
                   basis=f"{original.basis}; extended under UU KUP Art 3(4)")


def _check_period(obligation: Obligation, period: TaxPeriod | TaxYear) -> None:
    wanted = TaxYear if obligation in ANNUAL else TaxPeriod
    if not isinstance(period, wanted):
        raise PeriodMismatch(f"{obligation.value} is owed per {'year' if wanted is TaxYear else 'month'}",
                             obligation=obligation.value, period=str(period))
