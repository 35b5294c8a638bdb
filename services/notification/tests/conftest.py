"""Fixtures for the notification tests: the sandbox process (SMTP with STARTTLS, two SMS providers), the service's
settings pointed at it and at the session's real PostgreSQL and broker, the API on a real port (providers post their
delivery reports to it), the worker (relay, consumers, dispatcher) in the test's event loop, and a harness that
sends commands over the broker and reads what happened."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from prometheus_client import REGISTRY
from sqlalchemy import text

from contracts.notification import OTPDeliveryRequested
from contracts.registry import Contract
from devstack.processes import free_port
from devstack.testing.infra import Infra
from kit.auth import JWKSCache
from kit.db import create_engine, create_sessionmaker
from kit.kafka import create_topics, make_producer
from kit.sealing import generate_keypair, seal
from kit.testing.events import encode, envelope_for, outbox_events, record_headers
from kit.testing.service import service_settings
from kit.testing.tokens import TokenMaker
from notification import main, worker
from notification.dispatch import Dispatcher
from notification.settings import (
    BreakerSettings,
    DeliverySettings,
    LimitSettings,
    NotificationSettings,
    SealingSettings,
    SmsProviderSettings,
    SmsSettings,
    SmtpSettings,
    TopicSettings,
)
from sandbox.process import SandboxProcess
from sandbox.settings import SandboxSettings, SmsProviderConfig

PROVIDERS = ("sandbox-a", "sandbox-b")


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxSettings]:
    """One `python -m sandbox` for the session, on free ports, SMTP offering STARTTLS."""
    folder = tmp_path_factory.mktemp("sandbox")
    settings = SandboxSettings(
        smtp_port=free_port(), http_port=free_port(), tls_dir=folder / "tls", report_delay_ms=10,
        providers=tuple(SmsProviderConfig(n, secrets.token_urlsafe(16), secrets.token_urlsafe(24)) for n in PROVIDERS))
    process = SandboxProcess(settings, log_path=folder / "sandbox.log")
    process.start()
    try:
        yield settings
    finally:
        process.stop()


@pytest.fixture(scope="session")
def sealing_keys() -> tuple[str, str]:
    return generate_keypair()


@pytest.fixture
def settings(infra: Infra, sandbox: SandboxSettings, sealing_keys: tuple[str, str]) -> NotificationSettings:
    base = service_settings(infra, NotificationSettings, "notification")
    suffix = uuid.uuid4().hex[:10]
    topics = TopicSettings(commands=f"test.commands.{suffix}", identity_events=f"test.identity.{suffix}",
                           filing_events=f"test.filing.{suffix}", payment_events=f"test.payment.{suffix}")
    return base.model_copy(update={
        "sealing": SealingSettings(private_key=sealing_keys[0]),
        "sms": SmsSettings(providers=[
            SmsProviderSettings(name=p.name, base_url=sandbox.sms_base_url(p.name), api_key=p.api_key,
                                webhook_secret=p.webhook_secret, timeout_s=0.5)
            for p in sandbox.providers]),
        "smtp": SmtpSettings(host=sandbox.host, port=sandbox.smtp_port, ca_file=str(sandbox.tls_dir / "cert.pem"),
                             starttls="require", timeout_s=5),
        "delivery": DeliverySettings(max_attempts=4, backoff_base_s=0.1, backoff_max_s=0.4, report_timeout_s=1.5,
                                     poll_interval_s=0.1),
        "limits": LimitSettings(otp_per_destination=3, otp_window_s=600),
        "breaker": BreakerSettings(cooldown_s=60),
        "topics": topics,
    })


class Harness:
    """Drives the service from outside: commands on the broker, the sandbox over HTTP, rows in the database."""

    def __init__(self, settings: NotificationSettings, sandbox: SandboxSettings, public_key: str,
                 tokens: TokenMaker) -> None:
        self.settings = settings
        self.sandbox = sandbox
        self.public_key = public_key
        self.tokens = tokens
        self.engine = create_engine(settings.database, application_name="test.harness", pool_size=2)
        self.sessions = create_sessionmaker(self.engine)
        self.http = httpx.AsyncClient(base_url=sandbox.url, timeout=10)
        self.producer = make_producer(settings.kafka, "test.harness")

    async def start(self) -> None:
        topics = self.settings.topics
        await create_topics(self.settings.kafka.bootstrap_servers,
                            [(topics.commands, 3), (topics.identity_events, 3), (topics.filing_events, 3),
                             (topics.payment_events, 3)])
        await self.producer.start()
        assert (await self.http.post("/reset")).status_code == 204

    async def close(self) -> None:
        await self.producer.stop()
        await self.http.aclose()
        await self.engine.dispose()

    # -- commands and events ---------------------------------------------------------------------------------
    def otp_request(self, *, channel: str = "sms", destination: str | None = None, code: str = "",
                    purpose: str = "login", locale: str = "id", expires_in: float = 300,
                    sealed_code: str | None = None, request_id: str | None = None,
                    account_id: str | None = None) -> tuple[OTPDeliveryRequested, str]:
        code = code or f"{secrets.randbelow(10**6):06d}"
        destination = destination or (random_phone() if channel == "sms" else random_email())
        request = OTPDeliveryRequested(
            request_id=request_id or str(uuid.uuid4()), account_id=account_id or str(uuid.uuid4()), channel=channel,  # type: ignore[arg-type]
            destination=destination, purpose=purpose, locale=locale,  # type: ignore[arg-type]
            sealed_code=sealed_code or seal(self.public_key, code.encode()),
            expires_at=datetime.now(UTC) + timedelta(seconds=expires_in))
        return request, code

    async def send(self, event: Contract, *, key: str, topic: str | None = None,
                   envelope: dict[str, Any] | None = None) -> dict[str, Any]:
        env = envelope or envelope_for(event, key=key)
        await (await self.producer.send(topic or self.settings.topics.commands, key=key.encode(), value=encode(env),
                                        headers=record_headers(env)))
        return env

    async def send_otp(self, request: OTPDeliveryRequested) -> dict[str, Any]:
        return await self.send(request, key=request.account_id)

    # -- what happened ---------------------------------------------------------------------------------------
    async def messages(self, request_id: str) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(text("SELECT * FROM message WHERE request_id = :r ORDER BY created_at"),
                                      {"r": request_id})
            return [dict(r) for r in rows.mappings()]

    async def attempts(self, message_id: uuid.UUID) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(text("SELECT * FROM delivery_attempt WHERE message_id = :m ORDER BY id"),
                                      {"m": message_id})
            return [dict(r) for r in rows.mappings()]

    async def message_in_state(self, request_id: str, *states: str, timeout: float = 15) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        found: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            found = await self.messages(request_id)
            if found and found[0]["state"] in states:
                return found[0]
            await asyncio.sleep(0.05)
        raise AssertionError(f"message for {request_id} not in {states} within {timeout}s: "
                             f"{[(m['state'], m['error']) for m in found]}")

    async def outbox(self, event_type: str, request_id: str) -> list[Any]:
        async with self.sessions() as session:
            return [e for _key, e in await outbox_events(session, event_type=event_type)
                    if getattr(e, "request_id", None) == request_id]

    async def received(self, to: str, *, at_least: int = 1, timeout: float = 10) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        got: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            got = (await self.http.get("/messages", params={"to": to})).json()
            if len(got) >= at_least:
                return got
            await asyncio.sleep(0.05)
        raise AssertionError(f"{len(got)} message(s) to {to} in the sandbox within {timeout}s, wanted {at_least}")

    async def sandbox_messages(self, to: str) -> list[dict[str, Any]]:
        return (await self.http.get("/messages", params={"to": to})).json()

    def reset_health(self) -> None:
        """Forget what the worker's dispatcher learnt about provider health (each case starts from healthy)."""
        from notification.health import Health

        dispatcher = self.worker_state.get(Dispatcher)  # type: ignore[attr-defined]
        dispatcher.health = Health(dispatcher.providers, self.settings.breaker)

    async def set_mode(self, provider: str, mode: str, delay_ms: int = 0) -> None:
        response = await self.http.put(f"/providers/{provider}/mode", json={"mode": mode, "delay_ms": delay_ms})
        assert response.status_code == 200, response.text

    async def database_text(self) -> str:
        """Every row of every table, as text: for "this never reached the database"."""
        async with self.engine.connect() as conn:
            tables = (await conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))).scalars().all()
            chunks = []
            for table in tables:
                rows = await conn.execute(text(f'SELECT t::text FROM "{table}" t'))
                chunks += rows.scalars().all()
        return "\n".join(chunks)


def random_phone() -> str:
    return "+628" + f"{secrets.randbelow(10**10):010d}"


def random_email() -> str:
    return f"wp.{uuid.uuid4().hex[:12]}@example.co.id"


Harness.phone = staticmethod(random_phone)  # type: ignore[attr-defined]
Harness.email = staticmethod(random_email)  # type: ignore[attr-defined]
Harness.metric = staticmethod(lambda name, **labels: REGISTRY.get_sample_value(name, labels) or 0.0)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def tokens() -> TokenMaker:
    return TokenMaker()


@pytest.fixture
async def harness(settings: NotificationSettings, sandbox: SandboxSettings, sealing_keys: tuple[str, str],
                  tokens: TokenMaker) -> AsyncIterator[Harness]:
    h = Harness(settings, sandbox, sealing_keys[1], tokens)
    await h.start()
    try:
        yield h
    finally:
        await h.close()


@pytest.fixture
async def api(settings: NotificationSettings, tokens: TokenMaker) -> AsyncIterator[str]:
    """The API on a real loopback port (providers post delivery reports to it); yields its base URL."""
    port = free_port()
    app = main.create_app(settings, jwks=JWKSCache(settings.auth, keys=tokens.jwks()))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False,
                                           lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


@pytest.fixture
async def running(settings: NotificationSettings, api: str, harness: Harness,
                  caplog: pytest.LogCaptureFixture) -> AsyncIterator[Harness]:
    """API + worker (relay, consumers, dispatcher) running; the harness to drive them. Logs are captured at DEBUG."""
    worker_settings = settings.model_copy(update={"webhook_base_url": f"{api}/v1/provider-webhooks"})
    harness.settings = worker_settings
    app = worker.create_app(worker_settings, group_suffix=f".{uuid.uuid4().hex[:8]}")
    logging.getLogger().addHandler(caplog.handler)  # the app factory replaced the root handlers
    caplog.set_level(logging.DEBUG)
    async with app.router.lifespan_context(app):
        harness.worker_state = app.state.lontar  # type: ignore[attr-defined]
        yield harness


@pytest.fixture
def templates_dir(tmp_path: Path) -> Path:
    """A copy of the packaged templates without `otp.login`: for the unknown-template case."""
    from notification.templating import PACKAGED

    for path in PACKAGED.glob("*.json"):
        if path.name != "otp.login.json":
            (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path




def tax_events(npwp: str) -> list[Contract]:
    """One of each filing and payment event notification turns into a notice, for `npwp`, with fresh ids."""
    from datetime import date

    from contracts.filing import (
        DeadlineApproaching,
        KSWPIssued,
        SKBIssued,
        SKBRejected,
        SKPIssued,
        SPTCorrected,
        SPTSubmitted,
        STPIssued,
        WrittenWarningIssued,
    )
    from contracts.payment import (
        BillingCreated,
        BillingExpiryApproaching,
        DebtRecorded,
        DepositCredited,
        InstalmentDueApproaching,
        InstalmentGranted,
        PaymentConfirmed,
        PHTBValidated,
        ScheduledPayment,
    )

    def new() -> str:
        return str(uuid.uuid4())

    at, digest = datetime(2026, 12, 6, 7, 5, tzinfo=UTC), "ab" * 32
    code, ntpn = "0" + f"{secrets.randbelow(10**14):014d}", secrets.token_hex(8).upper()
    return [
        SPTSubmitted(spt_id=new(), npwp=npwp, form="spt_masa_ppn", period="2026-11", spt_version=0, filed_at=at,
                     receipt_number=f"BPE-{new()[:8]}", content_digest=digest, outcome="kurang_bayar",
                     amount_payable="1234567", overpayment="0", due_date=date(2026, 12, 31), late=False,
                     billing_code=code, ntpn=ntpn, payment_date=date(2026, 12, 6)),
        SPTCorrected(spt_id=new(), previous_spt_id=new(), npwp=npwp, form="spt_tahunan_badan", period="2025",
                     spt_version=1, previous_spt_version=0, filed_at=at, receipt_number=f"BPE-{new()[:8]}",
                     content_digest=digest, outcome="lebih_bayar", amount_payable="0", overpayment="2500000",
                     tax_raise="0", shows_overpayment_or_loss=True),
        STPIssued(stp_id=new(), stp_number=f"STP-{new()[:8]}", npwp=npwp, reason="late_filing",
                  basis="UU KUP Art 7(1)", kap_kjs="411211-300", amount="500000", form="spt_masa_ppn",
                  period="2026-10", issued_on=date(2026, 12, 1), due_date=date(2027, 1, 1)),
        SKPIssued(skp_id=new(), skp_number=f"SKP-{new()[:8]}", npwp=npwp, kind="SKPKB", form="spt_tahunan_badan",
                  period="2024", audit_id=new(), principal="100000000", interest="12480000", increase="0",
                  total="112480000", kap_kjs="411126-310", issued_on=date(2026, 12, 1), due_date=date(2027, 1, 1),
                  reasoning="Koreksi peredaran usaha.", officer_account_id=new()),
        KSWPIssued(kswp_id=new(), letter_number=f"KSWP-{new()[:8]}", npwp=npwp,
                   requesting_agency="Kementerian Investasi", service="izin usaha", variant="standard",
                   status="invalid", reasons=["kswp.annual_return_missing"], checked_at=at, snapshot_digest=digest,
                   verification_code="V123"),
        DeadlineApproaching(reminder_id=new(), npwp=npwp, form="spt_masa_ppn", period="2026-11",
                            due_date=date(2026, 12, 31), days_left=7, reminder="d7", sent_on=date(2026, 12, 21)),
        SKBIssued(application_id=new(), skb_number="SKB-2026-000000042", npwp=npwp, tax="pph23",
                  ground="fiscal_loss", tax_year=2026, valid_from=date(2026, 12, 7), valid_until=date(2026, 12, 31),
                  received_on=date(2026, 12, 1), decision_due=date(2026, 12, 8), decided_at=at,
                  officer_account_id=new()),
        SKBRejected(application_id=new(), npwp=npwp, tax="pph22", ground="final_income_only", tax_year=2026,
                    reason="Penghasilan tidak seluruhnya final.", received_on=date(2026, 12, 1),
                    decision_due=date(2026, 12, 8), decided_at=at, officer_account_id=new()),
        WrittenWarningIssued(warning_id=new(), letter_number=f"ST-{new()[:8]}/WPJ.04/KP.0103/2026", npwp=npwp,
                             form="spt_masa_ppn", period="2023-03", issued_on=date(2026, 12, 4),
                             overpayment_filing_limit=date(2026, 3, 31), recorded_at=at, officer_account_id=new()),
        BillingCreated(billing_id=new(), billing_code=code, npwp=npwp, kap_kjs="411211-100", period="2026-11",
                       amount="1234567", origin="mandiri", created_at=at, expires_at=at),
        PaymentConfirmed(payment_id=new(), ntpn=ntpn, billing_id=new(), billing_code=code, npwp=npwp,
                         kap_kjs="411211-100", period="2026-11", amount="1234567", paid_at=at, bank_code="008",
                         bank_reference=new(), settles="spt", spt_id=new(), confirmed_at=at),
        DebtRecorded(debt_id=new(), npwp=npwp, kind="stp", kap_kjs="411211-300", assessment_number="STP-LAMA-1",
                     period="2019-03", amount="100000", issued_on=date(2020, 1, 2), due_date=date(2020, 2, 2),
                     legacy=True, recorded_at=at),
        InstalmentGranted(arrangement_id=new(), npwp=npwp, debt_id=new(), kap_kjs="411126-310", kind="instalment",
                          debt_kind="assessment", principal="3000000", monthly_rate_percent="0.59",
                          schedule=[ScheduledPayment(number=n, due_date=date(2027, n, 15), principal="1000000",
                                                     interest="5900", total="1005900") for n in (1, 2, 3)],
                          granted_at=at),
        PHTBValidated(validation_id=new(), number=f"SKV-{new()[:8]}", npwp=npwp, buyer_id="1234567890123456",
                      nop="317101000100200300", ntpn=ntpn, kap_kjs="411128-402", gross_value="1000000000",
                      category="general", rate_percent="2.5", tax_amount="25000000", decided_by="rules",
                      validated_at=at),
        DepositCredited(credit_id=new(), npwp=npwp, amount="750000", route="overpayment", deposited_at=at,
                        balance_after="750000"),
        BillingExpiryApproaching(reminder_id=new(), billing_id=new(), billing_code=code, npwp=npwp,
                                 kap_kjs="411125-200", period="2025", amount="2500000", origin="spt", spt_id=new(),
                                 expires_at=at, sent_at=at),
        InstalmentDueApproaching(reminder_id=new(), arrangement_id=new(), debt_id=new(), npwp=npwp,
                                 kap_kjs="411126-310", assessment_number=f"SKP-{new()[:8]}", number=2, instalments=3,
                                 due_date=date(2027, 2, 15), principal="1000000", interest="5900", total="1005900",
                                 days_left=3, sent_on=date(2027, 2, 12)),
    ]


@pytest.fixture(scope="session")
def make_tax_events():  # type: ignore[no-untyped-def]
    return tax_events
