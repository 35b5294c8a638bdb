import random

import pytest

from notification.backoff import backoff_delay


def test_delays_double_up_to_the_cap_with_jitter_in_the_upper_half() -> None:
    rng = random.Random(7)
    for retry, nominal in [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 30), (20, 30), (500, 30)]:
        for _ in range(50):
            delay = backoff_delay(retry, base_s=1, cap_s=30, rng=rng)
            assert nominal / 2 <= delay <= nominal


def test_jitter_spreads_retries() -> None:
    delays = {round(backoff_delay(4, base_s=1, cap_s=60), 6) for _ in range(20)}
    assert len(delays) > 10


def test_retry_counts_from_one() -> None:
    with pytest.raises(ValueError):
        backoff_delay(0, base_s=1, cap_s=10)
