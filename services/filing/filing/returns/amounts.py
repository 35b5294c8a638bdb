"""Amounts a taxpayer enters on a return (no I/O): not negative, at most 2 decimals (sen), within NUMERIC(18, 2).
Each refusal names the field (`details.path`, a JSON pointer)."""

from __future__ import annotations

from decimal import Decimal

from filing.returns.errors import AmountNegative, AmountTooLarge, AmountTooPrecise
from kit.money import CENTS

MAX_AMOUNT = Decimal("9999999999999999.99")


def entered_amount(value: Decimal, *, path: str) -> Decimal:
    if not value.is_finite():
        raise AmountTooLarge(f"{path}: not a finite amount", path=path)
    if value < 0:
        raise AmountNegative(f"{path}: {value} is negative", path=path)
    if value > MAX_AMOUNT:
        raise AmountTooLarge(f"{path}: {value} exceeds {MAX_AMOUNT}", path=path)
    if value != value.quantize(CENTS):
        raise AmountTooPrecise(f"{path}: {value} has more than 2 decimals", path=path)
    return value.quantize(CENTS)
