from notification.health import CircuitBreaker, CircuitState, Health
from notification.settings import BreakerSettings

SETTINGS = BreakerSettings(window=10, window_s=60, min_calls=4, failure_rate=0.5, cooldown_s=30,
                           max_cooldown_s=100, slow_ms=1000)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_closed_until_the_failure_rate_is_reached_over_enough_calls() -> None:
    clock = Clock()
    breaker = CircuitBreaker("a", SETTINGS, clock)
    for ok in (False, True, False):
        breaker.record(ok)
    assert breaker.state is CircuitState.closed  # 3 calls < min_calls
    breaker.record(False)
    assert breaker.state is CircuitState.open and not breaker.available() and not breaker.acquire()
    assert breaker.acquire(force=True)  # a forced probe is still possible


def test_half_open_lets_one_probe_through_and_its_outcome_decides() -> None:
    clock = Clock()
    breaker = CircuitBreaker("a", SETTINGS, clock)
    for _ in range(4):
        breaker.record(False)
    clock.now += 30
    assert breaker.state is CircuitState.half_open and breaker.available()
    assert breaker.acquire() and not breaker.acquire()  # one probe at a time
    breaker.record(False)  # the probe failed: open again, for twice as long
    assert breaker.state is CircuitState.open and breaker.cooldown_s == 60
    clock.now += 59
    assert breaker.state is CircuitState.open
    clock.now += 1
    assert breaker.acquire()
    breaker.record(True)
    assert breaker.state is CircuitState.closed and breaker.cooldown_s == 30 and breaker.failure_rate == 0


def test_cooldown_is_capped() -> None:
    clock = Clock()
    breaker = CircuitBreaker("a", SETTINGS, clock)
    for _ in range(4):
        breaker.record(False)
    for _ in range(5):
        clock.now += breaker.cooldown_s
        assert breaker.acquire()
        breaker.record(False)
    assert breaker.cooldown_s == 100


def test_old_failures_and_latency_are_forgotten() -> None:
    clock = Clock()
    breaker = CircuitBreaker("a", SETTINGS, clock)
    breaker.record(False, latency_ms=3000)
    assert breaker.degraded and breaker.latency_ms == 3000
    clock.now += 61
    assert not breaker.degraded and breaker.failure_rate == 0 and breaker.latency_ms is None


def test_routing_prefers_healthy_then_degraded_then_already_failed_and_skips_open() -> None:
    clock = Clock()
    health = Health(["a", "b", "c"], SETTINGS, clock)
    assert health.order(["a", "b", "c"]) == [("a", False), ("b", False), ("c", False)]
    health["a"].record(True, latency_ms=2500)  # slow
    assert [n for n, _ in health.order(["a", "b", "c"])] == ["b", "c", "a"]
    assert [n for n, _ in health.order(["a", "b", "c"], avoid={"b"})] == ["c", "a", "b"]
    for _ in range(4):
        health["c"].record(False)
    assert [n for n, _ in health.order(["a", "b", "c"])] == ["b", "a"]  # c is open: skipped


def test_when_every_circuit_is_open_the_soonest_to_close_is_probed_anyway() -> None:
    clock = Clock()
    health = Health(["a", "b"], SETTINGS, clock)
    for _ in range(4):
        health["a"].record(False)
    clock.now += 10
    for _ in range(4):
        health["b"].record(False)
    assert health.order(["a", "b"]) == [("a", True), ("b", True)]
