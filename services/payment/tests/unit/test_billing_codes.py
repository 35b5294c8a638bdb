"""Billing codes (tax-rules §4.1) and NTPNs (§4.2): format, generation, validation."""

from __future__ import annotations

import pytest

from payment.billing.codes import billing_code_problem, new_billing_code, validate_billing_code
from payment.billing.errors import BillingCodeInvalid
from payment.confirmations.errors import NTPNInvalid
from payment.confirmations.ntpn import new_ntpn, ntpn_problem, validate_ntpn


@pytest.mark.parametrize("first_digit", ["0", "1", "2", "3"])
def test_new_codes_are_15_digit_djp_codes_starting_with_the_chosen_digit(first_digit: str) -> None:
    codes = {new_billing_code(first_digit) for _ in range(500)}
    assert all(c[0] == first_digit and billing_code_problem(c) is None for c in codes)
    assert len(codes) == 500  # 10^14 possibilities: a repeat here would mean the randomness is broken


@pytest.mark.parametrize("first_digit", ["4", "9", "", "00", "x"])
def test_only_djp_first_digits_can_be_issued(first_digit: str) -> None:
    with pytest.raises(ValueError):
        new_billing_code(first_digit)


def test_the_random_digits_use_the_whole_range() -> None:
    # Leading zeros are kept (randbelow can draw small numbers), and every digit shows up in every position.
    codes = [new_billing_code() for _ in range(2000)]
    for position in range(1, 15):
        assert {c[position] for c in codes} == set("0123456789")


@pytest.mark.parametrize("code, expected, reason", [
    ("012345678901234", "012345678901234", None),
    ("312345678901234", "312345678901234", None),
    ("  112345678901234\n", "112345678901234", None),
    ("412345678901234", None, "issuer"),
    ("912345678901234", None, "issuer"),
    ("01234567890123", None, "length"),
    ("0123456789012345", None, "length"),
    ("0123 4567890123", None, "digits"),
    ("01234567890123²", None, "digits"),
    ("01234567890123٣", None, "digits"),
    ("", None, "length"),
])
def test_billing_code_validation(code: str, expected: str | None, reason: str | None) -> None:
    if reason is None:
        assert validate_billing_code(code) == expected
        return
    with pytest.raises(BillingCodeInvalid) as refused:
        validate_billing_code(code)
    assert refused.value.code == "billing.code_invalid"
    assert refused.value.details == {"reason": reason}


def test_new_ntpns_are_16_upper_case_alphanumerics_and_distinct() -> None:
    ntpns = {new_ntpn() for _ in range(500)}
    assert len(ntpns) == 500
    assert all(ntpn_problem(n) is None for n in ntpns)


@pytest.mark.parametrize("ntpn, expected, reason", [
    ("0A1B2C3D4E5F6G7H", "0A1B2C3D4E5F6G7H", None),
    ("0a1b2c3d4e5f6g7h", "0A1B2C3D4E5F6G7H", None),
    (" 1234567890123456 ", "1234567890123456", None),
    ("0A1B2C3D4E5F6G7", None, "length"),
    ("0A1B2C3D4E5F6G7H8", None, "length"),
    ("0A1B2C3D4E5F6G-H", None, "characters"),
    ("0A1B2C3D4E5F6GßH", None, "characters"),  # 'ß'.upper() is 'SS': must not become a valid 16
])
def test_ntpn_validation(ntpn: str, expected: str | None, reason: str | None) -> None:
    if reason is None:
        assert validate_ntpn(ntpn) == expected
        return
    with pytest.raises(NTPNInvalid) as refused:
        validate_ntpn(ntpn)
    assert (refused.value.code, refused.value.details) == ("confirmation.ntpn_invalid", {"reason": reason})
