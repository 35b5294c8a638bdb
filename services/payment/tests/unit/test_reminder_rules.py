"""When a reminder is due (pure): a code from 24 hours before its expiry while at least an hour is left, an
instalment from 3 days before its due date to that day; after an outage, what is still in the window, never what
has passed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from payment.reminders.rules import billing_window, instalment_window

WIB = timezone(timedelta(hours=7))
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=WIB)


@pytest.mark.parametrize("expires_in, reminded", [
    (timedelta(hours=24, seconds=1), False),  # not yet: the next pass takes it
    (timedelta(hours=24), True),  # the window opens
    (timedelta(hours=12), True),  # a pass after a 12-hour outage still reminds
    (timedelta(hours=1, seconds=1), True),
    (timedelta(hours=1), False),  # an hour or less left: too late to pay at a bank
    (timedelta(minutes=5), False),
    (timedelta(0), False),  # expiring now
    (-timedelta(hours=2), False),  # expired while the worker was down: never announced
    (timedelta(days=6), False),  # a fresh code
])
def test_a_code_is_reminded_of_from_a_day_before_its_expiry_while_an_hour_is_left(expires_in: timedelta,
                                                                                    reminded: bool) -> None:
    assert billing_window(NOW).holds(NOW + expires_in) is reminded


def test_the_billing_window_is_the_same_moment_in_any_zone() -> None:
    assert billing_window(NOW) == billing_window(NOW.astimezone(UTC))
    with pytest.raises(ValueError):
        billing_window(NOW.replace(tzinfo=None))


@pytest.mark.parametrize("today, due, reminded, days_left", [
    (date(2026, 12, 7), date(2026, 12, 11), False, 4),  # 4 days ahead: not yet
    (date(2026, 12, 8), date(2026, 12, 11), True, 3),  # the window opens 3 days ahead
    (date(2026, 12, 10), date(2026, 12, 11), True, 1),  # caught up after an outage
    (date(2026, 12, 11), date(2026, 12, 11), True, 0),  # on the due date paying is still on time
    (date(2026, 12, 12), date(2026, 12, 11), False, -1),  # the day after: missed, never announced
    (date(2026, 12, 30), date(2027, 1, 2), True, 3),  # across a year: calendar days, no list of days off needed
    (date(2027, 2, 26), date(2027, 3, 1), True, 3),  # across a short month
])
def test_an_instalment_is_reminded_of_from_3_days_before_its_due_date_to_that_day(today: date, due: date,
                                                                                  reminded: bool,
                                                                                  days_left: int) -> None:
    window = instalment_window(today)
    assert window.holds(due) is reminded
    assert window.days_left(due) == days_left
