"""Tax periods (masa pajak = a calendar month, tahun pajak = a calendar year) and month arithmetic.

Month arithmetic clamps to the month's end (31 Jan + 1 month = 28/29 Feb), the usual reading of "n bulan sejak".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from filing.calendar.errors import PeriodInvalid

_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_YEAR = re.compile(r"^([0-9]{4})$")


def last_day_of_month(year: int, month: int) -> date:
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


def add_months(d: date, months: int) -> date:
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return min(date(year, month, 1) + timedelta(days=d.day - 1), last_day_of_month(year, month))


def add_years(d: date, years: int) -> date:
    return add_months(d, 12 * years)


@dataclass(frozen=True, order=True)
class TaxPeriod:
    """A masa pajak: one calendar month, written `YYYY-MM`."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.month <= 12 and 1900 <= self.year <= 9999):
            raise PeriodInvalid(f"no such tax period: {self.year}-{self.month}", period=f"{self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> TaxPeriod:
        match = _MONTH.match(text)
        if not match:
            raise PeriodInvalid(f"not a tax period: {text!r}", period=text)
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, d: date) -> TaxPeriod:
        return cls(d.year, d.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return last_day_of_month(self.year, self.month)

    def shifted(self, months: int) -> TaxPeriod:
        return TaxPeriod.of(add_months(self.first_day, months))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True, order=True)
class TaxYear:
    """A tahun pajak, written `YYYY`. Calendar years only: a book year ending in another month is not modelled."""

    year: int

    def __post_init__(self) -> None:
        if not 1900 <= self.year <= 9999:
            raise PeriodInvalid(f"no such tax year: {self.year}", period=str(self.year))

    @property
    def first_day(self) -> date:
        return date(self.year, 1, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, 12, 31)

    def __str__(self) -> str:
        return f"{self.year:04d}"


def parse_period(text: str) -> TaxPeriod | TaxYear:
    """`YYYY-MM` is a masa pajak, `YYYY` a tahun pajak."""
    if match := _YEAR.match(text):
        return TaxYear(int(match[1]))
    return TaxPeriod.parse(text)


def months(first: TaxPeriod, last: TaxPeriod) -> Iterator[TaxPeriod]:
    """Every masa from `first` to `last`, both included (nothing when last < first)."""
    current = first
    while current <= last:
        yield current
        current = current.shifted(1)
