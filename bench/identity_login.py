"""Identity figures: logins (Argon2id with the OWASP parameters the service ships with) against the raw Argon2id
capacity of the same machine in the same run, latency at 70 % of the login capacity, a surge, and access-token
verification with a warm JWKS cache (what every other service does per request). `async def run(server_url)`
returns rows {name, value, unit, target, ok}.

Logins go to identity as deployed: its own `uvicorn` process (uvloop, httptools) on a free port, with the production
login settings (Argon2id on a pool of one thread per core, at most `max_queued` logins waiting beyond those:
identity.passwords), against a real PostgreSQL; the load comes from this process over loopback HTTP. Everything
shares the machine's cores, so the CPU of identity, PostgreSQL, this load generator and other processes is
reported. Phases:

1. raw Argon2id: `workers` threads verifying the production hash back to back (no event loop, no database): the
   ceiling. Measured before and after phase 2; the mean is the denominator.
2. login capacity: closed loop, `workers + max_queued` clients (as many as are admitted at once, so none is shed).
   Ratio to (1): target >= 85 %. With it, the CPU per login of identity, PostgreSQL and the load generator, and of
   the rest of the machine; Argon2id's CPU per verification (thread CPU time) over identity's and PostgreSQL's CPU
   per login is the ratio an idle machine would show (other load shifts the throughputs, much less the CPU times).
3. latency at 70 % of (2): open loop, Poisson arrivals (fixed seed) for 10 s; latency from each login's scheduled
   arrival, so a stalled loop cannot hide its queue. Target p99 < 300 ms; 503s counted.
4. surge: 100 logins at the same instant; how many were shed and the slowest answer of each kind (a 503 is never a
   wait).
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from argon2 import PasswordHasher
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr
from sqlalchemy import text

from bench.machine import OtherLoad, process_seconds, tree_seconds
from devstack.postgres import ensure_databases
from devstack.processes import free_port, spawn, stop, wait_for_port
from devstack.stack import api_command
from identity.models import Account, Person
from identity.passwords import QUEUED_PER_WORKER, available_cores, lower_priority
from identity.settings import IdentitySettings, LoginSettings, TokenSettings
from identity.tokens import TokenIssuer
from kit.auth import JWKSCache, verify_access_token
from kit.db import create_engine, create_sessionmaker
from kit.migrations import upgrade
from kit.settings import DatabaseSettings

ACCOUNTS = 64
CAPACITY_LOGINS = 480
RAW_SECONDS = 4.0
OFFERED_SHARE = 0.70
OFFERED_SECONDS = 10.0
SURGE = 100
PASSWORD = "BenchPassw0rd"
SEED = 20261206


def _row(name: str, value: float, unit: str, target: tuple[str, float] | None = None) -> dict[str, Any]:
    ok = None if target is None else (value >= target[1] if target[0] == ">=" else value <= target[1])
    return {"name": name, "value": value, "unit": unit, "target": target, "ok": ok}


async def run(server_url: str) -> list[dict[str, Any]]:
    database = f"identity_bench_{uuid.uuid4().hex[:8]}"
    await ensure_databases(server_url, [database])
    url = f"{server_url.rpartition('/')[0]}/{database}"
    with ThreadPoolExecutor(1) as pool:
        await asyncio.get_running_loop().run_in_executor(pool, upgrade, "identity", url)
    key = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()).decode()
    settings = IdentitySettings(database=DatabaseSettings(dsn=url, pool_size=40),
                                tokens=TokenSettings(signing_key=SecretStr(key)))
    hashed = _hasher(settings.login).hash(PASSWORD)  # production parameters: m=19 MiB, t=2, p=1
    logins = await _seed_accounts(settings, hashed)
    rows = await _login_load(settings, logins, hashed, key)
    rows += _verification_rate(settings)
    return rows


def _hasher(login: LoginSettings) -> PasswordHasher:
    return PasswordHasher(time_cost=login.argon2_time_cost, memory_cost=login.argon2_memory_kib,
                          parallelism=login.argon2_parallelism)


async def _seed_accounts(settings: IdentitySettings, hashed: str) -> list[str]:
    engine = create_engine(settings.database, application_name="bench.seed")
    logins = []
    async with create_sessionmaker(engine)() as s, s.begin():
        for _ in range(ACCOUNTS):
            number = f"098{uuid.uuid4().int % 10**13:013d}"
            person = Person(kind="foreigner", full_name="Bench User", identity_number=number)
            s.add(person)
            await s.flush()
            s.add(Account(person_id=person.id, email="bench@example.id", phone="+628111111111",
                          password_hash=hashed))
            logins.append(number)
    await engine.dispose()
    return logins


def _raw_verifications(login: LoginSettings, hashed: str, workers: int) -> tuple[float, float]:
    """Argon2id verifications per second on `workers` threads at identity's priority for them, nothing else: the
    ceiling for logins; and the CPU seconds one verification takes (thread CPU time, which other load on the
    machine hardly changes)."""
    hasher = _hasher(login)
    deadline = time.perf_counter() + RAW_SECONDS

    def loop() -> tuple[int, float]:
        done, cpu = 0, time.thread_time()
        while time.perf_counter() < deadline:
            hasher.verify(hashed, PASSWORD)
            done += 1
        return done, time.thread_time() - cpu

    started = time.perf_counter()
    with ThreadPoolExecutor(workers, initializer=lower_priority, initargs=(login.hash_nice,)) as pool:
        counts = list(pool.map(lambda _: loop(), range(workers)))
    total = sum(n for n, _ in counts)
    return total / (time.perf_counter() - started), sum(cpu for _, cpu in counts) / max(1, total)


class Connections:
    """A minimal HTTP/1.1 keep-alive client over asyncio streams: the load generator shares the machine's cores with
    what it measures, so it should cost little (httpx: about 2 ms of CPU per login, this: a tenth of that)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._all: list[asyncio.StreamWriter] = []

    async def open(self, n: int) -> None:
        while len(self._idle) < n:
            self._idle.append(await self._connect())

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self._all.append(writer)
        return reader, writer

    async def post(self, path: str, form: str) -> int:
        """POST a form; the status (the body is read and dropped). A kept connection the server has closed meanwhile
        (uvicorn: after 5 s idle) is replaced."""
        if self._idle:
            try:
                return await self._post(self._idle.pop(), path, form)
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
        return await self._post(await self._connect(), path, form)

    async def _post(self, connection: tuple[asyncio.StreamReader, asyncio.StreamWriter], path: str,
                    form: str) -> int:
        reader, writer = connection
        body = form.encode()
        writer.write(f"POST {path} HTTP/1.1\r\nhost: {self.host}\r\n"
                     f"content-type: application/x-www-form-urlencoded\r\ncontent-length: {len(body)}\r\n\r\n"
                     .encode() + body)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(int(line.split(b":", 1)[1]) for line in head.lower().split(b"\r\n")
                      if line.startswith(b"content-length:"))
        await reader.readexactly(length)
        self._idle.append(connection)
        return status

    async def close(self) -> None:
        for writer in self._all:
            writer.close()


def _quantiles(latencies: list[float]) -> tuple[float, float, float]:
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return q[49] * 1000, q[98] * 1000, max(latencies) * 1000


async def _login_load(settings: IdentitySettings, logins: list[str], hashed: str,
                      key: str) -> list[dict[str, Any]]:
    workers = settings.login.hash_workers or available_cores()
    admitted = workers + (QUEUED_PER_WORKER * workers if settings.login.max_queued is None
                          else settings.login.max_queued)
    loop = asyncio.get_running_loop()

    async def raw() -> tuple[float, float]:
        with ThreadPoolExecutor(1) as pool:
            return await loop.run_in_executor(pool, _raw_verifications, settings.login, hashed, workers)

    postgres_pid = await _postmaster_pid(settings)
    workdir = Path(tempfile.mkdtemp(prefix="lontar-bench-login-"))
    port = free_port()
    env = {**os.environ, "IDENTITY_ENV": "dev", "IDENTITY_LOG_LEVEL": "WARNING",
           "IDENTITY_DATABASE__DSN": settings.database.url, "IDENTITY_TOKENS__SIGNING_KEY": key,
           "IDENTITY_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",  # no broker: a login publishes nothing
           "IDENTITY_WORKER_PORT": str(free_port()), "PYTHONUNBUFFERED": "1"}
    proc = spawn(api_command("identity", "127.0.0.1", port), env=env, log_path=workdir / "identity.log")
    try:
        try:
            await asyncio.to_thread(wait_for_port, "127.0.0.1", port, timeout=60, proc=proc)
        except (RuntimeError, TimeoutError):
            raise RuntimeError(f"identity did not start:\n{(workdir / 'identity.log').read_text()[-2000:]}") from None
        clients = Connections("127.0.0.1", port)
        try:
            turn = iter(range(10**9))

            async def login() -> int:
                body = urlencode({"grant_type": "password", "username": logins[next(turn) % len(logins)],
                                  "password": PASSWORD})
                return await clients.post("/v1/oauth/token", body)

            for _ in range(3 * admitted):  # warm-up: pools, connections, code paths
                assert await login() == 200

            raw_before = await raw()
            capacity, cpu = await _capacity(login, admitted, proc.pid, postgres_pid)
            raw_after = await raw()
            raw_rate = (raw_before[0] + raw_after[0]) / 2
            argon2_cpu = (raw_before[1] + raw_after[1]) / 2
            offered = OFFERED_SHARE * capacity
            others = OtherLoad()
            at_load, shed_at_load = await _open_loop(login, offered)
            others_at_load, _ = others.cores([proc.pid, postgres_pid])
            await clients.open(SURGE)  # the surge is of logins, not of TCP handshakes
            surge = await _surge(login)
        finally:
            await clients.close()
    finally:
        stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)

    p50, p99, _ = _quantiles(at_load)
    ok_max = max((t for status, t in surge if status == 200), default=0.0) * 1000
    shed = [t for status, t in surge if status == 503]
    identity_cpu, postgres_cpu, generator_cpu, other_cpu = cpu
    return [
        _row(f"raw Argon2id verifications, {workers} threads (m=19MiB t=2; mean of before/after)", raw_rate,
             "verifications/s"),
        _row(f"login capacity (password grant over HTTP, {admitted} clients, none shed)", capacity, "logins/s"),
        _row("login capacity / raw Argon2id capacity", 100 * capacity / raw_rate, "%", (">=", 85.0)),
        _row("  capacity phase, CPU per login: identity (app and its Argon2id threads)",
             1000 * identity_cpu / capacity, "ms"),
        _row("  capacity phase, CPU per login: PostgreSQL", 1000 * postgres_cpu / capacity, "ms"),
        _row("  capacity phase, CPU per login: the load generator (this process)", 1000 * generator_cpu / capacity,
             "ms"),
        _row("  capacity phase, CPU of other processes (re-run if high)", other_cpu, "cores"),
        _row("  Argon2id CPU per verification (thread CPU time)", 1000 * argon2_cpu, "ms"),
        _row("  expected ratio on an idle machine: Argon2id CPU / login CPU (identity + PostgreSQL)",
             100 * argon2_cpu * capacity / (identity_cpu + postgres_cpu), "%"),
        _row(f"login p50 at {offered:.1f} logins/s offered (70 % of capacity, Poisson)", p50, "ms"),
        _row(f"login p99 at {offered:.1f} logins/s offered (70 % of capacity, Poisson)", p99, "ms", ("<=", 300.0)),
        _row("  logins shed (503) at 70 % of capacity", shed_at_load, "logins"),
        _row("  70 % phase, CPU of other processes (re-run if high)", others_at_load, "cores"),
        _row(f"surge: {SURGE} logins at once, shed with 503 login.overloaded", len(shed), "logins"),
        _row("  surge: slowest 503 answer", max(shed, default=0.0) * 1000, "ms"),
        _row("  surge: slowest admitted login", ok_max, "ms"),
    ]


async def _postmaster_pid(settings: IdentitySettings) -> int | None:
    """PostgreSQL's postmaster (the parent of a backend), for its CPU; None if it is not on this machine."""
    engine = create_engine(settings.database, application_name="bench.pid")
    try:
        async with engine.connect() as conn:
            backend = int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())
        return _parent_of(backend)
    except (OSError, ValueError):
        return None
    finally:
        await engine.dispose()


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])


async def _capacity(login: Callable[[], Any], clients: int, identity_pid: int,
                    postgres_pid: int | None) -> tuple[float, tuple[float, float, float, float]]:
    """Logins/s with `clients` back to back; CPU in cores of identity, PostgreSQL, this process and everyone else."""
    queue = iter(range(CAPACITY_LOGINS))

    async def client() -> None:
        for _ in queue:
            status = await login()
            assert status == 200, status

    others = OtherLoad()
    generator = os.times()
    identity, postgres = process_seconds(identity_pid), tree_seconds(postgres_pid)
    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - began
    done = os.times()
    other, _kernel = others.cores([identity_pid, postgres_pid])
    return CAPACITY_LOGINS / elapsed, ((process_seconds(identity_pid) - identity) / elapsed,
                                       (tree_seconds(postgres_pid) - postgres) / elapsed,
                                       (done.user + done.system - generator.user - generator.system) / elapsed, other)


async def _open_loop(login: Callable[[], Any], rate: float) -> tuple[list[float], int]:
    """Poisson arrivals at `rate` for OFFERED_SECONDS; each latency from its scheduled arrival."""
    rng = random.Random(SEED)
    latencies: list[float] = []
    shed = 0
    tasks = []

    async def one(at: float) -> None:
        nonlocal shed
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        status = await login()
        if status == 503:
            shed += 1
            return
        assert status == 200, status
        latencies.append(time.perf_counter() - at)

    start = time.perf_counter() + 0.1
    at = start
    while at < start + OFFERED_SECONDS:
        at += rng.expovariate(rate)
        tasks.append(asyncio.create_task(one(at)))
    await asyncio.gather(*tasks)
    return latencies, shed


async def _surge(login: Callable[[], Any]) -> list[tuple[int, float]]:
    async def one() -> tuple[int, float]:
        began = time.perf_counter()
        status = await login()
        return status, time.perf_counter() - began

    answers = await asyncio.gather(*(one() for _ in range(SURGE)))
    assert {status for status, _ in answers} <= {200, 503}, answers
    return list(answers)


def _verification_rate(settings: IdentitySettings) -> list[dict[str, Any]]:
    """Per request, every service verifies the caller's token. A client reuses one token for its whole lifetime
    (10 minutes), so the common case is a token already verified once (served from kit.auth.VerifiedTokens); the
    first sight of each token pays the Ed25519 signature check. Both are measured on one thread."""
    issuer = TokenIssuer(settings)
    tokens = [issuer.issue(subject=str(uuid.uuid4()), scopes=["invoice:read", "invoice:draft"],
                           taxpayer_ids=["0013121660091000"], actor={"sub": "pic"})[0] for _ in range(3_000)]

    async def verify_all(batch: list[str], cache: JWKSCache) -> float:
        started = time.perf_counter()
        for token in batch:
            await verify_access_token(token, cache)
        return len(batch) / (time.perf_counter() - started)

    def measure() -> tuple[float, float]:
        first_sight = asyncio.run(verify_all(tokens, JWKSCache(settings.auth, keys=issuer.jwks())))
        warm = JWKSCache(settings.auth, keys=issuer.jwks())
        asyncio.run(verify_all(tokens[:100], warm))
        reused = asyncio.run(verify_all(tokens[:100] * 500, warm))  # 100 clients, 500 requests each
        return first_sight, reused

    with ThreadPoolExecutor(1) as pool:  # its own thread and loop: one core
        first_sight, reused = pool.submit(measure).result()
    return [
        _row("token verification per request, token reused (warm JWKS)", reused, "verifications/s",
             (">=", 20_000.0)),
        _row("token verification, first sight of each token (Ed25519 check)", first_sight, "verifications/s"),
    ]


def main() -> int:
    """`python -m bench.identity_login`: these rows alone, on a durable embedded PostgreSQL of their own."""
    import sys

    import uvloop

    from bench.services import _render
    from devstack.postgres import EmbeddedPostgres

    workdir = Path(tempfile.mkdtemp(prefix="lontar-bench-login-"))
    postgres = EmbeddedPostgres(workdir / "postgres", port=free_port(), durable=True)
    try:
        postgres.start()
        rows = uvloop.run(run(postgres.url()))
        print(_render([("identity", row) for row in rows]), file=sys.stdout)
        return 1 if any(row["ok"] is False for row in rows) else 0
    finally:
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
