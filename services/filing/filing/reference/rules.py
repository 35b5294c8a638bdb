"""Pure rules of publishing reference data: what a year's days off and a month's KMK interest rates must be, and
whether a publication repeats, amends or contradicts what is known. No I/O (tests/unit/test_reference_rules.py).

- A year's days off (the SKB 3 Menteri on national holidays and cuti bersama, with election days off) are the whole
  list of the year, each date in it, listed once, of a kind PMK-81/2024 Art 100 names. An SKB is amended (2024's
  and 2025's cuti bersama were), so a different list for a year is a new revision, kept with the earlier ones.
- A month's rates are the five tiers of the KMK and its imbalan bunga rate, percent per month, each more than 0
  and below 10 with at most 2 decimals, the tiers rising (each uplift is 5 points a year above the one before). A
  KMK is not amended: other rates for a month already known are refused, never a revision. 2 decimals, not more:
  every KMK writes its rates so ("0,92% (nol koma sembilan dua persen)"), and what carries a rate on (the STP's and
  payment's events, the SKP's column) holds 2: a rate with more would be refused there, or rounded.
- Entry-error guards (not law): days off for this year or the next only, rates up to the next month only, and no
  decree dated after today (nor a KMK after the end of its month).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import cast

from filing.calendar.periods import TaxPeriod
from filing.calendar.workdays import DayOff, DayOffKind
from filing.reference.errors import (
    DayKindUnknown,
    DayListedTwice,
    DayOutsideYear,
    DaysMissing,
    DecreeAfterMonth,
    DecreeInFuture,
    MonthTooFar,
    RateInvalid,
    RateNotPositive,
    RatesNotIncreasing,
    RateTooLarge,
    RateTooManyDecimals,
    YearTooFar,
)
from filing.sanctions.rates import InterestTier

DAY_OFF_KINDS = ("national_holiday", "cuti_bersama", "election_day")
TIER_FIELDS = ("tier_1", "tier_2", "tier_3", "tier_4", "tier_5")
RATE_FIELDS = (*TIER_FIELDS, "imbalan_bunga")
RATE_LIMIT = Decimal(10)  # percent per month; the highest tier has been about 2.3
RATE_DECIMALS = 2  # see above: the events that carry a rate on hold 2
_SMALLEST = Decimal(1).scaleb(-RATE_DECIMALS)
_DECIMAL = re.compile(r"^[0-9]+(\.[0-9]+)?$")  # the body bounds its length


@dataclass(frozen=True)
class Decree:
    """The legal basis: the SKB (days off) or the KMK (rates), its number and the day it was signed."""

    number: str
    signed_on: date


@dataclass(frozen=True)
class YearDaysOff:
    year: int
    days: tuple[DayOff, ...]  # in date order
    basis: Decree


@dataclass(frozen=True)
class MonthRates:
    month: TaxPeriod
    rates: Mapping[str, Decimal]  # RATE_FIELDS -> percent per month
    kmk: Decree

    def tiers(self) -> dict[InterestTier, Decimal]:
        return {InterestTier(i + 1): self.rates[name] for i, name in enumerate(TIER_FIELDS)}


def checked_calendar(year: int, days: Sequence[tuple[date, str, str]], basis: Decree, *, today: date
                     ) -> YearDaysOff:
    """`days`: (date, kind, name) as given. Raises the first problem found, `details.path` naming it."""
    if year > today.year + 1:
        raise YearTooFar(f"days off of {year} cannot be published in {today.year}", year=year, path="/year")
    _signed_by_today(basis, today, "/basis/signed_on")
    if not days:
        raise DaysMissing(f"no day off listed for {year}", path="/days")
    seen: set[date] = set()
    listed = []
    for i, (day, kind, name) in enumerate(days):
        if day.year != year:
            raise DayOutsideYear(f"{day.isoformat()} is not in {year}", path=f"/days/{i}/date")
        if kind not in DAY_OFF_KINDS:
            raise DayKindUnknown(f"{kind!r} is not one of {', '.join(DAY_OFF_KINDS)}", path=f"/days/{i}/kind")
        if day in seen:
            raise DayListedTwice(f"{day.isoformat()} is listed more than once", path=f"/days/{i}/date")
        seen.add(day)
        listed.append(DayOff(day, cast(DayOffKind, kind), name.strip()))
    return YearDaysOff(year, tuple(sorted(listed, key=lambda off: off.date)), _decree(basis))


def checked_rates(month: TaxPeriod, rates: Mapping[str, str], kmk: Decree, *, today: date) -> MonthRates:
    """`rates`: RATE_FIELDS -> the decimal text given. Raises the first problem found, `details.path` naming it."""
    if month > TaxPeriod.of(today).shifted(1):
        raise MonthTooFar(f"the rates of {month} cannot be published in {TaxPeriod.of(today)}", month=str(month),
                          path="/month")
    _signed_by_today(kmk, today, "/kmk/signed_on")
    if kmk.signed_on > month.last_day:
        raise DecreeAfterMonth(f"a KMK signed on {kmk.signed_on.isoformat()} does not set the rates of {month}",
                               path="/kmk/signed_on")
    values = {name: rate(rates[name], path=f"/rates/{name}") for name in RATE_FIELDS}
    tiers = [values[name] for name in TIER_FIELDS]
    for i in range(1, len(tiers)):
        if tiers[i] <= tiers[i - 1]:
            raise RatesNotIncreasing(f"{TIER_FIELDS[i]} ({tiers[i]}) is not above {TIER_FIELDS[i - 1]} "
                                     f"({tiers[i - 1]})", path=f"/rates/{TIER_FIELDS[i]}")
    return MonthRates(month, values, _decree(kmk))


def rate(text: str, *, path: str) -> Decimal:
    """A rate in percent per month from its decimal text: more than 0, below 10, at most 2 decimals."""
    if not _DECIMAL.match(text):
        raise RateInvalid(f"{text!r} is not a decimal number", path=path)
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover (the pattern admits only decimals)
        raise RateInvalid(f"{text!r} is not a decimal number", path=path) from None
    if value <= 0:
        raise RateNotPositive(f"{text} is not more than zero", path=path)
    if value >= RATE_LIMIT:
        raise RateTooLarge(f"{text} is not a rate in percent per month (below {RATE_LIMIT})", path=path)
    if value != value.quantize(_SMALLEST):  # trailing zeros ("0.92000") are no more decimals
        raise RateTooManyDecimals(f"{text} has more than {RATE_DECIMALS} decimals", path=path)
    return value.normalize()


def rate_differences(new: MonthRates, old: MonthRates) -> list[str]:
    """The fields in which two publications of a month differ (none: the same publication again)."""
    differs = [name for name in RATE_FIELDS if new.rates[name] != old.rates[name]]
    if new.kmk.number != old.kmk.number:
        differs.append("kmk.number")
    if new.kmk.signed_on != old.kmk.signed_on:
        differs.append("kmk.signed_on")
    return differs


def packaged_differences(new: MonthRates, tiers: Mapping[InterestTier, Decimal], kmk: str | None) -> list[str]:
    """Where a publication contradicts the packaged month: a tier it has (some months lack tiers not retrieved) or its
    KMK number when it has one. A publication may complete a packaged month, never change it."""
    published = new.tiers()
    differs = [f"tier_{int(tier)}" for tier, percent in sorted(tiers.items()) if published[tier] != percent]
    if kmk is not None and kmk != new.kmk.number:
        differs.append("kmk.number")
    return differs


def _signed_by_today(decree: Decree, today: date, path: str) -> None:
    if decree.signed_on > today:
        raise DecreeInFuture(f"a decree signed on {decree.signed_on.isoformat()} is dated after today "
                             f"({today.isoformat()})", path=path)


def _decree(decree: Decree) -> Decree:
    return Decree(decree.number.strip(), decree.signed_on)
