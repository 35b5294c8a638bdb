"""A phase's span and what the machine did in it: wall time from its start to the users' last answer and to the
moment the system settled (no outbox backlog, no consumer lag), CPU of each process of the stack, of this process
(the load generator) and of the machine, and the events published in it."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

from bench.machine import machine_ticks, process_seconds, process_ticks, tree_seconds
from bench.tax_month.sampler import Sampler

_TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pids: dict[str, int]) -> dict[str, float]:
    seconds = {name: (tree_seconds(pid) if name == "postgres" else process_seconds(pid)) for name, pid in pids.items()}
    t = os.times()
    seconds["load generator (this process)"] = t.user + t.system
    return seconds


@dataclass
class Phase:
    name: str
    pids: dict[str, int]
    started: float = field(default_factory=time.time)
    users_done: float = 0.0
    settled: float = 0.0
    _cpu0: dict[str, float] = field(default_factory=dict)
    _machine0: tuple[int, int] = (0, 0)
    _processes0: int = 0
    cpu_s: dict[str, float] = field(default_factory=dict)
    machine_cores: float = 0.0
    other_cores: float = 0.0  # processes that are not the stack's nor this one: someone else's load
    cpu_wall_s: float = 0.0  # the span the CPU figures cover: start to the settling sample's reading

    def __post_init__(self) -> None:
        self._cpu0, self._machine0, self._processes0 = _cpu(self.pids), machine_ticks(), process_ticks()

    def users_finished(self) -> None:
        self.users_done = time.time()

    def settle(self, at: float) -> None:
        """The system settled at `at` (time.time()); the CPU is read now, a sample interval or two later."""
        self.settled = max(at, self.users_done)
        end = time.time()
        wall = self.cpu_wall_s = end - self.started
        now = _cpu(self.pids)
        self.cpu_s = {name: now[name] - self._cpu0.get(name, 0.0) for name in now}
        busy0, total0 = self._machine0
        busy1, total1 = machine_ticks()
        cores = os.cpu_count() or 1
        self.machine_cores = cores * (busy1 - busy0) / (total1 - total0) if total1 > total0 else 0.0
        running = (process_ticks() - self._processes0) / _TICK
        self.other_cores = max(0.0, running - sum(self.cpu_s.values())) / wall

    @property
    def users_s(self) -> float:
        return self.users_done - self.started

    @property
    def settled_s(self) -> float:
        return self.settled - self.started

    def flow(self, sampler: Sampler) -> dict[str, Any]:
        published = sampler.published_between(self.started, self.settled)
        consumed = sampler.consumed_between(self.started, self.settled)
        total = sum(published.values())
        return {
            "consumed": consumed,
            "consumed_per_s": consumed / self.settled_s if self.settled_s > 0 else 0.0,
            "published": published,
            "events_per_s": total / self.settled_s if self.settled_s > 0 else 0.0,
            "events_per_s_by_service": {s: n / self.settled_s for s, n in published.items()} if self.settled_s
            else {},
            "peak_lag": sampler.peak_lag(self.started, self.settled),
            "peak_outbox_backlog": sampler.peak_pending(self.started, self.settled),
            "samples": len(sampler.between(self.started, self.settled)),
        }
