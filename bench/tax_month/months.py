"""Which months the run plays (pure): the month just ended, whose SPT Masa PPN is due at the end of this month,
and the month before it, whose deadline has passed (the late taxpayers never file it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    def shifted(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def days(self) -> int:
        return (self.shifted(1).first_day - timedelta(days=1)).day

    def day(self, n: int) -> date:
        """The n-th day (1-based), wrapping over the month's length."""
        return date(self.year, self.month, 1 + (n - 1) % self.days)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class Plan:
    today: date
    month: Month  # the month whose invoices are signed and whose return is filed before its deadline
    late: Month  # the month before: its deadline has passed; the late taxpayers owe it and never file it

    @classmethod
    def for_day(cls, today: date) -> Plan:
        month = Month.of(today).shifted(-1)
        return cls(today, month, month.shifted(-1))


def is_late(index: int, share: float) -> bool:
    """Whether taxpayer `index` is one of the late ones: evenly spread, `share` of them (0 <= share <= 1)."""
    return share > 0 and int((index + 1) * share) > int(index * share)
