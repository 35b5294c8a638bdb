"""The KAP-KJS table (tax-rules §4.3) as data, and what a billing code must name for each pair."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from kit.errors import AppError
from payment.billing.amount import amount_text, check_amount
from payment.billing.kap_kjs import check_billing_subject, kap_kjs_table, rule_for
from payment.phtb.rules import phtb_kap_kjs


@pytest.mark.parametrize("kap_kjs, period, assessment, error", [
    ("411121-100", "2025-08", None, None),
    ("411211-100", "2026-01", None, None),
    ("411125-200", "2025", None, None),
    ("411126-200", "2024", None, None),
    ("411128-402", "2025-11", None, None),
    ("411618-100", None, None, None),
    ("411121-300", None, "00012/107/25/051/25", None),
    ("411211-310", None, " SKPKB-1 ", None),
    ("411621-300", None, "STP-9", None),
    # the pair itself
    ("411121100", "2025-08", None, "billing.kap_kjs_invalid"),
    ("41112-100", "2025-08", None, "billing.kap_kjs_invalid"),
    ("411121-１００", "2025-08", None, "billing.kap_kjs_invalid"),
    ("999999-100", "2025-08", None, "billing.kap_unknown"),
    ("411121-200", "2025", None, "billing.kjs_not_for_kap"),
    ("411618-300", None, "X", "billing.kjs_not_for_kap"),
    # the period
    ("411121-100", None, None, "billing.period_required"),
    ("411121-100", "  ", None, "billing.period_required"),
    ("411121-100", "2025", None, "billing.period_invalid"),
    ("411121-100", "2025-13", None, "billing.period_invalid"),
    ("411121-100", "2025-8", None, "billing.period_invalid"),
    ("411125-200", "2025-12", None, "billing.period_invalid"),
    ("411618-100", "2025-01", None, "billing.period_not_applicable"),
    ("411121-300", "2025-01", "STP-1", "billing.period_not_applicable"),
    # the assessment number
    ("411126-310", None, None, "billing.assessment_number_required"),
    ("411126-310", None, "   ", "billing.assessment_number_required"),
    ("411126-310", None, "x" * 65, "billing.assessment_number_invalid"),
    ("411126-310", None, "SKP\n1", "billing.assessment_number_invalid"),
    ("411121-100", "2025-08", "STP-1", "billing.assessment_number_not_applicable"),
])
def test_billing_subject_rules(kap_kjs: str, period: str | None, assessment: str | None, error: str | None) -> None:
    if error is None:
        subject = check_billing_subject(kap_kjs, period=period, assessment_number=assessment)
        assert subject.rule.kap_kjs == kap_kjs
        assert subject.period == (period.strip() if period else None)
        assert subject.assessment_number == (assessment.strip() if assessment else None)
        return
    with pytest.raises(AppError) as refused:
        check_billing_subject(kap_kjs, period=period, assessment_number=assessment)
    assert refused.value.code == error
    assert refused.value.status == 422


def test_a_wrong_kjs_lists_the_ones_that_go_with_the_kap() -> None:
    with pytest.raises(AppError) as refused:
        rule_for("411128-100")
    assert refused.value.details["allowed"] == ["402", "403", "409", "420"]


def test_the_table_is_well_formed() -> None:
    table = kap_kjs_table()
    assert len(table) == 13
    for kap, kjs_rules in table.items():
        assert re.fullmatch(r"4116\d\d|4112\d\d|4111\d\d", kap)
        for kjs, rule in kjs_rules.items():
            assert re.fullmatch(r"\d{3}", kjs) and rule.kap_kjs == f"{kap}-{kjs}"
            assert rule.period_kind in ("month", "year", None)
            # A liability is keyed by its period or its assessment number, never both.
            assert not (rule.needs_assessment and rule.period_kind)
            assert rule.needs_assessment == (kjs in ("300", "310", "320"))


@pytest.mark.parametrize("kap_kjs, period_kind, assessment", [
    ("411121-100", "month", False), ("411125-200", "year", False), ("411125-510", "year", False),
    ("411211-510", "month", False), ("411211-320", None, True), ("411618-100", None, False),
    ("411622-300", None, True), ("411124-104", "month", False),
])
def test_rows_copied_from_tax_rules(kap_kjs: str, period_kind: str | None, assessment: bool) -> None:
    rule = rule_for(kap_kjs)
    assert (rule.period_kind, rule.needs_assessment) == (period_kind, assessment)


def test_phtb_is_paid_with_a_pair_the_table_knows() -> None:
    assert rule_for(phtb_kap_kjs()).period_kind == "month"


@pytest.mark.parametrize("amount, expected, reason", [
    (Decimal("1"), Decimal("1"), None),
    ("500000", Decimal("500000"), None),
    (Decimal("1000.00"), Decimal("1000"), None),
    (10**15, Decimal(10**15), None),
    (Decimal("0"), None, "not_positive"),
    (-5, None, "not_positive"),
    (Decimal("100.50"), None, "not_whole_rupiah"),
    (10**16, None, "too_large"),
    ("abc", None, "not_a_number"),
    ("NaN", None, "not_a_number"),
])
def test_billing_amounts(amount: Decimal | int | str, expected: Decimal | None, reason: str | None) -> None:
    if reason is None:
        assert check_amount(amount) == expected
        return
    with pytest.raises(AppError) as refused:
        check_amount(amount)
    assert (refused.value.code, refused.value.details) == ("billing.amount_invalid", {"reason": reason})


def test_float_amounts_are_refused_outright() -> None:
    with pytest.raises(TypeError):
        check_amount(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("amount, text", [
    (Decimal("1500000.00"), "1500000"),  # NUMERIC(18, 2) as the database returns it
    (Decimal("1500000"), "1500000"),
    (Decimal("1E+6"), "1000000"),  # never exponent notation
    (Decimal("0"), "0"),
    (Decimal("9999999999999999"), "9999999999999999"),
])
def test_amounts_are_written_as_whole_rupiah_digits(amount: Decimal, text: str) -> None:
    assert amount_text(amount) == text
