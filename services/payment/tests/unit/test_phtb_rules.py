"""PPh final on land and building transfers (PP 34/2016): rates, NOP, and the payment check behind a validation."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from kit.errors import AppError
from payment.phtb.rules import (
    PHTBPayment,
    ValidationRequest,
    categories,
    check_phtb_payment,
    format_nop,
    phtb_kap_kjs,
    rate_percent,
    tax_due,
    validate_nop,
)

D = Decimal


@pytest.mark.parametrize("value, category, tax", [
    ("1000000000", "general", "25000000"),
    ("1000000000", "simple_house_by_developer", "10000000"),
    ("1000000000", "government_public_purpose", "0"),
    ("123456789", "general", "3086420"),  # 3,086,419.725
    ("150000010", "general", "3750000"),  # 3,750,000.25
    ("150000020", "general", "3750001"),  # 3,750,000.50: half up
    ("150000050", "simple_house_by_developer", "1500001"),  # 1,500,000.50
])
def test_tax_due(value: str, category: str, tax: str) -> None:
    assert tax_due(D(value), category) == D(tax)


def test_rates_and_kap_kjs_are_data() -> None:
    assert {c: rate_percent(c) for c in categories()} == {
        "general": D("2.5"), "simple_house_by_developer": D(1), "government_public_purpose": D(0)}
    assert phtb_kap_kjs() == "411128-402"
    with pytest.raises(AppError) as refused:
        rate_percent("luxury")
    assert refused.value.code == "phtb.category_unknown"


@pytest.mark.parametrize("nop, digits, reason", [
    ("31.71.010.001.002-0123.0", "317101000100201230", None),
    ("317101000100201230", "317101000100201230", None),
    ("31 71 010 001 002 0123 0", "317101000100201230", None),
    ("31.71.010.001.002-0123", None, "length"),
    ("3171010001002012301", None, "length"),
    ("31.71.010.001.002-012A.0", None, "digits"),
    ("31.71.010.001.002-012٣.0", None, "digits"),
])
def test_nop_validation(nop: str, digits: str | None, reason: str | None) -> None:
    if reason is None:
        assert validate_nop(nop) == digits
        assert format_nop(nop) == "31.71.010.001.002-0123.0"
        return
    with pytest.raises(AppError) as refused:
        validate_nop(nop)
    assert (refused.value.code, refused.value.details) == ("phtb.nop_invalid", {"reason": reason})


REQUEST = ValidationRequest(nop="31.71.010.001.002-0123.0", seller_npwp="0013121660091000",
                            buyer_id="3171011708450001", gross_value=D(2_000_000_000), category="general")
PAYMENT = PHTBPayment(ntpn="0A1B2C3D4E5F6G7H", kap_kjs="411128-402", amount=D(50_000_000),
                      payer_npwp="0013121660091000", nop="317101000100201230", gross_value=D(2_000_000_000),
                      buyer_id="3171011708450001")


@pytest.mark.parametrize("request_changes, payment_changes, options, reasons", [
    ({}, {}, {}, []),
    ({}, {"amount": D("50000000.00")}, {}, []),
    ({}, {"amount": D(49_999_999)}, {}, ["phtb.amount_mismatch"]),
    ({}, {"amount": D(50_000_001)}, {}, ["phtb.amount_mismatch"]),  # overpaid is not exact either
    ({}, {"kap_kjs": "411128-403"}, {}, ["phtb.kap_kjs_mismatch"]),
    ({}, {"nop": "317101000100201231"}, {}, ["phtb.nop_mismatch"]),
    ({}, {"nop": None}, {}, ["phtb.nop_mismatch"]),
    ({}, {"gross_value": D(1_000_000_000)}, {}, ["phtb.value_mismatch"]),
    ({}, {"payer_npwp": "0831326657201000"}, {}, ["phtb.seller_mismatch"]),
    ({}, {"buyer_id": "3171015708450001"}, {}, ["phtb.buyer_mismatch"]),
    ({}, {}, {"ntpn_already_used": True}, ["phtb.ntpn_already_used"]),
    # the seller declared a lower value on the request than on the billing, and paid on the billing's value
    ({"gross_value": D(1_000_000_000)}, {}, {}, ["phtb.amount_mismatch", "phtb.value_mismatch"]),
    # a 1% claim needs the seller's business confirmed
    ({"category": "simple_house_by_developer"}, {"amount": D(20_000_000)}, {"seller_is_developer": True}, []),
    ({"category": "simple_house_by_developer"}, {"amount": D(20_000_000)}, {},
     ["phtb.developer_status_unconfirmed"]),
    ({"category": "simple_house_by_developer"}, {}, {"seller_is_developer": True}, ["phtb.amount_mismatch"]),
    # several problems at once are all reported
    ({}, {"kap_kjs": "411211-100", "amount": D(1), "buyer_id": None}, {"ntpn_already_used": True},
     ["phtb.ntpn_already_used", "phtb.kap_kjs_mismatch", "phtb.amount_mismatch", "phtb.buyer_mismatch"]),
])
def test_payment_check(request_changes: dict[str, object], payment_changes: dict[str, object],
                       options: dict[str, bool], reasons: list[str]) -> None:
    check = check_phtb_payment(replace(REQUEST, **request_changes), replace(PAYMENT, **payment_changes),
                               **options)
    assert [r.code for r in check.reasons] == reasons
    assert check.valid == (not reasons)


def test_reasons_carry_what_was_expected_and_what_was_found() -> None:
    check = check_phtb_payment(REQUEST, replace(PAYMENT, amount=D(40_000_000)))
    [reason] = check.reasons
    assert (reason.expected, reason.found) == ("50000000", "40000000")
    assert (check.rate_percent, check.expected_tax) == (D("2.5"), D(50_000_000))


@pytest.mark.parametrize("category, payment, reasons", [
    ("general", None, ["phtb.payment_not_found"]),
    ("simple_house_by_developer", None, ["phtb.developer_status_unconfirmed", "phtb.payment_not_found"]),
    ("government_public_purpose", None, ["phtb.exemption_needs_review"]),
    ("government_public_purpose", PAYMENT, ["phtb.exemption_needs_review"]),
])
def test_without_a_payment_to_check_the_officer_decides(category: str, payment: PHTBPayment | None,
                                                        reasons: list[str]) -> None:
    check = check_phtb_payment(replace(REQUEST, category=category), payment)
    assert [r.code for r in check.reasons] == reasons
    assert not check.valid
