"""Notification benchmarks: OTP latency to the provider sandbox, failover latency, notice throughput.

`await run()` starts its own PostgreSQL and broker (as the tests do: `devstack.testing.infra.start_infra`, fsync off),
the sandbox process (`python -m sandbox`) on free ports, and notification as deployed: the API (delivery-report
webhooks) as its own uvicorn process, the worker (relay, consumers, dispatcher) in this process on uvloop (what
uvicorn picks in production), then measures:

1. OTP at 100 requests/s: `OTPDeliveryRequested` produced on the broker -> an SMS provider sandbox has the message
   (sandbox receive time minus the produce time, same clock; a message that failed over counts when the second
   provider has it). Target p99 < 1 s.
2. Failover, worst case: the first SMS provider answers after 5 s (timeout 1 s), provider health is made to
   forget at once and each provider may take 200 calls at a time, so every message first times out at sandbox-a.
   Produce -> sandbox-b has it. Target p99 < 3 s.
   2b. The same as deployed: provider health on, 16 connections per provider. Calls beyond those a saturated
   provider is holding go to the next provider at once, and after the first timeouts sandbox-a is demoted.
3. Notices: `TaxpayerRegistered` events for taxpayers with a known e-mail -> template -> inbox item + message ->
   SMTP sandbox; events/s from the first produce until the sandbox kept the last e-mail. Target >= 1,000/s.

Rows: {name, value, unit, target, ok}. Everything started is stopped on the way out. Alone:
`.venv/bin/python -m bench.notification` (about 2 minutes).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvloop
from pydantic import BaseModel, SecretStr
from pydantic_settings import BaseSettings
from sqlalchemy import text

from contracts.notification import OTPDeliveryRequested
from devstack.processes import free_port, spawn, stop, wait_for_port
from devstack.testing.infra import Infra, start_infra
from kit.db import create_engine
from kit.kafka import create_topics, make_producer
from kit.sealing import generate_keypair, seal
from kit.settings import DatabaseSettings, KafkaSettings
from kit.testing.events import encode, envelope_for, record_headers
from kit.testing.messaging import taxpayer_event
from kit.worker import WorkerRuntime
from sandbox.process import SandboxProcess
from sandbox.settings import SandboxSettings, SmsProviderConfig

OTP_RATE = 100
OTP_COUNT = 1000
FAILOVER_RATE = 50
FAILOVER_COUNT = 300
NOTICES = 5000

log = logging.getLogger("bench.notification")


async def run() -> list[dict[str, Any]]:
    workdir = Path(tempfile.mkdtemp(prefix="lontar-bench-notification-"))
    infra: Infra | None = None
    sandbox: SandboxProcess | None = None
    try:
        infra = await asyncio.to_thread(start_infra, workdir)
        database_url = await asyncio.to_thread(infra.migrated_database, "notification")
        sandbox_settings = SandboxSettings(
            smtp_port=free_port(), http_port=free_port(), tls_dir=workdir / "tls", report_delay_ms=10, keep=100_000,
            providers=tuple(SmsProviderConfig(n, secrets.token_urlsafe(16), secrets.token_urlsafe(24))
                            for n in ("sandbox-a", "sandbox-b")))
        sandbox = SandboxProcess(sandbox_settings, log_path=workdir / "sandbox.log")
        await asyncio.to_thread(sandbox.start)
        bench = _Bench(infra, database_url, sandbox_settings, workdir)
        rows = []
        rows += await bench.otp_latency()
        rows += await bench.failover(health=False)
        rows += await bench.failover(health=True)
        rows += await bench.notices()
        return rows
    finally:
        if sandbox is not None:
            await asyncio.to_thread(sandbox.stop)
        if infra is not None:
            await asyncio.to_thread(infra.stop)
        shutil.rmtree(workdir, ignore_errors=True)


class _Bench:
    def __init__(self, infra: Infra, database_url: str, sandbox: SandboxSettings, workdir: Path) -> None:
        self.infra = infra
        self.workdir = workdir
        self.last_recipients: set[str] = set()
        self.database_url = database_url
        self.sandbox = sandbox
        self.private_key, self.public_key = generate_keypair()

    def settings(self, *, connections: int = 16, **overrides: Any):  # type: ignore[no-untyped-def]
        from notification.settings import (
            DeliverySettings,
            LimitSettings,
            NotificationSettings,
            SealingSettings,
            SmsProviderSettings,
            SmsSettings,
            SmtpSettings,
            TopicSettings,
        )

        suffix = uuid.uuid4().hex[:8]
        values: dict[str, Any] = dict(
            database=DatabaseSettings(dsn=self.database_url, pool_size=10),
            kafka=KafkaSettings(bootstrap_servers=self.infra.bootstrap, enable_idempotence=False),
            worker_port=free_port(), log_level="WARNING",
            sealing=SealingSettings(private_key=self.private_key),
            sms=SmsSettings(providers=[
                SmsProviderSettings(name=p.name, base_url=self.sandbox.sms_base_url(p.name), api_key=p.api_key,
                                    webhook_secret=p.webhook_secret, timeout_s=1.0, connections=connections)
                for p in self.sandbox.providers]),
            smtp=SmtpSettings(host=self.sandbox.host, port=self.sandbox.smtp_port,
                              ca_file=str(self.sandbox.tls_dir / "cert.pem")),
            delivery=DeliverySettings(report_timeout_s=30, poll_interval_s=0.2),
            limits=LimitSettings(otp_per_destination=1000),
            topics=TopicSettings(commands=f"bench.commands.{suffix}", identity_events=f"bench.identity.{suffix}"),
        )
        values.update(overrides)
        return NotificationSettings(**values)

    @contextlib.asynccontextmanager
    async def service(self, settings) -> AsyncIterator[Any]:  # type: ignore[no-untyped-def]
        """As deployed: the API (delivery-report webhooks) as its own uvicorn process on a real port, and the worker
        (relay, consumers, dispatcher) in this process, so the bench can wait until its consumers have joined."""
        from notification import worker

        await create_topics(self.infra.bootstrap, [(settings.topics.commands, 12),
                                                   (settings.topics.identity_events, 12)])
        port = free_port()
        settings = settings.model_copy(update={"webhook_base_url": f"http://127.0.0.1:{port}/v1/provider-webhooks"})
        api = spawn([sys.executable, "-m", "uvicorn", "notification.main:app", "--host", "127.0.0.1", "--port",
                     str(port), "--no-access-log"], env={**os.environ, **_environment(settings, "NOTIFICATION_")},
                    log_path=self.workdir / "notification-api.log")
        app = worker.create_app(settings, group_suffix=f".{uuid.uuid4().hex[:6]}")
        logging.getLogger().setLevel(logging.WARNING)
        try:
            await asyncio.to_thread(wait_for_port, "127.0.0.1", port, timeout=60, proc=api)
            async with app.router.lifespan_context(app):
                consumers = app.state.lontar.get(WorkerRuntime).consumers
                deadline = time.monotonic() + 60
                while not all(c.assigned for c in consumers) and time.monotonic() < deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)  # consumers expose no event for "assigned"; poll it
                yield settings
        finally:
            await asyncio.to_thread(stop, api)

    async def _otp_run(self, settings, rate: int, count: int, provider: str | None) -> list[float]:  # type: ignore[no-untyped-def]
        """Latencies from produce to the first SMS sandbox that kept the message (`provider`, or any)."""
        producer = make_producer(settings.kafka, "bench.otp")
        await producer.start()
        sent_at: dict[str, float] = {}
        acks = []
        try:
            started = time.monotonic()
            for i in range(count):
                delay = started + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                phone = "+628" + f"{secrets.randbelow(10**10):010d}"
                account = str(uuid.uuid4())
                request = OTPDeliveryRequested(
                    request_id=str(uuid.uuid4()), account_id=account, channel="sms", destination=phone,
                    purpose="login", sealed_code=seal(self.public_key, f"{secrets.randbelow(10**6):06d}".encode()),
                    expires_at=datetime.now(UTC) + timedelta(minutes=5))
                envelope = envelope_for(request, key=account)
                sent_at[phone] = time.time()
                acks.append(await producer.send(settings.topics.commands, key=account.encode(),
                                                value=encode(envelope), headers=record_headers(envelope)))
            await asyncio.gather(*acks)
        finally:
            await producer.stop()
        self.last_recipients = set(sent_at)
        received = await self._wait_sandbox(set(sent_at), provider, timeout=60 + count / rate)
        return sorted(received[p] - sent_at[p] for p in sent_at if p in received)

    async def _wait_sandbox(self, recipients: set[str], provider: str | None, timeout: float) -> dict[str, float]:
        deadline = time.monotonic() + timeout
        query = {"provider": provider} if provider else {"channel": "sms"}
        async with httpx.AsyncClient(base_url=self.sandbox.url, timeout=30) as http:
            while True:
                # the cheap count while messages still arrive (the full list costs both processes CPU)
                stats = (await http.get("/stats")).json()["providers"]
                kept = sum(counts.get("kept", 0) for name, counts in stats.items()
                           if (name == provider if provider else name != "smtp"))
                if kept < len(recipients) and time.monotonic() < deadline:
                    await asyncio.sleep(0.5)
                    continue
                messages = (await http.get("/messages", params={**query, "limit": 100_000})).json()
                # newest first: the earliest copy of a message wins
                found = {m["recipient"]: m["received_at_unix"] for m in messages if m["recipient"] in recipients}
                if len(found) >= len(recipients) or time.monotonic() >= deadline:
                    return found
                await asyncio.sleep(0.5)

    async def _reset_sandbox(self) -> None:
        async with httpx.AsyncClient(base_url=self.sandbox.url, timeout=10) as http:
            await http.post("/reset")

    async def otp_latency(self) -> list[dict[str, Any]]:
        await self._reset_sandbox()
        async with self.service(self.settings()) as settings:
            latencies = await self._otp_run(settings, OTP_RATE, OTP_COUNT, None)
        return _latency_rows(f"OTP request -> SMS provider sandbox at {OTP_RATE}/s", latencies, OTP_COUNT, 1.0)

    async def failover(self, *, health: bool) -> list[dict[str, Any]]:
        from notification.settings import BreakerSettings

        await self._reset_sandbox()
        async with httpx.AsyncClient(base_url=self.sandbox.url, timeout=10) as http:
            await http.put("/providers/sandbox-a/mode", json={"mode": "slow", "delay_ms": 5000})
        if health:
            settings = self.settings()
        else:  # health forgets at once (never demotes) and connections are enough for every message to wait
            settings = self.settings(breaker=BreakerSettings(window_s=0.001), connections=FAILOVER_RATE * 4)
        async with self.service(settings) as settings:
            latencies = await self._otp_run(settings, FAILOVER_RATE, FAILOVER_COUNT, "sandbox-b")
        await self._reset_sandbox()
        timed_out = await self._scalar("SELECT count(*) FROM delivery_attempt a JOIN message m ON m.id = a.message_id "
                                       "WHERE a.provider = 'sandbox-a' AND a.state = 'failed' AND m.recipient = "
                                       "ANY(:r)", r=list(self.last_recipients))
        label = "as deployed (health on, 16 connections)" if health else "every message times out first"
        return [*_latency_rows(f"failover, provider 1 times out (1 s), {label}, {FAILOVER_RATE}/s", latencies,
                               FAILOVER_COUNT, 3.0),
                {"name": "  messages that timed out at provider 1 first", "value": timed_out,
                 "unit": f"of {FAILOVER_COUNT}", "target": "", "ok": None}]

    async def _scalar(self, sql: str, **params: Any) -> Any:
        engine = create_engine(DatabaseSettings(dsn=self.database_url), application_name="bench.notification")
        try:
            async with engine.connect() as conn:
                return (await conn.execute(text(sql), params)).scalar_one()
        finally:
            await engine.dispose()

    async def notices(self) -> list[dict[str, Any]]:
        await self._reset_sandbox()
        events = [taxpayer_event(name=f"Wajib Pajak {i}") for i in range(NOTICES)]
        engine = create_engine(DatabaseSettings(dsn=self.database_url), application_name="bench.notices")
        try:
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO recipient (taxpayer, email) VALUES (:t, :e)"),
                                   [{"t": e.npwp, "e": f"wp{e.npwp}@example.co.id"} for e in events])
        finally:
            await engine.dispose()
        async with self.service(self.settings()) as settings:
            producer = make_producer(settings.kafka, "bench.notices")
            await producer.start()
            try:
                started = time.monotonic()
                acks = []
                for event in events:
                    envelope = envelope_for(event, key=event.npwp)
                    acks.append(await producer.send(settings.topics.identity_events, key=event.npwp.encode(),
                                                    value=encode(envelope), headers=record_headers(envelope)))
                await asyncio.gather(*acks)
                produced = time.monotonic() - started
            finally:
                await producer.stop()
            kept = 0
            async with httpx.AsyncClient(base_url=self.sandbox.url, timeout=10) as http:
                deadline = time.monotonic() + 300
                while time.monotonic() < deadline:
                    stats = (await http.get("/stats")).json()
                    kept = stats["providers"].get("smtp", {}).get("kept", 0)
                    if kept >= NOTICES:
                        break
                    await asyncio.sleep(0.1)
            elapsed = time.monotonic() - started
        rate = kept / elapsed
        return [
            {"name": f"notices: TaxpayerRegistered -> template -> inbox + SMTP sandbox ({NOTICES:,} events)",
             "value": round(rate), "unit": "notices/s", "target": ">= 1000", "ok": rate >= 1000 and kept == NOTICES},
            {"name": "  producing those events took", "value": round(produced, 2), "unit": "s", "target": "",
             "ok": None},
        ]


def _environment(settings: BaseSettings, prefix: str) -> dict[str, str]:
    """The environment variables from which a service process builds these same settings (nested values as JSON,
    secrets in clear)."""
    def plain(value: Any) -> Any:
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        if isinstance(value, BaseModel):
            return {name: plain(getattr(value, name)) for name in type(value).model_fields}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return str(value) if isinstance(value, Path) else value

    env = {}
    for name in type(settings).model_fields:
        value = plain(getattr(settings, name))
        if value is not None:
            env[prefix + name.upper()] = value if isinstance(value, str) else json.dumps(value)
    return env


def _latency_rows(name: str, latencies: list[float], expected: int, target_s: float) -> list[dict[str, Any]]:
    if not latencies:
        return [{"name": f"{name}: p99", "value": None, "unit": "s", "target": f"< {target_s:g}", "ok": False}]
    p99 = _percentile(latencies, 0.99)
    return [
        {"name": f"{name}: p99", "value": round(p99, 3), "unit": "s", "target": f"< {target_s:g}",
         "ok": p99 < target_s and len(latencies) == expected},
        {"name": "  p50", "value": round(statistics.median(latencies), 3), "unit": "s", "target": "", "ok": None},
        {"name": "  max", "value": round(latencies[-1], 3), "unit": "s", "target": "", "ok": None},
        {"name": "  delivered", "value": len(latencies), "unit": f"of {expected}", "target": str(expected),
         "ok": len(latencies) == expected},
    ]


def _percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, int(round(q * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


if __name__ == "__main__":
    for row in uvloop.run(run()):
        print(f"{row['name']:<100} {row['value']!s:>10} {row['unit']:<12} {row['target']:<8} {row['ok']}")
