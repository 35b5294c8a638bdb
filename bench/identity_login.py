"""Identity figures: password-grant logins (Argon2id with the OWASP parameters the service ships with) at 32
concurrent clients, and access-token verification with a warm JWKS cache (what every other service does per
request). `async def run(server_url)` returns rows {name, value, unit, target, ok}.

Logins go through the real identity app in this process (ASGI, no sockets), against a real PostgreSQL; the Argon2
hash runs on worker threads and releases the GIL, so both cores hash in parallel.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr

from devstack.postgres import ensure_databases
from identity.main import create_app
from identity.models import Account, Person
from identity.passwords import Passwords
from identity.settings import IdentitySettings, TokenSettings
from identity.tokens import TokenIssuer
from kit.auth import JWKSCache, verify_access_token
from kit.db import create_engine, create_sessionmaker
from kit.migrations import upgrade
from kit.settings import DatabaseSettings

ACCOUNTS = 64
CONCURRENCY = 32
LOGINS = 640
PASSWORD = "BenchPassw0rd"


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
    logins = await _seed_accounts(settings)
    rows = await _login_load(settings, logins)
    rows += _verification_rate(settings)
    return rows


async def _seed_accounts(settings: IdentitySettings) -> list[str]:
    engine = create_engine(settings.database, application_name="bench.seed")
    hashed = await Passwords(settings.login).hash(PASSWORD)  # production parameters: m=19 MiB, t=2, p=1
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


async def _login_load(settings: IdentitySettings, logins: list[str]) -> list[dict[str, Any]]:
    app = create_app(settings)
    latencies: list[float] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            async def one(i: int) -> None:
                started = time.perf_counter()
                r = await http.post("/v1/oauth/token", data={"grant_type": "password",
                                                             "username": logins[i % len(logins)],
                                                             "password": PASSWORD})
                latencies.append(time.perf_counter() - started)
                assert r.status_code == 200, r.text

            for i in range(CONCURRENCY):  # warm-up: pools, code paths
                await one(i)
            latencies.clear()
            queue = iter(range(LOGINS))

            async def client() -> None:
                for i in queue:
                    await one(i)

            began = time.perf_counter()
            await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
            elapsed = time.perf_counter() - began
    q = statistics.quantiles(latencies, n=100)
    return [
        _row("login throughput (password grant, Argon2id m=19MiB t=2)", LOGINS / elapsed, "logins/s"),
        _row(f"login p50 at {CONCURRENCY} concurrent clients", q[49] * 1000, "ms"),
        _row(f"login p99 at {CONCURRENCY} concurrent clients", q[98] * 1000, "ms", ("<=", 300.0)),
    ]


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
