"""Instalment and postponement schedules (tax-rules §6.5): principals that add up to the debt exactly, tier-1 interest
on the balance still owed, month-end dates, the maximum term, and a missed instalment making the rest due."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kit.errors import AppError
from payment.instalments.schedule import (
    amount_due_after_missed_instalment,
    decision_working_days,
    instalment_schedule,
    interest_tier,
    postponed_payment,
)

D = Decimal


@pytest.mark.parametrize("debt, n, principals", [
    ("1000000", 1, ["1000000"]),
    ("1000000", 3, ["333333", "333333", "333334"]),
    ("12000000", 6, ["2000000"] * 6),
    ("100", 12, ["8"] * 11 + ["12"]),
    ("7", 7, ["1"] * 7),
    ("123456789", 12, ["10288065"] * 11 + ["10288074"]),
    ("1000000.00", 3, ["333333", "333333", "333334"]),
])
def test_principals_add_up_to_the_debt_with_the_remainder_on_the_last(debt: str, n: int,
                                                                       principals: list[str]) -> None:
    schedule = instalment_schedule(D(debt), instalments=n, interest_from=date(2025, 9, 15),
                                   monthly_rate_percent=D("0.54"))
    assert [i.principal for i in schedule] == [D(p) for p in principals]
    assert sum(i.principal for i in schedule) == D(debt)
    assert [str(i.principal) for i in schedule] == principals  # whole rupiah, no ".00" creeping in
    assert [i.number for i in schedule] == list(range(1, n + 1))


def test_interest_runs_on_the_balance_still_owed() -> None:
    schedule = instalment_schedule(D(12_000_000), instalments=6, interest_from=date(2025, 9, 15))
    assert [(i.due_date, i.balance_before, i.months, i.interest, i.total) for i in schedule] == [
        (date(2025, 10, 15), D(12_000_000), 1, D(64_800), D(2_064_800)),  # Sep 2025 tier 1: 0.54%
        (date(2025, 11, 15), D(10_000_000), 1, D(54_000), D(2_054_000)),
        (date(2025, 12, 15), D(8_000_000), 1, D(43_200), D(2_043_200)),
        (date(2026, 1, 15), D(6_000_000), 1, D(32_400), D(2_032_400)),
        (date(2026, 2, 15), D(4_000_000), 1, D(21_600), D(2_021_600)),
        (date(2026, 3, 15), D(2_000_000), 1, D(10_800), D(2_010_800)),
    ]
    # The same total as charging each principal for the months from the due date to its own instalment.
    assert sum(i.interest for i in schedule) == D(2_000_000) * D("0.0054") * sum(range(1, 7))


@pytest.mark.parametrize("interest_from, first_due, due_dates, months", [
    (date(2024, 12, 31), date(2025, 1, 31), [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31)], [1, 1, 1]),
    (date(2025, 1, 31), None, [date(2025, 2, 28), date(2025, 3, 28), date(2025, 4, 28)], [1, 1, 1]),
    (date(2025, 9, 15), date(2025, 9, 15), [date(2025, 9, 15), date(2025, 10, 15), date(2025, 11, 15)], [0, 1, 1]),
    (date(2025, 9, 15), date(2025, 11, 20), [date(2025, 11, 20), date(2025, 12, 20), date(2026, 1, 20)], [3, 1, 1]),
])
def test_due_dates_and_months_of_interest(interest_from: date, first_due: date | None, due_dates: list[date],
                                          months: list[int]) -> None:
    schedule = instalment_schedule(D(3_000_000), instalments=3, interest_from=interest_from,
                                   first_due_date=first_due, monthly_rate_percent=D("0.5"))
    assert [i.due_date for i in schedule] == due_dates
    assert [i.months for i in schedule] == months


@pytest.mark.parametrize("kwargs, code", [
    ({"instalments": 13}, "instalment.term_too_long"),
    ({"instalments": 12, "first_due_date": date(2025, 11, 15)}, "instalment.term_too_long"),
    ({"instalments": 12, "kind": "pph29", "first_due_date": date(2025, 11, 16)}, "instalment.term_too_long"),
    ({"instalments": 0}, "instalment.terms_invalid"),
    ({"instalments": 3, "debt": D(0)}, "instalment.terms_invalid"),
    ({"instalments": 3, "debt": D("100.5")}, "instalment.terms_invalid"),
    ({"instalments": 6, "debt": D(5)}, "instalment.terms_invalid"),  # a 0-rupiah instalment cannot be billed
    ({"instalments": 3, "monthly_rate_percent": D("-0.1")}, "instalment.terms_invalid"),
    ({"instalments": 3, "first_due_date": date(2025, 9, 14)}, "instalment.terms_invalid"),
    ({"instalments": 3, "kind": "pbb"}, "instalment.kind_unknown"),
    ({"instalments": 3, "interest_from": date(2025, 6, 15), "monthly_rate_percent": None, "kind": "pph29"}, None),
    ({"instalments": 3, "interest_from": date(2024, 6, 15), "monthly_rate_percent": None},
     "debt.interest_rate_unknown"),
    ({"instalments": 3, "interest_from": date(2025, 11, 17), "monthly_rate_percent": None},
     "debt.interest_rate_unknown"),  # no KMK rate retrieved for November 2025: refused, never October's
    ({"instalments": 3, "interest_from": date(2026, 4, 30), "monthly_rate_percent": None, "kind": "pph29"},
     "debt.interest_rate_unknown"),  # after the packaged months, until filing's officers publish April 2026
])
def test_terms_that_cannot_be_granted(kwargs: dict[str, object], code: str | None) -> None:
    terms: dict[str, object] = {"debt": D(1_200_000), "interest_from": date(2025, 9, 15),
                                "monthly_rate_percent": D("0.54"), **kwargs}
    if code is None:
        assert len(instalment_schedule(**terms)) == 3  # type: ignore[arg-type]
        return
    with pytest.raises(AppError) as refused:
        instalment_schedule(**terms)  # type: ignore[arg-type]
    assert refused.value.code == code


def test_twelve_monthly_instalments_from_one_month_after_the_due_date_are_the_longest_allowed() -> None:
    schedule = instalment_schedule(D(12_000_000), instalments=12, interest_from=date(2025, 9, 15))
    assert schedule[-1].due_date == date(2026, 9, 15)


def test_a_postponement_is_one_payment_with_its_months_of_interest() -> None:
    payment = postponed_payment(D(10_000_000), interest_from=date(2025, 9, 15), postponed_to=date(2026, 1, 20))
    assert (payment.principal, payment.months, payment.interest) == (D(10_000_000), 5, D(270_000))
    with pytest.raises(AppError) as refused:
        postponed_payment(D(10_000_000), interest_from=date(2025, 9, 15), postponed_to=date(2026, 9, 16))
    assert refused.value.code == "instalment.term_too_long"


SCHEDULE = instalment_schedule(D(1_000_000), instalments=3, interest_from=date(2025, 9, 15),
                               monthly_rate_percent=D("0.54"))


@pytest.mark.parametrize("paid, as_of, due", [
    (set(), date(2025, 10, 15), None),  # the first is due today: not missed yet
    (set(), date(2025, 10, 16), D(1_000_000) + D(5_400)),
    ({1}, date(2025, 11, 15), None),
    ({1}, date(2025, 11, 16), D(666_667) + D(3_600)),
    ({1, 2}, date(2025, 11, 30), None),
    ({1}, date(2025, 12, 16), D(666_667) + D(3_600) + D(1_800)),
    ({1, 3}, date(2025, 11, 16), D(333_333) + D(3_600)),
    ({1, 2, 3}, date(2026, 6, 1), None),
])
def test_a_missed_instalment_makes_the_rest_due(paid: set[int], as_of: date, due: Decimal | None) -> None:
    assert [i.interest for i in SCHEDULE] == [D(5_400), D(3_600), D(1_800)]
    assert amount_due_after_missed_instalment(SCHEDULE, paid=paid, as_of=as_of) == due


@pytest.mark.parametrize("kind, days", [("pph29", 3), ("assessment", 7)])
def test_decision_deadlines_and_interest_tier(kind: str, days: int) -> None:
    assert decision_working_days(kind) == days
    assert interest_tier() == 1
