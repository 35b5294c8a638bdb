"""Money: Decimal only, explicit rounding in one place, strings on the wire."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import PlainSerializer

IDR_MINOR = Decimal("1")  # rupiah amounts on tax documents are whole rupiah
CENTS = Decimal("0.01")


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Decimal from an exact source. Floats are refused: they cannot carry tax amounts exactly."""
    if isinstance(value, (float, bool)):
        raise TypeError("money must not be a float; pass a str, int or Decimal")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError("money must be finite")
    return result


def round_half_up(value: Decimal, quantum: Decimal = IDR_MINOR) -> Decimal:
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


def round_down(value: Decimal, quantum: Decimal = IDR_MINOR) -> Decimal:
    """Truncation toward zero (used where a regulation says 'dibulatkan ke bawah')."""
    return value.quantize(quantum, rounding=ROUND_DOWN)


# An amount in API models and events: a Decimal in Python, a string in JSON.
MoneyAmount = Annotated[Decimal, PlainSerializer(lambda d: str(d), return_type=str, when_used="json")]
