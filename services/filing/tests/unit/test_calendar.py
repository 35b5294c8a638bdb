"""The working-day calendar (tax-rules.md §5.3) and tax periods."""

from datetime import date

import pytest

from filing.calendar.errors import CalendarYearUnknown, PeriodInvalid
from filing.calendar.periods import TaxPeriod, TaxYear, add_months, add_years, months, parse_period
from filing.calendar.workdays import WorkingCalendar

CAL = WorkingCalendar.load()


@pytest.mark.parametrize(("year", "national", "cuti"), [(2025, 17, 11), (2026, 17, 8)])
def test_packaged_lists_match_the_skb_counts(year: int, national: int, cuti: int) -> None:
    kinds = [off.kind for off in CAL.holidays(year)]
    assert (kinds.count("national_holiday"), kinds.count("cuti_bersama")) == (national, cuti)
    assert CAL.years == frozenset({2025, 2026})


@pytest.mark.parametrize(("day", "working", "kind"), [
    (date(2025, 2, 17), True, None),
    (date(2025, 2, 15), False, "weekend"),
    (date(2025, 2, 16), False, "weekend"),
    (date(2025, 8, 18), False, "cuti_bersama"),  # added by SKB 933/2025
    (date(2025, 3, 29), False, "national_holiday"),  # Nyepi on a Saturday: the holiday is named, not the weekend
    (date(2026, 3, 20), False, "cuti_bersama"),
    (date(2026, 12, 31), True, None),
    (date(2025, 12, 31), True, None),
])
def test_working_days_and_why_a_day_is_off(day: date, working: bool, kind: str | None) -> None:
    assert CAL.is_working_day(day) is working
    off = CAL.day_off(day)
    assert (off.kind if off else None) == kind


@pytest.mark.parametrize(("start", "effective", "kinds"), [
    (date(2025, 2, 17), date(2025, 2, 17), []),
    (date(2025, 2, 15), date(2025, 2, 17), ["weekend", "weekend"]),
    # Saturday before a Sunday holiday and a Monday holiday
    (date(2026, 5, 30), date(2026, 6, 2), ["weekend", "national_holiday", "national_holiday"]),
    (date(2026, 8, 15), date(2026, 8, 18), ["weekend", "weekend", "national_holiday"]),
    # Idulfitri 2025: 31 Mar-1 Apr libur, 2-4 Apr cuti, 5-6 weekend, 7 Apr cuti
    (date(2025, 3, 31), date(2025, 4, 8), ["national_holiday"] * 2 + ["cuti_bersama"] * 3 + ["weekend"] * 2
     + ["cuti_bersama"]),
])
def test_roll_forward_names_the_days_off_that_moved_the_date(start: date, effective: date, kinds: list[str]) -> None:
    rolled, days_off = CAL.roll_forward(start)
    assert rolled == effective
    assert [off.kind for off in days_off] == kinds
    assert [off.date for off in days_off] == [date.fromordinal(start.toordinal() + i) for i in range(len(kinds))]


@pytest.mark.parametrize(("start", "n", "expected"), [
    (date(2026, 3, 19), 5, date(2026, 3, 31)),  # SKB decision within 5 working days, across Nyepi and Idulfitri
    (date(2025, 12, 19), 5, date(2025, 12, 30)),  # across Natal and its cuti bersama
    (date(2025, 12, 30), 3, date(2026, 1, 5)),  # across the new year
    (date(2025, 2, 15), 0, date(2025, 2, 17)),  # 0: the day itself, rolled to a working day
    (date(2025, 2, 17), 0, date(2025, 2, 17)),
    (date(2025, 2, 14), 1, date(2025, 2, 17)),
])
def test_add_working_days(start: date, n: int, expected: date) -> None:
    assert CAL.add_working_days(start, n) == expected


def test_negative_working_days_are_a_bug() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2025, 1, 2), -1)


@pytest.mark.parametrize("call", [
    lambda: CAL.is_working_day(date(2024, 12, 31)),
    lambda: CAL.is_working_day(date(2027, 1, 4)),  # even a plain Monday: no list, no answer
    lambda: CAL.roll_forward(date(2024, 6, 15)),
    lambda: CAL.add_working_days(date(2026, 12, 30), 3),  # 31 Dec counts, then 1 Jan 2027 is unknown
    lambda: CAL.holidays(2027),
])
def test_a_year_without_a_calendar_is_an_explicit_error(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CalendarYearUnknown) as raised:
        call()
    assert (raised.value.code, raised.value.status) == ("calendar.year_unknown", 422)
    assert raised.value.details["year"] in (2024, 2027)


def test_rolling_past_31_december_needs_the_next_year() -> None:
    raw = {"years": {"2026": {"days": [{"date": "2026-12-31", "kind": "cuti_bersama", "name": "test"}]}}}
    with pytest.raises(CalendarYearUnknown):
        WorkingCalendar.from_data(raw).roll_forward(date(2026, 12, 31))
    raw["years"]["2027"] = {"days": [{"date": "2027-01-01", "kind": "national_holiday", "name": "Tahun Baru"}]}
    rolled = WorkingCalendar.from_data(raw).roll_forward(date(2026, 12, 31))
    assert rolled.effective == date(2027, 1, 4)
    assert [off.kind for off in rolled.days_off] == ["cuti_bersama", "national_holiday", "weekend", "weekend"]


@pytest.mark.parametrize("entry", [
    {"date": "2025-01-01", "kind": "national_holiday", "name": "listed under the wrong year"},
    {"date": "2026-01-02", "kind": "regional_holiday", "name": "not a national day off"},
])
def test_calendar_data_is_checked_when_loaded(entry: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        WorkingCalendar.from_data({"years": {"2026": {"days": [entry]}}})


@pytest.mark.parametrize(("start", "n", "expected"), [
    (date(2025, 1, 31), 1, date(2025, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2024, 12, 31), 3, date(2025, 3, 31)),
    (date(2024, 12, 31), 4, date(2025, 4, 30)),
    (date(2025, 3, 31), 2, date(2025, 5, 31)),
    (date(2025, 11, 15), 2, date(2026, 1, 15)),
    (date(2025, 3, 15), -2, date(2025, 1, 15)),
])
def test_add_months_clamps_to_the_end_of_the_month(start: date, n: int, expected: date) -> None:
    assert add_months(start, n) == expected


def test_add_years_from_29_february() -> None:
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)


def test_periods() -> None:
    period = TaxPeriod.parse("2025-02")
    assert (period.first_day, period.last_day, str(period)) == (date(2025, 2, 1), date(2025, 2, 28), "2025-02")
    assert period.shifted(11) == TaxPeriod(2026, 1)
    assert parse_period("2025") == TaxYear(2025) and parse_period("2025-12") == TaxPeriod(2025, 12)
    assert TaxYear(2025).last_day == date(2025, 12, 31)
    assert [str(p) for p in months(TaxPeriod(2025, 11), TaxPeriod(2026, 2))] == ["2025-11", "2025-12", "2026-01",
                                                                                "2026-02"]
    assert list(months(TaxPeriod(2026, 2), TaxPeriod(2025, 11))) == []


@pytest.mark.parametrize("text", ["2025-13", "2025-00", "2025-8", "25-08", "", "2025/08", "20251"])
def test_bad_periods_are_refused_with_a_code(text: str) -> None:
    with pytest.raises(PeriodInvalid) as raised:
        parse_period(text)
    assert raised.value.code == "period.invalid"
