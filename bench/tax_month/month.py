"""The tax month end to end at national shape, scaled to this machine: the stack as `make run` starts it, its users
over HTTP, the phases timed, the flow sampled, the books reconciled at the end. `await month(config)` returns the
report; `python -m bench.tax_month` prints it and writes `.bench/results.json` (key `tax_month`)."""

from __future__ import annotations

import json
import logging
import os
import platform
import statistics
import sys
import time
import traceback
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.report import Report, percentile
from bench.tax_month.checks import Check, end_of_month
from bench.tax_month.client import Http
from bench.tax_month.deadline import file_before_the_deadline
from bench.tax_month.floors import insert_rate, producer_rate
from bench.tax_month.invoices import sign_the_month
from bench.tax_month.months import Plan
from bench.tax_month.phases import Phase
from bench.tax_month.sampler import Sampler
from bench.tax_month.sanctions import run_sanctions
from bench.tax_month.stack import RunningStack, running_stack
from bench.tax_month.taxpayers import set_up
from devstack.config import SERVICES
from kit.clock import Clock

log = logging.getLogger(__name__)
SETTLE_TIMEOUT_S = 900
RESULTS = Path(__file__).resolve().parents[2] / ".bench" / "results.json"


@dataclass(frozen=True)
class Config:
    taxpayers: int = 1_000
    invoices_per_taxpayer: int = 100
    lines: int = 5
    late_share: float = 0.05
    setup_concurrency: int = 16
    upload_concurrency: int = 4
    filing_concurrency: int = 32
    sample_interval_s: float = 0.5

    @property
    def invoices(self) -> int:
        return self.taxpayers * self.invoices_per_taxpayer


def progress(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


async def month(config: Config) -> Report:
    for noisy in ("httpx", "aiokafka"):  # a service module imported before may have set INFO
        logging.getLogger(noisy).setLevel(logging.WARNING)
    report = Report()
    began, started_at, load_before = time.monotonic(), datetime.now(UTC), os.getloadavg()
    plan = Plan.for_day(Clock().today())
    progress(f"starting the stack (durable PostgreSQL); month {plan.month}, late month {plan.late}")
    async with running_stack(keep_logs=RESULTS.parent / "tax_month_logs") as stack:
        ready_s = time.monotonic() - began
        http = Http.open()
        sampler = Sampler(stack, interval=config.sample_interval_s)
        await sampler.start()
        try:
            meta = await _run(stack, http, sampler, plan, config, report)
        finally:
            await sampler.stop()
            await http.close()
    duration = time.monotonic() - began
    load_after = os.getloadavg()
    report.header = [
        f"Lontar tax month  started {started_at:%Y-%m-%d %H:%M:%S} UTC, took {duration:.0f} s "
        f"(stack ready in {ready_s:.0f} s)",
        f"machine:  nproc {os.cpu_count()}, {platform.platform()}; load average before "
        f"{load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f}, after "
        f"{load_after[0]:.2f} / {load_after[1]:.2f} / {load_after[2]:.2f} (1/5/15 min)"
        + ("  << SHARED MACHINE: compare ratios, not absolutes" if load_before[0] > 1.0 else ""),
        "stack:    devstack Stack as `make run` starts it: 5 APIs (uvicorn, 1 process each) + 5 workers, durable "
        "embedded PostgreSQL (fsync on), embedded Tansu broker, sandboxes; driven over HTTP only",
        f"workload: {config.taxpayers:,} PKP taxpayers x {config.invoices_per_taxpayer} invoices x {config.lines} "
        f"lines = {config.invoices:,} invoices of {plan.month}; SPT Masa PPN {plan.month} filed (kurang bayar, "
        f"paid at the bank sandbox); {meta['late']} late taxpayers ({config.late_share:.0%}) never file "
        f"{plan.late}; clients: {config.upload_concurrency} uploading, {config.filing_concurrency} filing",
        f"today:    {plan.today} (Jakarta); deadline of {plan.month}: {meta['deadlines'].get(str(plan.month))}, "
        f"of {plan.late}: {meta['deadlines'].get(str(plan.late))}"
        + ("; after the 20th the month's invoices are signed late (Art 14(4))" if plan.today.day > 20 else ""),
    ]
    report.meta.update({"started_at": started_at.isoformat(), "duration_s": duration, "stack_ready_s": ready_s,
                        "load_average_before": load_before, "load_average_after": load_after,
                        "config": asdict(config), "plan": {"today": plan.today.isoformat(),
                                                           "month": str(plan.month), "late": str(plan.late)},
                        **meta})
    return report


async def _run(stack: RunningStack, http: Http, sampler: Sampler, plan: Plan, config: Config,
               report: Report) -> dict[str, Any]:
    meta: dict[str, Any] = {"deadlines": await _deadlines(stack, http, plan)}
    pids = stack.pids()

    progress("floors: single-row INSERT transactions, raw producer")
    insert_floor = await insert_rate(stack, concurrency=config.filing_concurrency // 2)
    producer_floor = await producer_rate(stack)

    progress(f"setup: {config.taxpayers:,} taxpayers register, become PKP, log in, get a Kode Otorisasi")
    setup_phase = Phase("setup", pids)
    people, setup = await set_up(stack, http, plan, config.taxpayers, config.late_share, config.setup_concurrency)
    setup_phase.users_finished()
    setup_phase.settle(await sampler.wait_settled(time.time(), SETTLE_TIMEOUT_S))
    meta["late"] = sum(1 for t in people.taxpayers if t.late)
    report.add(f"setup (not part of the month): {setup.registered:,} taxpayers registered, PKP, logged in, "
               "Kode Otorisasi", setup_phase.settled_s, "s")
    for step, values in setup.steps_s.items():
        report.add(f"{step}: p50 / p99 per taxpayer", 1000 * statistics.median(values), "ms", detail=True,
                   note=f"p99 {1000 * percentile(values, 99):,.0f} ms")
    report.add("floor: single-row INSERT transactions/s (same server, durable)", insert_floor, "tx/s",
               note=f"{config.filing_concurrency // 2} connections")
    report.add("floor: raw aiokafka producer (same broker, acks awaited)", producer_floor, "events/s")

    phases: dict[str, Any] = {}
    sanctions_ran = False
    try:
        progress(f"the month: {config.invoices:,} invoices uploaded and signed")
        invoices_phase = Phase("invoices", pids)
        signed = await sign_the_month(people, plan, config.invoices_per_taxpayer, config.lines,
                                      config.upload_concurrency)
        invoices_phase.users_finished()
        progress("  waiting for the system to settle")
        invoices_phase.settle(await sampler.wait_settled(invoices_phase.users_done, SETTLE_TIMEOUT_S))
        report.add(f"1. the month: {signed.signed:,} invoices uploaded (Coretax XML) and signed, "
                   f"{config.taxpayers:,} jobs", invoices_phase.users_s, "s")
        report.add("invoices signed per second (users' view)", signed.signed / invoices_phase.users_s, "inv/s",
                   detail=True)
        report.add("until every consumer applied the last event (no lag, no backlog)", invoices_phase.settled_s, "s",
                   detail=True)
        _latencies(report, {"upload to results": signed.upload_s, "signing job to completed": signed.signing_s})
        phases["invoices"] = {**_phase_meta(invoices_phase), "figures": asdict(signed),
                              **_flow(report, sampler, invoices_phase, producer_floor)}

        progress(f"the last hour: {config.taxpayers:,} SPT Masa PPN read, submitted, paid, filed")
        deadline_phase = Phase("deadline", pids)
        filed = await file_before_the_deadline(people, plan, config.invoices_per_taxpayer, config.lines,
                                               config.filing_concurrency)
        deadline_phase.users_finished()
        progress("  waiting for the system to settle")
        deadline_phase.settle(await sampler.wait_settled(deadline_phase.users_done, SETTLE_TIMEOUT_S))
        report.add(f"2. the last hour: {filed.filed:,} SPT Masa PPN prefilled, submitted, paid at the bank, filed "
                   "with a receipt", deadline_phase.users_s, "s")
        spt_rate = filed.filed / deadline_phase.users_s
        report.add("returns filed per second (users' view)", spt_rate, "SPT/s", detail=True,
                   note=f"{spt_rate / insert_floor:.3f} of the INSERT floor")
        report.add("returns an hour at that rate (one stack like this one)", spt_rate * 3600, "SPT", detail=True)
        report.add("until every consumer applied the last event", deadline_phase.settled_s, "s", detail=True)
        report.add("prefilled returns differing from the invoices signed", len(filed.prefill_mismatches), "returns",
                   detail=True, target=("<=", 0))
        _latencies(report, filed.steps_s)
        phases["deadline"] = {**_phase_meta(deadline_phase),
                              "figures": {**asdict(filed), "receipts": len(filed.receipts), "ntpns": len(filed.ntpns)},
                              **_flow(report, sampler, deadline_phase, producer_floor)}

        progress(f"the late ones: sanction run of {plan.late}")
        sanctions_phase = Phase("sanctions", pids)
        sanctions = await run_sanctions(people, plan, config.filing_concurrency)
        sanctions_phase.users_finished()
        sanctions_phase.settle(await sampler.wait_settled(sanctions_phase.users_done, SETTLE_TIMEOUT_S))
        if sanctions.refused:
            report.add(f"3. the late ones: sanction run of {plan.late} refused", None, "s",
                       note=sanctions.refused)
        else:
            synthetic = sanctions.published_calendar
            report.add(f"3. the late ones: sanction run of {plan.late}, {sanctions.stps} STPs seen at filing, "
                       f"{sanctions.debts} debts at payment", sanctions_phase.users_s, "s",
                       note=f"after publishing a SYNTHETIC {synthetic} calendar (test data)" if synthetic else "")
            report.add("the officer's run answered", sanctions.run_s, "s", detail=True,
                       note=f"issued {sanctions.issued_by_run}")
        phases["sanctions"] = {**_phase_meta(sanctions_phase), "figures": asdict(sanctions),
                               **_flow(report, sampler, sanctions_phase, producer_floor)}
        sanctions_ran = not sanctions.refused

        span = sanctions_phase.settled - invoices_phase.started
        published = sampler.published_between(invoices_phase.started, sanctions_phase.settled)
        report.add("the month's phases 1-3 together (to settled)", span, "s",
                   note=f"{sum(published.values()):,} events published, "
                        f"{sum(published.values()) / span:,.0f} events/s through the system")
        meta["month"] = {"seconds": span, "published": published, "events_per_s": sum(published.values()) / span}
    except Exception as exc:  # a route that broke: the checks below still say what state the month was left in
        log.exception("a phase failed")
        report.add("a phase FAILED: " + f"{type(exc).__name__}: {exc}"[:400], None, "", target=("<=", 0))
        meta["failure"] = traceback.format_exc()
    progress("end-of-month checks")
    checks = await end_of_month(stack, sampler, plan, invoices=config.invoices, taxpayers=config.taxpayers,
                                late=meta["late"], sanctions_ran=sanctions_ran)
    _checks(report, checks)
    report.add("HTTP requests made / retried (429, 503, connection)", http.requests, "requests",
               note=f"{sum(http.retries.values())} retried" + (f": {dict(http.retries.most_common(4))}"
                                                                if http.retries else ""))
    if sampler.errors:
        report.add("samples lost (sampler errors)", sampler.errors, "samples")
    meta.update({
        "floors": {"insert_tx_per_s": insert_floor, "producer_events_per_s": producer_floor},
        "setup": {"seconds": setup_phase.settled_s, "steps_s": setup.steps_s, "cpu_s": setup_phase.cpu_s},
        "phases": phases,
        "checks": [{"name": c.name, "left": c.left, "right": c.right, "ok": c.ok, "note": c.note} for c in checks],
        "consumer_groups": sampler.groups, "unknown_groups": sorted(sampler.unknown_groups),
        "retries": dict(http.retries), "requests": http.requests,
        "lag_method": "records on the group's topic (rows its producer published: outbox_published_total, "
                      "identity's split by topic from its outbox) minus the group's committed offsets at the "
                      "broker (AIOKafkaConsumer.committed with the group's id, never joining)",
        "series": [{"t": round(s.t - sampler.samples[0].t, 2), "pending": s.pending, "published": s.published,
                    "lag": {g: s.lag(g) for g in sampler.groups if s.lag(g)}} for s in sampler.samples],
    })
    return meta


async def _deadlines(stack: RunningStack, http: Http, plan: Plan) -> dict[str, str]:
    out = {}
    for month in (plan.month, plan.late):
        answer = await http.call("GET", f"{stack.api('filing')}/v1/deadlines", what="deadline",
                                 params={"obligation": "spt_masa_ppn", "period": str(month)}, expect=(200, 422))
        body = answer.json()
        out[str(month)] = body.get("effective_date") or body.get("due_date") or str(body.get("code"))
    return out


def _latencies(report: Report, steps: dict[str, list[float]]) -> None:
    for step, values in steps.items():
        if values:
            report.add(f"{step}: p50 per taxpayer", 1000 * statistics.median(values), "ms", detail=True,
                       note=f"p99 {1000 * percentile(values, 99):,.0f} ms, max {1000 * max(values):,.0f} ms")


def _flow(report: Report, sampler: Sampler, phase: Phase, producer_floor: float) -> dict[str, Any]:
    flow = phase.flow(sampler)
    rate = flow["events_per_s"]
    report.add("events/s through the system (outbox rows published by all services / span to settled)", rate,
               "events/s", detail=True,
               note=f"{sum(flow['published'].values()):,} events; {rate / producer_floor:.3f} of the raw producer")
    report.add("events applied or skipped by consumers/s (all groups)", flow["consumed_per_s"], "events/s",
               detail=True, note=f"{flow['consumed']:,} deliveries to {len(sampler.groups)} groups")
    by_service = sorted(((s, flow["events_per_s_by_service"].get(s, 0.0)) for s in SERVICES
                         if flow["published"].get(s)), key=lambda kv: -kv[1])
    report.add("  by service, busiest first", by_service[0][1] if by_service else 0.0, "events/s", detail=True,
               note=", ".join(f"{s} {r:,.0f}" for s, r in by_service))
    peaks = {g: n for g, n in sorted(flow["peak_lag"].items(), key=lambda kv: -kv[1]) if n}
    report.add("peak consumer lag, worst group" + (f" ({next(iter(peaks))})" if peaks else ""),
               max(peaks.values(), default=0), "events", detail=True,
               note=", ".join(f"{g} {n:,}" for g, n in list(peaks.items())[1:6]))
    backlog = {s: n for s, n in flow["peak_outbox_backlog"].items() if n}
    report.add("peak outbox backlog, worst service", max(backlog.values(), default=0), "events", detail=True,
               note=", ".join(f"{s} {n:,}" for s, n in backlog.items()))
    report.add("CPU: machine busy / used by others (not the stack, not this process)", phase.machine_cores, "cores",
               detail=True, note=f"others {phase.other_cores:.2f} cores; top: " + ", ".join(
                   f"{name} {sec / phase.cpu_wall_s:.2f}" for name, sec in
                   sorted(phase.cpu_s.items(), key=lambda kv: -kv[1])[:4]))
    return flow


def _checks(report: Report, checks: list[Check]) -> None:
    passed = sum(1 for c in checks if c.ok)
    report.add("end-of-month checks holding", passed, "checks", target=(">=", len(checks)))
    for c in checks:
        report.add(c.name, _number(c.left), "", detail=True,
                   note=("ok" if c.ok else f"MISMATCH: expected {c.right}") + (f" ({c.note})" if c.note else ""))


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _phase_meta(phase: Phase) -> dict[str, Any]:
    return {"users_s": phase.users_s, "settled_s": phase.settled_s, "cpu_s": phase.cpu_s,
            "machine_cores": phase.machine_cores, "other_cores": phase.other_cores}


_SUMMARY = ("invoices signed per second", "returns filed per second", "events/s through the system",
            "peak consumer lag")


async def run_rows(config: Config | None = None) -> list[dict[str, Any]]:
    """For `python -m bench.services month`: the whole table on stderr, the JSON saved, and the headlines (with
    the rates and peaks under them) as that table's rows."""
    report = await month(config or Config())
    print(report.render(), file=sys.stderr)
    save(report)
    return [{"name": ("  " if r.detail else "") + r.name, "value": r.value, "unit": r.unit,
             "target": None if r.target is None else f"{r.target[0]} {r.target[1]:g}", "ok": r.passed}
            for r in report.rows if not r.detail or r.name.startswith(_SUMMARY)]


def save(report: Report) -> None:
    """Into `.bench/results.json` under `tax_month`, beside what the other benchmarks wrote there."""
    try:
        data = json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    data["tax_month"] = {**report.meta, "header": report.header, "results": [r.as_json() for r in report.rows]}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(data, indent=1, default=str) + "\n")

