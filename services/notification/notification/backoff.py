"""Capped exponential back-off with jitter, for message retries."""

from __future__ import annotations

import random


def backoff_delay(retry: int, *, base_s: float, cap_s: float, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number `retry` (1, 2, ...): `base * 2**(retry-1)`, capped at `cap`, then
    "equal jitter": half of it fixed, the other half random, so retries of many messages spread out yet never
    come back sooner than half the nominal delay."""
    if retry < 1:
        raise ValueError("retry counts from 1")
    nominal = min(cap_s, base_s * 2 ** min(retry - 1, 62))
    return nominal / 2 + (rng or random).uniform(0, nominal / 2)
