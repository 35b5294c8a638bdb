"""The faulted twin's faults, on a seeded schedule (`random.Random(seed)`: the same seed, the same schedule):

- each service's worker killed with SIGKILL in turn, a moment into a step, and started again a moment later;
- the broker stopped for 30 s during a step and brought back (`Stack.restart_broker`: a new, empty cluster, the
  topics created again, the workers restarted);
- PostgreSQL restarted once, at a step boundary (the scenario waits for it, as a client would).

Each fault is placed before a random step of the month (`month.STEPS`, or the checks) and they never overlap (one
lock). Blocking stack operations run on one thread of the fixture's own (`executor`), which lives as long as the stack:
children die with the thread that started them (`devstack.processes`).

Duplicates: the consumers count every event the inbox found applied already (`consumer_events_total{outcome=
"duplicate"}` on each worker's /metrics); each worker is read just before it is killed or restarted, so the totals
are the sum over its lives (a lower bound: increments between the last read and a SIGKILL are lost).
"""

from __future__ import annotations

import asyncio
import random
import re
import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from devstack.config import SERVICES
from devstack.stack import Child, Stack
from tests.tax_month.month import STEPS

BROKER_OUTAGE_S = 30.0
# step 0 (the reference data) is left out: the same seed keeps the same schedule as before it was added
POINTS = [name for name, _ in STEPS if not name.startswith("0 ")] + ["7 checks"]
_METRIC = re.compile(r'^consumer_events_total\{consumer="([^"]+)",outcome="([^"]+)"\} ([0-9.e+]+)$', re.M)


@dataclass
class Injected:
    step: str
    kind: str
    started_s: float  # since the month started
    lasted_s: float


@dataclass
class Faults:
    stack: Stack
    seed: int
    executor: ThreadPoolExecutor
    plan: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    injected: list[Injected] = field(default_factory=list)
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (group, outcome), over past lives
    live: dict[str, Counter[tuple[str, str]]] = field(default_factory=dict)  # per worker, its current life
    started: float = field(default_factory=time.monotonic)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _lock: asyncio.Lock | None = None

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        kinds = [f"kill {s}-worker" for s in SERVICES] + ["stop broker", "restart postgres"]
        for kind in kinds:
            self.plan.setdefault(rng.choice(POINTS), []).append((kind, round(rng.uniform(0.0, 2.0), 2)))
        self.rng = rng

    def schedule(self) -> list[str]:
        return [f"{point}: {kind} after {delay}s" for point in POINTS for kind, delay in self.plan.get(point, [])]

    # -- the hook the month awaits before each step -------------------------------------------------------------
    async def at(self, step: str) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        for kind, delay in self.plan.get(step, []):
            if kind == "restart postgres":
                await self._inject(step, kind, 0.0)
            else:
                self._tasks.append(asyncio.create_task(self._inject(step, kind, delay)))
        if step == "7 checks":
            await asyncio.gather(*self._tasks)

    async def read_counters(self) -> None:
        """Every worker's consumer counts, once the checks found everything applied."""
        for service in SERVICES:
            await self._read(service)

    async def _inject(self, step: str, kind: str, delay: float) -> None:
        assert self._lock is not None
        await asyncio.sleep(delay)
        async with self._lock:
            began = time.monotonic()
            if kind.startswith("kill "):
                await self._kill(kind.removeprefix("kill ").removesuffix("-worker"))
            elif kind == "stop broker":
                await self._broker_outage()
            else:
                await self._postgres()
            self.injected.append(Injected(step, kind, began - self.started, time.monotonic() - began))

    async def _run(self, fn, *args) -> None:  # type: ignore[no-untyped-def]
        await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def _worker(self, service: str) -> Child:
        return next(c for c in self.stack.children if c.name == f"{service}-worker")

    async def _kill(self, service: str) -> None:
        child = self._worker(service)
        assert child.proc is not None and child.proc.poll() is None, f"{child.name} is not running"
        await self._read(service, retire=True)
        child.proc.send_signal(signal.SIGKILL)
        await self._run(child.proc.wait, 10)
        await asyncio.sleep(self.rng.uniform(0.5, 3.0))  # down for a moment: events pile up
        await self._run(child.start)

    async def _broker_outage(self) -> None:
        broker = self.stack.broker
        assert broker is not None, "the faulted twin needs the embedded broker"
        await self._run(broker.stop)
        await asyncio.sleep(BROKER_OUTAGE_S)
        for service in SERVICES:  # restart_broker restarts every worker
            await self._read(service, retire=True)
        await self._run(self.stack.restart_broker)

    async def _postgres(self) -> None:
        postgres = self.stack.postgres
        assert postgres is not None, "the faulted twin needs the embedded PostgreSQL"
        await self._run(postgres.stop)
        await asyncio.sleep(self.rng.uniform(2.0, 6.0))
        await self._run(postgres.start)

    # -- duplicates seen by the inboxes -------------------------------------------------------------------------
    async def _read(self, service: str, *, retire: bool = False) -> None:
        """This worker's consumer counts; `retire`: it is about to die, so bank them."""
        try:
            async with httpx.AsyncClient(timeout=5) as http:
                text = (await http.get(f"{self.stack.config.worker_url(service)}/metrics")).text
            self.live[service] = Counter({(g, o): float(n) for g, o, n in _METRIC.findall(text)})
        except httpx.HTTPError:
            pass  # not up (restarting): its last reading stands
        if retire:
            self.outcomes.update(self.live.pop(service, Counter()))

    def totals(self) -> Counter[tuple[str, str]]:
        total = Counter(self.outcomes)
        for counts in self.live.values():
            total.update(counts)
        return total

    def report(self) -> list[str]:
        total = self.totals()
        duplicates = {g: int(n) for (g, o), n in sorted(total.items()) if o == "duplicate" and n}
        return [f"seed {self.seed}: {len(self.injected)} faults injected",
                *(f"  {f.step}: {f.kind} at {f.started_s:.1f}s, {f.lasted_s:.1f}s" for f in self.injected),
                f"duplicates seen and suppressed by the inboxes: {sum(duplicates.values())} {duplicates}",
                f"events applied (consumer counters): {int(sum(n for (_, o), n in total.items() if o == 'applied'))}"]
