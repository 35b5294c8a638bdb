"""The monthly KMK interest-rate table (tax-rules.md §6.2), kept as data in `sanctions/data/interest_rates.json`,
with the months officers publish (`filing.reference`, held in process memory and refreshed from the database) over
it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import IntEnum
from functools import lru_cache
from importlib import resources
from typing import Any

from filing.calendar.periods import TaxPeriod
from filing.sanctions.errors import InterestRateUnknown


class InterestTier(IntEnum):
    """Uplift over the acuan rate, by the article that charges the interest (tax-rules.md §6.2)."""

    T1 = 1  # Art 19(1)-(3) (late assessment payment, instalment, postponement); imbalan bunga: +0%
    T2 = 2  # Art 8(2), 8(2a) (correction); Art 9(2a), 9(2b) (late payment); Art 14(3) (STP): +5%
    T3 = 3  # Art 8(5) (disclosure during an audit): +10%
    T4 = 4  # Art 13(2), 13(2a) (SKPKB): +15%
    T5 = 5  # Art 13(3b): +20%


@dataclass(frozen=True)
class MonthlyRate:
    percent: Decimal  # percent per month
    month: TaxPeriod  # the month whose KMK sets it
    tier: InterestTier
    decree: str | None  # the KMK number, when known


class InterestRateTable:
    def __init__(self, rates: Mapping[TaxPeriod, Mapping[InterestTier, Decimal]],
                 decrees: Mapping[TaxPeriod, str | None] | None = None) -> None:
        self._rates = {month: dict(by_tier) for month, by_tier in rates.items()}
        self._decrees = dict(decrees or {})

    @classmethod
    def load(cls) -> InterestRateTable:
        """The table in force in this process: the packaged months with the months published over them
        (`use_published`)."""
        return _in_force.table or _packaged()

    @classmethod
    def packaged(cls) -> InterestRateTable:
        """The table packaged as data, without what was published."""
        return _packaged()

    @classmethod
    def from_data(cls, raw: Mapping[str, Any]) -> InterestRateTable:
        rates: dict[TaxPeriod, dict[InterestTier, Decimal]] = {}
        decrees: dict[TaxPeriod, str | None] = {}
        for entry in raw["months"]:
            month = TaxPeriod.parse(entry["month"])
            if month in rates:
                raise ValueError(f"interest rates for {month} listed twice")
            rates[month] = {InterestTier(int(tier)): Decimal(value) for tier, value in entry["rates"].items()}
            decrees[month] = entry.get("kmk")
        return cls(rates, decrees)

    def rate(self, tier: InterestTier, on: date) -> MonthlyRate:
        """The rate in force on `on`: the KMK of that calendar month."""
        month = TaxPeriod.of(on)
        try:
            percent = self._rates[month][tier]
        except KeyError:
            raise InterestRateUnknown(f"no published tier {int(tier)} rate for {month}", month=str(month),
                                      tier=int(tier)) from None
        return MonthlyRate(percent, month, tier, self._decrees.get(month))

    def month(self, month: TaxPeriod) -> tuple[Mapping[InterestTier, Decimal], str | None] | None:
        """The tiers known for `month` and its KMK number, or None when the month is not in the table."""
        if month not in self._rates:
            return None
        return dict(self._rates[month]), self._decrees.get(month)


class _InForce:
    table: InterestRateTable | None = None  # None: the packaged table alone


_in_force = _InForce()


def use_published(months: Mapping[TaxPeriod, tuple[Mapping[InterestTier, Decimal], str]]) -> InterestRateTable:
    """Make `InterestRateTable.load()` answer the packaged table with `months` (each month's tiers and KMK number,
    as officers published them: `filing.reference`) over it; `{}` restores the packaged table alone."""
    packaged = _packaged()
    rates = {**packaged._rates, **{month: dict(tiers) for month, (tiers, _) in months.items()}}
    decrees = {**packaged._decrees, **{month: kmk for month, (_, kmk) in months.items()}}
    _in_force.table = InterestRateTable(rates, decrees) if months else None
    return InterestRateTable.load()


@lru_cache(maxsize=1)
def _packaged() -> InterestRateTable:
    text = resources.files("filing.sanctions.data").joinpath("interest_rates.json").read_text(encoding="utf-8")
    return InterestRateTable.from_data(json.loads(text))
