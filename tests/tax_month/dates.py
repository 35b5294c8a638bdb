"""The month's dates, from the Jakarta day the stack runs on (the services use the real clock: no service takes a
clock setting). On 6 December 2026:

- The seller invoices in November 2026 (the month before, or this month from the 21st: an invoice signed after the
  20th of the month after its date is late, invoice's `lifecycle/rules`, and would bear an Art 14(4) STP due next
  year) and files that SPT Masa PPN on time: its deadline is the end of the month after.
- Both companies are PKP from the first day of that month: an officer's decision may be dated back, before the
  registration day too (ex officio), and holds from its date on in every replica.
- The late filer is PKP from July 2026 (five months back): its SPT Masa PPN of July to October are overdue whatever
  the day of this month, so the customs KSWP (the last 3 SPT Masa PPN whose deadline passed) finds them not filed.
- An STP issued today falls due a month later (UU KUP Art 9(3)), rolled over days off: from 1 December 2026 that is
  in 2027, whose days off the stack does not ship; step 0 publishes a synthetic list (tests/tax_month/reference.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kit.clock import JAKARTA


def month_of(day: date, shift: int) -> date:
    """The first day of the month `shift` months from `day`'s."""
    index = day.year * 12 + day.month - 1 + shift
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Dates:
    today: date

    @classmethod
    def now(cls) -> Dates:
        return cls(datetime.now(JAKARTA).date())

    @property
    def first_day(self) -> date:
        """The first day of the seller's tax period: last month until the 20th, this month after."""
        return month_of(self.today, -1 if self.today.day <= 20 else 0)

    @property
    def period(self) -> str:
        return f"{self.first_day:%Y-%m}"

    @property
    def seller_pkp_since(self) -> str:
        return self.first_day.isoformat()

    def invoice_date(self, i: int) -> str:
        """Invoices spread over the period's days before today (at most its first 28)."""
        days = 28 if self.first_day.month != self.today.month else self.today.day - 1
        return self.first_day.replace(day=1 + i % days).isoformat()

    @property
    def late_pkp_since(self) -> str:
        return month_of(self.today, -5).isoformat()

    @property
    def late_period(self) -> str:
        """The late filer's overdue SPT Masa PPN it tries to file (three months back: overdue on any day)."""
        return f"{month_of(self.today, -3):%Y-%m}"

    @property
    def late_not_filed(self) -> list[str]:
        """The late filer's other overdue SPT Masa PPN (every one whose deadline passed but `late_period`): the
        officer's sanction run issues their STPs."""
        return [f"{month_of(self.today, shift):%Y-%m}" for shift in (-5, -4, -2)]

    @property
    def next_year(self) -> int:
        """The year an STP issued today falls due in (issue + 1 month)."""
        return month_of(self.today, 1).year
