"""Interest (tax-rules §6.2): months counted with part months in full, at most 24; the KMK monthly rate as data, of
the month itself only (a month or tier without its own rate is refused, as filing refuses it)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from payment.debts.errors import InterestRateUnknown
from payment.debts.interest import add_months, interest, late_interest, monthly_rate, months_counted, months_from


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
    (2, date(2025, 2, 28), "1.01"),
    (1, date(2025, 6, 15), "0.57"),  # June 2025: tier 1 only
    (1, date(2025, 8, 1), "0.55"),
    (2, date(2025, 9, 15), "0.95"),
    (4, date(2025, 10, 1), "1.78"),
    (1, date(2025, 10, 31), "0.53"),
    (1, date(2026, 1, 1), "0.52"),
    (3, date(2026, 1, 31), "1.35"),
    (2, date(2026, 2, 1), "0.92"),  # KMK 2/MK/EF/2026
    (5, date(2026, 2, 28), "2.17"),
])
def test_monthly_rates_come_from_the_kmk_of_the_month(tier: int, on: date, rate: str) -> None:
    assert monthly_rate(tier, on) == Decimal(rate)


@pytest.mark.parametrize("tier, on", [
    (2, date(2025, 6, 1)),  # June 2025: only tier 1 was retrieved
    (1, date(2025, 3, 1)),  # March to May 2025: no KMK retrieved; never February's rate
    (2, date(2025, 4, 30)),
    (5, date(2025, 5, 31)),
    (1, date(2025, 7, 1)),  # July 2025: only the range 0.58-2.25 was retrieved, no tier's own rate
    (3, date(2025, 7, 20)),
    (1, date(2025, 11, 15)),  # November and December 2025: never October's rate
    (1, date(2025, 12, 31)),
    (3, date(2026, 3, 1)),  # after the table: never February 2026's rate
    (1, date(2026, 11, 22)),
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
    table = months_from({"months": [
        {"month": "2030-01", "kmk": "KMK X", "rates": {"1": "1.25", "2": None}},
        {"month": "2030-03", "kmk": "KMK Y", "rates": {"1": "1.5"}}]})
    assert monthly_rate(1, date(2030, 1, 31), table) == Decimal("1.25")
    assert monthly_rate(1, date(2030, 3, 1), table) == Decimal("1.5")
    for tier, on in [(1, date(2030, 2, 1)), (2, date(2030, 1, 1)), (3, date(2030, 1, 1)), (1, date(2030, 4, 1))]:
        with pytest.raises(InterestRateUnknown):  # a month between, a null tier, a tier not listed, a month after
            monthly_rate(tier, on, table)


@pytest.mark.parametrize("months", [
    [{"month": "2030-01", "kmk": None, "rates": {"1": "1"}}, {"month": "2030-01", "kmk": None, "rates": {"1": "2"}}],
    [{"month": "2030-01", "kmk": None, "rates": {"6": "1"}}],
])
def test_a_table_lists_each_month_once_with_tiers_one_to_five(months: list[dict[str, object]]) -> None:
    with pytest.raises(ValueError):
        months_from({"months": months})


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
    # Paid late from a due date in a month without a KMK rate (December 2025): refused, not October's rate.
    with pytest.raises(InterestRateUnknown):
        late_interest(Decimal(10_000_000), tier=1, due_date=date(2025, 12, 15), paid_date=date(2026, 1, 20))
