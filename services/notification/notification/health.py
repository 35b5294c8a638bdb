"""Provider health in this worker process: a circuit breaker per provider (closed, open, half-open) fed by the
outcome and latency of every hand-over and by negative delivery reports, and the routing order it implies.

Closed: calls go through; when at least `min_calls` of the last `window` outcomes are known and the failure rate
reaches `failure_rate`, the circuit opens. Open: the provider is skipped for `cooldown_s`. Then half-open: one probe
call goes through; success closes the circuit, failure opens it again with the cool-down doubled (up to
`max_cooldown_s`). Providers that are healthy come first in configured order; failing or slow ones after them; an
open provider is used only when nothing else is left (an OTP is better tried than dropped).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from enum import StrEnum

from notification.metrics import CIRCUIT
from notification.settings import BreakerSettings


class CircuitState(StrEnum):
    closed = "closed"
    half_open = "half_open"
    open = "open"


_GAUGE = {CircuitState.closed: 0, CircuitState.half_open: 1, CircuitState.open: 2}


class CircuitBreaker:
    def __init__(self, name: str, settings: BreakerSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.settings = settings
        self.clock = clock
        self.outcomes: deque[tuple[float, bool]] = deque()  # (when, ok), oldest first, at most `window`
        self._failures = 0  # in `outcomes` (kept as they come and go: routing asks for the rate on every message)
        self._latency: tuple[float, float] | None = None  # (when, exponentially weighted average ms)
        self.cooldown_s = settings.cooldown_s
        self.opened_at = 0.0
        self.probing = False
        self._state = CircuitState.closed
        CIRCUIT.labels(name).set(0)

    @property
    def state(self) -> CircuitState:
        if self._state is CircuitState.open and self.clock() - self.opened_at >= self.cooldown_s:
            return CircuitState.half_open
        return self._state

    def _recent(self) -> int:
        """How many outcomes are within `window_s` (older ones are dropped)."""
        horizon = self.clock() - self.settings.window_s
        outcomes = self.outcomes
        while outcomes and outcomes[0][0] < horizon:
            self._drop_oldest()
        return len(outcomes)

    def _drop_oldest(self) -> None:
        _, ok = self.outcomes.popleft()
        self._failures -= not ok

    @property
    def failure_rate(self) -> float:
        recent = self._recent()
        return self._failures / recent if recent else 0.0

    @property
    def latency_ms(self) -> float | None:
        if self._latency is None or self._latency[0] < self.clock() - self.settings.window_s:
            return None
        return self._latency[1]

    @property
    def degraded(self) -> bool:
        """Failing now and then, or slow, lately: still used, but after healthy providers. Without traffic this
        fades after `window_s`, so a demoted provider gets tried again."""
        latency = self.latency_ms
        slow = latency is not None and latency > self.settings.slow_ms
        return slow or self.failure_rate >= self.settings.failure_rate / 2

    def available(self) -> bool:
        """Would a call be let through now (without taking the half-open probe)?"""
        state = self.state
        return state is CircuitState.closed or (state is CircuitState.half_open and not self.probing)

    def acquire(self, *, force: bool = False) -> bool:
        """Take permission for one call. In half-open state only one probe at a time is let through."""
        state = self.state
        if state is CircuitState.closed:
            return True
        if state is CircuitState.half_open and not self.probing:
            self._set(CircuitState.half_open)
            self.probing = True
            return True
        return force

    def record(self, ok: bool, latency_ms: float | None = None) -> None:
        now = self.clock()
        if latency_ms is not None:
            previous = self.latency_ms
            self._latency = (now, latency_ms if previous is None else 0.8 * previous + 0.2 * latency_ms)
        state = self.state
        if state is CircuitState.half_open or (state is CircuitState.open and ok):
            self.probing = False
            if ok:
                self.outcomes.clear()
                self._failures = 0
                self.cooldown_s = self.settings.cooldown_s
                self._set(CircuitState.closed)
            else:
                self.cooldown_s = min(self.cooldown_s * 2, self.settings.max_cooldown_s)
                self._open()
            return
        if len(self.outcomes) >= self.settings.window:
            self._drop_oldest()
        self.outcomes.append((now, ok))
        self._failures += not ok
        if state is CircuitState.closed and self._recent() >= self.settings.min_calls and \
                self.failure_rate >= self.settings.failure_rate:
            self._open()

    def _open(self) -> None:
        self.opened_at = self.clock()
        self._set(CircuitState.open)

    def _set(self, state: CircuitState) -> None:
        self._state = state
        CIRCUIT.labels(self.name).set(_GAUGE[state])


class Health:
    """The breakers of every provider of this process, and the order to try them in."""

    def __init__(self, names: Iterable[str], settings: BreakerSettings,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.breakers = {name: CircuitBreaker(name, settings, clock) for name in names}

    def __getitem__(self, name: str) -> CircuitBreaker:
        return self.breakers[name]

    def order(self, names: list[str], avoid: set[str] = frozenset()) -> list[tuple[str, bool]]:
        """(provider, forced) pairs in the order to try them for one message. `avoid`: providers that already failed
        this message, tried only after the others. Open providers are left out unless nothing else is left, then
        tried as a forced probe, the one whose cool-down ends first leading."""
        ready = [n for n in names if self.breakers[n].available()]
        ranked = sorted(ready, key=lambda n: (n in avoid, self.breakers[n].degraded, names.index(n)))
        if ranked:
            return [(n, False) for n in ranked]
        closed_soonest = sorted(names, key=lambda n: (n in avoid, self.breakers[n].opened_at
                                                      + self.breakers[n].cooldown_s))
        return [(n, True) for n in closed_soonest]

    def snapshot(self) -> dict[str, dict[str, object]]:
        return {n: {"state": b.state.value, "failure_rate": round(b.failure_rate, 3),
                    "latency_ms": None if b.latency_ms is None else round(b.latency_ms, 1)}
                for n, b in self.breakers.items()}
