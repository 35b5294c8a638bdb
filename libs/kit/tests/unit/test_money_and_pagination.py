from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import BaseModel

from kit.errors import AppError
from kit.money import MoneyAmount, round_down, round_half_up, to_decimal
from kit.pagination import decode_cursor, encode_cursor
from kit.testing.hostile import forged_cursor


def test_money_refuses_floats_and_rounds_half_up_explicitly() -> None:
    with pytest.raises(TypeError):
        to_decimal(0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        to_decimal("NaN")
    assert round_half_up(Decimal("2.5")) == Decimal("3")  # built-in round() would give 2
    assert round_half_up(Decimal("-2.5")) == Decimal("-3")
    assert round_down(Decimal("1099.99")) == Decimal("1099")
    assert round_half_up(Decimal("10.005"), Decimal("0.01")) == Decimal("10.01")


def test_amounts_travel_as_strings() -> None:
    class Line(BaseModel):
        amount: MoneyAmount

    assert Line(amount=Decimal("1234.50")).model_dump_json() == '{"amount":"1234.50"}'


def test_cursor_round_trip_and_rejection_of_forged_cursors() -> None:
    at, row_id = datetime(2026, 11, 22, 10, 0, tzinfo=UTC), uuid.uuid4()
    cursor = decode_cursor(encode_cursor(at, row_id))
    assert (cursor.created_at, cursor.id) == (at, row_id)
    for forged in ("abc", "eyJ4IjoxfQ", ""):
        with pytest.raises(AppError) as info:
            decode_cursor(forged)
        assert info.value.code == "pagination.invalid_cursor"


@pytest.mark.parametrize("created_at", [
    "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",  # valid datetimes whose UTC instant is out of range
    "9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00",  # the very ends: clear of them
    "2025-01-01T00:00:00",  # naive: not one we issue
    12345, None, ["2025-01-01T00:00:00+00:00"], "not a date", "2025-13-01T00:00:00+00:00",
])
def test_cursors_out_of_range_or_malformed_are_400_before_any_query(created_at: object) -> None:
    with pytest.raises(AppError) as info:
        decode_cursor(forged_cursor(created_at))
    assert (info.value.status, info.value.code) == (400, "pagination.invalid_cursor")


def test_cursor_edge_cases() -> None:
    at = datetime(2025, 1, 1, 7, tzinfo=timezone(timedelta(hours=7)))
    assert decode_cursor(forged_cursor(at.isoformat())).created_at == datetime(2025, 1, 1, tzinfo=UTC)
    for forged in (forged_cursor("2025-01-01T00:00:00+00:00", "not-a-uuid"), "x" * 201, "\u0000",
                   forged_cursor("2025-01-01T00:00:00+00:00") + "AAAA"):
        with pytest.raises(AppError):
            decode_cursor(forged)
