"""Invoice test fixtures: the real PostgreSQL (kit's `infra`), tokens from TokenMaker, sellers placed in the
replica the way identity's events would (the event path itself is tested in test_replica_and_pkp.py)."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from invoice.main import create_app
from invoice.settings import InvoiceSettings, UploadSettings
from kit.auth import JWKSCache
from kit.db import create_engine, create_sessionmaker
from kit.identifiers import luhn_ok
from kit.testing.service import api_client, service_settings
from kit.testing.tokens import TokenMaker

MAKER = TokenMaker()


def npwp16() -> str:
    """A Luhn-valid '0' + NPWP15."""
    while True:
        body = "0" + "".join(random.choice("0123456789") for _ in range(8))
        for check in "0123456789":
            if luhn_ok(body + check):
                return body + check + "".join(random.choice("0123456789") for _ in range(3)) + "000"


def token(npwp: str, scopes: str = "invoice:read invoice:draft invoice:sign", **claims: Any) -> dict[str, str]:
    claims.setdefault("act", {"sub": str(uuid.uuid4()), "name": "Ani"})
    return {"authorization": "Bearer " + MAKER.make(subject=npwp, scopes=scopes.split(), taxpayer_ids=[npwp],
                                                    **claims)}


@pytest.fixture
def settings(infra: Any) -> InvoiceSettings:
    base = service_settings(infra, InvoiceSettings, "invoice")
    return base.model_copy(update={"uploads": UploadSettings(max_bytes=64 * 1024 * 1024, poll_interval_s=0.2)})


class World:
    token = staticmethod(lambda *a, **k: token(*a, **k))
    npwp16 = staticmethod(lambda: npwp16())
    draft_body = staticmethod(lambda *a, **k: draft_body(*a, **k))

    def __init__(self, http: httpx.AsyncClient, settings: InvoiceSettings) -> None:
        self.http, self.settings = http, settings
        self.engine = create_engine(settings.database, application_name="test.invoice", pool_size=2)
        self.sessions = create_sessionmaker(engine=self.engine)

    async def seller(self, *, pkp_from: date | None = date(2025, 1, 1), npwp: str | None = None) -> str:
        npwp = npwp or npwp16()
        async with self.sessions() as s, s.begin():
            await s.execute(text(
                "INSERT INTO taxpayer (npwp, taxpayer_id, nitku, name, kind, registered_at, source_sequence) "
                "VALUES (:n, :t, :n || '000000', 'PT Contoh', 'company', :r, 1) ON CONFLICT DO NOTHING"),
                {"n": npwp, "t": str(uuid.uuid4()), "r": datetime(2024, 1, 1, tzinfo=UTC)})
            if pkp_from:
                await s.execute(text("INSERT INTO pkp_status_change (npwp, effective_date, is_pkp, source_sequence, "
                                     "event_id) VALUES (:n, :d, 1, 1, :e)"),
                                {"n": npwp, "d": pkp_from, "e": uuid.uuid4()})
        return npwp

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.sessions() as s:
            return (await s.execute(text(sql), params)).scalar()

    async def wait_upload(self, upload_id: str, headers: dict[str, str], timeout: float = 60) -> dict[str, Any]:
        import asyncio
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            body = (await self.http.get(f"/v1/invoice-uploads/{upload_id}", headers=headers)).json()
            if body["state"] in ("completed", "rejected"):
                return body  # type: ignore[no-any-return]
            assert asyncio.get_running_loop().time() < deadline, body
            await asyncio.sleep(0.05)


@pytest.fixture
async def world(settings: InvoiceSettings) -> AsyncIterator[World]:
    app = create_app(settings, jwks=JWKSCache(settings.auth, keys=MAKER.jwks()))
    async with api_client(app) as http:
        w = World(http, settings)
        try:
            yield w
        finally:
            await w.engine.dispose()


def draft_body(npwp: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "seller_npwp": npwp, "invoice_date": "2025-03-10", "trx_code": "04", "reference": f"INV-{uuid.uuid4().hex[:8]}",
        "buyer": {"document": "TIN", "tin": "0013121660091000", "name": "PT Pembeli Sejahtera",
                  "address": "Jl. Merdeka No. 1, Jakarta"},
        "lines": [{"name": "Kertas A4", "unit": "UM.0022", "price": "100000", "qty": "1"}],
    }
    body.update(overrides)
    return body
