"""Legacy debt import figures (issue 14, seed 000 item 16): 1,000,000 debt rows through
`POST /internal/v1/legacy-debts/imports` in < 60 s with the reconciliation report, peak memory < 500 MB.

- The file: 1,000,000 data rows (~100 MB of CSV, written to disk and streamed to the app, never held by the bench),
  about 1 % of them rejects of several kinds (NPWP check digit, amount, date, due before issue, unknown KAP, a period
  on an STP, a repeated reference, a short row); the rest STP/SKP debts by number and PPh 29 debts by year for
  50,000 taxpayers.
- The import: wall time from the POST to the report (debts, ledger recordings and report committed, the debts
  payable), rows/s, the report's totals checked equal to the file's (rows, amounts, imported, rejected per code).
- Its events: the worker's step that writes the imported debts' `DebtRecorded` after the import
  (`debts.service.write_imported_debt_events`, batches of 10,000, one transaction each), run in this process right
  after the POST until none is due: wall time and events/s, and the import plus its events end to end. Then the
  database checked: debts, `DebtRecorded` outbox rows (one per debt) and ledger recordings = the rows imported, and
  `ledger.service.audit_ledger` clean.
- Memory: the process's resident set sampled every 10 ms (/proc/self/statm) while the import runs: its peak, and
  that peak less the resident set just before the POST (what the import itself added). Not tracemalloc (it would
  slow the parse several-fold); `ru_maxrss` (the process's high-water mark) is reported beside it.
- The same file again: nothing new imported (every valid row "already imported"), wall time.
- The floor: COPY of the same number of debt rows (time-ordered ids, as the import makes them) plus their ledger
  accounts and transfer rows (asyncpg copy_records_to_table, one transaction, same tables, indexes and foreign keys)
  into a fresh database: what PostgreSQL alone takes to store what the import stores before its report, and the
  import's share of it.

Measured in-process through the payment ASGI app (httpx ASGITransport: routing, auth, the body spooled, the use
case, its transaction), against a fresh database migrated with kit.migrations.upgrade, dropped at the end: on a
durable PostgreSQL of its own started with the server parameters the deploy gives payment's database
(`deploy/k8s/overlays/prod/postgres.yaml`, payment-db: shared_buffers, max_wal_size), or on `server_url` when given.
`await run()` returns rows {name, value, unit, target, ok};
`python -m bench.payment_legacy_import [rows] [server url]`.
"""

from __future__ import annotations

import asyncio
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import text

from bench.infra import drop_databases
from devstack.postgres import EmbeddedPostgres, ensure_databases
from devstack.processes import free_port
from kit.auth import JWKSCache
from kit.db import UnitOfWork, create_engine, create_sessionmaker
from kit.identifiers import luhn_ok
from kit.migrations import upgrade
from kit.settings import DatabaseSettings, KafkaSettings
from kit.testing.service import api_client
from kit.testing.tokens import TokenMaker
from payment.debts.service import write_imported_debt_events
from payment.ledger.accounts import IDR_LEDGER, KIND_RULES, AccountKind, account_id, liability_key, state_revenue_key
from payment.ledger.ids import time_ordered_id
from payment.ledger.postings import debt_key
from payment.ledger.rules import TransferCode, transfer_id
from payment.ledger.service import audit_ledger
from payment.main import create_app
from payment.settings import LegacyImportSettings, PaymentSettings

ROWS = 1_000_000
TAXPAYERS = 50_000
REJECT_EVERY = 100  # one row in a hundred is a reject
PATH = "/internal/v1/legacy-debts/imports"
HEADER = "npwp,kap_kjs,period,assessment_number,amount,issued_on,due_date,legacy_reference\r\n"
# (kap_kjs, by assessment number?) of the valid rows, in turn
SUBJECTS = [("411211-300", True), ("411121-310", True), ("411126-320", True), ("411125-300", True),
            ("411211-310", True), ("411125-200", False), ("411126-200", False)]
REJECTS = ["legacy_debt.npwp_invalid", "billing.amount_invalid", "legacy_debt.date_invalid",
           "legacy_debt.due_before_issue", "billing.kap_unknown", "billing.period_not_applicable",
           "legacy_debt.reference_repeated", "legacy_debt.columns"]
MAKER = TokenMaker()


def _npwps(n: int) -> list[str]:
    out = []
    for i in range(n):
        head = f"{10_000_000 + i * 37:08d}"
        check = next(d for d in "0123456789" if luhn_ok(head + d))
        out.append(f"0{head}{check}{i % 10**6:06d}")
    return out


def write_legacy_csv(path: Path, rows: int, tag: str = "B") -> dict[str, Any]:
    """Write the file; answer what it holds: rows, their amounts, the valid rows and their amounts, rejects by
    code. Written in blocks, so the bench never holds the file."""
    npwps = _npwps(TAXPAYERS)
    valid_rows, valid_amount, file_amount = 0, Decimal(0), Decimal(0)
    rejects: Counter[str] = Counter()
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        block: list[str] = []
        for i in range(rows):
            npwp = npwps[i % TAXPAYERS]
            kap_kjs, by_number = SUBJECTS[i % len(SUBJECTS)]
            number = f"{i:08d}/{i % 997:03d}/19/{i % 300:03d}/20" if by_number else ""
            period = "" if by_number else str(2015 + i % 9)
            amount = 100_000 + (i * 7_919) % 50_000_000
            issued = date(2016, 1, 1) + timedelta(days=i % 2_500)
            due = issued + timedelta(days=30)
            reference = f"{tag}{i:09d}"
            fields = [npwp, kap_kjs, period, number, str(amount), issued.isoformat(), due.isoformat(), reference]
            if i % REJECT_EVERY == REJECT_EVERY // 2:
                code = REJECTS[(i // REJECT_EVERY) % len(REJECTS)]
                if code == "legacy_debt.npwp_invalid":
                    fields[0] = npwp[:9] + str((int(npwp[9]) + 1) % 10) + npwp[10:]
                elif code == "billing.amount_invalid":
                    fields[4] = f"{amount}.50"
                elif code == "legacy_debt.date_invalid":
                    fields[5] = issued.strftime("%d/%m/%Y")
                elif code == "legacy_debt.due_before_issue":
                    fields[6] = (issued - timedelta(days=1)).isoformat()
                elif code == "billing.kap_unknown":
                    fields[1] = "999999-300"
                elif code == "billing.period_not_applicable":
                    fields[1], fields[2], fields[3] = "411211-300", "2019-01", number or f"{i:08d}/107/19/001/20"
                elif code == "legacy_debt.reference_repeated":
                    fields[7] = f"{tag}{i - 1:09d}"
                else:  # legacy_debt.columns
                    fields = fields[:-1]
                rejects[code] += 1
                if code != "billing.amount_invalid":
                    file_amount += amount
                else:
                    file_amount += Decimal(fields[4])
            else:
                valid_rows += 1
                valid_amount += amount
                file_amount += amount
            block.append(",".join(fields))
            if len(block) == 10_000:
                out.write("\r\n".join(block) + "\r\n")
                block = []
        if block:
            out.write("\r\n".join(block) + "\r\n")
    return {"rows": rows, "amount": file_amount, "valid_rows": valid_rows, "valid_amount": valid_amount,
            "rejects": dict(rejects), "bytes": path.stat().st_size}


def _row(name: str, value: float | None, unit: str, target: tuple[str, float] | None = None) -> dict[str, Any]:
    ok = None if target is None or value is None else (value >= target[1] if target[0] == ">=" else
                                                       value < target[1])
    shown = None if target is None else f"{target[0]} {target[1]:,g}"
    return {"name": f"payment: {name}", "value": value, "unit": unit, "target": shown, "ok": ok}


def _rss_now_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _maxrss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 2**20 if sys.platform == "darwin" else kb / 1024


class _RssSampler:
    """The resident set's peak while running, sampled from a thread every `interval` s."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval, self.peak, self._stop = interval, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_now_mb())
            self._stop.wait(self.interval)

    def __enter__(self) -> _RssSampler:
        self.before = _rss_now_mb()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_now_mb())


async def _chunks(path: Path, size: int = 1 << 20) -> AsyncIterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(size):
            yield chunk


DEPLOYED_POSTGRES = Path(__file__).resolve().parent.parent / "deploy" / "k8s" / "overlays" / "prod" / "postgres.yaml"


def deployed_parameters(cluster: str = "payment-db") -> dict[str, str]:
    """The server parameters the deploy gives `cluster` (CloudNativePG `spec.postgresql.parameters`), less
    max_connections (the benchmark's server needs its own)."""
    for document in yaml.safe_load_all(DEPLOYED_POSTGRES.read_text(encoding="utf-8")):
        if document and document.get("kind") == "Cluster" and document["metadata"]["name"] == cluster:
            parameters = dict(document["spec"]["postgresql"]["parameters"])
            parameters.pop("max_connections", None)
            return parameters
    raise LookupError(f"no Cluster {cluster} in {DEPLOYED_POSTGRES}")


async def run(server_url: str | None = None, rows: int = ROWS) -> list[dict[str, Any]]:
    """On `server_url`, or on a durable server of its own with payment-db's deployed parameters."""
    if server_url is not None:
        return await _run(server_url, rows, parameters=None)
    parameters = deployed_parameters()
    workdir = Path(tempfile.mkdtemp(prefix="lontar-bench-legacy-pg-"))
    postgres = EmbeddedPostgres(workdir / "postgres", port=free_port(), durable=True, parameters=parameters)
    try:
        await asyncio.to_thread(postgres.start)
        return await _run(postgres.url(), rows, parameters=parameters)
    finally:
        await asyncio.to_thread(postgres.stop)
        await asyncio.to_thread(shutil.rmtree, workdir, True)


async def _run(server_url: str, rows: int, parameters: dict[str, str] | None) -> list[dict[str, Any]]:
    workdir = Path(tempfile.mkdtemp(prefix="lontar-bench-legacy-"))
    database = f"bench_legacy_{uuid.uuid4().hex[:8]}"
    floor_database = f"bench_legacy_floor_{uuid.uuid4().hex[:8]}"
    await ensure_databases(server_url, [database, floor_database])
    base = server_url.rpartition("/")[0]
    try:
        path = workdir / "legacy.csv"
        expected = await asyncio.to_thread(write_legacy_csv, path, rows)
        await asyncio.to_thread(upgrade, "payment", f"{base}/{database}")
        await asyncio.to_thread(upgrade, "payment", f"{base}/{floor_database}")
        settings = PaymentSettings(database=DatabaseSettings(dsn=f"{base}/{database}", pool_size=4),
                                   kafka=KafkaSettings(enable_idempotence=False), worker_port=free_port(),
                                   log_level="WARNING", legacy_import=LegacyImportSettings())
        results = await _measure(settings, path, expected)
        floor_s = await _copy_floor(f"{base}/{floor_database}", expected["valid_rows"])
    finally:
        await drop_databases(server_url, [database, floor_database])
        await asyncio.to_thread(shutil.rmtree, workdir, True)
    first_s = results["first_s"]
    server = ("durable PostgreSQL with payment-db's deployed parameters ("
              + ", ".join(f"{k}={v}" for k, v in sorted(parameters.items())) + ")") if parameters is not None else \
        f"the PostgreSQL given ({server_url.rpartition('@')[2].rpartition('/')[0]})"
    print(f"legacy import measured on {server}", file=sys.stderr, flush=True)
    return [
        _row(f"legacy import of {rows:,} rows ({expected['bytes'] / 1e6:.0f} MB CSV, "
             f"{rows - expected['valid_rows']:,} rejects) to the report", round(first_s, 2), "s", ("<", 60)),
        _row("legacy import rate (rows of the file per second)", round(rows / first_s), "rows/s"),
        _row("legacy import: CPU time of this process (app, parse, checks, COPY encoding; PostgreSQL not included)",
             round(results["cpu_s"], 2), "s"),
        _row("machine load average (1 min) before the import (2 cores, shared)", round(results["load_before"], 1),
             ""),
        _row("legacy import: peak RSS of this process during the import (sampled /proc statm)",
             round(results["peak_mb"], 1), "MB", ("<", 500)),
        _row("legacy import: of which added by the import (peak less RSS before the POST)",
             round(results["peak_mb"] - results["before_mb"], 1), "MB"),
        _row("legacy import: ru_maxrss of this process at the end of the import", round(results["maxrss_mb"], 1),
             "MB"),
        _row("legacy import: its DebtRecorded events written after it (the worker's step, batches of 10,000)",
             round(results["events_s"], 2), "s"),
        _row("legacy import: events written per second", round(expected["valid_rows"] / results["events_s"]),
             "events/s"),
        _row("legacy import and its events, end to end", round(first_s + results["events_s"], 2), "s"),
        _row("legacy import: report totals = the file's, debts = events (one per debt) = recordings = imported, "
             "audit clean", 1.0 if results["checks_ok"] else 0.0, "1 = yes", (">=", 1)),
        _row(f"legacy import: the same file again (imports nothing new: {results['second_imported']} imported)",
             round(results["second_s"], 2), "s"),
        _row(f"raw PostgreSQL COPY of {expected['valid_rows']:,} debt rows + accounts + transfers, one transaction",
             round(floor_s, 2), "s"),
        _row("legacy import time / raw COPY time", round(first_s / floor_s, 2), "x"),
    ]


async def _measure(settings: PaymentSettings, path: Path, expected: dict[str, Any]) -> dict[str, Any]:
    officer = {"authorization": "Bearer " + MAKER.make(subject="officer-bench", scopes=["payment:officer"],
                                                       client_kind="officer", client_id="officer-bench"),
               "content-type": "text/csv"}
    app = create_app(settings, jwks=JWKSCache(settings.auth, keys=MAKER.jwks()))
    out: dict[str, Any] = {}
    checking = settings.database.model_copy(update={"command_timeout_s": 600.0})  # the audit reads every transfer
    engine = create_engine(checking, application_name="bench.legacy", pool_size=1)
    try:
        sessions = create_sessionmaker(engine)
        async with api_client(app) as http:
            out["load_before"] = os.getloadavg()[0]
            with _RssSampler() as rss:
                started, cpu = time.perf_counter(), time.process_time()
                response = await http.post(PATH, content=_chunks(path), headers=officer, timeout=None)
                out["first_s"], out["cpu_s"] = time.perf_counter() - started, time.process_time() - cpu
            out["maxrss_mb"] = _maxrss_mb()
            assert response.status_code == 201, response.text[:2000]
            report = response.json()
            out["peak_mb"], out["before_mb"] = rss.peak, rss.before
            # What the worker does next (`worker.run_legacy_debt_events`): the imported debts' DebtRecorded.
            started = time.perf_counter()
            while await write_imported_debt_events(UnitOfWork(sessions), batch=settings.legacy_import.events_batch):
                pass
            out["events_s"] = time.perf_counter() - started
            started = time.perf_counter()
            again = await http.post(PATH, content=_chunks(path), headers=officer, timeout=None)
            out["second_s"] = time.perf_counter() - started
            assert again.status_code == 201, again.text[:2000]
            second = again.json()
            out["second_imported"] = second["imported"]["rows"]
        print(f"legacy import: {out['first_s']:.1f} s, its events {out['events_s']:.1f} s, again "
              f"{out['second_s']:.1f} s, CPU {out['cpu_s']:.1f} s, peak RSS {out['peak_mb']:.0f} MB (before "
              f"{out['before_mb']:.0f} MB)", file=sys.stderr, flush=True)
        problems = _check(report, second, expected)
        async with sessions() as s:
            debts = (await s.execute(text("SELECT count(*) FROM debt"))).scalar_one()
            events = (await s.execute(text("SELECT count(*) FROM outbox WHERE event_type = 'DebtRecorded'"))
                      ).scalar_one()
            distinct = (await s.execute(text("SELECT count(DISTINCT aggregate_id) FROM outbox "
                                             "WHERE event_type = 'DebtRecorded'"))).scalar_one()
            recordings = (await s.execute(text("SELECT count(*) FROM transfer WHERE code = :c"),
                                          {"c": int(TransferCode.LIABILITY_RECORDED)})).scalar_one()
        for name, value in (("debts", debts), ("DebtRecorded", events), ("debts with a DebtRecorded", distinct),
                            ("recordings", recordings)):
            if value != expected["valid_rows"]:
                problems.append(f"{name} {value} != {expected['valid_rows']}")
        audit = await audit_ledger(UnitOfWork(sessions))
        problems += audit.problems
    finally:
        await engine.dispose()
    if problems:
        print("legacy import checks failed:", *problems[:20], sep="\n  ", file=sys.stderr)
    out["checks_ok"] = not problems
    return out


def _check(report: dict[str, Any], second: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    problems = []
    rejected_rows = expected["rows"] - expected["valid_rows"]
    def tally(t: dict[str, Any]) -> tuple[int, Decimal]:
        return t["rows"], Decimal(t["amount"])

    wanted = [
        ("file", tally(report["file"]), (expected["rows"], expected["amount"])),
        ("imported", tally(report["imported"]), (expected["valid_rows"], expected["valid_amount"])),
        ("rejected rows", report["rejected"]["rows"], rejected_rows),
        ("rejections", report["rejections_by_code"], expected["rejects"]),
        ("balanced", report["balanced"], True),
        ("again: file", second["file"], report["file"]),
        ("again: imported", second["imported"]["rows"], 0),
        ("again: already imported", second["already_imported"], report["imported"]),
        ("again: rejected", second["rejected"], report["rejected"]),
        ("again: balanced", second["balanced"], True),
    ]
    for name, got, want in wanted:
        if got != want:
            problems.append(f"{name}: {got} != {want}")
    return problems


async def _copy_floor(url: str, n: int) -> float:
    """Seconds to COPY `n` debts, their liability accounts, the revenue accounts and one transfer per debt (what the
    import stores, less the outbox) in one committed transaction, rows prepared beforehand."""
    now, import_id = datetime.now(UTC), uuid.uuid4()
    npwps = _npwps(TAXPAYERS)
    liability, revenue = KIND_RULES[AccountKind.TAXPAYER_LIABILITY], KIND_RULES[AccountKind.STATE_REVENUE]
    revenues = {k: account_id(state_revenue_key(k)) for k, _ in SUBJECTS}
    debts, accounts, transfers = [], [], []
    for k, _ in SUBJECTS:
        accounts.append((revenues[k], "state_revenue", None, k, None, None, IDR_LEDGER, revenue.code,
                         revenue.flags.value))
    for i in range(n):
        npwp, (kap_kjs, _) = npwps[i % TAXPAYERS], SUBJECTS[0]
        number, amount = f"{i:08d}/107/19/001/20", Decimal(100_000 + i)
        issued = date(2016, 1, 1) + timedelta(days=i % 2_500)
        debt_id = uuid.UUID(time_ordered_id())  # as the import makes them
        key = liability_key(npwp, kap_kjs, assessment_number=number)
        debts.append((debt_id, npwp, "stp", "411211", "300", None, number, amount, issued, issued + timedelta(30),
                      "legacy", f"F{i:09d}", import_id, "open", now, 1, amount, amount, issued + timedelta(30),
                      issued + timedelta(31), 0, Decimal(0)))
        accounts.append((account_id(key), "taxpayer_liability", npwp, kap_kjs, None, number, IDR_LEDGER,
                         liability.code, liability.flags.value))
        transfers.append((transfer_id(debt_key(str(debt_id))), account_id(key), revenues[kap_kjs], amount,
                          IDR_LEDGER, int(TransferCode.LIABILITY_RECORDED), str(debt_id), now))
    engine = create_engine(DatabaseSettings(dsn=url, command_timeout_s=600), application_name="bench.legacy.floor",
                           pool_size=1)
    try:
        sessions = create_sessionmaker(engine)
        async with sessions() as s, s.begin():
            await s.execute(text("INSERT INTO legacy_debt_import (id, file_digest, rows, imported, created_by, "
                                 "created_at, report) VALUES (:i, 'x', 0, 0, 'bench', now(), '{}')"), {"i": import_id})
            raw = (await (await s.connection()).get_raw_connection()).driver_connection
            started = time.perf_counter()
            await raw.copy_records_to_table("debt", records=debts, columns=[
                "id", "npwp", "kind", "kap", "kjs", "period", "assessment_number", "amount", "issued_on", "due_date",
                "source", "source_reference", "import_id", "status", "recorded_at", "version", "outstanding",
                "interest_principal", "interest_from", "interest_next_on", "interest_months", "interest_accrued"])
            await raw.copy_records_to_table("account", records=accounts, columns=[
                "id", "kind", "npwp", "kap_kjs", "period", "assessment_number", "ledger", "code", "flags"])
            await raw.copy_records_to_table("transfer", records=transfers, columns=[
                "id", "debit_account_id", "credit_account_id", "amount", "ledger", "code", "reference",
                "effective_at"])
        return time.perf_counter() - started  # including the commit
    finally:
        await engine.dispose()




if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.WARNING)
    for row in asyncio.run(run(sys.argv[2] if len(sys.argv) > 2 else None,
                               int(sys.argv[1]) if len(sys.argv) > 1 else ROWS)):
        mark = "" if row["ok"] is None else ("  ok" if row["ok"] else "  FAIL")
        target = f"  (target {row['target']} {row['unit']})" if row["target"] else ""
        print(f"{row['name']:<100} {row['value']:>10} {row['unit']}{target}{mark}")
