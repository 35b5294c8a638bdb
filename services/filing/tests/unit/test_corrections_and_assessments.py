"""Pembetulan (UU KUP Art 8) and assessments (SKP, Art 13(2))."""

from datetime import date
from decimal import Decimal

import pytest

from filing.assessments.rules import (
    AssessmentKind,
    assessment_interest,
    assessment_interest_start,
    assessment_kind,
    skp_kap_kjs,
)
from filing.calendar.periods import TaxPeriod, TaxYear
from filing.corrections.errors import (
    CorrectionOverpaymentTooLate,
    CorrectionUnderAudit,
    CorrectionWithoutNormal,
    NormalAlreadyFiled,
)
from filing.corrections.rules import (
    CorrectionRequest,
    correction_interest,
    correction_interest_start,
    ensure_correction_allowed,
    ensure_normal_allowed,
    next_version,
    overpayment_correction_limit,
    tax_raise,
    version_label,
)
from filing.obligations.kinds import Obligation as O
from filing.sanctions.rates import InterestRateTable, InterestTier


@pytest.mark.parametrize(("version", "label"), [(0, "Normal"), (1, "Pembetulan ke-1"), (2, "Pembetulan ke-2"),
                                                (12, "Pembetulan ke-12")])
def test_version_labels(version: int, label: str) -> None:
    assert version_label(version) == label


@pytest.mark.parametrize(("filed", "next_"), [(set(), 0), ({0}, 1), ({0, 1, 2}, 3), (set(range(40)), 40)])
def test_versions_follow_each_other_without_limit(filed: set[int], next_: int) -> None:
    assert next_version(filed) == next_


def test_a_normal_is_filed_once() -> None:
    ensure_normal_allowed(set())
    with pytest.raises(NormalAlreadyFiled) as raised:
        ensure_normal_allowed({0, 1})
    assert raised.value.code == "return.normal_exists"


JUNE_2021 = TaxPeriod(2021, 6)


@pytest.mark.parametrize(("request_", "version"), [
    (CorrectionRequest(JUNE_2021, date(2025, 1, 1), frozenset({0})), 1),
    (CorrectionRequest(JUNE_2021, date(2025, 1, 1), frozenset({0, 1, 2})), 3),
    (CorrectionRequest(JUNE_2021, date(2025, 1, 1), frozenset({0}), audit_started_on=date(2025, 1, 2)), 1),
    # Art 8(1a): 5-year limitation minus 2 years -> until 30 Jun 2024
    (CorrectionRequest(JUNE_2021, date(2024, 6, 30), frozenset({0}), shows_overpayment_or_loss=True), 1),
])
def test_corrections_allowed(request_: CorrectionRequest, version: int) -> None:
    assert ensure_correction_allowed(request_) == version


@pytest.mark.parametrize(("request_", "error", "code"), [
    (CorrectionRequest(JUNE_2021, date(2025, 1, 1), frozenset()), CorrectionWithoutNormal, "correction.no_normal"),
    (CorrectionRequest(JUNE_2021, date(2025, 1, 2), frozenset({0}), audit_started_on=date(2025, 1, 2)),
     CorrectionUnderAudit, "correction.under_audit"),
    (CorrectionRequest(JUNE_2021, date(2024, 7, 1), frozenset({0}), shows_overpayment_or_loss=True),
     CorrectionOverpaymentTooLate, "correction.overpayment_too_late"),
])
def test_corrections_refused(request_: CorrectionRequest, error: type, code: str) -> None:
    with pytest.raises(error) as raised:
        ensure_correction_allowed(request_)
    assert raised.value.code == code


def test_overpayment_correction_limit_of_an_annual_return() -> None:
    assert overpayment_correction_limit(TaxYear(2022)) == date(2025, 12, 31)


@pytest.mark.parametrize(("previous", "corrected", "raised"), [
    ("1000000", "1500000", "500000"), ("1500000", "1000000", "0"), ("1000000", "1000000", "0")])
def test_tax_raise(previous: str, corrected: str, raised: str) -> None:
    assert tax_raise(Decimal(previous), Decimal(corrected)) == Decimal(raised)


@pytest.mark.parametrize(("obligation", "period", "starts_on"), [
    (O.SPT_MASA_PPH, TaxPeriod(2025, 8), date(2025, 9, 15)),  # Art 8(2a): the payment due date
    (O.SPT_MASA_PPN, TaxPeriod(2025, 8), date(2025, 9, 30)),
    (O.SPT_MASA_PPN, TaxPeriod(2025, 2), date(2025, 4, 8)),  # rolled over Idulfitri
    (O.SPT_TAHUNAN_OP, TaxYear(2024), date(2025, 4, 8)),  # Art 8(2): the filing deadline
    (O.SPT_TAHUNAN_BADAN, TaxYear(2025), date(2026, 4, 30)),
])
def test_correction_interest_starts(obligation: O, period: TaxPeriod | TaxYear, starts_on: date) -> None:
    assert correction_interest_start(obligation, period) == starts_on


def test_correction_interest_start_is_for_returns_only() -> None:
    with pytest.raises(ValueError):
        correction_interest_start(O.MASA_TAX_PAYMENT, TaxPeriod(2025, 8))


def test_correction_raising_pph_21_bears_tier_2_interest() -> None:
    starts_on = correction_interest_start(O.SPT_MASA_PPH, TaxPeriod(2025, 8))
    charge = correction_interest(Decimal(10_000_000), starts_on=starts_on, paid_on=date(2025, 10, 20))
    assert (charge.tier, charge.months, charge.amount, charge.basis) == (InterestTier.T2, 2, Decimal(190_000),
                                                                         "UU KUP Art 8(2)/(2a)")


def test_pre_hpp_correction_example() -> None:
    # tax-rules.md §6.2: a correction raising PPh Badan by 50,000,000 paid 2 months late at 2% -> 2,000,000
    flat = InterestRateTable({TaxPeriod(2020, 4): {InterestTier.T2: Decimal(2)}})
    charge = correction_interest(Decimal(50_000_000), starts_on=date(2020, 4, 30), paid_on=date(2020, 6, 30),
                                 rates=flat)
    assert (charge.months, charge.amount) == (2, Decimal(2_000_000))


@pytest.mark.parametrize(("due", "credits", "after_earlier", "kind"), [
    ("1000", "400", False, AssessmentKind.SKPKB), ("1000", "400", True, AssessmentKind.SKPKBT),
    ("400", "1000", False, AssessmentKind.SKPLB), ("1000", "1000", False, AssessmentKind.SKPN)])
def test_assessment_kind(due: str, credits: str, after_earlier: bool, kind: AssessmentKind) -> None:
    assert assessment_kind(Decimal(due), Decimal(credits), after_earlier_assessment=after_earlier) is kind


@pytest.mark.parametrize(("kind", "kap_kjs"), [(AssessmentKind.SKPKB, "411211-310"),
                                               (AssessmentKind.SKPKBT, "411211-320"), (AssessmentKind.SKPLB, None),
                                               (AssessmentKind.SKPN, None)])
def test_skp_kap_kjs(kind: AssessmentKind, kap_kjs: str | None) -> None:
    assert skp_kap_kjs(kind, "411211") == kap_kjs


@pytest.mark.parametrize(("issued_on", "months", "amount"), [
    (date(2025, 10, 20), 2, "360000"),  # 31 Aug -> 20 Oct: 2 months at August's tier 4 (1.80%)
    (date(2028, 1, 1), 24, "4320000"),  # capped at 24 months
])
def test_art_13_2_interest_is_tier_4(issued_on: date, months: int, amount: str) -> None:
    starts_on = assessment_interest_start(TaxPeriod(2025, 8))
    charge = assessment_interest(Decimal(10_000_000), starts_on=starts_on, issued_on=issued_on)
    assert (starts_on, charge.tier, charge.months, charge.amount) == (date(2025, 8, 31), InterestTier.T4, months,
                                                                     Decimal(amount))
