"""API models of the reference slice. Rates travel as decimal strings (percent per month), never as JSON numbers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from filing.reference.rules import Decree, MonthRates, YearDaysOff
from kit import text as api_text

_Day = date  # fields below are named `date`
Line = api_text.text(300, min_length=1)
RateText = api_text.text(20, min_length=1)


class DecreeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: Line = Field(description="the decree's number, e.g. \"SKB 3 Menteri No. 1497/2025, 2/2025, 5/2025\" "  # type: ignore[valid-type]
                                     "or \"2/MK/EF/2026\"")
    signed_on: date = Field(description="the day it was signed (not after today)")

    def decree(self) -> Decree:
        return Decree(self.number, self.signed_on)

    @classmethod
    def of(cls, decree: Decree) -> DecreeBody:
        return cls(number=decree.number, signed_on=decree.signed_on)


class DayOffBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: _Day
    kind: Line = Field(description="national_holiday, cuti_bersama or election_day")  # type: ignore[valid-type]
    name: Line = Field(description="e.g. \"Cuti bersama Idulfitri\"")  # type: ignore[valid-type]


class CalendarPublish(BaseModel):
    """A year's listed days off besides Saturday and Sunday, whole (it replaces any earlier list of the year)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "basis": {"number": "SKB 3 Menteri No. 1497/2025, 2/2025, 5/2025", "signed_on": "2025-09-19"},
        "days": [{"date": "2026-01-01", "kind": "national_holiday", "name": "Tahun Baru 2026 Masehi"},
                 {"date": "2026-03-20", "kind": "cuti_bersama", "name": "Cuti bersama Idulfitri"}]}]})

    basis: DecreeBody = Field(description="the SKB 3 Menteri (or the SKB amending it) the list comes from")
    days: list[DayOffBody] = Field(max_length=100, description="every national holiday, cuti bersama and election "
                                                                "day off of the year, in any order")


class RatesBody(BaseModel):
    """Percent per month, as the KMK writes them ("0,92%" is "0.92"), at most 2 decimals."""

    model_config = ConfigDict(extra="forbid")

    tier_1: RateText = Field(description="UU KUP Art 19(1), (2), (3)")  # type: ignore[valid-type]
    tier_2: RateText = Field(description="Art 8(2), 8(2a), 9(2a), 9(2b), 14(3)")  # type: ignore[valid-type]
    tier_3: RateText = Field(description="Art 8(5)")  # type: ignore[valid-type]
    tier_4: RateText = Field(description="Art 13(2), 13(2a)")  # type: ignore[valid-type]
    tier_5: RateText = Field(description="Art 13(3b)")  # type: ignore[valid-type]
    imbalan_bunga: RateText = Field(description="Art 11(3), 17B(3), 17B(4), 27B(4)")  # type: ignore[valid-type]


class InterestRatesPublish(BaseModel):
    """A month's KMK: its five sanction tiers and the imbalan bunga rate."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "kmk": {"number": "2/MK/EF/2026", "signed_on": "2026-01-30"},
        "rates": {"tier_1": "0.51", "tier_2": "0.92", "tier_3": "1.34", "tier_4": "1.76", "tier_5": "2.17",
                  "imbalan_bunga": "0.51"}}]})

    kmk: DecreeBody
    rates: RatesBody


CalendarOutcome = Literal["published", "revised", "unchanged"]
RatesOutcome = Literal["published", "unchanged"]


class DayOffRead(BaseModel):
    date: _Day
    kind: str
    name: str


class CalendarPublicationRead(BaseModel):
    year: int
    revision: int = Field(description="1 for the first publication of the year, +1 for each amendment")
    outcome: CalendarOutcome = Field(
        description="published: the year's first list (201); revised: a new revision (200); unchanged: the same as "
                    "the revision in force, nothing written (200)")
    basis: DecreeBody
    days: list[DayOffRead]
    published_at: datetime
    published_by: str

    @classmethod
    def of(cls, calendar: YearDaysOff, *, revision: int, outcome: CalendarOutcome, published_at: datetime,
           published_by: str) -> CalendarPublicationRead:
        return cls(year=calendar.year, revision=revision, outcome=outcome, basis=DecreeBody.of(calendar.basis),
                   days=[DayOffRead(date=d.date, kind=d.kind, name=d.name) for d in calendar.days],
                   published_at=published_at, published_by=published_by)


class InterestRatesPublicationRead(BaseModel):
    month: str
    outcome: RatesOutcome = Field(
        description="published: stored now (201); unchanged: the same as already published, nothing written (200)")
    kmk: DecreeBody
    rates: RatesBody
    published_at: datetime
    published_by: str

    @classmethod
    def of(cls, rates: MonthRates, *, outcome: RatesOutcome, published_at: datetime,
           published_by: str) -> InterestRatesPublicationRead:
        return cls(month=str(rates.month), outcome=outcome, kmk=DecreeBody.of(rates.kmk),
                   rates=RatesBody(**{name: f"{value:f}" for name, value in rates.rates.items()}),
                   published_at=published_at, published_by=published_by)
