"""Payment and filing answer the same KMK interest rate for a month, or both refuse it (issue 14): each answers a
month only from that month's own KMK (packaged, or published by filing's officers), never an earlier month's. Pure:
both packaged tables, no stack. Payment keeps its own copy of the data (services never read each other's files)."""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from importlib.resources import files

import pytest

from filing.calendar.periods import TaxPeriod
from filing.sanctions import rates as filing_rates
from filing.sanctions.errors import InterestRateUnknown as FilingRateUnknown
from filing.sanctions.rates import InterestRateTable, InterestTier
from payment.debts import interest as payment_interest
from payment.debts.errors import InterestRateUnknown as PaymentRateUnknown

TIERS = (1, 2, 3, 4, 5)
MONTHS = [(year, month) for year in range(2024, 2028) for month in range(1, 13)]  # 2024-01 to 2027-12


def days_of(year: int, month: int) -> list[date]:
    return [date(year, month, 1), date(year, month, 15), date(year, month, calendar.monthrange(year, month)[1])]


def filing_answer(table: InterestRateTable, tier: int, on: date) -> Decimal | str:
    try:
        return table.rate(InterestTier(tier), on).percent
    except FilingRateUnknown:
        return "refused"


def payment_answer(table: payment_interest.RateTable | None, tier: int, on: date) -> Decimal | str:
    try:
        return payment_interest.monthly_rate(tier, on, table)
    except PaymentRateUnknown:
        return "refused"


def answers(filing: InterestRateTable, payment: payment_interest.RateTable | None) -> dict[str, tuple[object, object]]:
    return {f"{on} tier {tier}": (filing_answer(filing, tier, on), payment_answer(payment, tier, on))
            for year, month in MONTHS for on in days_of(year, month) for tier in TIERS}


def test_payment_packages_filings_months_entry_for_entry() -> None:
    def data(package: str, *path: str) -> dict[str, object]:
        resource = files(package)
        for part in path:
            resource = resource / part
        return json.loads(resource.read_text(encoding="utf-8"))  # type: ignore[no-any-return]

    filing = data("filing.sanctions", "data", "interest_rates.json")
    payment = data("payment.debts", "data", "interest_rates.json")
    assert (payment["tiers"], payment["months"]) == (filing["tiers"], filing["months"])


def test_both_packaged_tables_answer_the_same_rate_or_both_refuse_for_every_month_and_tier() -> None:
    found = answers(InterestRateTable.packaged(), payment_interest.packaged_table())
    differ = {case: pair for case, pair in found.items() if pair[0] != pair[1]}
    assert differ == {}
    # not a vacuous agreement: both know some months, and both refuse those without a KMK of their own
    known = {case for case, (rate, _) in found.items() if rate != "refused"}
    assert "2025-02-15 tier 2" in known and "2026-02-28 tier 5" in known and "2025-06-01 tier 1" in known
    assert {"2025-03-01 tier 1", "2025-06-15 tier 2", "2025-07-01 tier 1", "2025-11-15 tier 1",
            "2025-12-31 tier 1", "2026-03-01 tier 1", "2024-12-31 tier 1"}.isdisjoint(known)


@pytest.fixture
def published_to_both() -> Iterator[None]:
    """SYNTHETIC TEST DATA, NOT A DECREE: one month published to both services, as filing's officers publish it
    (`filing.reference`) and payment keeps it (`payment.reference`); then both packaged tables alone again."""
    tiers = {1: Decimal("0.11"), 2: Decimal("0.22"), 3: Decimal("0.33"), 4: Decimal("0.44"), 5: Decimal("0.55")}
    filing_rates.use_published({TaxPeriod.parse("2026-04"): ({InterestTier(t): v for t, v in tiers.items()},
                                                            "TEST ONLY")})
    payment_interest.use_published({date(2026, 4, 1): ("TEST ONLY", tiers)})
    try:
        yield
    finally:
        filing_rates.use_published({})
        payment_interest.use_published({})


def test_a_month_published_to_both_is_answered_alike_and_for_itself_only(published_to_both: None) -> None:
    found = answers(InterestRateTable.load(), None)  # the tables in force: packaged, with the publication over them
    assert {case: pair for case, pair in found.items() if pair[0] != pair[1]} == {}
    assert found["2026-04-15 tier 3"] == (Decimal("0.33"), Decimal("0.33"))
    assert found["2026-05-01 tier 3"] == ("refused", "refused")
