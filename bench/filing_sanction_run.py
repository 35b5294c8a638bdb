"""filing's sanction run (issue 13, Performance): the Art 7(1) STP for 100,000 taxpayers who did not file their SPT
Masa PPN by its deadline, in < 60 s, each exactly once (a rerun issues nothing), beside a raw PostgreSQL floor
measured in the same run.

- Seeded straight into a fresh filing database (migrated with kit.migrations.upgrade): 100,000 PKP companies
  without the February 2026 return, 10,000 that filed it on time (the run must leave them alone), with the replica
  rows (`taxpayer`, `pkp_status_change`) identity's events would have made.
- Measured: `filing.sanctions.service.run_return_fines` in one transaction, as the officer route and the worker run
  it (one INSERT ... SELECT over the owed returns, then the `STPIssued` outbox rows built by kit.outbox.outbox_row in
  one bulk statement), commit included; then the same run again (must issue 0).
- The floor: one INSERT ... SELECT of 100,000 rows into a table like `stp` (same columns and indexes) and one of
  100,000 rows into a table like `outbox` with a payload of the same size, in one transaction: what PostgreSQL alone
  takes to write what the run writes, without deciding anything or building any event.
- Checked: STPs issued = 100,000 = `STPIssued` rows in the outbox, none for those who filed, 0 on the rerun.

`await run(server_url)` returns rows {name, value, unit, target, ok}; `python -m bench.filing_sanction_run
[server url]` (without a URL it starts a durable embedded PostgreSQL of its own and stops it afterwards).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.infra import migrated_databases
from devstack.postgres import EmbeddedPostgres
from devstack.processes import free_port
from filing.calendar.periods import TaxPeriod
from filing.obligations.kinds import Obligation
from filing.sanctions.service import run_return_fines
from kit.db import create_engine, create_sessionmaker
from kit.settings import DatabaseSettings

LATE = 100_000
FILED = 10_000
PERIOD = TaxPeriod(2026, 2)  # due 31 Mar 2026
RUN_ON = date(2026, 4, 15)
TARGET_S = 60.0


def _row(name: str, value: float, unit: str, target: tuple[str, float] | None = None) -> dict[str, Any]:
    ok = None if target is None else (value >= target[1] if target[0] == ">=" else value < target[1])
    shown = None if target is None else f"{target[0]} {target[1]:,g}"
    return {"name": f"filing: {name}", "value": value, "unit": unit, "target": shown, "ok": ok}


async def run(server_url: str) -> list[dict[str, Any]]:
    async with migrated_databases(server_url, "filing") as [url]:
        return await _measure(url)


async def _measure(url: str) -> list[dict[str, Any]]:
    engine = create_engine(DatabaseSettings(dsn=url, pool_size=2, command_timeout_s=300),
                           application_name="bench.filing")
    sessions = create_sessionmaker(engine)
    try:
        seed_s = await _seed(sessions)
        started = time.perf_counter()
        async with sessions() as session, session.begin():
            first = await run_return_fines(session, obligation=Obligation.SPT_MASA_PPN, period=PERIOD,
                                           today=RUN_ON, trigger="officer")
        run_s = time.perf_counter() - started
        started = time.perf_counter()
        async with sessions() as session, session.begin():
            again = await run_return_fines(session, obligation=Obligation.SPT_MASA_PPN, period=PERIOD,
                                           today=RUN_ON, trigger="officer")
        rerun_s = time.perf_counter() - started
        stps = await _scalar(sessions, "SELECT count(*) FROM stp WHERE period = '2026-02'")
        events = await _scalar(sessions, "SELECT count(*) FROM outbox WHERE event_type = 'STPIssued'")
        filed_fined = await _scalar(sessions, "SELECT count(*) FROM stp s JOIN spt USING (npwp) "
                                              "WHERE s.period = '2026-02'")
        floor_s = await _floor(sessions)
    finally:
        await engine.dispose()
    problems = abs(first.issued - LATE) + abs(stps - LATE) + abs(events - LATE) + filed_fined + again.issued
    return [
        _row(f"seeding {LATE + FILED:,} PKP taxpayers and {FILED:,} filed returns (not measured)", round(seed_s, 1),
             "s"),
        _row(f"sanction run: {first.issued:,} not_filed STPs + STPIssued outbox rows, one transaction",
             round(run_s, 2), "s", ("<", TARGET_S)),
        _row("sanction run rate", round(first.issued / run_s), "STPs/s"),
        _row("rerun of the same deadline (issues nothing)", round(rerun_s, 2), "s"),
        _row(f"raw INSERT ... SELECT of {LATE:,} stp-like + {LATE:,} outbox-like rows (the floor)", round(floor_s, 2),
             "s"),
        _row("sanction run / floor", round(run_s / floor_s, 1), "x"),
        _row("problems: issued != 100,000, STP rows or STPIssued rows != 100,000, a filer fined, a rerun issuing",
             problems, "problems", ("<", 1)),
    ]


async def _seed(sessions: Any) -> float:
    started = time.perf_counter()
    async with sessions() as s, s.begin():
        await s.execute(text(
            "INSERT INTO taxpayer (npwp, taxpayer_id, nitku, name, kind, registered_at, source_sequence) "
            "SELECT '9' || lpad(i::text, 15, '0'), 'tp-' || i, '9' || lpad(i::text, 15, '0') || '000000', "
            "'PT Bench ' || i, 'company', '2024-01-10T03:00:00Z', 1 FROM generate_series(1, CAST(:n AS int)) AS i"),
            {"n": LATE + FILED})
        await s.execute(text(
            "INSERT INTO pkp_status_change (taxpayer_id, source_sequence, effective_date, is_pkp, npwp, event_id) "
            "SELECT 'tp-' || i, 2, DATE '2025-01-01', true, '9' || lpad(i::text, 15, '0'), gen_random_uuid() "
            "FROM generate_series(1, CAST(:n AS int)) AS i"), {"n": LATE + FILED})
        await s.execute(text(
            "INSERT INTO spt (id, npwp, form, period, version, status, filed_at) "
            "SELECT gen_random_uuid(), '9' || lpad(i::text, 15, '0'), 'spt_masa_ppn', '2026-02', 0, 'filed', "
            "TIMESTAMPTZ '2026-03-20T03:00:00Z' FROM generate_series(CAST(:a AS int), CAST(:b AS int)) AS i"),
            {"a": LATE + 1, "b": LATE + FILED})
    async with sessions() as s, s.begin():  # committed: statistics written in a rolled-back transaction vanish
        await s.execute(text("ANALYZE"))
    return time.perf_counter() - started


async def _floor(sessions: Any) -> float:
    payload = json.dumps({"id": str(uuid.uuid4()), "type": "STPIssued", "data": {"x": "y" * 600}})
    async with sessions() as s, s.begin():
        await s.execute(text("CREATE TABLE floor_stp (LIKE stp INCLUDING ALL)"))
        await s.execute(text("CREATE TABLE floor_outbox (LIKE outbox INCLUDING ALL)"))
    started = time.perf_counter()
    async with sessions() as s, s.begin():
        await s.execute(text(
            "INSERT INTO floor_stp (id, number, npwp, reason, basis, kap_kjs, amount, form, period, issued_on, "
            "due_date) SELECT gen_random_uuid(), 'F-' || i, '8' || lpad(i::text, 15, '0'), 'not_filed', "
            "'UU KUP Art 7(1)', '411211-300', 500000, 'spt_masa_ppn', '2026-02', DATE '2026-04-15', "
            "DATE '2026-05-18' FROM generate_series(1, CAST(:n AS int)) AS i"), {"n": LATE})
        await s.execute(text(
            "INSERT INTO floor_outbox (id, topic, key, aggregate_type, aggregate_id, event_type, event_version, "
            "payload, headers) SELECT gen_random_uuid(), 'filing.events', '8' || lpad(i::text, 15, '0'), 'stp', "
            "i::text, 'STPIssued', 1, CAST(:p AS jsonb), '{}'::jsonb FROM generate_series(1, CAST(:n AS int)) AS i"),
            {"n": LATE, "p": payload})
    return time.perf_counter() - started


async def _scalar(sessions: Any, sql: str) -> int:
    async with sessions() as s:
        return int((await s.execute(text(sql))).scalar_one())




def main(argv: list[str]) -> int:
    workdir: Path | None = None
    postgres: EmbeddedPostgres | None = None
    try:
        if argv:
            server_url = argv[0]
        else:
            workdir = Path(tempfile.mkdtemp(prefix="lontar-bench-filing-"))
            postgres = EmbeddedPostgres(workdir / "postgres", port=free_port(), durable=True)
            postgres.start()
            server_url = postgres.url()
        rows = asyncio.run(run(server_url))
    except KeyboardInterrupt:
        return 130
    finally:
        if postgres is not None:
            postgres.stop()
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    for row in rows:
        print(f"{row['name']:<100} {row['value']:>12,} {row['unit']:<10} {row['target'] or ''}"
              f"{'' if row['ok'] is None else ('  ok' if row['ok'] else '  FAIL')}")
    return 0 if all(r["ok"] is not False for r in rows) else 1


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.WARNING)
    sys.exit(main(sys.argv[1:]))
