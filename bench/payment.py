"""Payment figures (issue 14): billing creation and bank confirmations, each beside a raw PostgreSQL floor measured
in the same run.

- Billing creation (mandiri, `POST /v1/billing-codes` with an Idempotency-Key, as front ends and PJAP call it):
  throughput at 64 concurrent clients (target >= 1,000/s), and p99 latency at an offered 200/s (open loop: requests
  start on schedule whatever the answers do; target < 100 ms).
- Bank confirmations (`POST /v1/bank/payments`, inquiry excluded): 4,000 codes paid by 64 concurrent bank calls,
  10% of them sent twice (a bank retrying): confirmations/s (target >= 2,000/s), then the checks that make the
  figure honest: payments and ledger postings equal the unique codes paid, every duplicate answered with the same
  NTPN, and the ledger audit clean.
- The floor: single-row INSERT transactions (one row, one commit, as each use case commits once) at the same
  concurrency into a table of the same width; the ratio is how much of raw PostgreSQL each use case keeps.

Measured in-process through the payment ASGI app (httpx ASGITransport: routing, auth, validation, the use case, its
transaction), against a fresh database on `server_url` migrated with kit.migrations.upgrade, dropped at the end.
`await run(server_url)` returns rows {name, value, unit, target, ok}; `python -m bench.payment <server url>`.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import text

from bench.infra import migrated_databases
from devstack.processes import free_port
from kit.auth import JWKSCache
from kit.db import UnitOfWork, create_engine, create_sessionmaker
from kit.settings import DatabaseSettings, KafkaSettings
from kit.testing.events import random_npwp
from kit.testing.service import api_client
from kit.testing.tokens import TokenMaker
from payment.ledger.service import audit_ledger
from payment.main import create_app
from payment.settings import PaymentSettings

CONCURRENCY = 64
TAXPAYERS = 500
THROUGHPUT_REQUESTS = 4_000
OPEN_LOOP_RATE, OPEN_LOOP_SECONDS = 200, 10
DUPLICATE_SHARE = 0.10
MAKER = TokenMaker()


def _row(name: str, value: float, unit: str, target: tuple[str, float] | None = None) -> dict[str, Any]:
    ok = None if target is None else (value >= target[1] if target[0] == ">=" else value < target[1])
    shown = None if target is None else f"{target[0]} {target[1]:,g}"
    return {"name": f"payment: {name}", "value": value, "unit": unit, "target": shown, "ok": ok}


async def run(server_url: str) -> list[dict[str, Any]]:
    async with migrated_databases(server_url, "payment") as [url]:
        settings = PaymentSettings(database=DatabaseSettings(dsn=url, pool_size=CONCURRENCY // 2),
                                   kafka=KafkaSettings(enable_idempotence=False), worker_port=free_port(),
                                   log_level="WARNING")
        return await _measure(settings)


async def _measure(settings: PaymentSettings) -> list[dict[str, Any]]:
    engine = create_engine(settings.database, application_name="bench.payment", pool_size=CONCURRENCY // 2)
    sessions = create_sessionmaker(engine)
    npwps = await _seed_taxpayers(sessions)
    tokens = {n: {"authorization": "Bearer " + MAKER.make(subject=str(uuid.uuid4()), scopes=["payment:read",
                                                                                          "payment:write"],
                                                          taxpayer_ids=[n])} for n in npwps}
    bank = {"authorization": "Bearer " + MAKER.make(subject="bank-bench", scopes=["payment:bank"], client_kind="bank",
                                                    client_id="bank-bench")}
    app = create_app(settings, jwks=JWKSCache(settings.auth, keys=MAKER.jwks()))
    counter = iter(range(10**9))
    refused: dict[int, int] = {}  # status -> count of answers other than 201 (503 when the pool is exhausted)

    async def create(http: httpx.AsyncClient) -> dict[str, Any] | None:
        i = next(counter)
        npwp = npwps[i % len(npwps)]
        r = await http.post("/v1/billing-codes", headers={**tokens[npwp], "idempotency-key": uuid.uuid4().hex},
                            json={"npwp": npwp, "kap_kjs": "411211-100", "period": "2025-08",
                                  "amount": str(100_000 + i)})
        if r.status_code != 201:
            assert r.status_code == 503, r.text  # overload may shed; anything else is a bug
            refused[r.status_code] = refused.get(r.status_code, 0) + 1
            return None
        return r.json()  # type: ignore[no-any-return]

    try:
        async with api_client(app) as http:
            for _ in range(200):  # warm-up: pools, caches, the first plans
                await create(http)
            codes: list[dict[str, Any]] = []

            async def create_one() -> None:
                if (code := await create(http)) is not None:
                    codes.append(code)

            billing_s = await _closed_loop(create_one, THROUGHPUT_REQUESTS)
            shed_before_open_loop = sum(refused.values())
            latencies = await _open_loop(lambda: create(http), OPEN_LOOP_RATE, OPEN_LOOP_SECONDS)
            shed_in_open_loop = sum(refused.values()) - shed_before_open_loop

            duplicates = codes[: int(len(codes) * DUPLICATE_SHARE)]
            calls = [*codes, *duplicates]
            paid_at = datetime.now(UTC).replace(microsecond=0).isoformat()
            answers: dict[str, set[str]] = {}
            queue = iter(calls)

            async def confirm() -> None:
                code = next(queue)
                r = await http.post("/v1/bank/payments", headers=bank, json={
                    "billing_code": code["code"], "amount": code["amount"],
                    "bank_reference": "REF" + code["code"], "paid_at": paid_at})
                assert r.status_code in (200, 201), r.text
                answers.setdefault(code["code"], set()).add(r.json()["ntpn"])

            confirm_s = await _closed_loop(confirm, len(calls))
        payments = await _scalar(sessions, "SELECT count(*) FROM payment")
        audit = await audit_ledger(UnitOfWork(sessions))  # includes: each payment settled by exactly one transfer
        insert_rate = await _raw_insert_rate(sessions, THROUGHPUT_REQUESTS)
    finally:
        await engine.dispose()

    billing_rate, confirm_rate = len(codes) / billing_s, len(calls) / confirm_s
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000
    one_ntpn_each = all(len(ntpns) == 1 for ntpns in answers.values())
    return [
        _row(f"billing codes created/s at {CONCURRENCY} clients", round(billing_rate), "codes/s", (">=", 1000)),
        _row(f"billing creation p99 at an offered {OPEN_LOOP_RATE}/s for {OPEN_LOOP_SECONDS} s "
             f"({shed_in_open_loop} shed with 503)", round(p99, 1), "ms", ("<", 100)),
        _row("billing creations shed with 503 at 64 clients (pool exhausted)", shed_before_open_loop, "requests"),
        _row(f"bank confirmations/s at {CONCURRENCY} clients ({len(codes):,} codes, {len(duplicates):,} sent twice)",
             round(confirm_rate), "conf/s", (">=", 2000)),
        _row("raw single-row INSERT transactions/s, same concurrency (the floor)", round(insert_rate), "tx/s"),
        _row("billing creation / raw inserts", round(100 * billing_rate / insert_rate, 1), "%"),
        _row("confirmations / raw inserts", round(100 * confirm_rate / insert_rate, 1), "%"),
        _row(f"payments recorded (unique codes paid: {len(codes):,})", payments, "rows"),
        _row("problems: a duplicate answered with another NTPN, payments != codes paid, ledger audit (incl. each "
             "payment posted exactly once, debits = credits)",
             (0 if one_ntpn_each else 1) + abs(payments - len(codes)) + len(audit.problems), "problems", ("<", 1)),
    ]


async def _closed_loop(call: Callable[[], Awaitable[Any]], total: int) -> float:
    """Seconds for `total` calls made by CONCURRENCY clients, each starting its next call when the last answered."""
    remaining = iter(range(total))

    async def client() -> None:
        for _ in remaining:
            await call()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
    return time.perf_counter() - started


async def _open_loop(call: Callable[[], Awaitable[Any]], rate: int, seconds: int) -> list[float]:
    """Latencies of calls started on a fixed schedule (`rate` per second), measured from their scheduled start, so a
    slow answer delays nothing and queueing shows in the figure (no coordinated omission)."""
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.1
    latencies: list[float] = []

    async def timed(at: float) -> None:
        await asyncio.sleep(max(0.0, at - loop.time()))
        await call()
        latencies.append(loop.time() - at)

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


async def _raw_insert_rate(sessions: Any, total: int) -> float:
    """Single-row INSERT transactions/s (one row of billing's width, one commit) at CONCURRENCY clients."""
    async with sessions() as s, s.begin():
        await s.execute(text("CREATE UNLOGGED TABLE IF NOT EXISTS bench_floor (id uuid PRIMARY KEY, code text, "
                             "npwp text, kap_kjs text, period text, amount numeric(18, 2), created_at timestamptz, "
                             "expires_at timestamptz)"))
        await s.execute(text("ALTER TABLE bench_floor SET LOGGED"))  # logged, as billing is: commits pay for WAL

    async def insert() -> None:
        async with sessions() as s, s.begin():
            await s.execute(text("INSERT INTO bench_floor VALUES (gen_random_uuid(), :c, '0013121660091000', "
                                 "'411211-100', '2025-08', 100000, now(), now() + interval '7 days')"),
                            {"c": uuid.uuid4().hex[:15]})

    for _ in range(200):
        await insert()
    return total / await _closed_loop(insert, total)


async def _scalar(sessions: Any, sql: str) -> int:
    async with sessions() as s:
        return int((await s.execute(text(sql))).scalar_one())




if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.WARNING)
    for row in asyncio.run(run(sys.argv[1])):
        print(f"{row['name']:<100} {row['value']:>12,} {row['unit']:<10} {row['target'] or ''}"
              f"{'' if row['ok'] is None else ('  ok' if row['ok'] else '  FAIL')}")
