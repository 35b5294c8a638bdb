"""One more failed password attempt, as `counted_failure` counts it for both back-offs (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from identity.sessions.rules import Backoff, Throttle, counted_failure, person_scopes
from identity.settings import LoginSettings

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(minutes=5)
LOGIN = LoginSettings()  # 5 free per address then 1 s doubling; 10 free per login then 30 s doubling; forget at 12 h


def at(seconds: int) -> datetime:
    return NOW + timedelta(seconds=seconds)


@pytest.mark.parametrize(("throttle", "expected"), [
    (None, Throttle(1, None)),  # the first failure from an address
    (Throttle(3, None), Throttle(4, None)),
    (Throttle(4, None), Throttle(5, at(1))),  # the free failures are spent: 1 s
    (Throttle(7, at(-60)), Throttle(8, at(8))),  # doubling per failure
    (Throttle(40, at(-1)), Throttle(41, at(900))),  # capped
])
def test_per_address(throttle: Throttle | None, expected: Throttle) -> None:
    assert counted_failure(throttle, None, NOW, LOGIN).throttle == expected


@pytest.mark.parametrize(("backoff", "expected"), [
    (None, Backoff(1, None, NOW)),
    (Backoff(8, None, EARLIER), Backoff(9, None, NOW)),
    (Backoff(9, None, EARLIER), Backoff(10, at(30), NOW)),  # from every address: 30 s after 10
    (Backoff(11, at(-5), EARLIER), Backoff(12, at(120), NOW)),
    (Backoff(30, at(-5), EARLIER), Backoff(31, at(900), NOW)),  # capped
    # failures older than 12 h are forgotten first; the wait that had been set (long over) stays as it was
    (Backoff(30, NOW - timedelta(hours=13), NOW - timedelta(hours=13)),
     Backoff(1, NOW - timedelta(hours=13), NOW)),
    (Backoff(9, None, NOW - timedelta(hours=11)), Backoff(10, at(30), NOW)),  # not yet forgotten
])
def test_per_login_from_every_address(backoff: Backoff | None, expected: Backoff) -> None:
    assert counted_failure(None, backoff, NOW, LOGIN).backoff == expected


def test_a_wait_already_set_stays_while_free_failures_remain() -> None:
    """A lower free-failure setting at a later release, or a count that was forgotten: the wait set earlier is not
    shortened by a failure that sets none."""
    count = counted_failure(Throttle(1, at(300)), Backoff(1, at(600), EARLIER), NOW, LOGIN)
    assert count.throttle == Throttle(2, at(300)) and count.backoff == Backoff(2, at(600), NOW)


@pytest.mark.parametrize(("own", "has_full"), [(None, False), ("0013121660091000", True)])
def test_a_persons_scopes(own: str | None, has_full: bool) -> None:
    scopes = person_scopes(own)
    assert scopes[0] == "profile" and ("taxpayer:write" in scopes) is has_full and len(set(scopes)) == len(scopes)
