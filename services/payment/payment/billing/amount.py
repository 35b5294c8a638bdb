"""A payable amount on a billing code: whole rupiah, positive, and within NUMERIC(18, 2)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from kit.money import to_decimal
from payment.billing.errors import AmountInvalid

MAX_AMOUNT = Decimal(10) ** 16 - 1  # 16 integer digits: what NUMERIC(18, 2) can hold


def check_amount(amount: Decimal | int | str) -> Decimal:
    """The amount as a Decimal with no fraction, or `AmountInvalid` (floats are refused with TypeError)."""
    try:
        value = to_decimal(amount)
    except (InvalidOperation, ValueError):
        raise AmountInvalid("the amount is not a number", reason="not_a_number") from None
    if value <= 0:
        raise AmountInvalid("the amount must be more than zero", reason="not_positive")
    if value != value.to_integral_value():
        raise AmountInvalid("tax is paid in whole rupiah", reason="not_whole_rupiah")
    if value > MAX_AMOUNT:
        raise AmountInvalid("the amount is too large", reason="too_large")
    return value.quantize(Decimal(1))


def amount_text(value: Decimal) -> str:
    """A whole-rupiah amount as the API and events write it: digits only (`Decimal('1000000.00')` -> '1000000')."""
    return f"{value.quantize(Decimal(1)):f}"
