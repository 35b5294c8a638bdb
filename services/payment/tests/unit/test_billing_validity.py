"""Billing validity as data keyed by the creation moment (tax-rules §4.1): 7 days, then 14 days for codes created
from 17 Dec 2025 00:00 WIB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from payment.billing.validity import expires_at, is_expired, parse_validity_rules, status_at, validity_for

WIB = timezone(timedelta(hours=7))


@pytest.mark.parametrize("created_at, validity", [
    (datetime(2025, 1, 1, 0, 0, tzinfo=WIB), timedelta(days=7)),
    (datetime(2025, 6, 30, 12, 0, tzinfo=WIB), timedelta(days=7)),
    (datetime(2025, 12, 16, 23, 59, 59, tzinfo=WIB), timedelta(days=7)),
    (datetime(2025, 12, 16, 16, 59, 59, tzinfo=UTC), timedelta(days=7)),  # 23:59:59 WIB
    (datetime(2025, 12, 17, 0, 0, tzinfo=WIB), timedelta(days=14)),
    (datetime(2025, 12, 16, 17, 0, tzinfo=UTC), timedelta(days=14)),  # the same instant in UTC
    (datetime(2026, 11, 22, 9, 30, tzinfo=WIB), timedelta(days=14)),
])
def test_validity_depends_on_when_the_code_was_created(created_at: datetime, validity: timedelta) -> None:
    assert validity_for(created_at) == validity
    assert expires_at(created_at) == created_at + validity


def test_expiry_is_exact_to_the_second_and_payable_until_then() -> None:
    created = datetime(2025, 12, 10, 8, 0, tzinfo=WIB)
    assert expires_at(created) == datetime(2025, 12, 17, 8, 0, tzinfo=WIB)
    assert not is_expired(created, datetime(2025, 12, 17, 7, 59, 59, tzinfo=WIB))
    assert is_expired(created, datetime(2025, 12, 17, 8, 0, tzinfo=WIB))
    assert is_expired(created, datetime(2025, 12, 17, 1, 0, tzinfo=UTC))


@pytest.mark.parametrize("bad", [datetime(2025, 12, 17), datetime(2024, 12, 31, 23, 59, tzinfo=WIB)])
def test_naive_moments_and_moments_before_any_rule_are_refused(bad: datetime) -> None:
    with pytest.raises(ValueError):
        validity_for(bad)


def test_rules_are_configuration_a_new_row_changes_only_codes_created_after_it() -> None:
    rules = parse_validity_rules([
        {"created_from": "2027-01-01T00:00:00+07:00", "hours": 24, "source": "a future rule"},
        {"created_from": "2025-01-01T00:00:00+07:00", "hours": 168},
    ])
    assert validity_for(datetime(2026, 12, 31, 23, 0, tzinfo=WIB), rules) == timedelta(days=7)
    assert validity_for(datetime(2027, 1, 1, 0, 0, tzinfo=WIB), rules) == timedelta(hours=24)
    for bad_row in ({"created_from": "2025-01-01T00:00:00", "hours": 1},
                    {"created_from": "2025-01-01T00:00:00+07:00", "hours": 0},
                    {"created_from": "2025-01-01T00:00:00+07:00", "hours": 1.5}):
        with pytest.raises(ValueError):
            parse_validity_rules([bad_row])


_EXPIRY = datetime(2026, 1, 1, 0, 0, tzinfo=WIB)


@pytest.mark.parametrize("status, now, seen", [
    ("active", _EXPIRY - timedelta(microseconds=1), "active"),
    ("active", _EXPIRY, "expired"),  # from expires_at on, as is_expired
    ("active", _EXPIRY + timedelta(days=3), "expired"),
    ("paid", _EXPIRY + timedelta(days=3), "paid"),  # a paid code stays paid
    ("expired", _EXPIRY - timedelta(days=1), "expired"),
])
def test_a_reader_sees_a_code_past_its_expiry_as_expired(status: str, now: datetime, seen: str) -> None:
    assert status_at(status, _EXPIRY, now) == seen


def test_status_at_needs_an_aware_moment() -> None:
    with pytest.raises(ValueError):
        status_at("active", _EXPIRY, datetime(2026, 1, 1))
