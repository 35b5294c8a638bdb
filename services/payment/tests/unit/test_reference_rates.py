"""Which months have a KMK rate now (`reference.rates`): the packaged months with the months kept from filing's
publications over them, as the interest pass decides whether a debt waits for its month. It answers exactly what a
process answers once it has read the same publications (`interest.use_published`). Published rates are synthetic."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from payment.debts import interest
from payment.debts.errors import InterestRateUnknown
from payment.debts.interest import months_from
from payment.reference.rates import month_of, rates_now

D = Decimal
# As the database keeps them: NUMERIC(7, 4), one tier's rate per month (YYYY-MM).
PUBLISHED = {"2031-05": D("0.1100"), "2025-06": D("0.5700"), "2026-03": D("1.0000")}


@pytest.fixture(autouse=True)
def packaged_only() -> Iterator[None]:
    yield
    interest.use_published({})


@pytest.mark.parametrize(("day", "month"), [
    (date(2026, 11, 2), date(2026, 11, 1)),
    (date(2026, 11, 1), date(2026, 11, 1)),
    (date(2024, 2, 29), date(2024, 2, 1)),
    (date(2016, 12, 31), date(2016, 12, 1)),
])
def test_interest_starting_on_a_day_takes_the_rate_of_its_month(day: date, month: date) -> None:
    assert month_of(day) == month


@pytest.mark.parametrize(("tier", "published", "month", "rate"), [
    (1, {}, date(2026, 2, 1), D("0.51")),  # packaged (KMK 2/MK/EF/2026)
    (1, {}, date(2026, 3, 1), None),  # after the packaged table, nothing published
    (1, {}, date(2025, 3, 1), None),  # between packaged months: never the month before's
    (1, {}, date(2019, 5, 1), None),  # before the table (a legacy debt's due date)
    (2, {}, date(2025, 6, 1), None),  # June 2025: only tier 1 retrieved
    (1, {}, date(2025, 6, 1), D("0.57")),
    (1, PUBLISHED, date(2031, 5, 1), D("0.11")),  # published: the KMK's 0.11, not 0.1100
    (1, PUBLISHED, date(2026, 3, 1), D("1")),
    (1, PUBLISHED, date(2031, 6, 1), None),  # a published month answers for itself only
    (2, {"2025-06": D("0.9300")}, date(2025, 6, 1), D("0.93")),  # a publication completes a packaged month
    (1, {"2026-02": D("0.6000")}, date(2026, 2, 1), D("0.6")),  # and replaces its entry
])
def test_a_month_has_a_rate_when_packaged_with_one_or_published(
        tier: int, published: dict[str, Decimal], month: date, rate: Decimal | None) -> None:
    now = rates_now(tier, published)
    assert now.get(month) == rate
    assert (month in now) == (rate is not None)  # the months with a rate are the keys


def test_it_answers_what_a_process_answers_after_reading_the_same_publications() -> None:
    """For every tier and every month from 2015 to 2032: the same rate, or no rate where `monthly_rate` refuses."""
    interest.use_published({date.fromisoformat(m + "-01"): ("TEST ONLY", {t: r for t in interest.TIERS})
                            for m, r in PUBLISHED.items()})
    months = [date(year, month, 1) for year in range(2015, 2033) for month in range(1, 13)]
    for tier in interest.TIERS:
        now = rates_now(tier, PUBLISHED)
        for month in months:
            try:
                held: Decimal | None = interest.monthly_rate(tier, month)
            except InterestRateUnknown:
                held = None
            assert now.get(month) == held, (tier, month)


def test_another_packaged_table_can_be_asked() -> None:
    table = months_from({"months": [{"month": "2020-01", "rates": {"1": "0.50", "2": None}}]})
    assert rates_now(1, {}, table) == {date(2020, 1, 1): D("0.50")}
    assert rates_now(2, {}, table) == {}
    assert list(rates_now(1, {"2019-12": D("0.4")}, table)) == [date(2019, 12, 1), date(2020, 1, 1)]  # in order
