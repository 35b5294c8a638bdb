"""Pure parts of PHTB validation and the BPN: what a 411128-402 code must name, letter numbers, masking, rupiah."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from kit.errors import AppError
from kit.pdf import rupiah
from payment.billing.transfer import Transfer, check_transfer
from payment.confirmations.pdf import mask_npwp
from payment.phtb.letter import letter_number

BUYER = "3171011708450001"
NOP = "31.71.010.001.002-0123.0"


@pytest.mark.parametrize("kap_kjs, given, outcome", [
    ("411128-402", dict(nop=NOP, value="2000000000", buyer_id=BUYER),
     Transfer("317101000100201230", Decimal(2_000_000_000), BUYER)),
    ("411128-402", dict(nop=NOP, value=2_000_000_000, buyer_id=BUYER),
     Transfer("317101000100201230", Decimal(2_000_000_000), BUYER)),
    ("411121-100", dict(nop=None, value=None, buyer_id=None), None),
    ("411128-402", dict(nop=None, value=None, buyer_id=None),
     ("billing.transfer_required", {"missing": ["buyer_id", "nop", "transfer_value"]})),
    ("411128-402", dict(nop=NOP, value=None, buyer_id=BUYER),
     ("billing.transfer_required", {"missing": ["transfer_value"]})),
    ("411128-402", dict(nop="3171", value="1", buyer_id=BUYER), ("phtb.nop_invalid", {"reason": "length"})),
    ("411128-402", dict(nop=NOP, value="0", buyer_id=BUYER), ("billing.amount_invalid", {"reason": "not_positive"})),
    ("411128-403", dict(nop=NOP, value=None, buyer_id=BUYER),
     ("billing.transfer_not_applicable", {"fields": ["buyer_id", "nop"]})),
])
def test_what_a_phtb_code_names(kap_kjs: str, given: dict[str, Any], outcome: Any) -> None:
    if outcome is None or isinstance(outcome, Transfer):
        assert check_transfer(kap_kjs, **given) == outcome
        return
    with pytest.raises(AppError) as refused:
        check_transfer(kap_kjs, **given)
    assert (refused.value.code, refused.value.details) == outcome


@pytest.mark.parametrize("serial, at, number", [
    (1, datetime(2026, 12, 9, 3, tzinfo=UTC), "SKV-PHTB/2026/00000001"),
    (12345678, datetime(2026, 12, 31, 17, 0, tzinfo=UTC), "SKV-PHTB/2027/12345678"),  # 00:00 WIB on 1 Jan
    (42, datetime(2026, 12, 31, 16, 59, tzinfo=UTC), "SKV-PHTB/2026/00000042"),
])
def test_letter_numbers_follow_the_year_in_jakarta(serial: int, at: datetime, number: str) -> None:
    assert letter_number(serial, at) == number


@pytest.mark.parametrize("value, masked", [
    ("0013121660091000", "00***********000"), ("3171011708450001", "31***********001"), ("12345", "*****"),
])
def test_public_pages_mask_identifiers(value: str, masked: str) -> None:
    assert mask_npwp(value) == masked


@pytest.mark.parametrize("value, text", [
    (Decimal("12345678"), "12.345.678"), (Decimal("50000000.00"), "50.000.000"), (Decimal("1234.5"), "1.234,50"),
    (Decimal(0), "0"),
])
def test_rupiah(value: Decimal, text: str) -> None:
    assert rupiah(value) == text
