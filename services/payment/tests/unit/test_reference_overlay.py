"""What filing publishes, held in memory over payment's packaged data (`workdays.use_published`,
`interest.use_published`): a published year replaces the packaged list of that year, a published month is a month
of its own (and answers for no other); `{}` restores the packaged data. Days and rates here are synthetic."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from payment.debts import interest
from payment.debts.errors import InterestRateUnknown
from payment.instalments import workdays
from payment.instalments.errors import CalendarYearUnknown

D = Decimal
SYNTHETIC_TIERS = {1: D("0.11"), 2: D("0.22"), 3: D("0.33"), 4: D("0.44"), 5: D("0.55")}


@pytest.fixture(autouse=True)
def packaged_only() -> Iterator[None]:
    yield
    workdays.use_published({})
    interest.use_published({})


def test_a_published_year_is_used_and_replaces_the_packaged_one() -> None:
    with pytest.raises(CalendarYearUnknown):
        workdays.add_working_days(date(2026, 12, 30), 3)
    workdays.use_published({2027: [date(2027, 1, 4)], 2026: []})
    assert workdays.add_working_days(date(2026, 12, 30), 3) == date(2027, 1, 5)  # 31 Dec, 1 Jan, (4 Jan off) 5 Jan
    assert workdays.is_working_day(date(2026, 12, 24))  # the packaged 2026 list replaced by an empty one
    workdays.use_published({})
    assert not workdays.is_working_day(date(2026, 12, 24))  # packaged: cuti bersama Natal
    assert workdays.days_off() is workdays._packaged()


def test_a_day_outside_its_year_is_refused() -> None:
    with pytest.raises(ValueError):
        workdays.use_published({2027: [date(2028, 1, 3)]})


@pytest.mark.parametrize(("tier", "on", "rate"), [
    (2, date(2026, 2, 15), "0.92"),  # packaged (KMK 2/MK/EF/2026)
    (2, date(2031, 5, 1), "0.22"),  # the published month
    (5, date(2031, 5, 31), "0.55"),
    (2, date(2025, 6, 15), "0.22"),  # a packaged month with tiers not retrieved, completed by a publication
    (1, date(2025, 6, 15), "0.57"),
])
def test_a_published_month_is_a_month_of_its_own(tier: int, on: date, rate: str) -> None:
    interest.use_published({date(2031, 5, 1): ("TEST ONLY", SYNTHETIC_TIERS),
                            date(2025, 6, 1): ("1/MK/EF/2025", {**SYNTHETIC_TIERS, 1: D("0.57")})})
    assert interest.monthly_rate(tier, on) == D(rate)


@pytest.mark.parametrize("on", [date(2026, 3, 1), date(2031, 4, 30), date(2031, 6, 1), date(2031, 9, 1)])
def test_a_published_month_answers_for_itself_only(on: date) -> None:
    """Neither the last packaged month (February 2026) nor a published one stands in for a month after it."""
    interest.use_published({date(2031, 5, 1): ("TEST ONLY", SYNTHETIC_TIERS)})
    with pytest.raises(InterestRateUnknown) as refused:
        interest.monthly_rate(2, on)
    assert refused.value.details == {"tier": 2, "month": f"{on:%Y-%m}"}


def test_without_publications_the_packaged_table_answers() -> None:
    interest.use_published({date(2031, 5, 1): ("TEST ONLY", SYNTHETIC_TIERS)})
    interest.use_published({})
    with pytest.raises(InterestRateUnknown):
        interest.monthly_rate(2, date(2025, 6, 15))  # June 2025: only tier 1 was retrieved
    with pytest.raises(InterestRateUnknown):
        interest.monthly_rate(2, date(2031, 5, 1))  # no longer published
    assert interest.rate_table() is interest._packaged()


def test_a_published_month_has_its_five_tiers_from_its_first_day() -> None:
    with pytest.raises(ValueError):
        interest.use_published({date(2031, 5, 2): ("K", SYNTHETIC_TIERS)})
    with pytest.raises(ValueError):
        interest.use_published({date(2031, 5, 1): ("K", {1: D("0.11")})})
