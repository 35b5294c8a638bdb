"""Payment test fixtures: the service's settings on the session's real PostgreSQL and broker (devstack's `infra`),
the API in-process with tokens from the test key, and a World that drives it and reads what it wrote."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from contracts.envelope import Envelope
from contracts.filing import REFERENCE_KEY, InterestRatesPublished
from contracts.registry import Contract
from devstack.testing.infra import Infra
from kit.auth import JWKSCache
from kit.clock import FixedClock
from kit.db import UnitOfWork, create_engine, create_sessionmaker
from kit.testing.events import envelope_for, outbox_events, random_npwp
from kit.testing.service import api_client, service_settings
from payment.main import create_app
from payment.reference.service import rates_published, refresh
from payment.settings import PaymentSettings
from services.payment.tests.factories import MAKER, bank_token, mandiri_body, taxpayer_token

TODAY = date(2026, 12, 7)  # the API's Jakarta day in these tests: date-bound rules never depend on the run's day
# SYNTHETIC TEST DATA, NOT DECREES: the KMK months after the packaged table (March 2026) up to TODAY's month, each
# repeating the last real KMK's rates (2/MK/EF/2026, February 2026), as the tax month's step 0 publishes them.
SYNTHETIC_KMK_MONTHS = tuple(f"2026-{month:02d}" for month in range(3, 13))
FEBRUARY_2026_RATES = dict(tier_1="0.51", tier_2="0.92", tier_3="1.34", tier_4="1.76", tier_5="2.17",
                           imbalan_bunga="0.51")


@pytest.fixture
def settings(infra: Infra) -> PaymentSettings:
    return service_settings(infra, PaymentSettings, "payment")


class World:
    def __init__(self, http: httpx.AsyncClient, settings: PaymentSettings) -> None:
        self.http, self.settings = http, settings
        self.engine = create_engine(settings.database, application_name="test.payment", pool_size=2)
        self.sessions = create_sessionmaker(self.engine)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    async def new_code(self, npwp: str | None = None, **body: Any) -> dict[str, Any]:
        """A mandiri code, created through the API by the taxpayer's own token."""
        npwp = npwp or random_npwp()
        response = await self.http.post("/v1/billing-codes", json=mandiri_body(npwp, **body),
                                        headers=taxpayer_token(npwp))
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def pay(self, code: str, amount: str | int, *, reference: str, paid_at: datetime | None = None,
                  bank: str = "bank-bri") -> httpx.Response:
        paid_at = paid_at or datetime.now(UTC).replace(microsecond=0)
        return await self.http.post("/v1/bank/payments", headers=bank_token(bank), json={
            "billing_code": code, "amount": amount, "bank_reference": reference, "paid_at": paid_at.isoformat()})

    async def backdate(self, code: str, *, expired_for: timedelta = timedelta(minutes=1)) -> None:
        """Move a code's creation back so that its validity ended `expired_for` ago (as if time had passed)."""
        await self.execute("UPDATE billing SET created_at = created_at - (expires_at - now()) - CAST(:d AS interval), "
                           "expires_at = now() - CAST(:d AS interval) WHERE code = :c", c=code, d=expired_for)

    async def execute(self, sql: str, **params: Any) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(text(sql), params)

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.sessions() as session:
            return (await session.execute(text(sql), params)).scalar()

    async def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            return [dict(r) for r in (await session.execute(text(sql), params)).mappings()]

    async def events(self, event_type: str, *, code: str | None = None,
                     npwp: str | None = None) -> list[tuple[str, Contract]]:
        """(key, event) of the outbox rows of `event_type` for one billing code or one taxpayer, in order."""
        async with self.sessions() as session:
            found = await outbox_events(session, event_type=event_type)
        return [(key, e) for key, e in found
                if (code is None or getattr(e, "billing_code", None) == code)
                and (npwp is None or getattr(e, "npwp", None) == npwp)]

    async def sequences(self, event_type: str, code: str) -> list[int]:
        return [row["s"] for row in await self.rows(
            "SELECT (payload->>'sequence')::int AS s FROM outbox WHERE event_type = :t "
            "AND payload->'data'->>'billing_code' = :c ORDER BY seq", t=event_type, c=code)]


@pytest.fixture
async def world(settings: PaymentSettings) -> AsyncIterator[World]:
    app = create_app(settings, jwks=JWKSCache(settings.auth, keys=MAKER.jwks()), clock=FixedClock(TODAY))
    async with api_client(app) as http:
        w = World(http, settings)
        try:
            yield w
        finally:
            await w.engine.dispose()


@pytest.fixture
async def kmk_months_published(settings: PaymentSettings) -> AsyncIterator[tuple[str, ...]]:
    """The KMK months a debt due by TODAY needs (`SYNTHETIC_KMK_MONTHS`), as if filing's officers had published them:
    kept as payment's consumer keeps `InterestRatesPublished`, then read by this process (`refresh`, as every process
    does). Payment answers the rate of a month only from that month's own KMK; without these, interest on a debt due
    after February 2026 is `debt.interest_rate_unknown`. Removed afterwards, and this process reads again."""
    engine = create_engine(settings.database, application_name="test.kmk-months", pool_size=2)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as session, session.begin():
            for month in SYNTHETIC_KMK_MONTHS:
                event = InterestRatesPublished(
                    month=month, **FEBRUARY_2026_RATES, kmk_number=f"KMK-TEST-{month} (synthetic, tests only)",
                    kmk_signed_on=date.fromisoformat(f"{month}-01") - timedelta(days=1),
                    published_at=datetime(2026, 12, 1, tzinfo=UTC))
                await rates_published(session, Envelope.model_validate(
                    envelope_for(event, key=REFERENCE_KEY, subject=month)), event)
        await refresh(UnitOfWork(sessions))
        yield SYNTHETIC_KMK_MONTHS
    finally:
        async with sessions() as session, session.begin():
            await session.execute(text("DELETE FROM interest_rate_month WHERE month = ANY(:m)"),
                                  {"m": list(SYNTHETIC_KMK_MONTHS)})
        await refresh(UnitOfWork(sessions))
        await engine.dispose()
