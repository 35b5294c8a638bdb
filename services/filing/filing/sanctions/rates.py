"""The monthly KMK interest-rate table (tax-rules.md §6.2), kept as data in `sanctions/data/interest_rates.json`."""

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


@lru_cache(maxsize=1)
def _packaged() -> InterestRateTable:
    text = resources.files("filing.sanctions.data").joinpath("interest_rates.json").read_text(encoding="utf-8")
    return InterestRateTable.from_data(json.loads(text))
