"""SKB rules (PER-8/PJ/2025 Art 70-73, tax-rules.md §7.2), pure: who may apply (the grounds), when the decision is
due, how long an SKB holds.

- Grounds (Art 70): (a) a fiscal loss (newly established and investing, pre-commercial, force majeure), (b) a loss
  carried forward that wipes out the expected tax, (c) prepaid PPh above the PPh that will be due, (d) only
  final-taxed income. Covers PPh 21, 22 (including import) and 23 withholding or collection.
- The DJP decides within 5 working days of the receipt (the working calendar: weekends, holidays, cuti bersama); an
  application received on a day off is counted from that day (the days counted are working days after it).
- An SKB holds from its issue to the end of that tax year.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from filing.calendar.workdays import WorkingCalendar

DECISION_WORKING_DAYS = 5


class SkbTax(StrEnum):
    PPH21 = "pph21"
    PPH22 = "pph22"
    PPH23 = "pph23"


class SkbGround(StrEnum):
    FISCAL_LOSS = "fiscal_loss"  # Art 70(a)
    LOSS_CARRY_FORWARD = "loss_carry_forward"  # (b)
    PREPAID_EXCEEDS_DUE = "prepaid_exceeds_due"  # (c)
    FINAL_INCOME_ONLY = "final_income_only"  # (d)


def decision_due(received_on: date, calendar: WorkingCalendar | None = None) -> date:
    """The 5th working day after the receipt. `calendar.year_unknown` when it would fall in a year without a list."""
    return (calendar or WorkingCalendar.load()).add_working_days(received_on, DECISION_WORKING_DAYS)


def validity(issued_on: date, tax_year: int) -> tuple[date, date]:
    """From issue to 31 December of the tax year applied for."""
    return issued_on, date(tax_year, 12, 31)


def valid_on(day: date, valid_from: date | None, valid_until: date | None) -> bool:
    return valid_from is not None and valid_until is not None and valid_from <= day <= valid_until


def skb_number(year: int, serial: int) -> str:
    return f"SKB-{year}-{serial:09d}"
