"""The deposit date of an allocation, pure (tax-rules §4.4: the deposit date counts as the payment date).

The deposit is spent first in, first out: money leaving it (allocations, transfers, refunds) takes the oldest
credits first. An allocation of A after D rupiah already left is paid with the credits that cover D..D+A, and its
deposit date is the date of the latest of them: the day the deposit first held that money.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal


def deposit_date(credits: Sequence[tuple[datetime, Decimal]], *, spent: Decimal, amount: Decimal) -> datetime | None:
    """`credits`: (effective date, amount) of every credit to the deposit, oldest first; `spent`: what left it
    before. None when the credits do not cover `spent + amount` (the deposit holds less)."""
    if amount <= 0 or spent < 0:
        raise ValueError("amount must be positive and spent not negative")
    needed, total = spent + amount, Decimal(0)
    for at, credit in credits:
        total += credit
        if total >= needed:
            return at
    return None
