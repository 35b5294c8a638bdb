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

from filing.assessments.errors import SkpkbAfterEarlier, SkpkbtWithoutEarlier, SkpKindMismatch
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


PAYABLE = frozenset({AssessmentKind.SKPKB, AssessmentKind.SKPKBT})


def check_skp(kind: AssessmentKind, *, principal: Decimal, increase: Decimal, earlier_assessments: int) -> None:
    """What the officer asks for must fit the kind: a principal above zero for SKPKB, SKPKBT (underpaid) and SKPLB
    (overpaid), none for an SKPN; an increase only on what is underpaid; an SKPKBT after an earlier assessment of
    the period and form, an SKPKB only before one."""
    if (principal == 0) != (kind is AssessmentKind.SKPN):
        raise SkpKindMismatch(f"an {kind.value} with principal {principal}", path="/principal", kind=kind.value)
    if increase > 0 and kind not in PAYABLE:
        raise SkpKindMismatch(f"an {kind.value} carries no increase", path="/increase", kind=kind.value)
    if kind is AssessmentKind.SKPKBT and earlier_assessments == 0:
        raise SkpkbtWithoutEarlier("no earlier assessment of this period and form", path="/kind")
    if kind is AssessmentKind.SKPKB and earlier_assessments > 0:
        raise SkpkbAfterEarlier(f"{earlier_assessments} earlier assessment(s) of this period and form", path="/kind")


def skp_total(kind: AssessmentKind, *, principal: Decimal, interest: Decimal, increase: Decimal) -> Decimal:
    """To pay (SKPKB, SKPKBT: principal, interest and increase), to refund (SKPLB: the principal), or 0 (SKPN)."""
    if kind in PAYABLE:
        return principal + interest + increase
    return principal if kind is AssessmentKind.SKPLB else Decimal(0)
