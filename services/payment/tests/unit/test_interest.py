"""Interest (tax-rules §6.2): months counted with part months in full, at most 24; the KMK monthly rate as data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from payment.debts.errors import InterestRateUnknown
from payment.debts.interest import RateRow, add_months, interest, late_interest, monthly_rate, months_counted


@pytest.mark.parametrize("start, months, expected", [
    (date(2025, 9, 15), 1, date(2025, 10, 15)),
    (date(2025, 1, 31), 1, date(2025, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2025, 1, 31), 2, date(2025, 3, 31)),
    (date(2025, 11, 30), 3, date(2026, 2, 28)),
    (date(2025, 12, 15), 0, date(2025, 12, 15)),
    (date(2025, 3, 31), -1, date(2025, 2, 28)),
])
def test_add_months_keeps_the_day_or_takes_the_month_end(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize("start, end, expected", [
    (date(2025, 9, 15), date(2025, 9, 15), 0),  # paid on the due date
    (date(2025, 9, 15), date(2025, 9, 1), 0),  # paid early
    (date(2025, 9, 15), date(2025, 9, 16), 1),  # one day late is a month
    (date(2025, 9, 15), date(2025, 10, 15), 1),
    (date(2025, 9, 15), date(2025, 10, 20), 2),  # tax-rules §6.2 worked example
    (date(2025, 1, 31), date(2025, 2, 28), 1),
    (date(2025, 1, 31), date(2025, 3, 1), 2),
    (date(2025, 12, 31), date(2026, 12, 31), 12),
    (date(2023, 1, 15), date(2025, 1, 15), 24),
    (date(2023, 1, 15), date(2025, 1, 16), 24),  # capped at 24 months
    (date(2020, 1, 15), date(2025, 1, 16), 24),
])
def test_months_counted(start: date, end: date, expected: int) -> None:
    assert months_counted(start, end) == expected


def test_the_cap_can_be_lifted_for_other_uses() -> None:
    assert months_counted(date(2023, 1, 15), date(2025, 1, 16), cap=None) == 25


@pytest.mark.parametrize("tier, on, rate", [
    (1, date(2025, 1, 10), "0.58"),
    (5, date(2025, 1, 31), "2.25"),
    (2, date(2025, 2, 1), "1.01"),
    (2, date(2025, 4, 30), "1.01"),  # no row of its own: the latest earlier row
    (1, date(2025, 6, 15), "0.57"),
    (1, date(2025, 7, 1), "0.58"),
    (2, date(2025, 9, 15), "0.95"),
    (4, date(2025, 10, 1), "1.78"),
    (1, date(2025, 12, 31), "0.53"),
    (1, date(2026, 1, 1), "0.52"),
    (3, date(2026, 1, 31), "1.35"),
    (2, date(2026, 2, 1), "0.92"),  # KMK 2/MK/EF/2026
    (5, date(2026, 2, 28), "2.17"),
    (3, date(2026, 11, 22), "1.34"),  # no row of its own: the latest earlier row
])
def test_monthly_rates_come_from_the_kmk_table(tier: int, on: date, rate: str) -> None:
    assert monthly_rate(tier, on) == Decimal(rate)


@pytest.mark.parametrize("tier, on", [
    (2, date(2025, 6, 1)),  # June 2025: only tier 1 was retrieved
    (3, date(2025, 7, 20)),
    (1, date(2024, 12, 31)),  # before the table
])
def test_unknown_rates_are_refused_not_guessed(tier: int, on: date) -> None:
    with pytest.raises(InterestRateUnknown) as refused:
        monthly_rate(tier, on)
    assert refused.value.code == "debt.interest_rate_unknown"
    assert refused.value.details == {"tier": tier, "month": f"{on:%Y-%m}"}


def test_tiers_are_one_to_five() -> None:
    with pytest.raises(ValueError):
        monthly_rate(6, date(2025, 9, 1))


def test_a_custom_table_can_stand_in_for_the_packaged_one() -> None:
    table = (RateRow(date(2030, 1, 1), "KMK X", {1: Decimal("1.25")}),)
    assert monthly_rate(1, date(2030, 5, 1), table) == Decimal("1.25")


@pytest.mark.parametrize("principal, rate, months, expected", [
    ("10000000", "0.95", 2, "190000"),  # tax-rules §6.2 worked example
    ("50000000", "2", 2, "2000000"),  # the pre-HPP textbook example
    ("1000001", "0.55", 1, "5500"),  # 5500.0055
    ("1000091", "0.55", 1, "5501"),  # 5500.5005: half up
    ("333", "0.58", 3, "6"),  # 5.7942
    ("1000000", "0.58", 0, "0"),
])
def test_interest_is_whole_rupiah_half_up(principal: str, rate: str, months: int, expected: str) -> None:
    assert interest(Decimal(principal), Decimal(rate), months) == Decimal(expected)


def test_late_interest_uses_the_rate_in_force_on_the_due_date() -> None:
    # PPh 21 masa Aug 2025 due Mon 15 Sep 2025, paid 20 Oct 2025: 2 months at the Sep tier-2 rate.
    assert late_interest(Decimal(10_000_000), tier=2, due_date=date(2025, 9, 15),
                         paid_date=date(2025, 10, 20)) == Decimal(190_000)
    # Paid on time: nothing, and no rate is needed (June 2025 has no tier-2 rate).
    assert late_interest(Decimal(10_000_000), tier=2, due_date=date(2025, 6, 15),
                         paid_date=date(2025, 6, 15)) == Decimal(0)
