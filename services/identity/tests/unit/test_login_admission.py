"""The login gate and the hashing pool's size, without I/O."""

from __future__ import annotations

import os
import threading

import pytest

from identity.passwords import LoginOverloaded, Passwords, available_cores
from identity.settings import LoginSettings

CHEAP = {"argon2_memory_kib": 1024, "argon2_time_cost": 1}


async def test_past_workers_plus_queue_a_login_is_refused_and_every_slot_comes_back() -> None:
    passwords = Passwords(LoginSettings(**CHEAP, hash_workers=2, max_queued=1, overloaded_retry_after_s=2))
    try:
        async with passwords.admitted(), passwords.admitted(), passwords.admitted():
            assert passwords.in_flight == 3
            with pytest.raises(LoginOverloaded) as refused:
                async with passwords.admitted():
                    pass
            assert refused.value.status == 503 and refused.value.details == {"retry_after": 2}
        assert (passwords.in_flight, passwords.shed) == (0, 1)
        with pytest.raises(ValueError):  # a login that fails gives its slot back too
            async with passwords.admitted():
                raise ValueError
        assert passwords.in_flight == 0
        assert await passwords.verify(await passwords.hash("Rahasia123"), "Rahasia123")
        assert not await passwords.verify(None, "Rahasia123")
    finally:
        passwords.close()


@pytest.mark.parametrize("cpu_max, expected", [
    ("max 100000", None),  # no quota: the affinity
    ("150000 100000", 2),  # 1.5 cores: 2 threads
    ("50000 100000", 1),
    (None, None),  # no cgroup file
])
def test_the_pool_is_sized_to_the_cores_the_process_may_use(tmp_path, cpu_max, expected) -> None:
    path = tmp_path / "cpu.max"
    if cpu_max is not None:
        path.write_text(cpu_max + "\n")
    cores = len(os.sched_getaffinity(0))
    assert available_cores(path) == min(cores, expected or cores)


async def test_hashing_threads_run_below_the_event_loops_priority() -> None:
    def nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    loop_nice = nice()
    passwords = Passwords(LoginSettings(**CHEAP, hash_nice=max(7, loop_nice)))
    try:
        assert await passwords._run(nice) == max(7, loop_nice) and nice() == loop_nice
    finally:
        passwords.close()


def test_hash_workers_overrides_the_core_count_and_the_queue_is_per_worker_unless_set() -> None:
    passwords = Passwords(LoginSettings(**CHEAP, hash_workers=3))
    assert (passwords.workers, passwords.capacity) == (3, 3 + 4 * 3)
    passwords.close()
    passwords = Passwords(LoginSettings(**CHEAP, max_queued=0))
    assert (passwords.workers, passwords.capacity) == (available_cores(), available_cores())
    passwords.close()
