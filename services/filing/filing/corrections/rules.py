"""Pembetulan under UU KUP Art 8 (tax-rules.md §6.4; seed 004 "Perbedaan SPT Pembetulan dan Pengungkapan").

- Versions: 0 is the Normal, filed once per period; 1, 2, ... are "Pembetulan ke-1", "ke-2", ..., unlimited.
- Art 8(1): a correction is allowed while the DJP has not started an audit of the period.
- Art 8(1a): a correction showing an overpayment or a loss must be filed at least 2 years before the assessment
  limitation period ends. That period is taken as 5 years from the end of the period (⚠ general knowledge, not
  confirmed in tax-rules.md §6.4/§9), so the last day is 3 years after the end of the period.
- Art 8(2), (2a): a correction that raises the tax bears tier-2 interest on the raise, from the filing deadline
  (annual) or the payment due date (masa) to the payment date, at most 24 months (`sanctions.interest`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from filing.calendar.periods import TaxPeriod, TaxYear, add_years
from filing.calendar.workdays import WorkingCalendar
from filing.corrections.errors import (
    CorrectionOverpaymentTooLate,
    CorrectionUnderAudit,
    CorrectionWithoutNormal,
    NormalAlreadyFiled,
)
from filing.obligations.deadlines import due_date
from filing.obligations.kinds import ANNUAL, Obligation
from filing.sanctions.interest import InterestCharge, interest
from filing.sanctions.rates import InterestRateTable, InterestTier
from kit.money import to_decimal

NORMAL = 0
ASSESSMENT_LIMITATION_YEARS = 5  # ⚠ UU KUP Art 13(1), not confirmed in tax-rules.md
LOSS_OR_OVERPAYMENT_MARGIN_YEARS = 2  # Art 8(1a)

# Art 8(2a): a masa correction's interest runs from the payment due date of the tax the return reports.
_PAYMENT_OF = {Obligation.SPT_MASA_PPN: Obligation.PPN_PAYMENT, Obligation.SPT_MASA_PPH: Obligation.MASA_TAX_PAYMENT}


def version_label(version: int) -> str:
    if version < 0:
        raise ValueError("versions start at 0 (Normal)")
    return "Normal" if version == NORMAL else f"Pembetulan ke-{version}"


def next_version(filed_versions: Collection[int]) -> int:
    return max(filed_versions) + 1 if filed_versions else NORMAL


def ensure_normal_allowed(filed_versions: Collection[int]) -> None:
    if filed_versions:
        raise NormalAlreadyFiled(versions=sorted(filed_versions))


def overpayment_correction_limit(period: TaxPeriod | TaxYear) -> date:
    """Art 8(1a): the last day a correction showing an overpayment or a loss may be filed."""
    return add_years(period.last_day, ASSESSMENT_LIMITATION_YEARS - LOSS_OR_OVERPAYMENT_MARGIN_YEARS)


@dataclass(frozen=True)
class CorrectionRequest:
    period: TaxPeriod | TaxYear
    corrected_on: date
    filed_versions: frozenset[int]
    audit_started_on: date | None = None  # of this period, when one exists at the time of the request
    shows_overpayment_or_loss: bool = False


def ensure_correction_allowed(request: CorrectionRequest) -> int:
    """The version number the correction gets; raises when Art 8 refuses it."""
    r = request
    if NORMAL not in r.filed_versions:
        raise CorrectionWithoutNormal(period=str(r.period))
    if r.audit_started_on is not None and r.audit_started_on <= r.corrected_on:
        raise CorrectionUnderAudit(period=str(r.period), audit_started_on=r.audit_started_on.isoformat())
    if r.shows_overpayment_or_loss and r.corrected_on > (limit := overpayment_correction_limit(r.period)):
        raise CorrectionOverpaymentTooLate(period=str(r.period), last_day=limit.isoformat())
    return next_version(r.filed_versions)


def tax_raise(previous_payable: Decimal, corrected_payable: Decimal) -> Decimal:
    """How much the correction raises the tax payable (0 when it lowers or keeps it)."""
    return max(to_decimal(corrected_payable) - to_decimal(previous_payable), Decimal(0))


def correction_interest_start(obligation: Obligation, period: TaxPeriod | TaxYear,
                              calendar: WorkingCalendar | None = None) -> date:
    """Art 8(2): the annual return's filing deadline; Art 8(2a): the masa tax's payment due date. Effective (rolled)
    dates, as for every interest in `sanctions.interest`; an Art 3(4) extension is not taken into account here."""
    if obligation in ANNUAL:
        return due_date(obligation, period, calendar).effective
    if obligation not in _PAYMENT_OF:
        raise ValueError(f"{obligation.value} is not a return")
    return due_date(_PAYMENT_OF[obligation], period, calendar).effective


def correction_interest(raise_amount: Decimal, *, starts_on: date, paid_on: date,
                        rates: InterestRateTable | None = None) -> InterestCharge:
    """Tier 2 on the raise, from `starts_on` (`correction_interest_start`) to the payment date, at most 24 months."""
    return interest(raise_amount, tier=InterestTier.T2, starts_on=starts_on, ends_on=paid_on, rates=rates,
                    basis="UU KUP Art 8(2)/(2a)")
