"""Payment figures (issue 14): billing creation and bank confirmations, each beside a raw PostgreSQL floor measured
in the same run, with the API as deployed: `uvicorn payment.main:app` processes (1 and 2 by default, a parameter) on
real ports, against durable PostgreSQL, the load from this process through a minimal keep-alive HTTP/1.1 client
(it shares the machine's cores with what it measures, so it costs as little as a client can).

Phases, per number of API processes:
- billing, one by one (`POST /v1/billing-codes`, mandiri, each with an Idempotency-Key, as front ends and PJAP call
  it): codes/s at 64 concurrent clients (target >= 1,000/s); p50/p99 at an offered 200/s for 10 s (open loop: each
  request starts on its schedule whatever the answers do, latency from that schedule; target p99 < 100 ms).
- billing in batches (`POST /v1/billing-codes/batch`, 500 codes a call, 4 clients): codes/s.
- confirmations, one by one (`POST /v1/bank/payments`, inquiry excluded): every code of the first phase paid once,
  10 % of them sent twice (shuffled, so some retries race their original), 64 clients: confirmations/s counting
  every call (target >= 2,000/s).
- confirmations in batches (`POST /v1/bank/payments/batch`, a bank's host-to-host files: 1,000 a call, 4 calls at
  once): the batch phase's codes, 10 % sent twice (in the same call or another one): confirmations/s counting every
  item (target >= 2,000/s).
- the floor: single-row INSERT transactions (one row of billing's width, one autocommitted statement over plain
  asyncpg: one round trip, one commit) at 64 clients, measured before and after the phases (the mean). Each
  figure's ratio to it is how much of raw PostgreSQL the use case keeps on this machine at this moment.
- the checks that make the figures honest: payments = unique codes paid, every retry answered with its payment's
  NTPN, ledger transfers = 2 per payment, one `PaymentConfirmed` per payment, `audit_ledger` clean.
- supporting: CPU per request (process CPU time over the phase / requests) of the API processes, PostgreSQL, this
  load generator, and the cores other processes used meanwhile (a shared machine: compare runs with that low);
  answers shed with 503 (retried by the client, counted); database round trips per request, counted in-process on
  every pooled connection (asyncpg's query logger for BEGIN, COMMIT and any ping, SQLAlchemy's statement event for
  the statements), one request at a time and 64 at once (single requests arriving together share one batch).

In process (`--in-process`, `cpu_per_confirmation`): the API's own CPU per single confirmation, with payment's ASGI
app called directly in waves of 32 (each wave one batch), free of sockets and of the load generator; with
`--instructions`, the same under valgrind's callgrind: instructions per confirmation, which the machine's load does
not change (`instructions_per_confirmation`: compare two versions of the code with it on a shared machine).

`await run(server_url, processes=(1, 2))` returns rows {name, value, unit, target, ok}.
`python -m bench.payment [--processes 1,2] [--codes N] [--batch-codes N] [--profile DIR] [server_url]`,
`python -m bench.payment --in-process [--instructions] [--waves N] [server_url]`: without a
server URL it starts its own durable embedded PostgreSQL. `--profile DIR` runs each API process under cProfile
(process CPU time; DIR/payment-api-<n>-<i>.prof).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event, text

from bench.infra import migrated_databases
from bench.machine import process_seconds, process_ticks, tree_seconds
from devstack.processes import free_port, spawn, stop, wait_for_port
from devstack.stack import api_command
from kit.auth import JWKSCache
from kit.db import UnitOfWork, create_engine, create_sessionmaker
from kit.settings import AuthSettings, DatabaseSettings, KafkaSettings
from kit.testing.events import random_npwp
from kit.testing.service import api_client
from kit.testing.tokens import TokenMaker

CONCURRENCY = 64
TAXPAYERS = 500
SINGLE_CODES = 4_000  # billing one by one, then paid one by one
OPEN_LOOP_RATE, OPEN_LOOP_SECONDS = 200, 10
BATCH_CODES = 20_000  # billing in batches, then paid in batches
BILLING_BATCH, CONFIRM_BATCH, BATCH_CLIENTS = 500, 1_000, 4
DUPLICATE_SHARE = 0.10
FLOOR_INSERTS = 4_000
SEED = 20261214
HOST = "127.0.0.1"
TICK = os.sysconf("SC_CLK_TCK")


def _row(name: str, value: float | None, unit: str, target: tuple[str, float] | None = None) -> dict[str, Any]:
    ok = None if target is None or value is None else (value >= target[1] if target[0] == ">=" else
                                                          value < target[1])
    shown = None if target is None else f"{target[0]} {target[1]:,g}"
    return {"name": f"payment: {name}", "value": value, "unit": unit, "target": shown, "ok": ok}


# -- the load client ------------------------------------------------------------------------------------------------
class Http:
    """A minimal HTTP/1.1 keep-alive client over asyncio streams (httpx costs ~10x its CPU per request). Connections
    are spread round-robin over the API processes' ports; each call takes an idle one or opens one."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self._turn = 0
        self.shed = 0
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._all: list[asyncio.StreamWriter] = []

    async def open(self, n: int) -> None:
        while len(self._idle) < n:
            self._idle.append(await self._connect())

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        port = self.ports[self._turn % len(self.ports)]
        self._turn += 1
        reader, writer = await asyncio.open_connection(HOST, port, limit=2**24)
        self._all.append(writer)
        return reader, writer

    async def call(self, method: str, path: str, headers: bytes, body: bytes = b"") -> tuple[int, bytes]:
        """(status, body); a 503 (shed: the server said retry later) is counted in `shed` and retried after 50 ms,
        as a client would."""
        while True:
            status, content = await self._once(method, path, headers, body)
            if status != 503:
                return status, content
            self.shed += 1
            await asyncio.sleep(0.05)

    async def _once(self, method: str, path: str, headers: bytes, body: bytes) -> tuple[int, bytes]:
        """A kept connection the server closed meanwhile is replaced once."""
        if self._idle:
            connection = self._idle.pop()
            try:
                return await self._call(connection, method, path, headers, body)
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
        return await self._call(await self._connect(), method, path, headers, body)

    async def _call(self, connection: tuple[asyncio.StreamReader, asyncio.StreamWriter], method: str, path: str,
                    headers: bytes, body: bytes) -> tuple[int, bytes]:
        reader, writer = connection
        writer.write(b"%s %s HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                     b"%s\r\n%s" % (method.encode(), path.encode(), len(body), headers, body))
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        at = head.lower().find(b"content-length:")
        length = int(head[at + 15:head.index(b"\r\n", at)])
        content = await reader.readexactly(length)
        self._idle.append(connection)
        return status, content

    async def close(self) -> None:
        for writer in self._all:
            writer.close()


def _auth(token: str, **more: str) -> bytes:
    return b"".join(b"%s: %s\r\n" % (k.replace("_", "-").encode(), v.encode())
                    for k, v in {"authorization": f"Bearer {token}", **more}.items())


# -- the API processes ----------------------------------------------------------------------------------------------
# uvicorn re-raises SIGTERM once it has shut down: the handler it restores then writes the profile.
_PROFILED = """
import cProfile, signal, sys, time, uvicorn
profile, out = cProfile.Profile(time.process_time), sys.argv[1]
def done(*_):
    profile.disable()
    profile.dump_stats(out)
    sys.exit(0)
signal.signal(signal.SIGTERM, done)
sys.argv = ["uvicorn", *sys.argv[2:]]
profile.enable()
uvicorn.main()
"""


@dataclass
class Api:
    """`processes` uvicorn processes of payment's API on their own ports, with a JWKS server in this process for
    the bench's token key (as identity would serve it)."""

    url: str
    processes: int
    maker: TokenMaker
    workdir: Path
    profile: Path | None = None
    ports: list[int] = field(default_factory=list)
    procs: list[Any] = field(default_factory=list)
    _jwks: asyncio.Server | None = None

    async def start(self) -> None:
        body = json.dumps(self.maker.jwks()).encode()

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                         b"connection: close\r\n\r\n%s" % (len(body), body))
            await writer.drain()
            writer.close()

        self._jwks = await asyncio.start_server(serve, HOST, 0)
        jwks_port = self._jwks.sockets[0].getsockname()[1]
        for i in range(self.processes):
            port = free_port()
            env = {**os.environ, "PAYMENT_ENV": "dev", "PAYMENT_LOG_LEVEL": "WARNING",
                   "PAYMENT_DATABASE__DSN": self.url, "PAYMENT_DATABASE__POOL_SIZE": "10",
                   "PAYMENT_AUTH__JWKS_URL": f"http://{HOST}:{jwks_port}/.well-known/jwks.json",
                   "PAYMENT_KAFKA__BOOTSTRAP_SERVERS": f"{HOST}:{free_port()}",  # the API only writes the outbox
                   "PAYMENT_WORKER_PORT": str(free_port()), "PYTHONUNBUFFERED": "1"}
            argv = api_command("payment", HOST, port)
            if self.profile is not None:
                self.profile.mkdir(parents=True, exist_ok=True)
                argv = [argv[0], "-c", _PROFILED, str(self.profile / f"payment-api-{self.processes}-{i}.prof"),
                        *argv[3:]]
            self.procs.append(spawn(argv, env=env, log_path=self.workdir / f"payment-api-{i}.log"))
            self.ports.append(port)
        for proc, port in zip(self.procs, self.ports, strict=True):
            try:
                await asyncio.to_thread(wait_for_port, HOST, port, timeout=60, proc=proc)
            except (RuntimeError, TimeoutError):
                log = self.workdir / f"payment-api-{self.procs.index(proc)}.log"
                raise RuntimeError(f"payment's API did not start:\n{log.read_text()[-3000:]}") from None

    def cpu_seconds(self) -> float:
        return sum(process_seconds(p.pid) for p in self.procs)

    def stop(self) -> None:
        for proc in self.procs:
            stop(proc)
        if self._jwks is not None:
            self._jwks.close()


@dataclass
class Cpu:
    """CPU in seconds over a span: the API processes, PostgreSQL (its postmaster's tree), this process, the rest."""

    api: Api
    postgres_pid: int | None
    _start: tuple[float, float, float, float, int] = (0.0, 0.0, 0.0, 0.0, 0)

    def start(self) -> Cpu:
        t = os.times()
        self._start = (time.perf_counter(), self.api.cpu_seconds(), tree_seconds(self.postgres_pid),
                       t.user + t.system, process_ticks())
        return self

    def stop(self) -> dict[str, float]:
        wall0, api0, pg0, me0, busy0 = self._start
        t = os.times()
        wall = time.perf_counter() - wall0
        used = {"api": self.api.cpu_seconds() - api0, "postgres": tree_seconds(self.postgres_pid) - pg0,
                "generator": t.user + t.system - me0}
        busy = (process_ticks() - busy0) / TICK  # every process on the machine, kernel threads included
        return {"wall": wall, **used, "others_cores": max(0.0, busy - sum(used.values())) / wall}


# -- the measurement ------------------------------------------------------------------------------------------------
async def run(server_url: str, processes: tuple[int, ...] = (1, 2), profile: Path | None = None, *,
              single_codes: int = SINGLE_CODES, batch_codes: int = BATCH_CODES) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for n in processes:
        async with migrated_databases(server_url, "payment") as [url]:
            rows += await _measure(url, n, profile, single_codes, batch_codes)
    return rows


async def _measure(url: str, processes: int, profile: Path | None, single_codes: int,
                   batch_total: int) -> list[dict[str, Any]]:
    maker = TokenMaker(AuthSettings())
    engine = create_engine(DatabaseSettings(dsn=url), application_name="bench.payment", pool_size=4)
    sessions = create_sessionmaker(engine)
    raw = url.replace("postgresql+asyncpg://", "postgresql://")
    workdir = Path(tempfile.mkdtemp(prefix="lontar-bench-payment-"))
    api = Api(url, processes, maker, workdir, profile)
    label = f"[{processes} API process{'es' if processes > 1 else ''}]"
    rng = random.Random(SEED)
    try:
        npwps = await _seed_taxpayers(sessions)
        floor_pool = await asyncpg.create_pool(raw, min_size=CONCURRENCY, max_size=CONCURRENCY)
        http = Http(api.ports)
        try:
            await api.start()
            cpu = Cpu(api, await _postmaster_pid(floor_pool))
            floor_before = await _raw_insert_rate(floor_pool)
            tokens = {n: _auth(maker.make(subject=str(uuid.uuid4()), scopes=["payment:read", "payment:write"],
                                          taxpayer_ids=[n], expires_in=3600)) for n in npwps}
            bank = _auth(maker.make(subject="bank-bench", scopes=["payment:bank"], client_kind="bank",
                                    client_id="bank-bench", expires_in=3600))
            turn = iter(range(10**9))

            def billing_body(i: int) -> tuple[str, dict[str, Any]]:
                npwp = npwps[i % len(npwps)]
                return npwp, {"npwp": npwp, "kap_kjs": "411211-100", "period": "2025-08", "amount": str(100_000 + i)}

            async def create() -> dict[str, Any]:
                npwp, body = billing_body(next(turn))
                status, content = await http.call("POST", "/v1/billing-codes", tokens[npwp] + _auth_key(),
                                                  json.dumps(body).encode())
                assert status == 201, (status, content[:500])
                return json.loads(content)  # type: ignore[no-any-return]

            await http.open(CONCURRENCY)
            for _ in range(300):  # warm-up: pools, prepared statements, caches
                await create()

            # billing, one by one
            single: list[dict[str, Any]] = []
            shed: dict[str, int] = {}
            cpu.start()
            billing_s = await _closed_loop(lambda: _append(single, create()), single_codes)
            billing_cpu = cpu.stop()
            shed["billing one by one"] = http.shed
            latencies = await _open_loop(create, OPEN_LOOP_RATE, OPEN_LOOP_SECONDS)
            shed["billing at 200/s"] = http.shed - sum(shed.values())

            # billing in batches (PJAP)
            batch_codes: list[dict[str, Any]] = []

            async def create_batch() -> None:
                first = next(turn)
                npwp = npwps[first % len(npwps)]
                items = [{**billing_body(first * BILLING_BATCH + k)[1], "npwp": npwp} for k in range(BILLING_BATCH)]
                status, content = await http.call("POST", "/v1/billing-codes/batch", tokens[npwp] + _auth_key(),
                                                  json.dumps({"items": items}).encode())
                assert status == 200, (status, content[:500])
                results = json.loads(content)["results"]
                assert all(r["status"] == 201 for r in results), results[:3]
                batch_codes.extend(r["billing"] for r in results)

            cpu.start()
            billing_batch_s = await _closed_loop(create_batch, batch_total // BILLING_BATCH, BATCH_CLIENTS)
            billing_batch_cpu = cpu.stop()

            # confirmations, one by one
            paid_at = datetime.now(UTC).replace(microsecond=0).isoformat()
            answers: dict[str, set[str]] = {}

            def confirmation(code: dict[str, Any]) -> dict[str, Any]:
                return {"billing_code": code["code"], "amount": code["amount"],
                        "bank_reference": "REF" + code["code"], "paid_at": paid_at}

            calls = single + rng.sample(single, int(len(single) * DUPLICATE_SHARE))
            rng.shuffle(calls)
            queue = iter(calls)

            async def confirm() -> None:
                code = next(queue)
                status, content = await http.call("POST", "/v1/bank/payments", bank,
                                                  json.dumps(confirmation(code)).encode())
                assert status in (200, 201), (status, content[:500])
                answers.setdefault(code["code"], set()).add(json.loads(content)["ntpn"])

            cpu.start()
            before = http.shed
            confirm_s = await _closed_loop(confirm, len(calls))
            confirm_cpu = cpu.stop()
            shed["confirmations one by one"] = http.shed - before

            # confirmations in batches (host-to-host files of one bank, several at once)
            batch_list = batch_codes + rng.sample(batch_codes, int(len(batch_codes) * DUPLICATE_SHARE))
            rng.shuffle(batch_list)  # a retry in the same file as its original, or in another file
            chunks = iter([batch_list[i:i + CONFIRM_BATCH] for i in range(0, len(batch_list), CONFIRM_BATCH)])

            async def confirm_batch() -> None:
                chunk = next(chunks)
                status, content = await http.call("POST", "/v1/bank/payments/batch", bank, json.dumps(
                    {"payments": [confirmation(c) for c in chunk]}).encode())
                assert status == 200, (status, content[:500])
                for code, result in zip(chunk, json.loads(content)["results"], strict=True):
                    assert result["status"] in (200, 201), result
                    answers.setdefault(code["code"], set()).add(result["receipt"]["ntpn"])

            cpu.start()
            confirm_batch_s = await _closed_loop(confirm_batch, (len(batch_list) + CONFIRM_BATCH - 1) // CONFIRM_BATCH,
                                                 BATCH_CLIENTS)
            confirm_batch_cpu = cpu.stop()
            floor_after = await _raw_insert_rate(floor_pool)
        finally:
            await http.close()
            api.stop()
            await floor_pool.close()
        paid_codes = len(single) + len(batch_codes)
        checks = await _checks(sessions, answers, paid_codes)
        trips = await _round_trips(url, maker, npwps)
    finally:
        await engine.dispose()
        shutil.rmtree(workdir, ignore_errors=True)

    floor = (floor_before + floor_after) / 2
    p50, p99 = statistics.quantiles(latencies, n=100)[49] * 1000, statistics.quantiles(latencies, n=100)[98] * 1000
    billing_rate, confirm_rate = len(single) / billing_s, len(calls) / confirm_s
    rows = [
        _row(f"{label} raw single-row INSERT transactions/s at {CONCURRENCY} clients (the floor; before "
             f"{floor_before:,.0f}, after {floor_after:,.0f})", round(floor), "tx/s"),
        _row(f"{label} billing codes created/s, one by one, {CONCURRENCY} clients", round(billing_rate), "codes/s",
             (">=", 1000)),
        _row(f"{label}   billing one by one / floor", round(100 * billing_rate / floor, 1), "%"),
        *_cpu_rows(label, "billing one by one", billing_cpu, len(single)),
        _row(f"{label} billing p99 at an offered {OPEN_LOOP_RATE}/s for {OPEN_LOOP_SECONDS} s (p50 {p50:.1f} ms)",
             round(p99, 1), "ms", ("<", 100)),
    ]
    rate = len(batch_codes) / billing_batch_s
    rows += [_row(f"{label} billing codes created/s in batches of {BILLING_BATCH}, {BATCH_CLIENTS} clients",
                  round(rate), "codes/s", (">=", 1000)),
             _row(f"{label}   billing in batches / floor", round(100 * rate / floor, 1), "%"),
             *_cpu_rows(label, "billing in batches", billing_batch_cpu, len(batch_codes))]
    rows += [
        _row(f"{label} bank confirmations/s, one by one, {CONCURRENCY} clients ({len(single):,} codes, "
             f"{len(calls) - len(single):,} sent twice)", round(confirm_rate), "conf/s", (">=", 2000)),
        _row(f"{label}   confirmations one by one / floor", round(100 * confirm_rate / floor, 1), "%"),
        *_cpu_rows(label, "confirmations one by one", confirm_cpu, len(calls)),
    ]
    rate = len(batch_list) / confirm_batch_s
    rows += [_row(f"{label} bank confirmations/s in batches of {CONFIRM_BATCH}, {BATCH_CLIENTS} at once "
                  f"({len(batch_codes):,} codes, {len(batch_list) - len(batch_codes):,} sent twice)", round(rate),
                  "conf/s", (">=", 2000)),
             _row(f"{label}   confirmations in batches / floor", round(100 * rate / floor, 1), "%"),
             *_cpu_rows(label, "confirmations in batches", confirm_batch_cpu, len(batch_list))]
    rows += [_row(f"{label}   database round trips per {what}", round(n, 2), "round trips")
             for what, n in trips.items()]
    rows += [_row(f"{label}   answered 503 (shed, retried by the client): {what}", n, "requests")
             for what, n in shed.items()]
    rows += [
        _row(f"{label} payments recorded (unique codes paid: {paid_codes:,})", checks["payments"], "rows"),
        _row(f"{label} problems: retries answered with another NTPN, payments != codes paid, transfers != 2 per "
             f"payment, PaymentConfirmed != payments, ledger audit", checks["problems"], "problems", ("<", 1)),
    ]
    return rows


def _auth_key() -> bytes:
    return b"idempotency-key: %s\r\n" % uuid.uuid4().hex.encode()


async def _append(into: list[dict[str, Any]], call: Awaitable[dict[str, Any]]) -> None:
    into.append(await call)


def _cpu_rows(label: str, what: str, cpu: dict[str, float], n: int) -> list[dict[str, Any]]:
    per = {k: 1000 * cpu[k] / n for k in ("api", "postgres", "generator")}
    return [_row(f"{label}   {what}: CPU per request, API {per['api']:.2f} ms, PostgreSQL {per['postgres']:.2f} ms, "
                 f"load generator {per['generator']:.2f} ms; everything else {cpu['others_cores']:.2f} cores",
                 round(per["api"] + per["postgres"], 3), "ms")]


async def _closed_loop(call: Callable[[], Awaitable[Any]], total: int, clients: int = CONCURRENCY) -> float:
    """Seconds for `total` calls made by `clients` clients, each starting its next call when the last answered."""
    remaining = iter(range(total))

    async def client() -> None:
        for _ in remaining:
            await call()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - started


async def _open_loop(call: Callable[[], Awaitable[Any]], rate: int, seconds: int) -> list[float]:
    """Latencies of calls started on a fixed schedule (`rate` per second), measured from their scheduled start, so a
    slow answer delays nothing and queueing shows in the figure (no coordinated omission)."""
    start = time.perf_counter() + 0.1  # not loop.time(): uvloop's has a resolution of a millisecond
    latencies: list[float] = []

    async def timed(at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        await call()
        latencies.append(time.perf_counter() - at)

    await asyncio.gather(*(timed(start + i / rate) for i in range(rate * seconds)))
    return latencies


async def _seed_taxpayers(sessions: Any) -> list[str]:
    npwps = [random_npwp() for _ in range(TAXPAYERS)]
    async with sessions() as s, s.begin():
        await s.execute(text(
            "INSERT INTO taxpayer (npwp, taxpayer_id, nitku, name, kind, registered_at, source_sequence) "
            "SELECT n, gen_random_uuid()::text, n || '000000', 'PT Bench ' || n, 'company', now(), 1 "
            "FROM unnest(CAST(:n AS text[])) AS n"), {"n": npwps})
    return npwps


async def _postmaster_pid(pool: asyncpg.Pool) -> int | None:
    try:
        backend = await pool.fetchval("SELECT pg_backend_pid()")
        return _parent_of(int(backend))
    except (OSError, ValueError):
        return None


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])


async def _raw_insert_rate(pool: asyncpg.Pool) -> float:
    """Single-row INSERT transactions/s (one row of billing's width, one autocommitted statement: one round trip and
    one commit each) at CONCURRENCY clients over plain asyncpg."""
    await pool.execute("CREATE TABLE IF NOT EXISTS bench_floor (id uuid PRIMARY KEY, code text, npwp text, "
                       "kap_kjs text, period text, amount numeric(18, 2), created_at timestamptz, "
                       "expires_at timestamptz)")
    sql = ("INSERT INTO bench_floor VALUES (gen_random_uuid(), $1, '0013121660091000', '411211-100', '2025-08', "
           "100000, now(), now() + interval '7 days')")

    async def insert() -> None:
        async with pool.acquire() as conn:
            await conn.execute(sql, uuid.uuid4().hex[:15])

    for _ in range(200):
        await insert()
    return FLOOR_INSERTS / await _closed_loop(insert, FLOOR_INSERTS)


async def _checks(sessions: Any, answers: dict[str, set[str]], paid_codes: int) -> dict[str, int]:
    from payment.ledger.service import audit_ledger

    async with sessions() as s:
        payments = int((await s.execute(text("SELECT count(*) FROM payment"))).scalar_one())
        transfers = int((await s.execute(text(
            "SELECT count(*) FROM transfer t JOIN payment p ON p.ntpn = t.reference"))).scalar_one())
        events = int((await s.execute(text(
            "SELECT count(*) FROM outbox WHERE event_type = 'PaymentConfirmed'"))).scalar_one())
        stored = dict((await s.execute(text("SELECT billing_code, ntpn FROM payment"))).all())
    audit = await audit_ledger(UnitOfWork(sessions))
    wrong_ntpn = sum(1 for code, ntpns in answers.items() if ntpns != {stored.get(code)})
    problems = (wrong_ntpn + abs(payments - paid_codes) + abs(transfers - 2 * payments) + abs(events - payments)
                + len(audit.problems))
    for line in audit.problems[:5]:
        print(f"ledger audit: {line}", file=sys.stderr)
    return {"payments": payments, "problems": problems}


async def _round_trips(url: str, maker: TokenMaker, npwps: list[str]) -> dict[str, float]:
    """Database round trips per request, counted in-process on every pooled connection (each BEGIN, statement,
    COMMIT and pre-ping query is one; a statement's first PREPARE on a connection is not counted): one request at a
    time, and 64 at once."""
    from payment.main import create_app
    from payment.settings import PaymentSettings

    settings = PaymentSettings(database=DatabaseSettings(dsn=url), kafka=KafkaSettings(enable_idempotence=False),
                               worker_port=free_port(), log_level="WARNING")
    app = create_app(settings, jwks=JWKSCache(settings.auth, keys=maker.jwks()))
    queries = [0]
    out: dict[str, float] = {}

    def count(*_: Any) -> None:
        queries[0] += 1

    logged: set[int] = set()

    def on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # asyncpg logs its simple queries (BEGIN, COMMIT, ROLLBACK, any ping); SQLAlchemy's statements run as
        # prepared statements, which it does not log: those are counted by SQLAlchemy's own event below.
        if id(dbapi_connection) not in logged:
            logged.add(id(dbapi_connection))
            dbapi_connection.driver_connection.add_query_logger(count)

    bank = {"authorization": "Bearer " + maker.make(subject="bank-rt", scopes=["payment:bank"], client_kind="bank",
                                                    client_id="bank-rt")}
    async with api_client(app) as client:
        event.listen(app.state.lontar.engine.sync_engine.pool, "checkout", on_checkout)
        event.listen(app.state.lontar.engine.sync_engine, "before_cursor_execute", count)
        turn = iter(range(10**9))

        async def create() -> dict[str, Any]:
            npwp = npwps[next(turn) % len(npwps)]
            headers = {"authorization": "Bearer " + maker.make(subject="rt", scopes=["payment:write"],
                                                                taxpayer_ids=[npwp]),
                       "idempotency-key": uuid.uuid4().hex}
            r = await client.post("/v1/billing-codes", headers=headers, json={
                "npwp": npwp, "kap_kjs": "411211-100", "period": "2025-08", "amount": "150000"})
            assert r.status_code == 201, r.text
            return r.json()  # type: ignore[no-any-return]

        async def confirm(code: dict[str, Any]) -> None:
            r = await client.post("/v1/bank/payments", headers=bank, json={
                "billing_code": code["code"], "amount": code["amount"], "bank_reference": "RT" + code["code"],
                "paid_at": datetime.now(UTC).isoformat()})
            assert r.status_code == 201, r.text

        for _ in range(20):  # warm: connections opened, statements prepared
            await confirm(await create())
        for concurrency in (1, CONCURRENCY):
            n = 4 * CONCURRENCY
            queries[0] = 0
            codes = [c for group in [await asyncio.gather(*(create() for _ in range(concurrency)))
                                     for _ in range(n // concurrency)] for c in group]
            out[f"billing creation, {concurrency} at once"] = queries[0] / n
            queries[0] = 0
            for i in range(0, n, concurrency):
                await asyncio.gather(*(confirm(c) for c in codes[i:i + concurrency]))
            out[f"confirmation, {concurrency} at once"] = queries[0] / n
    return out


# -- CPU per confirmation, in process -------------------------------------------------------------------------------
WAVE, WAVES, WARM_WAVES = 32, 200, 3


async def cpu_per_confirmation(server_url: str, waves: int = WAVES, *, sync: Path | None = None) -> float:
    """The API's CPU per single confirmation (ms of process CPU), as little disturbed by the machine's load as a time
    can be: payment's ASGI app called in this process (no sockets; uvicorn's HTTP parsing, about 0.03 ms a request,
    is not in it), in waves of WAVE confirmations sent at once, so that each wave is one batch whatever the machine's
    speed (every call is submitted before its batch starts), 10 % of each wave a retry of an earlier wave's code.
    `sync`: a folder for the handshake with `instructions_per_confirmation` around the measured waves."""
    from payment.main import create_app
    from payment.settings import PaymentSettings

    maker = TokenMaker(AuthSettings())
    async with migrated_databases(server_url, "payment") as [url]:
        settings = PaymentSettings(database=DatabaseSettings(dsn=url, pool_size=10),
                                   kafka=KafkaSettings(enable_idempotence=False), worker_port=free_port(),
                                   log_level="WARNING")
        app = create_app(settings, jwks=JWKSCache(settings.auth, keys=maker.jwks()))
        async with app.router.lifespan_context(app):
            npwps = await _seed_taxpayers(app.state.lontar.sessions)
            count = waves + WARM_WAVES
            plan = _waves(await _codes_in_process(app, maker, npwps, count * WAVE), WAVE, count)
            bank = [(b"authorization", b"Bearer " + maker.make(
                subject="bank-bench", scopes=["payment:bank"], client_kind="bank", client_id="bank-bench",
                expires_in=3600).encode())]
            paid_at = datetime.now(UTC).replace(microsecond=0).isoformat()

            async def confirm(code: dict[str, Any]) -> None:
                status, content = await _asgi(app, "POST", "/v1/bank/payments", bank, json.dumps(
                    {"billing_code": code["code"], "amount": code["amount"], "bank_reference": "REF" + code["code"],
                     "paid_at": paid_at}).encode())
                assert status in (200, 201), (status, content[:500])

            for wave in plan[:WARM_WAVES]:  # connections opened, statements prepared
                await asyncio.gather(*(confirm(code) for code in wave))
            await _handshake(sync, "ready", "go")
            started = time.process_time()
            for wave in plan[WARM_WAVES:]:
                await asyncio.gather(*(confirm(code) for code in wave))
            spent = time.process_time() - started
            await _handshake(sync, "done", "end")
    return 1000 * spent / (waves * WAVE)


def instructions_per_confirmation(server_url: str, waves: int = WAVES) -> float:
    """The same waves under valgrind's callgrind, counting only while they run: CPU instructions per confirmation,
    which other processes on the machine do not change (a time does: caches and cores are shared). The figure to
    compare two versions of the code with on a shared machine."""
    with tempfile.TemporaryDirectory(prefix="lontar-bench-callgrind-") as folder:
        sync = Path(folder)
        child = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={sync}/callgrind.%p",
             sys.executable, "-m", "bench.payment", "--in-process", "--waves", str(waves), "--sync", str(sync),
             server_url], stdout=subprocess.DEVNULL, stderr=(sync / "log").open("wb"))
        pid = _await_file(sync / "ready", child)
        subprocess.run(["callgrind_control", "--instr=on", pid], check=True, capture_output=True)
        (sync / "go").touch()
        _await_file(sync / "done", child)
        subprocess.run(["callgrind_control", "--instr=off", pid], check=True, capture_output=True)
        subprocess.run(["callgrind_control", "--dump", pid], check=True, capture_output=True)
        (sync / "end").touch()
        child.wait()
        totals = next(line for line in (sync / f"callgrind.{pid}.1").read_text().splitlines()
                      if line.startswith("totals:"))
    return int(totals.split()[1]) / (waves * WAVE)


def _await_file(path: Path, child: subprocess.Popen[bytes]) -> str:
    while not path.exists():
        if child.poll() is not None:
            raise RuntimeError(f"the measured process ended: {(path.parent / 'log').read_text()[-3000:]}")
        time.sleep(0.2)
    return path.read_text()


async def _handshake(sync: Path | None, tell: str, wait_for: str) -> None:
    if sync is None:
        return
    (sync / tell).write_text(str(os.getpid()))
    while not (sync / wait_for).exists():  # noqa: ASYNC110  (the parent process creates it)
        await asyncio.sleep(0.05)


def _waves(codes: list[dict[str, Any]], size: int, count: int) -> list[list[dict[str, Any]]]:
    """`count` waves of `size`: 90 % codes not paid yet, 10 % retries of codes of earlier waves, shuffled."""
    rng, fresh, retries = random.Random(SEED), iter(codes), size // 10
    paid: list[dict[str, Any]] = []
    waves = []
    for _ in range(count):
        new = [next(fresh) for _ in range(size - retries)]
        again = rng.sample(paid, retries) if len(paid) >= size else [next(fresh) for _ in range(retries)]
        paid += new
        wave = new + again
        rng.shuffle(wave)
        waves.append(wave)
    return waves


async def _codes_in_process(app: Any, maker: TokenMaker, npwps: list[str], n: int) -> list[dict[str, Any]]:
    codes: list[dict[str, Any]] = []
    for first in range(0, n, 1000):
        npwp = npwps[(first // 1000) % len(npwps)]
        token = maker.make(subject="bench", scopes=["payment:write"], taxpayer_ids=[npwp], expires_in=3600)
        items = [{"npwp": npwp, "kap_kjs": "411211-100", "period": "2025-08", "amount": str(100_000 + first + k)}
                 for k in range(min(1000, n - first))]
        status, content = await _asgi(app, "POST", "/v1/billing-codes/batch",
                                      [(b"authorization", f"Bearer {token}".encode()),
                                       (b"idempotency-key", uuid.uuid4().hex.encode())],
                                      json.dumps({"items": items}).encode())
        assert status == 200, content[:500]
        codes += [result["billing"] for result in json.loads(content)["results"]]
    return codes


async def _asgi(app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]],
                body: bytes) -> tuple[int, bytes]:
    """One request to the ASGI app as uvicorn would hand it over: (status, body)."""
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "client": (HOST, 50000), "server": (HOST, 8004), "state": {},
             "headers": [(b"host", b"bench"), (b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode()), *headers]}
    messages = iter([{"type": "http.request", "body": body, "more_body": False}])
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        return next(messages, {"type": "http.disconnect"})

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        else:
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


def _in_process_rows(url: str, waves: int, instructions: bool) -> list[dict[str, Any]]:
    import uvloop

    label = f"[in process, waves of {WAVE}]"
    rows = [_row(f"{label} API CPU per single confirmation (ASGI, no uvicorn; {waves} waves)",
                 round(uvloop.run(cpu_per_confirmation(url, waves)), 3), "ms")]
    if instructions:
        rows.append(_row(f"{label} instructions per single confirmation (callgrind; {waves} waves)",
                         round(instructions_per_confirmation(url, waves)), "instructions"))
    return rows


def main() -> int:
    import logging

    import uvloop

    from devstack.postgres import EmbeddedPostgres

    parser = argparse.ArgumentParser(prog="python -m bench.payment", description=__doc__.split("\n\n")[0])
    parser.add_argument("server_url", nargs="?", help="a PostgreSQL superuser URL (default: start a durable one)")
    parser.add_argument("--processes", default="1,2", help="numbers of API processes to measure, e.g. 1,2")
    parser.add_argument("--profile", type=Path, help="write a cProfile of each API process into this folder")
    parser.add_argument("--codes", type=int, default=SINGLE_CODES, help="codes made and paid one by one")
    parser.add_argument("--batch-codes", type=int, default=BATCH_CODES, help="codes made and paid in batches")
    parser.add_argument("--in-process", action="store_true",
                        help="only the API's CPU per single confirmation, in process (cpu_per_confirmation)")
    parser.add_argument("--instructions", action="store_true",
                        help="with --in-process: also its instructions per confirmation, under valgrind's callgrind")
    parser.add_argument("--waves", type=int, default=WAVES, help=f"with --in-process: waves of {WAVE} measured")
    parser.add_argument("--sync", type=Path, help=argparse.SUPPRESS)  # instructions_per_confirmation's child
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    processes = tuple(int(n) for n in args.processes.split(","))
    postgres, workdir = None, Path(tempfile.mkdtemp(prefix="lontar-bench-payment-pg-"))
    try:
        url = args.server_url
        if url is None:
            postgres = EmbeddedPostgres(workdir / "postgres", port=free_port(), durable=True)
            postgres.start()
            url = postgres.url()
        if args.sync is not None:
            uvloop.run(cpu_per_confirmation(url, args.waves, sync=args.sync))
            return 0
        print(f"load before: {os.getloadavg()[0]:.2f}", file=sys.stderr)
        if args.in_process:
            rows = _in_process_rows(url, args.waves, args.instructions)
        else:
            rows = uvloop.run(run(url, processes, args.profile, single_codes=args.codes,
                                  batch_codes=args.batch_codes))
        print(f"load after: {os.getloadavg()[0]:.2f}", file=sys.stderr)
        for row in rows:
            value = "n/a" if row["value"] is None else f"{row['value']:,}"
            result = "" if row["ok"] is None else "  PASS" if row["ok"] else "  FAIL"
            print(f"{row['name'][9:]:<150} {value:>9} {row['unit']:<11} {row['target'] or ''}{result}")
        return 1 if any(row["ok"] is False for row in rows) else 0
    finally:
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
