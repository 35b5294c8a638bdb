"""CPU accounting from /proc (Linux): what this process, the broker, the machine, and everyone else used."""

from __future__ import annotations

import os
from pathlib import Path
from time import perf_counter

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class CpuMeter:
    """CPU used over a span, in cores: this Python process, the broker process, the whole machine (/proc/stat)."""

    def __init__(self, broker_pid: int | None = None) -> None:
        self.broker_pid = broker_pid
        self._start: tuple[float, float, float, tuple[int, int]] = (0.0, 0.0, 0.0, (0, 0))

    def start(self) -> CpuMeter:
        t = os.times()
        self._start = (perf_counter(), t.user + t.system, process_seconds(self.broker_pid), machine_ticks())
        return self

    def stop(self) -> tuple[float, float]:
        """(this process in % of one core, machine busy in % of all cores)."""
        use = self.use()
        return 100 * use["this process"], 100 * use["machine"] / (os.cpu_count() or 1)

    def use(self) -> dict[str, float]:
        wall0, proc0, broker0, (busy0, total0) = self._start
        t = os.times()
        wall = perf_counter() - wall0
        busy1, total1 = machine_ticks()
        cores = os.cpu_count() or 1
        machine = cores * (busy1 - busy0) / (total1 - total0) if total1 > total0 else float("nan")
        return {
            "wall": wall,
            "this process": (t.user + t.system - proc0) / wall,
            "broker": (process_seconds(self.broker_pid) - broker0) / wall,
            "machine": machine,
        }


def process_seconds(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot; busy is everything but idle and iowait."""
    fields = _cpu_fields()
    idle = fields[3] + fields[4]
    return sum(fields[:8]) - idle, sum(fields[:8])


def process_ticks() -> int:
    """Jiffies all CPUs spent running processes (user + nice + system): what per-process accounting can explain."""
    fields = _cpu_fields()
    return fields[0] + fields[1] + fields[2]


def _cpu_fields() -> list[int]:
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        fields = []
    return fields + [0] * (8 - len(fields))


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def tree_seconds(pid: int | None) -> float:
    """CPU seconds of a process, its reaped children and its live children (one level: PostgreSQL's backends)."""
    if pid is None:
        return 0.0
    try:
        fields = _stat(pid)
    except OSError:
        return 0.0
    total = sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            child = _stat(int(entry.name))
        except OSError:
            continue
        if int(child[1]) == pid:
            total += int(child[11]) + int(child[12])
    return total / _TICK


def _kernel_threads() -> dict[int, int]:
    """utime + stime jiffies of every kernel thread (kthreadd and its children)."""
    threads: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat(int(entry.name))
        except OSError:
            continue
        if entry.name == "2" or fields[1] == "2":
            threads[int(entry.name)] = int(fields[11]) + int(fields[12])
    return threads


class OtherLoad:
    """Cores used by processes that are not ours (machine busy minus this process tree, PostgreSQL, the broker and
    kernel threads), so a run disturbed by something else on the machine says so."""

    def __init__(self) -> None:
        self._wall = perf_counter()
        self._busy = process_ticks()
        self._kernel = _kernel_threads()
        t = os.times()
        self._ours = t.user + t.system + t.children_user + t.children_system

    def cores(self, pids: list[int | None]) -> tuple[float, float]:
        """(cores used by other processes, cores used by kernel threads) on average since the meter started."""
        wall = perf_counter() - self._wall
        busy = (process_ticks() - self._busy) / _TICK
        kernel = sum(ticks - self._kernel.get(pid, 0) for pid, ticks in _kernel_threads().items()) / _TICK
        t = os.times()
        ours = t.user + t.system + t.children_user + t.children_system - self._ours
        ours += sum(tree_seconds(pid) for pid in pids)  # started after this meter: all of their time is in the span
        return max(0.0, (busy - ours - kernel) / wall), kernel / wall
