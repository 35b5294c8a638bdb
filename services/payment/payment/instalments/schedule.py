"""Instalment and postponement schedules (tax-rules §6.5; PMK-81/2024 Art 113-117), pure.

A debt of D rupiah in N instalments: each instalment's principal is D // N whole rupiah and the last one takes the
remainder, so the principals add up to D exactly. Interest is Art 19(2), tier 1, charged on the balance still owed:
instalment k carries balance_before_k x rate x (M_k - M_{k-1}), where M_k counts months from the debt's due date to
instalment k's due date (part months in full) and M_0 = 0. Counting every instalment from the same origin keeps
month-end dates honest (31 Jan -> 28 Feb -> 31 Mar is 1 + 1 month, not 1 + 2); the total equals charging each
principal for the months from the due date to its own instalment. Each instalment's interest is rounded to whole
rupiah, half up. A postponement is the one-instalment case.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any

from payment.debts.interest import add_months, interest, monthly_rate, months_counted
from payment.instalments.errors import KindUnknown, TermsInvalid, TermTooLong


@dataclass(frozen=True)
class KindRule:
    name: str
    decision_working_days: int
    max_months: int


@dataclass(frozen=True)
class ScheduledInstalment:
    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    months: int  # months of interest this instalment pays for
    balance_before: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest


@cache
def _rules() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(
        (files("payment.instalments") / "data" / "instalment_rules.json").read_text(encoding="utf-8"))
    return raw


def interest_tier() -> int:
    """The KMK tier of instalment and postponement interest: Art 19(2), tier 1."""
    return int(_rules()["interest_tier"])


def kind_rule(kind: str) -> KindRule:
    kinds = _rules()["kinds"]
    if kind not in kinds:
        raise KindUnknown(f"unknown kind {kind!r}", allowed=sorted(kinds))
    spec = kinds[kind]
    return KindRule(spec["name"], int(spec["decision_working_days"]), int(spec["max_months"]))


def decision_working_days(kind: str) -> int:
    """DJP decides an application within this many working days of receipt (Art 117(2)): 3 for PPh 29, else 7."""
    return kind_rule(kind).decision_working_days


def instalment_schedule(debt: Decimal, *, instalments: int, interest_from: date,
                        monthly_rate_percent: Decimal | None = None, first_due_date: date | None = None,
                        kind: str = "assessment") -> tuple[ScheduledInstalment, ...]:
    """N monthly instalments of `debt`, the first on `first_due_date` (default: one month after `interest_from`, the
    debt's due date), the next ones on the same day of the following months (earlier in shorter months). The rate
    defaults to the tier-1 KMK rate in force on `interest_from` (`debt.interest_rate_unknown` if not in the table).

    Raises `instalment.kind_unknown`, `instalment.terms_invalid` or `instalment.term_too_long`.
    """
    rule = kind_rule(kind)
    first = first_due_date or add_months(interest_from, 1)
    rate = monthly_rate(interest_tier(), interest_from) if monthly_rate_percent is None else monthly_rate_percent
    _check_terms(debt, instalments, rate, interest_from, first)
    debt = debt.quantize(Decimal(1))
    due_dates = [add_months(first, k) for k in range(instalments)]
    latest = add_months(interest_from, rule.max_months)
    if instalments > rule.max_months or due_dates[-1] > latest:
        raise TermTooLong(f"the last payment may fall at most {rule.max_months} months after the due date "
                          f"({latest.isoformat()})", max_months=rule.max_months, latest=latest.isoformat())
    share = debt // instalments
    schedule = []
    balance, months_before = debt, 0
    for number, due in enumerate(due_dates, start=1):
        principal = share if number < instalments else debt - share * (instalments - 1)
        months_to_due = months_counted(interest_from, due)
        months = months_to_due - months_before
        schedule.append(ScheduledInstalment(number, due, principal, interest(balance, rate, months), months, balance))
        balance -= principal
        months_before = months_to_due
    return tuple(schedule)


def postponed_payment(debt: Decimal, *, interest_from: date, postponed_to: date,
                      monthly_rate_percent: Decimal | None = None, kind: str = "assessment") -> ScheduledInstalment:
    """The debt paid in one go on `postponed_to`, with its interest."""
    [payment] = instalment_schedule(debt, instalments=1, interest_from=interest_from, first_due_date=postponed_to,
                                    monthly_rate_percent=monthly_rate_percent, kind=kind)
    return payment


def amount_due_after_missed_instalment(schedule: Sequence[ScheduledInstalment], *, paid: Collection[int],
                                       as_of: date) -> Decimal | None:
    """A missed instalment makes the rest due at once (tax-rules §6.5). None while no unpaid instalment is past its
    due date on `as_of`; otherwise what is owed now: the principal of every unpaid instalment plus the interest of
    the unpaid ones already due (interest of later instalments has not run; late interest on this amount is the
    debt's business from here)."""
    unpaid = [i for i in schedule if i.number not in paid]
    if not any(i.due_date < as_of for i in unpaid):
        return None
    return sum((i.principal + (i.interest if i.due_date < as_of else 0) for i in unpaid), Decimal(0))


def _check_terms(debt: Decimal, instalments: int, rate: Decimal, interest_from: date, first: date) -> None:
    if not debt.is_finite() or debt <= 0 or debt != debt.to_integral_value():
        raise TermsInvalid("the debt must be a positive whole-rupiah amount", reason="debt_not_payable")
    if instalments < 1:
        raise TermsInvalid("at least one instalment", reason="instalments_not_positive")
    if instalments > debt:
        raise TermsInvalid("every instalment must be at least one rupiah (each gets its own billing code)",
                           reason="more_instalments_than_rupiah")
    if rate < 0:
        raise TermsInvalid("the interest rate must not be negative", reason="rate_negative")
    if first < interest_from:
        raise TermsInvalid("the first instalment cannot fall before the debt's due date",
                           reason="first_due_before_start")
