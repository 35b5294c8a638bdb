"""The deposit date of an allocation (tax-rules §4.4: it counts as the payment date): the deposit is spent first in,
first out, so an allocation's date is that of the latest credit it needs."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from payment.deposit.rules import deposit_date

D = Decimal
JAN, MAR, JUN = (datetime(2025, m, 10, tzinfo=UTC) for m in (1, 3, 6))
CREDITS = [(JAN, D(100)), (MAR, D(50)), (JUN, D(200))]


@pytest.mark.parametrize("spent, amount, expected", [
    (0, 100, JAN),  # exactly the first credit
    (0, 1, JAN),
    (0, 101, MAR),  # needs one rupiah of March's
    (100, 50, MAR),  # January's was spent before
    (99, 2, MAR),
    (150, 200, JUN),
    (0, 350, JUN),  # everything
    (0, 351, None),  # more than was ever credited
    (300, 51, None),  # more than is left
])
def test_the_deposit_date_is_the_latest_credit_the_allocation_needs(spent: int, amount: int,
                                                                    expected: datetime | None) -> None:
    assert deposit_date(CREDITS, spent=D(spent), amount=D(amount)) == expected


def test_an_empty_deposit_covers_nothing_and_amounts_must_be_positive() -> None:
    assert deposit_date([], spent=D(0), amount=D(1)) is None
    with pytest.raises(ValueError):
        deposit_date(CREDITS, spent=D(0), amount=D(0))
