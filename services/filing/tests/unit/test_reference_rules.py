"""The rules of publishing reference data (filing.reference.rules): what a year's days off and a month's KMK rates
must be, and when a publication repeats or contradicts what is known. Days and numbers here are synthetic."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from filing.calendar import workdays
from filing.calendar.errors import CalendarYearUnknown, PeriodInvalid
from filing.calendar.periods import TaxPeriod
from filing.calendar.workdays import DayOff, WorkingCalendar
from filing.reference.rules import (
    Decree,
    MonthRates,
    checked_calendar,
    checked_rates,
    packaged_differences,
    rate,
    rate_differences,
)
from filing.sanctions import rates as rate_table
from filing.sanctions.rates import InterestRateTable, InterestTier, MonthlyRate
from kit.errors import AppError

TODAY = date(2026, 12, 6)
SKB = Decree(" SKB test 1/2026 ", date(2026, 9, 19))
KMK = Decree("2/MK/EF/2026", date(2026, 1, 30))
DAYS = [(date(2027, 1, 6), "cuti_bersama", " Synthetic day off "), (date(2027, 1, 1), "national_holiday", "New year")]
FEBRUARY = {"tier_1": "0.51", "tier_2": "0.92", "tier_3": "1.34", "tier_4": "1.76", "tier_5": "2.17",
            "imbalan_bunga": "0.51"}


def refused(call: Any) -> tuple[str, int, str | None]:
    with pytest.raises(AppError) as raised:
        call()
    return raised.value.code, raised.value.status, raised.value.details.get("path")


def test_a_year_is_kept_in_date_order_with_names_and_numbers_trimmed() -> None:
    checked = checked_calendar(2027, DAYS, SKB, today=TODAY)
    assert checked.days == (DayOff(date(2027, 1, 1), "national_holiday", "New year"),
                            DayOff(date(2027, 1, 6), "cuti_bersama", "Synthetic day off"))
    assert checked.basis == Decree("SKB test 1/2026", date(2026, 9, 19))
    assert checked == checked_calendar(2027, list(reversed(DAYS)), SKB, today=TODAY)  # the same publication


@pytest.mark.parametrize(("year", "days", "basis", "expected"), [
    (2028, DAYS, SKB, ("reference.year_too_far", 422, "/year")),  # December 2026: this year or the next
    (2027, DAYS, Decree("SKB", date(2026, 12, 7)), ("reference.decree_in_future", 422, "/basis/signed_on")),
    (2027, [], SKB, ("reference.days_missing", 422, "/days")),
    (2027, [*DAYS, (date(2026, 12, 31), "national_holiday", "x")], SKB,
     ("reference.day_outside_year", 422, "/days/2/date")),
    (2027, [(date(2027, 2, 1), "bank_holiday", "x")], SKB, ("reference.day_kind_unknown", 422, "/days/0/kind")),
    (2027, [*DAYS, (date(2027, 1, 1), "cuti_bersama", "again")], SKB,
     ("reference.day_listed_twice", 422, "/days/2/date")),
])
def test_a_year_is_refused_with_a_stable_code(year: int, days: list[tuple[date, str, str]], basis: Decree,
                                              expected: tuple[str, int, str]) -> None:
    assert refused(lambda: checked_calendar(year, days, basis, today=TODAY)) == expected


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_a_past_year_may_be_amended(year: int) -> None:
    assert checked_calendar(year, [(date(year, 5, 1), "national_holiday", "x")], SKB, today=TODAY).year == year


@pytest.mark.parametrize(("kind"), ["national_holiday", "cuti_bersama", "election_day"])
def test_every_kind_of_art_100_is_listed(kind: str) -> None:
    assert checked_calendar(2027, [(date(2027, 2, 17), kind, "x")], SKB, today=TODAY).days[0].kind == kind


def test_a_month_keeps_its_rates_as_decimals() -> None:
    checked = checked_rates(TaxPeriod(2026, 2), FEBRUARY, KMK, today=TODAY)
    assert checked.rates == {name: Decimal(text) for name, text in FEBRUARY.items()}
    assert checked.tiers() == {InterestTier.T1: Decimal("0.51"), InterestTier.T2: Decimal("0.92"),
                               InterestTier.T3: Decimal("1.34"), InterestTier.T4: Decimal("1.76"),
                               InterestTier.T5: Decimal("2.17")}


@pytest.mark.parametrize(("text", "expected"), [
    ("0.92", Decimal("0.92")), ("0.9200", Decimal("0.92")), ("0.920000", Decimal("0.92")), ("2", Decimal(2)),
    ("0.01", Decimal("0.01")), ("9.99", Decimal("9.99")), ("2.5", Decimal("2.5")),
])
def test_a_rate_is_read_exactly(text: str, expected: Decimal) -> None:
    assert rate(text, path="/rates/tier_2") == expected


@pytest.mark.parametrize(("text", "code"), [
    ("0,92", "reference.rate_invalid"), ("", "reference.rate_invalid"), ("-0.5", "reference.rate_invalid"),
    ("1e-2", "reference.rate_invalid"), (".5", "reference.rate_invalid"), ("NaN", "reference.rate_invalid"),
    ("0", "reference.rate_not_positive"), ("0.0000", "reference.rate_not_positive"),
    ("0.925", "reference.rate_too_many_decimals"), ("0.001", "reference.rate_too_many_decimals"),
    ("0.9200001", "reference.rate_too_many_decimals"),
    ("10", "reference.rate_too_large"), ("92", "reference.rate_too_large"),
])
def test_a_bad_rate_is_refused_with_a_stable_code(text: str, code: str) -> None:
    assert refused(lambda: rate(text, path="/rates/tier_2")) == (code, 422, "/rates/tier_2")


@pytest.mark.parametrize(("month", "rates", "kmk", "expected"), [
    ("2027-02", FEBRUARY, KMK, ("reference.month_too_far", 422, "/month")),  # December 2026: up to January
    ("2026-02", FEBRUARY, Decree("K", date(2026, 12, 7)), ("reference.decree_in_future", 422, "/kmk/signed_on")),
    ("2026-02", FEBRUARY, Decree("K", date(2026, 3, 1)), ("reference.decree_after_month", 422, "/kmk/signed_on")),
    ("2026-02", {**FEBRUARY, "tier_4": "0.92"}, KMK, ("reference.rates_not_increasing", 422, "/rates/tier_4")),
    ("2026-02", {**FEBRUARY, "tier_2": "0.51"}, KMK, ("reference.rates_not_increasing", 422, "/rates/tier_2")),
    ("2026-02", {**FEBRUARY, "imbalan_bunga": "0"}, KMK, ("reference.rate_not_positive", 422,
                                                          "/rates/imbalan_bunga")),
])
def test_a_month_is_refused_with_a_stable_code(month: str, rates: dict[str, str], kmk: Decree,
                                               expected: tuple[str, int, str]) -> None:
    assert refused(lambda: checked_rates(TaxPeriod.parse(month), rates, kmk, today=TODAY)) == expected


def test_the_next_month_may_be_published_before_it_starts() -> None:
    assert checked_rates(TaxPeriod(2027, 1), FEBRUARY, Decree("K", date(2026, 12, 6)), today=TODAY).month == (
        TaxPeriod(2027, 1))


@pytest.mark.parametrize("text", ["2026-13", "2026-2", "26-02", "2026-02-01"])
def test_a_month_is_written_yyyy_mm(text: str) -> None:
    with pytest.raises(PeriodInvalid):
        TaxPeriod.parse(text)


def _month(**change: str) -> MonthRates:
    return checked_rates(TaxPeriod(2026, 2), {**FEBRUARY, **change}, KMK, today=TODAY)


@pytest.mark.parametrize(("other", "differs"), [
    (_month(), []),
    (_month(tier_2="0.9200"), []),
    (_month(tier_3="1.35"), ["tier_3"]),
    (_month(imbalan_bunga="0.52"), ["imbalan_bunga"]),
    (MonthRates(TaxPeriod(2026, 2), _month().rates, Decree("3/MK/EF/2026", KMK.signed_on)), ["kmk.number"]),
    (MonthRates(TaxPeriod(2026, 2), _month().rates, Decree(KMK.number, date(2026, 1, 29))), ["kmk.signed_on"]),
])
def test_a_month_published_again_differs_only_where_its_fields_do(other: MonthRates, differs: list[str]) -> None:
    assert rate_differences(other, _month()) == differs


T = InterestTier


@pytest.mark.parametrize(("tiers", "kmk", "differs"), [
    ({T.T1: Decimal("0.51"), T.T2: Decimal("0.92"), T.T3: Decimal("1.34"), T.T4: Decimal("1.76"),
      T.T5: Decimal("2.17")}, "2/MK/EF/2026", []),
    ({T.T1: Decimal("0.51")}, None, []),  # a packaged month with tiers missing may be completed
    ({T.T1: Decimal("0.51"), T.T2: Decimal("0.93")}, None, ["tier_2"]),
    ({T.T1: Decimal("0.51")}, "1/MK/EF/2026", ["kmk.number"]),
])
def test_a_publication_may_complete_a_packaged_month_never_change_it(tiers: dict[InterestTier, Decimal],
                                                                     kmk: str | None, differs: list[str]) -> None:
    assert packaged_differences(_month(), tiers, kmk) == differs


@pytest.fixture
def packaged_only() -> Any:
    yield
    workdays.use_published({})
    rate_table.use_published({})


def test_a_published_year_replaces_the_packaged_list_and_a_new_year_is_added(packaged_only: None) -> None:
    assert WorkingCalendar.load() is WorkingCalendar.packaged()
    with pytest.raises(CalendarYearUnknown):
        WorkingCalendar.load().roll_forward(date(2027, 1, 6))
    used = workdays.use_published({
        2027: [DayOff(date(2027, 1, 6), "cuti_bersama", "Synthetic")],
        2026: [DayOff(date(2026, 12, 31), "cuti_bersama", "Synthetic")],  # the packaged 2026 list, replaced
    })
    assert used is WorkingCalendar.load()
    assert WorkingCalendar.load().roll_forward(date(2027, 1, 6)).effective == date(2027, 1, 7)
    assert [off.date for off in WorkingCalendar.load().holidays(2026)] == [date(2026, 12, 31)]
    assert WorkingCalendar.load().holidays(2025) == WorkingCalendar.packaged().holidays(2025)
    workdays.use_published({})
    assert WorkingCalendar.load() is WorkingCalendar.packaged()


def test_a_published_month_is_added_to_the_packaged_rates(packaged_only: None) -> None:
    with pytest.raises(AppError):
        InterestRateTable.load().rate(T.T2, date(2031, 5, 15))
    rate_table.use_published({TaxPeriod(2031, 5): ({T.T1: Decimal("0.11"), T.T2: Decimal("0.22")}, "TEST")})
    assert InterestRateTable.load().rate(T.T2, date(2031, 5, 15)) == MonthlyRate(
        Decimal("0.22"), TaxPeriod(2031, 5), T.T2, "TEST")
    assert InterestRateTable.load().rate(T.T2, date(2026, 2, 1)).percent == Decimal("0.92")  # packaged, kept
    rate_table.use_published({})
    assert InterestRateTable.load() is InterestRateTable.packaged()
