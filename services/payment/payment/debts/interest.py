"""Interest under UU KUP as amended by HPP (tax-rules §6.2): principal x the monthly KMK rate of the tier x the months
counted, where part of a month counts as a full month and at most 24 months are charged. The rate is the one the KMK
sets for the month of the date the interest starts (the due date: Art 19(1) counts "dari tanggal jatuh tempo"), read
from `data/interest_rates.json` (the rate is loaded, never computed from BI-Rate: the KMK's reference rate is not
BI-Rate), with the months filing's officers publish over it (`InterestRatesPublished`, kept by `payment.reference`
and held in process memory): a published month replaces the packaged entry of the same month.

`data/interest_rates.json` is a copy of filing's `sanctions/data/interest_rates.json` (the same months and tiers,
entry for entry; `tests/test_interest_rates_agree.py` holds both services to the same answers). The KMK is monthly:
a month is answered from its own entry only. A month without one, or a tier its entry does not list (or lists as
null: not retrieved), is `debt.interest_rate_unknown`, never taken from an earlier month; filing refuses the same
months (`sanctions.interest_rate_unknown`).
Interest is rounded to whole rupiah, half up (the rule PER-11/PJ/2025 Art 129 sets for PPh amounts).
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Any

from kit.money import round_half_up
from payment.debts.errors import InterestRateUnknown

MAX_INTEREST_MONTHS = 24
TIERS = (1, 2, 3, 4, 5)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class RateMonth:
    month: date  # the first day of the month the KMK sets the rates of
    kmk: str | None
    tiers: Mapping[int, Decimal | None]  # a tier not listed, or None, has no rate


RateTable = Mapping[date, RateMonth]  # the first day of each month -> its rates


def rate_table() -> RateTable:
    """The months in force in this process: the packaged months with the published months over them."""
    return _in_force.months or _packaged()


class _InForce:
    months: RateTable | None = None  # None: the packaged months alone


_in_force = _InForce()


def use_published(months: Mapping[date, tuple[str, Mapping[int, Decimal]]]) -> None:
    """Make `rate_table()` answer the packaged months with `months` (first day of the month -> its KMK number and the
    five tiers, as filing published them) over them; `{}` restores the packaged months alone."""
    table = dict(_packaged())
    for first, (kmk, tiers) in months.items():
        if first.day != 1 or set(tiers) != set(TIERS):
            raise ValueError(f"a published month is its first day with the five tiers, not {first}: {tiers}")
        table[first] = RateMonth(first, kmk, {tier: tiers[tier] for tier in TIERS})
    _in_force.months = MappingProxyType(dict(sorted(table.items()))) if months else None


def packaged_table() -> RateTable:
    """The months packaged as data, without what was published."""
    return _packaged()


@cache
def _packaged() -> RateTable:
    raw = json.loads((files("payment.debts") / "data" / "interest_rates.json").read_text(encoding="utf-8"))
    return months_from(raw)


def months_from(raw: Mapping[str, Any]) -> RateTable:
    """The table of the data file's format: `{"months": [{"month": "YYYY-MM", "kmk", "rates": {tier: "0.51"}}]}`."""
    table: dict[date, RateMonth] = {}
    for entry in raw["months"]:
        first = date.fromisoformat(entry["month"] + "-01")
        if first in table:
            raise ValueError(f"interest rates for {entry['month']} listed twice")
        tiers = {int(t): (None if v is None else Decimal(v)) for t, v in entry["rates"].items()}
        if not set(tiers) <= set(TIERS):
            raise ValueError(f"interest tiers are 1-5, not {sorted(tiers)} ({entry['month']})")
        table[first] = RateMonth(first, entry.get("kmk"), tiers)
    return MappingProxyType(dict(sorted(table.items())))


def monthly_rate(tier: int, on: date, table: RateTable | None = None) -> Decimal:
    """The rate in % per month of `tier` that the KMK of `on`'s month sets, or `InterestRateUnknown`."""
    if tier not in TIERS:
        raise ValueError(f"interest tiers are 1-5, not {tier}")
    month = (rate_table() if table is None else table).get(on.replace(day=1))
    rate = month.tiers.get(tier) if month is not None else None
    if rate is None:
        raise InterestRateUnknown(f"no tier {tier} rate known for {on:%Y-%m}", tier=tier, month=f"{on:%Y-%m}")
    return rate


def add_months(start: date, months: int) -> date:
    """The same day `months` later, or the last day of that month when it is shorter (31 Jan + 1 = 28/29 Feb)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


def months_counted(start: date, end: date, cap: int | None = MAX_INTEREST_MONTHS) -> int:
    """Months from `start` to `end`, a part month counting in full: the least n with start + n months >= end.
    Due 15 Sep, paid 15 Oct: 1; paid 16 Oct: 2; paid on or before the due date: 0. At most `cap` (None: no cap)."""
    if end <= start:
        return 0
    n = (end.year - start.year) * 12 + end.month - start.month - 1
    n = max(n, 0)
    while add_months(start, n) < end:
        n += 1
    return n if cap is None else min(n, cap)


def interest(principal: Decimal, monthly_rate_percent: Decimal, months: int) -> Decimal:
    """principal x rate% x months, in whole rupiah (half up)."""
    if months < 0:
        raise ValueError("months must not be negative")
    return round_half_up(principal * monthly_rate_percent / HUNDRED * months)


def late_interest(principal: Decimal, *, tier: int, due_date: date, paid_date: date) -> Decimal:
    """Interest on `principal` due on `due_date` and paid on `paid_date`, at the tier's rate in force on the due date.
    Nothing is charged (and no rate is looked up) when it is paid on time."""
    months = months_counted(due_date, paid_date)
    if months == 0:
        return Decimal(0)
    return interest(principal, monthly_rate(tier, due_date), months)
