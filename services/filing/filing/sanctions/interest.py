"""Interest sanctions under UU KUP as amended by HPP (tax-rules.md §6.2).

- amount = principal x monthly rate x months, the monthly rate being the KMK rate of the tier, in force on the date
  the sanction starts (the month of `starts_on`);
- months run from `starts_on` to `ends_on`; a part of a month counts as a full month; at most 24 months;
- nothing is charged when `ends_on` is not after `starts_on` (paid on or before the due date).
Rounding: tax-rules.md cites no rounding rule for interest. We multiply exactly and round once, to whole rupiah
half-up, the rule PER-11/PJ/2025 Art 129 sets for the amounts of faktur and SPT (tax-rules.md §3.5): a billing code
and an STP carry whole rupiah. This is a documented choice, not a cited rule.
Which date starts a sanction when the due date rolled over a holiday is unconfirmed (tax-rules.md §6.2): callers
pass the effective (rolled) due date, since paying on it is on time under PMK-81/2024 Art 100.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from filing.calendar.periods import add_months
from filing.sanctions.rates import InterestRateTable, InterestTier, MonthlyRate
from kit.money import round_half_up, to_decimal

MAX_MONTHS = 24
_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class InterestCharge:
    principal: Decimal
    tier: InterestTier
    starts_on: date
    ends_on: date
    months: int  # after the 24-month cap
    rate: MonthlyRate | None  # None when nothing is charged
    amount: Decimal  # whole rupiah
    basis: str


def months_charged(starts_on: date, ends_on: date) -> int:
    """Months from `starts_on` to `ends_on`, a part month counting in full, at most 24.
    15 Sep -> 15 Oct is 1 month, 15 Sep -> 20 Oct is 2 (tax-rules.md §6.2 worked example)."""
    if ends_on <= starts_on:
        return 0
    months = (ends_on.year - starts_on.year) * 12 + ends_on.month - starts_on.month
    if add_months(starts_on, months) < ends_on:
        months += 1
    return min(months, MAX_MONTHS)


def interest(principal: Decimal, *, tier: InterestTier, starts_on: date, ends_on: date, basis: str,
             rates: InterestRateTable | None = None) -> InterestCharge:
    principal = to_decimal(principal)
    if principal < 0:
        raise ValueError("the principal of an interest sanction is not negative")
    months = months_charged(starts_on, ends_on)
    if months == 0 or principal == 0:
        return InterestCharge(principal, tier, starts_on, ends_on, months, None, Decimal(0), basis)
    rate = (rates or InterestRateTable.load()).rate(tier, starts_on)
    amount = round_half_up(principal * rate.percent * months / _HUNDRED)
    return InterestCharge(principal, tier, starts_on, ends_on, months, rate, amount, basis)


def late_payment_interest(principal: Decimal, *, due: date, paid_on: date,
                          rates: InterestRateTable | None = None) -> InterestCharge:
    """UU KUP Art 9(2a) (masa tax paid after its due date) and 9(2b) (annual PPh 29 paid after the filing deadline):
    tier 2, from the due date to the payment date. Worked example (tax-rules.md §6.2): PPh 21 Aug 2025 of
    Rp10,000,000 due 15 Sep 2025, paid 20 Oct 2025: 2 months x 0.95% -> Rp190,000."""
    return interest(principal, tier=InterestTier.T2, starts_on=due, ends_on=paid_on, rates=rates,
                    basis="UU KUP Art 9(2a)/(2b)")
