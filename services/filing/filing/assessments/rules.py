"""Assessments (tax-rules.md §6.3): SKPKB (underpayment), SKPKBT (additional underpayment after an earlier
assessment, on new data), SKPLB (overpayment, refunded), SKPN (nil).

Interest on an SKPKB or SKPKBT: UU KUP Art 13(2), (2a), tier 4, at most 24 months. It runs from the end of the
period (or the time the tax became due) to the date the SKP is issued (⚠ the statutory start is general knowledge
of Art 13(2), not quoted in tax-rules.md). The Art 13(3) kenaikan (75% after HPP) is unconfirmed (tax-rules.md §9)
and not computed here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from filing.calendar.periods import TaxPeriod, TaxYear
from filing.sanctions.interest import InterestCharge, interest
from filing.sanctions.rates import InterestRateTable, InterestTier
from kit.money import to_decimal


class AssessmentKind(StrEnum):
    SKPKB = "SKPKB"
    SKPKBT = "SKPKBT"
    SKPLB = "SKPLB"
    SKPN = "SKPN"


_KJS = {AssessmentKind.SKPKB: "310", AssessmentKind.SKPKBT: "320"}  # tax-rules.md §4.3


def assessment_kind(tax_due: Decimal, credits: Decimal, *, after_earlier_assessment: bool = False) -> AssessmentKind:
    """From the tax due the audit found and the credits (payments, withholding) already counted."""
    difference = to_decimal(tax_due) - to_decimal(credits)
    if difference > 0:
        return AssessmentKind.SKPKBT if after_earlier_assessment else AssessmentKind.SKPKB
    return AssessmentKind.SKPLB if difference < 0 else AssessmentKind.SKPN


def skp_kap_kjs(kind: AssessmentKind, kap: str) -> str | None:
    """`411211` + SKPKB -> `411211-310`; an SKPLB or SKPN is not paid, so it has none."""
    kjs = _KJS.get(kind)
    return f"{kap}-{kjs}" if kjs else None


def assessment_interest_start(period: TaxPeriod | TaxYear) -> date:
    return period.last_day


def assessment_interest(principal: Decimal, *, starts_on: date, issued_on: date,
                        rates: InterestRateTable | None = None) -> InterestCharge:
    """Art 13(2) interest on the underpaid principal of an SKPKB/SKPKBT: tier 4, at most 24 months."""
    return interest(principal, tier=InterestTier.T4, starts_on=starts_on, ends_on=issued_on, rates=rates,
                    basis="UU KUP Art 13(2)")
